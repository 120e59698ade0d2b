"""The admin section's 网站同步 part: the sources list, 立即同步, and the last run's report.
Every action checks the admin password first (Admin._allowed)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

import gradio as gr

from assistant.chain import Assistant
from assistant.settings import Settings
from assistant.sync.run import RUN_LOCK, render_report, run_sync
from assistant.sync.state import SourceError, last_report, read_sources, write_sources
from assistant.web.document_list import document_rows


class Admin(Protocol):
    """What this part needs of the admin section (assistant/web/admin.py: Admin)."""

    assistant: Assistant
    settings: Settings

    def _allowed(self, password: str | None) -> bool: ...


log = logging.getLogger(__name__)


def last_report_text(admin: Admin) -> str:
    report = last_report(admin.settings)
    return render_report(report) if report else "尚未同步过。"


def schedule_text(admin: Admin) -> str:
    hours = admin.settings.sync_interval_hours
    if hours > 0:
        return f"自动同步：每 {hours:g} 小时一次（ASSISTANT_SYNC_INTERVAL_HOURS）。"
    return (
        "自动同步未开启：设置 ASSISTANT_SYNC_INTERVAL_HOURS（小时）后重启，"
        "或用 cron 运行 python -m assistant sync。"
    )


def save_sources(admin: Admin, password: str, text: str) -> tuple[str, str]:
    if not admin._allowed(password):
        return "❌ 管理密码错误，未做任何更改。", "\n".join(read_sources(admin.settings))
    urls = [line.strip() for line in (text or "").splitlines() if line.strip() and not line.startswith("#")]
    try:
        write_sources(admin.settings, urls)
    except SourceError as exc:
        return f"❌ 未保存：{exc.user_message}", text
    saved = read_sources(admin.settings)  # a URL given twice is kept once
    return f"✅ 已保存 {len(saved)} 个同步网址。", "\n".join(saved)


def sync_now(admin: Admin, password: str) -> tuple[str, str, list[list[Any]]]:
    rows = document_rows(admin.assistant)
    if not admin._allowed(password):
        return "❌ 管理密码错误，未做任何更改。", last_report_text(admin), rows
    if not read_sources(admin.settings):
        return "请先填写并保存要同步的栏目网址。", last_report_text(admin), rows
    if RUN_LOCK.locked():
        return "同步正在进行中，请稍后查看报告。", last_report_text(admin), rows
    try:
        report = run_sync(admin.settings, index=admin.assistant.index)
        admin.assistant.searcher.refresh()
    except Exception as exc:
        log.exception("sync failed")
        return f"❌ 同步失败（现有索引未改动）：{type(exc).__name__}", last_report_text(admin), rows
    verdict = "⚠️ 同步完成，但索引未更新。" if report["ingest_error"] else "✅ 同步完成。"
    return verdict, render_report(report), document_rows(admin.assistant)


def sync_section(admin: Admin, password: gr.Textbox, table: gr.Dataframe) -> None:
    with gr.Group(elem_id="admin-sync"):
        gr.Markdown("**网站同步**：关注的栏目（通知公告、政策文件、信息公开的列表页），每行一个网址。")
        # Read on every page load (a callable value): a page opened after a save elsewhere
        # shows the saved list, so saving from it cannot drop what another session added.
        sources = gr.Textbox(
            lambda: "\n".join(read_sources(admin.settings)),
            lines=4,
            label="同步网址列表",
            placeholder="https://www.example.gov.cn/jyj/tzgg/",
            elem_id="sync-sources",
        )
        gr.Markdown(schedule_text(admin))
        with gr.Row():
            save = gr.Button("保存网址列表", size="sm")
            run = gr.Button("立即同步", variant="primary", size="sm", elem_id="sync-run")
        status = gr.Markdown(elem_id="sync-status")
        report = gr.Textbox(
            lambda: last_report_text(admin),
            lines=12,
            max_lines=30,
            label="最近一次同步报告",
            interactive=False,
            elem_id="sync-report",
        )
    common: dict[str, Any] = {"concurrency_id": "admin", "concurrency_limit": 1}
    save.click(
        lambda pw, text: save_sources(admin, pw, text),
        [password, sources],
        [status, sources],
        api_name="admin_sync_sources",
        **common,
    )
    run.click(
        lambda pw: sync_now(admin, pw), [password], [status, report, table], api_name="admin_sync", **common
    )
