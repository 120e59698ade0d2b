"""The admin section's 网站同步: sources list, 立即同步 and the last report, through the app's
own routes and in a real headless browser (Debian's chromium driven by playwright)."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from assistant.settings import Settings
from assistant.sync.run import RUN_LOCK
from assistant.sync.state import read_sources
from tests.fakes import small_assistant
from tests.sync_site import EDU_COLUMN, build_site, serve
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "sync-admin-密码"
SCREENSHOT_COPY = Path("/tmp/sync_admin_screenshot.png")


@pytest.fixture(scope="module")
def sync_app(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[tuple[Settings, Any, str]]:
    tmp = tmp_path_factory.mktemp("sync-admin")
    root = build_site(tmp / "www")
    settings, _, assistant = small_assistant(
        tmp, admin_password=PASSWORD, sync_allow_private=True, sync_delay_seconds=0.0
    )
    with serve(root) as site:
        running = serve_app(assistant, settings)
        yield settings, running, site.base + EDU_COLUMN
        running.stop()


def test_sync_routes_refuse_a_wrong_password(sync_app: tuple[Settings, Any, str]) -> None:
    settings, running, column = sync_app
    client = Client(running.url, verbose=False)
    status, _sources = client.predict("wrong", column, api_name="/admin_sync_sources")
    assert "密码错误" in status and read_sources(settings) == []
    status, _report, _table = client.predict("", api_name="/admin_sync")
    assert "密码错误" in status
    assert not (settings.sync_dir / "reports").exists()


def test_sync_sources_are_saved_checked_and_synced(sync_app: tuple[Settings, Any, str]) -> None:
    settings, running, column = sync_app
    client = Client(running.url, verbose=False)
    status, _ = client.predict(PASSWORD, "file:///etc/passwd", api_name="/admin_sync_sources")
    assert "不是有效的网址" in status and read_sources(settings) == []
    status, shown = client.predict(PASSWORD, column, api_name="/admin_sync_sources")
    assert "已保存 1 个" in status and shown == column and read_sources(settings) == [column]
    status, report, table = client.predict(PASSWORD, api_name="/admin_sync")
    assert status.startswith("✅"), status
    assert "新增 8" in report and "robots.txt" in report
    titles = [row[1] for row in table["data"]]
    assert "重庆市教育委员会关于做好2016年义务教育招生入学工作的意见" in titles


def test_sync_section_in_a_real_browser(sync_app: tuple[Settings, Any, str], tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs it)")
    from playwright.sync_api import expect, sync_playwright

    settings, running, column = sync_app
    if read_sources(settings) != [column]:
        # Run alone, the list and the first sync are made here, through the same API.
        client = Client(running.url, verbose=False)
        client.predict(PASSWORD, column, api_name="/admin_sync_sources")
        client.predict(PASSWORD, api_name="/admin_sync")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1600}).new_page()
            page.goto(running.url, wait_until="load")
            page.get_by_role("tab", name="文件").click()
            page.locator("#admin").get_by_text("管理（需要管理密码）").click()
            page.locator("#admin-password input").fill(PASSWORD)
            sources = page.locator("#sync-sources textarea")
            # A page opened now shows the list saved through the API above, not the app's
            # list at start (empty), so saving from this page keeps it.
            expect(sources).to_have_value(column, timeout=30_000)
            expect(page.locator("#sync-report textarea")).to_have_value(re.compile("新增 8"))
            sources.fill(f"{column}\n{column}")
            page.get_by_role("button", name="保存网址列表").click()
            page.locator("#sync-status", has_text="已保存 1 个").wait_for(timeout=30_000)
            # Another sync of this process (the lock is process-wide) must end first, or
            # the button rightly answers that one is running.
            deadline = time.monotonic() + 120
            while RUN_LOCK.locked() and time.monotonic() < deadline:
                time.sleep(0.2)
            page.locator("#sync-run").click()
            status = page.locator("#sync-status")
            status.filter(has_text=re.compile("同步完成|同步失败|进行中|请先")).wait_for(timeout=120_000)
            shown = status.inner_text()
            assert "同步完成" in shown, shown
            report = page.locator("#sync-report textarea").input_value()
            assert "新增" in report and column in report
            assert (
                page.locator("#docs-table")
                .get_by_text("天津市教育委员会关于印发2016年天津市小学招生入学工作指导意见的通知")
                .count()
                >= 1
            )
            page.locator("#sync-report").first.scroll_into_view_if_needed()
            shot = tmp_path / "sync_admin.png"
            page.screenshot(path=str(shot), full_page=True)
            shutil.copyfile(shot, SCREENSHOT_COPY)
        finally:
            browser.close()
    assert read_sources(settings) == [column]


def test_the_running_app_syncs_on_its_schedule(tmp_path: Path) -> None:
    from assistant.sync.schedule import start_scheduler
    from assistant.sync.state import add_sources, last_report

    root = build_site(tmp_path / "www")
    settings, _, assistant = small_assistant(
        tmp_path, sync_allow_private=True, sync_delay_seconds=0.0, sync_interval_hours=1 / 3600
    )
    assert start_scheduler(settings.model_copy(update={"sync_interval_hours": 0.0}), assistant) is None
    with serve(root) as site:
        add_sources(settings, [site.base + EDU_COLUMN])
        scheduler = start_scheduler(settings, assistant)
        assert scheduler is not None
        try:
            deadline = time.monotonic() + 60
            while last_report(settings) is None and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
    assert last_report(settings) is not None
    # The schedule may run again (every second here) before it is shut down: the first run
    # found the column's 8 documents, any later one found nothing new.
    folder = settings.sync_dir / "reports"
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("2*.json"))]
    assert len(runs[0]["new"]) == 8 and all(not run["new"] for run in runs[1:])
    assert any(d.url for d in assistant.index.documents())
