"""The web UI in a real browser: Debian's chromium driven by Python playwright (no
browser download). Missing chromium is a failure, not a skip: `make test` installs it."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serving import RunningServer

pytestmark = pytest.mark.model

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PARENT_QUESTION = "罗湖区要新增多少公办义务教育学位？"
XSS = "<img src=x onerror=alert(1)>"
SCREENSHOT_COPY = Path("/tmp/ui_screenshot.png")
TIMEOUT_MS = 180_000  # the first question loads the embedding model


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test` (it installs it) or "
            "`apt-get install -y chromium fonts-wqy-microhei`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser: Any, url: str, locale: str = "zh-CN") -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")  # never networkidle: Gradio keeps a connection open
    page.wait_for_selector("#question textarea", timeout=60_000)
    return context, page, dialogs


def _ask(page: Any, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def _wait_for_answer(page: Any, count: int) -> str:
    """Text of the count-th assistant message once it has stopped changing."""
    message = page.locator('[data-testid="bot"]').nth(count - 1)
    message.wait_for(timeout=TIMEOUT_MS)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    previous, stable_since = "", time.monotonic()
    while time.monotonic() < deadline:
        text = message.inner_text()
        if text != previous:
            previous, stable_since = text, time.monotonic()
        elif text.strip() not in {"", "…"} and time.monotonic() - stable_since > 2.0:
            return text
        time.sleep(0.25)
    raise AssertionError(f"answer {count} did not settle: {previous!r}")


def test_parent_question_answer_citation_and_targets(
    browser: Any, server: RunningServer, tmp_path: Path
) -> None:
    context, page, dialogs = _open(browser, server.url)
    try:
        assert page.locator('button[role="tab"]').all_inner_texts()[:3] == ["问答", "目标与时限", "文件"]
        _ask(page, PARENT_QUESTION)
        page.wait_for_selector("#chatbot details.luohu-cite", timeout=TIMEOUT_MS)
        answer = _wait_for_answer(page, 1)
        assert "3.3万" in answer and "[1]" in answer
        assert page.locator('#chatbot [data-testid="user"]').first.inner_text().strip() == PARENT_QUESTION

        citation = page.locator("#chatbot details.luohu-cite").first
        assert citation.get_attribute("open") is None
        citation.locator("summary").click()
        page.wait_for_selector("#chatbot details.luohu-cite[open] mark", timeout=10_000)
        assert "罗湖区基础教育高质量发展行动方案" in citation.locator("summary").inner_text()
        assert "3.3万" in citation.locator("mark").inner_text()
        assert citation.locator("mark").is_visible()
        shot = tmp_path / "ui_chat.png"
        page.screenshot(path=str(shot), full_page=True)
        shutil.copyfile(shot, SCREENSHOT_COPY)

        page.get_by_role("tab", name="目标与时限").click()
        first_cell = page.locator('#targets-table [role="gridcell"]').first  # a virtualised grid
        first_cell.wait_for(state="visible", timeout=30_000)
        assert first_cell.inner_text().strip()
        header = page.locator("#targets-table").inner_text()
        assert "截止/周期" in header and "责任主体" in header
        # Filter to the targets due in 2025: the 3.3万 places are one of them.
        page.locator("#targets-year input").click()
        page.get_by_role("option", name="2025", exact=True).click()
        page.locator('#targets-table [role="gridcell"]', has_text="3.3万座").first.wait_for(
            state="visible", timeout=30_000
        )
        page.screenshot(path=str(tmp_path / "ui_targets.png"), full_page=True)
        assert dialogs == []
    finally:
        context.close()


def test_markup_in_a_question_is_shown_as_text(browser: Any, server: RunningServer) -> None:
    context, page, dialogs = _open(browser, server.url)
    try:
        _ask(page, XSS)
        _wait_for_answer(page, 1)
        user_message = page.locator('#chatbot [data-testid="user"]').first
        assert XSS in user_message.inner_text()
        assert page.locator('img[src="x"]').count() == 0
        assert page.locator("#chatbot img[onerror]").count() == 0
        time.sleep(1.0)  # an onerror handler would have fired by now
        assert dialogs == []
    finally:
        context.close()


def test_an_example_question_is_asked_on_click(browser: Any, server: RunningServer) -> None:
    context, page, _ = _open(browser, server.url)
    try:
        page.get_by_text("劳动教育每周至少安排几课时？", exact=True).first.click()
        answer = _wait_for_answer(page, 1)
        assert "1课时" in answer
        user_text = page.locator('#chatbot [data-testid="user"]').first.inner_text().strip()
        assert user_text == "劳动教育每周至少安排几课时？"
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "tabs"),
    [
        ("en-US", ["Ask", "Targets & deadlines", "Documents"]),
        ("zh-TW", ["問答", "目標與時限", "文件"]),
        ("fr-FR", ["问答", "目标与时限", "文件"]),  # not Chinese or English: Simplified Chinese
    ],
)
def test_interface_language_follows_the_browser(
    browser: Any, server: RunningServer, locale: str, tabs: list[str]
) -> None:
    context, page, _ = _open(browser, server.url, locale=locale)
    try:
        page.wait_for_timeout(500)
        assert page.locator('button[role="tab"]').all_inner_texts()[:3] == tabs
    finally:
        context.close()
