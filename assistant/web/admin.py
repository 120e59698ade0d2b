"""The 文件 tab: the indexed documents and, with ASSISTANT_ADMIN_PASSWORD set, upload,
delete and re-index."""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
import unicodedata
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.chain import Assistant
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import SUPPORTED_SUFFIXES, check_size, load_bytes, unsupported_type
from assistant.documents.manifest import EDITABLE_FIELDS, ManifestError, doc_id_for, read_manifest, save_entry
from assistant.documents.scans import ocr_settings
from assistant.errors import user_message_for
from assistant.index import IngestReport
from assistant.settings import Settings
from assistant.sync.catalog import knowledge_metas
from assistant.web.document_list import DOC_HEADERS, document_rows, index_status
from assistant.web.i18n import t
from assistant.web.render import escape_text
from assistant.web.sync_admin import sync_section

log = logging.getLogger(__name__)

_UNSAFE_NAME_CHARS = re.compile(r"[^\w\u3400-\u9fff.\-（）()]+")


def safe_filename(name: str) -> str:
    """A file name that cannot leave its folder: the last path part only (either slash),
    no leading dots, no control or shell characters, a supported suffix."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1].strip()
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise unsupported_type(name)
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
            with ocr_settings(
                self.settings, lambda f, d: progress(f, desc=d)
            ):  # a scan is read (and cached) here
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
        detected = self.detected(doc_id_for(target))
        shown = _describe(detected) if detected else ""
        return self._result(f"✅ {verb} {escape_text(name)}。{_summary(report)}{shown}")

    def detected(self, doc_id: str | None) -> dict[str, str]:
        """What the index holds about a document (detected from its text, or from the
        manifest): the values the correction form starts from."""
        for d in self.assistant.index.documents():
            if d.doc_id == doc_id:
                return {key: str(getattr(d, key, "") or "") for key in EDITABLE_FIELDS}
        return {}

    def correct(
        self,
        password: str,
        doc_id: str | None,
        title: str,
        issuer: str,
        date: str,
        doc_number: str,
        status: str,
        status_reason: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it)
    ) -> tuple[str, list[list[Any]], Any]:
        """Store the administrator's metadata of one document in the manifest (where it
        wins over detection) and re-index that document."""
        if not self._allowed(password):
            return self._result("❌ 管理密码错误，未做任何更改。")
        metas = {m.doc_id: m for m in read_manifest(self.settings.knowledge_dir)}
        meta = metas.get(doc_id or "")
        if meta is None:
            return self._result("请先选择要更正的文件。")
        fields = {
            "title": title,
            "issuer": issuer,
            "date": date,
            "doc_number": doc_number,
            "status": status or "current",
            "status_reason": status_reason,
        }
        manifest = self.settings.knowledge_dir / "manifest.toml"
        previous = manifest.read_bytes() if manifest.exists() else None
        try:
            save_entry(self.settings.knowledge_dir, meta.doc_id, meta.path.name, fields)
        except ManifestError as exc:
            log.warning("metadata correction refused: %s", exc)
            return self._result(f"❌ 未保存：{escape_text(exc.user_message)}")
        try:
            report = self._ingest(progress)
        except Exception as exc:
            if previous is None:
                manifest.unlink(missing_ok=True)
            else:
                _write_atomic(manifest, previous)
            return self._result(f"❌ 建立索引失败，未做更改：{escape_text(user_message_for(exc))}")
        return self._result(
            f"✅ 已更正《{escape_text(fields['title'].strip())}》的文件信息。{_summary(report)}"
        )

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

        metas = knowledge_metas(self.settings, report_progress)
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
    for name, note in report.notes.items():  # pages of a scan that could not be read
        text += f"\n\n⚠️ {escape_text(name)}：{escape_text(note)}"
    return text


_FIELD_LABELS = {
    "title": "标题",
    "issuer": "发布机关",
    "date": "日期",
    "doc_number": "文号",
    "status": "状态",
    "status_reason": "状态说明",
}


def _describe(fields: dict[str, str]) -> str:
    """The detected metadata after an upload, for the administrator to check."""
    shown = dict(fields, status="历史文件" if fields.get("status") == "historical" else "现行")
    parts = [f"{_FIELD_LABELS[k]}：{escape_text(v)}" for k, v in shown.items() if v]
    return "\n\n识别到的文件信息（可在“更正文件信息”中修改）：" + "；".join(parts)


def docs_tab(assistant: Assistant, settings: Settings) -> gr.Dataframe:
    gr.Markdown(t("docs_intro"))
    # Read a second after each page load (a timer: a callable value would be a public API
    # endpoint), then every 5 s while sentence vectors are still being made (about a
    # minute after a first start); the timer stops once they are in.
    status = gr.Markdown("", elem_id="index-status")
    timer = gr.Timer(1)

    def follow() -> tuple[str, Any]:
        text = index_status(assistant)
        return text, gr.Timer(value=5, active=bool(text))

    timer.tick(follow, None, [status, timer], api_visibility="undocumented")
    table = gr.Dataframe(
        value=document_rows(assistant),
        headers=DOC_HEADERS,
        label=t("docs_table"),
        elem_id="docs-table",
        interactive=False,
        wrap=True,
        column_widths=["24%", "34%", "18%", "10%", "7%", "7%"],
    )
    refresh = gr.Button(t("refresh"), size="sm")
    refresh.click(
        lambda: (document_rows(assistant), index_status(assistant)),
        None,
        [table, status],
        api_visibility="undocumented",
    )
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
        with gr.Group(elem_id="admin-correct"):
            gr.Markdown(t("admin_correct"))
            target = gr.Dropdown(admin.delete_choices(), value=None, label=t("admin_correct_file"))
            boxes = [gr.Textbox(label=_FIELD_LABELS[k]) for k in ("title", "issuer", "date", "doc_number")]
            state = gr.Dropdown(
                [("现行", "current"), ("历史文件", "historical")], value="current", label="状态"
            )
            reason = gr.Textbox(label=_FIELD_LABELS["status_reason"])
            correct_button = gr.Button(t("admin_correct_button"))
        sync_section(admin, password, table)
    form = [*boxes, state, reason]

    def fill(doc_id: str | None) -> list[Any]:
        values = admin.detected(doc_id)
        return [values.get(k, "") for k in EDITABLE_FIELDS[:4]] + [
            values.get("status") or "current",
            values.get("status_reason", ""),
        ]

    target.change(fill, [target], form, api_visibility="undocumented")
    outputs = [status, table, delete]
    common: dict[str, Any] = {"concurrency_id": "admin", "concurrency_limit": 1}
    correct_button.click(
        admin.correct, [password, target, *form], outputs, api_name="admin_correct", **common
    )
    upload_button.click(admin.upload, [password, upload], outputs, api_name="admin_upload", **common)
    delete_button.click(admin.delete, [password, delete], outputs, api_name="admin_delete", **common)
    reindex_button.click(admin.reindex, [password], outputs, api_name="admin_reindex", **common)
