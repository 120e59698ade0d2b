"""The web UI (Gradio Blocks): 问答 (chat with citations and feedback), 目标与时限 (the
targets table, CSV and timeline), 文件 (indexed documents, plus an admin section that
exists only when ASSISTANT_ADMIN_PASSWORD is set), served with the HTTP API on one app.
"""

from __future__ import annotations

import logging

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.chain import Assistant
from assistant.settings import Settings
from assistant.web.admin import docs_tab
from assistant.web.api import add_ask_endpoint, openai_router
from assistant.web.chat import Chat, chat_tab
from assistant.web.document_list import document_rows
from assistant.web.feedback import FeedbackStore
from assistant.web.i18n import I18N, DefaultLocaleMiddleware, t
from assistant.web.lookup_tab import lookup_tab
from assistant.web.targets_tab import TargetsView, targets_tab

log = logging.getLogger(__name__)


CSS = """
.luohu-title p { font-size: 1.6em; font-weight: 700; margin: 0.2em 0; }
.luohu-sources { margin: 0.6em 0 0.2em; font-weight: 600; }
.luohu-cite { border-left: 3px solid var(--color-accent, #f97316); padding: 0.1em 0.6em; margin: 0.3em 0; }
.luohu-cite summary { cursor: pointer; }
.luohu-meta { color: var(--body-text-color-subdued, #666); font-size: 0.9em; }
.luohu-badge { background: #b45309; color: #fff; border-radius: 4px; padding: 0 0.35em; font-size: 0.85em; }
.luohu-section { color: var(--body-text-color-subdued, #666); margin: 0.3em 0; }
.luohu-passage { white-space: normal; line-height: 1.6; }
.luohu-passage mark { background: #fde68a; color: inherit; }
.luohu-opening { color: var(--body-text-color-subdued, #555); margin: 0.15em 0 0.2em 1.2em; }
"""


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    chat = Chat(assistant, settings, FeedbackStore.for_settings(settings))
    targets = TargetsView(assistant)
    with gr.Blocks(title="罗湖区基础教育政策助手", analytics_enabled=False) as demo:
        gr.Markdown(t("title"), elem_id="app-title", elem_classes=["luohu-title"])
        gr.Markdown(t("intro"))
        with gr.Tabs():
            with gr.Tab(t("tab_chat"), id="chat", elem_id="tab-chat"):
                chat_tab(chat)
            with gr.Tab(t("tab_targets"), id="targets", elem_id="tab-targets"):
                targets_tab(targets)
            with gr.Tab(t("tab_docs"), id="docs", elem_id="tab-docs"):
                docs_table = docs_tab(assistant, settings)
            with gr.Tab(t("tab_lookup"), id="lookup", elem_id="tab-lookup"):
                lookup_tab(assistant)
        demo.load(lambda: document_rows(assistant), None, docs_table, api_visibility="undocumented")
        add_ask_endpoint(assistant, settings)
    return demo


class RefusePaths:
    """404 for the given paths, whatever the method: Gradio routes the app has no use for."""

    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in self.paths:
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


# Gradio accepts any file at this route for any app; only the admin section uploads.
GRADIO_UPLOAD_PATH = "/gradio_api/upload"


def create_server(assistant: Assistant, settings: Settings, port: int | None = None) -> FastAPI:
    """One FastAPI app: the OpenAI-compatible routes under /v1 and the Gradio UI at /."""
    blocks = build_app(assistant, settings)
    app = FastAPI(title="罗湖区基础教育政策助手", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(openai_router(assistant, settings))
    app.add_middleware(DefaultLocaleMiddleware)
    if not settings.admin_enabled:  # without an admin section nobody may upload anything
        app.add_middleware(RefusePaths, paths=frozenset({GRADIO_UPLOAD_PATH}))
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        server_name=settings.host,
        server_port=port or settings.port,
        i18n=I18N,
        css=CSS,
        max_file_size=f"{settings.max_upload_mb}mb",
        footer_links=["api", "settings"],
        run_history=False,  # questions may carry personal details: keep none in the browser
    )
