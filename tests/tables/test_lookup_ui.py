"""Point 5: the 查学区/查学校 tab in a real browser (Debian's chromium, as in
tests/test_browser.py), and `table_rows` in `ask --json` and `/v1`; the row index of a
collection is saved beside it and read again by a new process's assistant."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import small_assistant
from table_files import zoning_xlsx
from test_browser import CHROMIUM, CHROMIUM_ARGS

from assistant.chain import Assistant
from assistant.tables.lookup import ROWS_FILE

SCREENSHOT_COPY = Path("/tmp/ui_lookup.png")


@pytest.fixture(scope="module")
def zoning_assistant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Assistant]:
    root = tmp_path_factory.mktemp("zones")
    settings, index, _ = small_assistant(root)
    zoning_xlsx(settings.knowledge_dir / "罗湖区2025年小学招生地段表.xlsx")
    report = index.ingest()
    assert not report.failed, report.failed
    return settings, index, Assistant(settings, index)


def test_ask_json_has_table_rows_and_cites_the_row(zoning_assistant: tuple[Any, Any, Assistant]) -> None:
    settings, index, assistant = zoning_assistant
    result = assistant.ask("我家住人民路37号，对口哪所小学？").to_json()
    assert result["answer"].startswith("学校：翠竹小学")
    assert result["table_rows"][0]["cells"]["学校"] == "翠竹小学" and result["table_rows"][0]["row"] == 3
    assert result["citations"][0]["section"].endswith("第3行")
    missing = assistant.ask("翠竹苑对口哪所学校？").to_json()
    assert missing["refused"] and missing["refusal_reason"] == "not_in_table"
    assert "相近的有" in missing["answer"] and missing["table_rows"] == []
    # A question asking for a body looks no row up by the place-like word it holds.
    body = assistant.ask("翠竹苑的学位申请由哪个部门负责审核？").to_json()
    assert body["refusal_reason"] != "not_in_table" and body["table_rows"] == []
    # A question on the text documents is not taken by the rows.
    assert assistant.ask("幼儿园要新增多少所？").to_json()["table_rows"] == []
    # The row index is saved beside the collection and read by a new assistant.
    saved = settings.derived_dir(index.active_name()) / ROWS_FILE
    assert saved.is_file() and len(saved.read_text(encoding="utf-8").splitlines()) == 4
    again = Assistant(settings, index).ask("翠竹北苑对口哪所学校？").to_json()
    assert again["answer"].startswith("学校：翠竹小学")


def test_a_row_of_another_years_table_is_a_partial_answer(
    zoning_assistant: tuple[Any, Any, Assistant],
) -> None:
    # The table is 2025's: the row answers a question of that year, and is quoted as the
    # closest for a question of another year, which the table does not answer.
    _, _, assistant = zoning_assistant
    same = assistant.ask("2024年只看了旧表，那2025年人民路37号对口哪所小学？").to_json()
    assert not same["refused"] and same["answer"].startswith("学校：翠竹小学")
    other = assistant.ask("2025年是翠竹小学，那2026年人民路37号对口哪所小学？").to_json()
    assert other["refused"] and other["refusal_reason"] == "other_year"
    assert other["answer"].startswith("文件没有写明2026年的") and "翠竹小学" in other["answer"]


def test_a_row_stating_no_time_does_not_answer_when(zoning_assistant: tuple[Any, Any, Assistant]) -> None:
    # The row names the school, not its hours: the question goes to the documents' text.
    _, _, assistant = zoning_assistant
    hours = assistant.ask("人民路37号对口的小学每天几点放学？").to_json()
    assert hours["table_rows"] == [] and not hours["answer"].startswith("学校：翠竹小学")
    assert assistant.ask("人民路37号对口哪所小学？").to_json()["table_rows"]


@pytest.fixture(scope="module")
def zoning_server(zoning_assistant: tuple[Any, Any, Assistant], serve_app: Any) -> Iterator[Any]:
    settings, _, assistant = zoning_assistant
    running = serve_app(assistant, settings)
    yield running
    running.stop()


def test_v1_returns_table_rows(zoning_server: Any) -> None:
    body = {"model": "luohu-assistant", "messages": [{"role": "user", "content": "红岭花园对口哪所学校？"}]}
    reply = httpx.post(f"{zoning_server.url}/v1/chat/completions", json=body, timeout=60).json()
    assert reply["table_rows"][0]["cells"]["学校"] == "红岭小学"
    streamed = httpx.post(
        f"{zoning_server.url}/v1/chat/completions", json=body | {"stream": True}, timeout=60
    )
    events = [json.loads(x[6:]) for x in streamed.text.split("\n\n") if x.startswith("data: {")]
    assert events[-1]["table_rows"][0]["cells"]["学校"] == "红岭小学"


def test_lookup_tab_in_a_real_browser(zoning_server: Any, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
            page.goto(zoning_server.url, wait_until="load")
            page.get_by_role("tab", name="查学区/查学校").click()
            box = page.locator("#lookup-input textarea, #lookup-input input").first
            box.fill("人民路38号")
            page.locator("#lookup-button").click()
            cell = page.locator('#lookup-rows [role="gridcell"]', has_text="人民小学").first
            cell.wait_for(state="visible", timeout=60_000)
            summary = page.locator("#lookup-summary").inner_text()
            assert "找到 1 行" in summary and "人民路2-100号（双号）" in summary
            table = page.locator("#lookup-rows").inner_text()
            # The table of 2025, a past year's admission rule, is shown as historical.
            assert "第4行" in table and "历史（2025年）" in table and "翠竹小学" not in table
            shot = tmp_path / "ui_lookup.png"
            page.screenshot(path=str(shot), full_page=True)
            shutil.copyfile(shot, SCREENSHOT_COPY)
            box.fill("翠竹苑")
            page.locator("#lookup-button").click()
            page.locator("#lookup-summary", has_text="没有找到").wait_for(timeout=30_000)
            assert "翠竹园" in page.locator("#lookup-summary").inner_text()
        finally:
            browser.close()
