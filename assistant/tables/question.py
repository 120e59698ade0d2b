"""The table step of a question's path: rows that answer it, or None for the text path."""

from __future__ import annotations

import logging
from typing import Any

from assistant.question.retrieve import Passage
from assistant.question.snapshot import SearchSnapshot
from assistant.settings import Settings
from assistant.tables.answer import answer_rows
from assistant.tables.store import row_index

log = logging.getLogger(__name__)


def answer_from_rows(
    settings: Settings, snapshot: SearchSnapshot, question: str, previous: str = ""
) -> tuple[str, list[Passage], list[dict[str, Any]], bool] | None:
    """(answer, cited passages, rows as JSON, not found) when the rows answer `question`.
    A follow-up that names no row ("那他们的电话是多少？") asks about the row the previous
    question named: it is matched with that question in front of it."""
    try:
        index = row_index(settings, snapshot.name, snapshot.chunks.collection)
    except Exception as exc:  # the rows are an extra: the question still goes to retrieval
        log.warning("row index unavailable: %s", exc)
        return None
    if index is None or not len(index):
        return None
    match = index.match(question)
    if (match is None or match.kind == "not_found") and previous:
        match = index.match(f"{previous}{question}")
        if match is not None and match.kind == "not_found":
            match = None  # the earlier question's miss is not this one's
    if match is None:
        return None
    if match.kind == "not_found" and _text_mentions(snapshot, match.names):
        return None  # no row lists the place, but a passage does (a scanned zoning table)
    text, passages, rows = answer_rows(match, index, question)
    return text, passages, rows, match.kind == "not_found"


MENTION_PASSAGES = 5  # passages read for a place no row lists


def _text_mentions(snapshot: SearchSnapshot, names: list[str]) -> bool:
    """Whether a passage of the documents' text holds one of `names` (or the name without
    a character it was run together with: "市桥榄塘村" is read as "桥榄塘村")."""
    from assistant.question.lexical import tokenize

    for name in names:
        if len(name) < 2:
            continue
        hits = snapshot.lexical.search(tokenize(name), MENTION_PASSAGES)
        texts = [c.text for c in snapshot.chunks.fetch([cid for cid, _ in hits]).values()]
        forms = [name, name[1:]] if len(name) >= 4 else [name]
        if any(form in text for text in texts for form in forms):
            return True
    return False
