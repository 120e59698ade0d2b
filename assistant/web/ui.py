"""The web UI (Gradio Blocks): 问答 (chat with citations and feedback), 目标与时限 (the
targets table, CSV and timeline), 文件 (indexed documents, plus an admin section that
exists only when ASSISTANT_ADMIN_PASSWORD is set).

Everything a user or a document supplies is HTML-escaped before it reaches the chatbot's
Markdown renderer: the renderer's sanitiser is a second line of defence, not the first.
"""

from __future__ import annotations

import csv
import hashlib
import html
import logging
import os
import re
import secrets
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.chain import AskResult, Assistant
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import SUPPORTED_SUFFIXES, check_size, load_bytes
from assistant.documents.manifest import read_manifest
from assistant.errors import user_message_for
from assistant.index import IngestReport
from assistant.question.condense import Turn
from assistant.question.normalize import clean_input
from assistant.settings import Settings
from assistant.targets.model import Target, deadline_years, filter_targets
from assistant.targets.store import load_targets
from assistant.web.api import QuestionError, add_ask_endpoint, check_question, openai_router
from assistant.web.feedback import FeedbackStore
from assistant.web.i18n import I18N, DefaultLocaleMiddleware, t

log = logging.getLogger(__name__)

Record = dict[str, Any]  # one exchange: question, answer, citations, refused, notice

EXAMPLES: dict[str, list[str]] = {
    "examples_principal": [
        "劳动教育每周至少安排几课时？",
        "校长职级制改革有哪些内容？",
        "教育督导问责怎么做？",
    ],
    "examples_parent": [
        "罗湖区要新增多少公办义务教育学位？",
        "孩子作业太多了怎么办？",
        "“十四五”期间新增多少幼儿园学位？",
    ],
    "examples_staff": [
        "什么时候基本消除超班额、超规模办学？",
        "各街道办在增加幼儿园学位中要做什么？",
        "2025年前要完成哪些目标？",
    ],
}

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
"""

_TARGET_HEADERS = ["截止/周期", "事项", "数量", "责任主体", "所属行动", "原句", "来源文件"]
_DOC_HEADERS = ["文件编号", "标题", "发布机关", "日期", "状态", "段落数"]

# ---------------------------------------------------------------------------- rendering

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#$])")
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.M)
# "- " bullets (the answerer's list of related measures) stay lists; a line of only - or =
# would underline the line above into a heading.
_MD_RULE = re.compile(r"^(\s*)([-=*_+])(?=[-=*_+\s]*$)", re.M)


def escape_text(text: str) -> str:
    """Plain text for the chatbot's Markdown: HTML escaped, Markdown syntax neutralised
    (answers quote documents, whose 1. / * / # must not turn into lists or headings)."""
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_ORDERED.sub(r"\1\\\2", text)
    return _MD_RULE.sub(r"\1\\\2", text)


def _one_line(text: str) -> str:
    """Escaped HTML on one line: a blank line would end the HTML block in Markdown."""
    return "<br>".join(html.escape(line) for line in text.splitlines() if line.strip())


def highlight(passage: str, quote: str) -> str:
    """The passage, escaped, with the quoted sentence in <mark>."""
    quote = (quote or "").strip()
    for candidate in (quote, quote.rstrip("。；;！？!?")):
        at = passage.find(candidate) if candidate else -1
        if at >= 0:
            end = at + len(candidate)
            return _one_line(passage[:at]) + f"<mark>{_one_line(candidate)}</mark>" + _one_line(passage[end:])
    marked = f"<mark>{_one_line(quote)}</mark><br>" if quote else ""
    return marked + _one_line(passage)


def render_citation(c: dict[str, Any]) -> str:
    badge = ' <span class="luohu-badge">历史文件</span>' if c.get("status") == "historical" else ""
    meta = " · ".join(html.escape(str(c[k])) for k in ("issuer", "date") if c.get(k))
    meta_html = f' <span class="luohu-meta">{meta}</span>' if meta else ""
    passage = highlight(str(c.get("text", "")), str(c.get("quote", "")))
    section = f'<div class="luohu-section">{html.escape(c["section"])}</div>' if c.get("section") else ""
    return (
        f'<details class="luohu-cite"><summary>[{int(c.get("number", 0))}] '
        f"《{html.escape(str(c.get('title', '')))}》{badge}{meta_html}</summary>"
        f'{section}<div class="luohu-passage">{passage}</div></details>'
    )


def render_answer(record: Record) -> str:
    text = escape_text(record["answer"])
    citations = record.get("citations") or []
    if not citations:
        return text
    heading = "最接近的相关内容" if record.get("refused") else "出处"
    block = f'<div class="luohu-sources">{heading}</div>' + "".join(render_citation(c) for c in citations)
    return f"{text}\n\n{block}"


def render_messages(records: list[Record]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for record in records:
        question = record["question"] or "（未输入内容）"
        messages.append({"role": "user", "content": escape_text(question)})
        messages.append({"role": "assistant", "content": render_answer(record) or "…"})
    return messages


# ---------------------------------------------------------------------------- chat


class Chat:
    """The chat's event handlers. Per-session state is a list of records (raw text, never
    HTML), from which the chatbot is re-rendered and the history is taken."""

    def __init__(self, assistant: Assistant, settings: Settings, store: FeedbackStore) -> None:
        self.assistant = assistant
        self.settings = settings
        self.store = store

    @staticmethod
    def history(records: list[Record]) -> list[Turn]:
        return [(r["question"], r["answer"]) for r in records if not r.get("notice")]

    def respond(
        self, message: str, records: list[Record] | None
    ) -> Iterator[tuple[str, list[dict[str, str]], list[Record]]]:
        records = list(records or [])
        question = clean_input(message or "")
        notice = self._notice(question)
        if notice:
            shown = question if len(question) <= 80 else question[:80] + "…"
            records.append({"question": shown, "answer": notice, "citations": [], "notice": True})
            yield "", render_messages(records), records
            return
        history = self.history(records)
        current: Record = {"question": question, "answer": "", "citations": []}
        yield "", render_messages([*records, current]), records
        try:
            for piece in self.assistant.stream(question, history):
                if isinstance(piece, AskResult):
                    current = {
                        "question": question,
                        "answer": piece.answer,
                        "citations": [c.to_json() for c in piece.citations],
                        "refused": piece.refused,
                    }
                else:
                    current["answer"] += piece
                    yield "", render_messages([*records, current]), records
        except Exception as exc:
            log.exception("answering failed")
            current = {"question": question, "answer": user_message_for(exc), "citations": [], "notice": True}
        records.append(current)
        yield "", render_messages(records), records

    def _notice(self, question: str) -> str:
        try:
            check_question(question, self.settings)
        except QuestionError as exc:
            return exc.user_message
        return ""

    def like(self, records: list[Record] | None, data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        records = records or []
        position = int(index) // 2  # each record is one user and one assistant message
        if not 0 <= position < len(records) or records[position].get("notice"):
            return
        vote = _vote(data.liked)
        if vote is None:
            return  # a vote withdrawn
        record = records[position]
        self.store.add(record["question"], record["answer"], record.get("citations") or [], vote)


def _vote(liked: bool | str | None) -> str | None:
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return str(liked) if liked else None


# ---------------------------------------------------------------------------- targets


def _table_order(target: Target) -> tuple[int, int, str]:
    """Dated rows first (by year), then recurring ones, then quantities, then the rest."""
    span = deadline_years(target.deadline)
    if span:
        return (0, span[1], target.deadline)
    return (1 if target.recurrence else 2 if target.unit else 3, 0, "")


def target_rows(targets: list[Target], titles: dict[str, str] | None = None) -> list[list[str]]:
    titles = titles or {}
    return [
        [
            " ".join(x for x in (t_.deadline, t_.recurrence) if x) or "—",
            t_.what,
            t_.quantity or "—",
            "、".join(t_.responsible) or "—",
            t_.section or "—",
            t_.sentence,
            titles.get(t_.doc_id, t_.doc_id),
        ]
        for t_ in targets
    ]


def write_csv(targets: list[Target], path: Path) -> Path:
    # utf-8-sig: Excel opens Chinese CSV correctly only with the BOM.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["deadline", "recurrence", "what", "value", "unit", "responsible", "section", "doc_id"]
        )
        for t_ in targets:
            writer.writerow(
                [
                    t_.deadline,
                    t_.recurrence,
                    t_.what,
                    t_.value,
                    t_.unit,
                    "、".join(t_.responsible),
                    t_.section,
                    t_.doc_id,
                ]
            )
    return path


class TargetsView:
    """Filtered table, CSV and chart; files are cached by filter and index version."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.folder = Path(tempfile.mkdtemp(prefix="luohu-ui-"))

    def all(self) -> list[Target]:
        return load_targets(self.assistant.settings)  # the index that answers

    def choices(self) -> tuple[list[str], list[str], list[str]]:
        targets = self.all()
        years = sorted({str(span[1]) for t_ in targets if (span := deadline_years(t_.deadline))})
        actions = sorted({t_.section.split(" > ")[0] for t_ in targets if t_.section})
        counts: dict[str, int] = {}
        for t_ in targets:
            for body in t_.responsible:
                counts[body] = counts.get(body, 0) + 1
        bodies = sorted(counts, key=lambda b: (-counts[b], b))[:80]
        return years, actions, bodies

    def filter(
        self, year: str | None, action: str | None, body: str | None
    ) -> tuple[list[list[str]], str, str]:
        rows = filter_targets(self.all(), year=year or None, action=action or None, body=body or None)
        rows.sort(key=_table_order)  # stable: document order within a group
        version = self._version()
        key = hashlib.sha1(f"{version}|{year}|{action}|{body}".encode()).hexdigest()[:12]
        csv_path = self.folder / f"targets-{key}.csv"
        chart_path = self.folder / f"timeline-{key}.png"
        if not csv_path.exists():
            write_csv(rows, csv_path)
        if not chart_path.exists():
            from assistant.targets.chart import render_timeline  # matplotlib: loaded when first drawn

            # A timeline: rows with a deadline or a recurrence (undated ones would bury them).
            render_timeline([r for r in rows if _table_order(r)[0] < 2], chart_path)
        return target_rows(rows, self._titles()), str(csv_path), str(chart_path)

    def _titles(self) -> dict[str, str]:
        try:
            return {d.doc_id: d.title for d in self.assistant.index.documents()}
        except Exception:
            return {}

    def _version(self) -> str:
        try:
            return self.assistant.index.active_name() or ""
        except Exception:
            return ""


# ---------------------------------------------------------------------------- documents


def document_rows(assistant: Assistant) -> list[list[Any]]:
    try:
        documents = assistant.index.documents()
    except Exception as exc:
        log.warning("cannot list documents: %s", exc)
        return []
    return [
        [d.doc_id, d.title, d.issuer, d.date, "历史文件" if d.status == "historical" else "现行", d.chunks]
        for d in documents
    ]


_UNSAFE_NAME_CHARS = re.compile(r"[^\w\u3400-\u9fff.\-（）()]+")


def safe_filename(name: str) -> str:
    """A file name that cannot leave its folder: the last path part only (either slash),
    no leading dots, no control or shell characters, a supported suffix."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1].strip()
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "（无扩展名）"
        supported = " ".join(s for s in SUPPORTED_SUFFIXES if s != ".htm")
        raise DocumentError(f"unsupported upload {name!r}", f"不支持的文件类型 {shown}，支持：{supported}")
    stem = _UNSAFE_NAME_CHARS.sub("_", stem).strip("._- ")[:80] or "upload"
    return stem + suffix


class Admin:
    """Upload, delete and re-index; every action checks the password first."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        assert settings.admin_password is not None and settings.admin_enabled
        self.assistant = assistant
        self.settings = settings
        self._secret = settings.admin_password.get_secret_value().encode()

    def _allowed(self, password: str | None) -> bool:
        ok = secrets.compare_digest((password or "").encode(), self._secret)
        if not ok:
            time.sleep(1.0)  # slows guessing; the admin never notices
        return ok

    def delete_choices(self) -> list[tuple[str, str]]:
        try:
            metas = read_manifest(self.settings.knowledge_dir)
        except Exception:
            return []
        return [(f"{m.title}（{m.path.name}）", m.doc_id) for m in metas]

    def _result(self, message: str) -> tuple[str, list[list[Any]], Any]:
        return message, document_rows(self.assistant), gr.update(choices=self.delete_choices(), value=None)

    def upload(
        self,
        password: str,
        file: str | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it)
    ) -> tuple[str, list[list[Any]], Any]:
        if not self._allowed(password):
            return self._result("❌ 管理密码错误，未做任何更改。")
        if not file:
            return self._result("请先选择要上传的文件。")
        source = Path(file)
        try:
            check_size(source.stat().st_size, self.settings.max_upload_mb)
            name = safe_filename(source.name)
            data = source.read_bytes()
            load_bytes(data, name)  # type and content check before anything is written
        except DocumentError as exc:
            return self._result(f"❌ 未上传：{escape_text(exc.user_message)}")
        knowledge = self.settings.knowledge_dir.resolve()
        uploads = (self.settings.data_dir / "uploads").resolve()
        target = (knowledge / name).resolve()
        if target.parent != knowledge:  # safe_filename makes this impossible; keep it so
            return self._result("❌ 文件名不安全，未上传。")
        previous = target.read_bytes() if target.exists() else None
        _write_atomic(uploads / name, data)  # the archive of what was uploaded
        _write_atomic(target, data)
        try:
            report = self._ingest(progress)
        except Exception as exc:
            self._restore(target, previous)
            return self._result(f"❌ 建立索引失败，未做更改：{escape_text(user_message_for(exc))}")
        if name in report.failed:
            # The index kept the last good version (if any); the folder does too.
            self._restore(target, previous)
            return self._result(f"❌ {escape_text(name)} 无法建立索引：{escape_text(report.failed[name])}")
        verb = "已替换" if previous is not None else "已上传"
        return self._result(f"✅ {verb} {escape_text(name)}。{_summary(report)}")

    @staticmethod
    def _restore(target: Path, previous: bytes | None) -> None:
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            _write_atomic(target, previous)

    def delete(
        self,
        password: str,
        doc_id: str | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it)
    ) -> tuple[str, list[list[Any]], Any]:
        if not self._allowed(password):
            return self._result("❌ 管理密码错误，未做任何更改。")
        metas = {m.doc_id: m for m in read_manifest(self.settings.knowledge_dir)}
        meta = metas.get(doc_id or "")
        if meta is None:
            return self._result("请先选择要删除的文件。")
        path = meta.path.resolve()
        if path.parent != self.settings.knowledge_dir.resolve():
            return self._result("❌ 只能删除知识库文件夹中的文件。")
        path.unlink()
        try:
            report = self._ingest(progress)
        except Exception as exc:
            return self._result(
                f"⚠️ 已删除文件，但更新索引失败（问答暂时仍会引用它）：{escape_text(user_message_for(exc))}"
            )
        return self._result(f"✅ 已删除 {escape_text(meta.title)}。{_summary(report)}")

    def reindex(
        self,
        password: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it)
    ) -> tuple[str, list[list[Any]], Any]:
        if not self._allowed(password):
            return self._result("❌ 管理密码错误，未做任何更改。")
        try:
            return self._result(f"✅ {_summary(self._ingest(progress))}")
        except Exception as exc:
            return self._result(f"❌ 建立索引失败：{escape_text(user_message_for(exc))}")

    def _ingest(self, progress: gr.Progress) -> IngestReport:
        # The answering index, fed from this app's knowledge folder; incremental.
        def report_progress(fraction: float, desc: str) -> None:
            progress(fraction, desc=desc)

        metas = read_manifest(self.settings.knowledge_dir)
        report = self.assistant.index.ingest(metas=metas, progress=report_progress)
        self.assistant.searcher.refresh()
        return report


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")  # not a supported suffix: never ingested
    partial.write_bytes(data)
    os.replace(partial, path)


def _summary(report: IngestReport) -> str:
    text = (
        f"索引已更新：新增 {len(report.added)}，更新 {len(report.updated)}，删除 {len(report.removed)}，"
        f"未变 {len(report.unchanged)}，共 {report.chunks} 段（{report.seconds:.1f} 秒）。"
    )
    for name, message in report.failed.items():
        text += f"\n\n⚠️ {escape_text(name)}：{escape_text(message)}"
    return text


# ---------------------------------------------------------------------------- layout


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    chat = Chat(assistant, settings, FeedbackStore.for_settings(settings))
    targets = TargetsView(assistant)
    with gr.Blocks(title="罗湖区基础教育政策助手", analytics_enabled=False) as demo:
        gr.Markdown(t("title"), elem_id="app-title", elem_classes=["luohu-title"])
        gr.Markdown(t("intro"))
        with gr.Tabs():
            with gr.Tab(t("tab_chat"), id="chat", elem_id="tab-chat"):
                _chat_tab(chat)
            with gr.Tab(t("tab_targets"), id="targets", elem_id="tab-targets"):
                _targets_tab(targets)
            with gr.Tab(t("tab_docs"), id="docs", elem_id="tab-docs"):
                docs_table = _docs_tab(assistant, settings)
        demo.load(lambda: document_rows(assistant), None, docs_table, api_visibility="undocumented")
        add_ask_endpoint(assistant, settings)
    return demo


def _chat_tab(chat: Chat) -> None:
    records = gr.State([])
    chatbot = gr.Chatbot(
        show_label=False,  # the Chatbot label does not take a translated string
        elem_id="chatbot",
        height=520,
        latex_delimiters=[],
        allow_tags=False,
        sanitize_html=True,
        buttons=["copy"],
        placeholder=t("chat_placeholder"),
    )
    with gr.Row():
        question = gr.Textbox(
            label=t("question"),
            placeholder=t("question_placeholder"),
            elem_id="question",
            scale=8,
            max_lines=6,
            autofocus=True,
        )
        send = gr.Button(t("send"), variant="primary", elem_id="send", scale=1)
    clear = gr.Button(t("clear"), elem_id="clear", size="sm")
    gr.Markdown(t("feedback_hint"))
    outputs = [question, chatbot, records]
    # All ways of asking share one queue: two answers at a time suit a 2-core machine.
    asking: dict[str, Any] = {"concurrency_id": "chat", "concurrency_limit": 2}
    question.submit(chat.respond, [question, records], outputs, api_name="chat", **asking)
    send.click(chat.respond, [question, records], outputs, api_visibility="undocumented", **asking)
    clear.click(lambda: ("", [], []), None, outputs, api_visibility="undocumented", queue=False)
    chatbot.like(chat.like, [records], None, api_visibility="undocumented")
    with gr.Row():
        for key, questions in EXAMPLES.items():
            with gr.Column(min_width=200):
                examples = gr.Examples([[q] for q in questions], inputs=[question], label=t(key))
                examples.load_input_event.then(
                    chat.respond, [question, records], outputs, api_visibility="undocumented", **asking
                )


def _targets_tab(view: TargetsView) -> None:
    gr.Markdown(t("targets_intro"))
    years, actions, bodies = view.choices()
    rows, csv_path, chart_path = view.filter("", "", "")
    with gr.Row():
        year = gr.Dropdown(
            [(t("all"), ""), *[(y, y) for y in years]],
            value="",
            label=t("filter_year"),
            elem_id="targets-year",
        )
        action = gr.Dropdown(
            [(t("all"), ""), *[(a, a) for a in actions]],
            value="",
            label=t("filter_action"),
            elem_id="targets-action",
        )
        body = gr.Dropdown(
            [(t("all"), ""), *[(b, b) for b in bodies]],
            value="",
            label=t("filter_body"),
            elem_id="targets-body",
            allow_custom_value=True,  # any part of a name: 街道办 matches 各街道办事处
        )
    table = gr.Dataframe(
        value=rows,
        headers=_TARGET_HEADERS,
        label=t("targets_table"),
        elem_id="targets-table",
        interactive=False,
        wrap=True,
        max_height=520,
        column_widths=["9%", "18%", "7%", "13%", "15%", "25%", "13%"],
    )
    download = gr.DownloadButton(t("download_csv"), value=csv_path, elem_id="targets-csv")
    chart = gr.Image(value=chart_path, label=t("timeline"), type="filepath", format="png", interactive=False)
    for control in (year, action, body):
        control.change(
            view.filter,
            [year, action, body],
            [table, download, chart],
            api_visibility="undocumented",
            show_progress="minimal",
        )


def _docs_tab(assistant: Assistant, settings: Settings) -> gr.Dataframe:
    gr.Markdown(t("docs_intro"))
    table = gr.Dataframe(
        value=document_rows(assistant),
        headers=_DOC_HEADERS,
        label=t("docs_table"),
        elem_id="docs-table",
        interactive=False,
        wrap=True,
        column_widths=["24%", "34%", "18%", "10%", "7%", "7%"],
    )
    refresh = gr.Button(t("refresh"), size="sm")
    refresh.click(lambda: document_rows(assistant), None, table, api_visibility="undocumented")
    if settings.admin_enabled:
        _admin_section(Admin(assistant, settings), table)
    return table


def _admin_section(admin: Admin, table: gr.Dataframe) -> None:
    with gr.Accordion(t("admin"), open=False, elem_id="admin"):
        password = gr.Textbox(label=t("admin_password"), type="password", elem_id="admin-password")
        upload = gr.File(label=t("admin_upload"), type="filepath", elem_id="admin-file")
        upload_button = gr.Button(t("admin_upload_button"), variant="primary")
        delete = gr.Dropdown(admin.delete_choices(), value=None, label=t("admin_delete"))
        with gr.Row():
            delete_button = gr.Button(t("admin_delete_button"), variant="stop")
            reindex_button = gr.Button(t("admin_reindex_button"))
        status = gr.Markdown(label=t("admin_status"), elem_id="admin-status")
    outputs = [status, table, delete]
    common: dict[str, Any] = {"concurrency_id": "admin", "concurrency_limit": 1}
    upload_button.click(admin.upload, [password, upload], outputs, api_name="admin_upload", **common)
    delete_button.click(admin.delete, [password, delete], outputs, api_name="admin_delete", **common)
    reindex_button.click(admin.reindex, [password], outputs, api_name="admin_reindex", **common)


# ---------------------------------------------------------------------------- server


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
