"""The table of indexed documents shown in the 文件 tab, the admin section and after a
website sync: one row a document, with its status (and, for a scan, how surely it was read)."""

from __future__ import annotations

import logging
from typing import Any

from assistant.chain import Assistant
from assistant.documents.ocr import document_note

log = logging.getLogger(__name__)

DOC_HEADERS = ["文件编号", "标题", "发布机关", "日期", "状态", "段落数"]


def document_rows(assistant: Assistant) -> list[list[Any]]:
    try:
        documents = assistant.index.documents()
    except Exception as exc:
        log.warning("cannot list documents: %s", exc)
        return []
    rows = []
    for d in documents:
        status = "历史文件" if d.status == "historical" else "现行"
        if d.ocr_confidence:  # a scan: how surely it was read
            status += f"（{document_note(d.ocr_confidence)}）"
        rows.append([d.doc_id, d.title, d.issuer, d.date, status, d.chunks])
    return rows
