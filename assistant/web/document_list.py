"""The table of indexed documents shown in the 文件 tab, the admin section and after a
website sync: one row a document, with its status (and, for a scan, how surely it was read)."""

from __future__ import annotations

import logging
from typing import Any

from assistant.chain import Assistant
from assistant.documents.ocr import document_note
from assistant.question.sentences_on_demand import SentencesOnDemand

log = logging.getLogger(__name__)

DOC_HEADERS = ["文件编号", "标题", "发布机关", "日期", "状态", "段落数"]
# Shown above the table while a new index's sentence vectors are made in the background
# (ASSISTANT_SENTENCE_VECTORS_DEFERRED): answers are the same, some are slower meanwhile.
SENTENCES_PENDING = (
    "索引已可使用；逐句向量正在后台生成（{made}/{total} 句）。"
    "完成之前，部分问题的回答会慢几秒，答案不受影响。"
)


def sentence_status(sentences: object) -> str:
    """What the 文件 tab says of the serving index's sentence vectors: the background
    fill's progress while it runs, nothing once they are all in (or made before the
    switch, as `python -m assistant ingest` makes them)."""
    if not isinstance(sentences, SentencesOnDemand) or sentences.finished:
        return ""
    made, total = sentences.progress()
    return SENTENCES_PENDING.format(made=made, total=total or "…")


def index_status(assistant: Assistant) -> str:
    try:
        return sentence_status(assistant.searcher.snapshot().sentences)
    except Exception as exc:  # a status line never breaks the tab
        log.warning("cannot read the index status: %s", exc)
        return ""


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
