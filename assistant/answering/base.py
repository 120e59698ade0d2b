"""What every answerer receives and provides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from assistant.question.cite import Citation
from assistant.question.lexical import LexicalIndex
from assistant.question.normalize import Script
from assistant.question.slots import Slot


@dataclass(frozen=True)
class AnswerContext:
    question: str  # as the user wrote it (cleaned)
    standalone: str  # condensed and normalised (Simplified): what was retrieved for
    script: Script
    citations: list[Citation]  # numbered passages, best first
    sentence_scores: dict[str, float] | None = None
    slot: Slot | None = None  # what the question asks for (None: work it out from `standalone`)
    partial: bool = False  # the documents cover the subject but do not state the asked-for value
    lexical: LexicalIndex | None = None  # idf of the search snapshot the citations come from
    # The texts of the chunks that follow a chunk (id, heading path) in its document: where
    # a list announced at a chunk's end has its items (question/continuation.py).
    following: Callable[[str, str], list[str]] | None = None


class Answerer(Protocol):
    name: str

    def stream(self, context: AnswerContext) -> Iterator[str]:
        """Yield the answer text in pieces (a single piece when the answerer cannot stream)."""
        ...


def historical_note(citations: list[Citation], script: Script) -> str:
    years = sorted({c.year for c in citations if c.historical and c.year})
    if not years:
        return ""
    if script == "en":
        listed = ", ".join(years)
        return (
            f"Note: parts of this answer come from historical documents ({listed}) that may no longer apply."
        )
    return f"注意：以上部分内容出自{'、'.join(years)}年的历史文件，可能已不再适用，请以最新政策为准。"
