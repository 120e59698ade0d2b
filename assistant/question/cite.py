"""Citations: which passage an answer rests on, and the sentence it quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.documents.ocr import citation_note
from assistant.grammar.dates import YEAR
from assistant.question.retrieve import Passage

# A year as a title or a status reason names it ("2016年", "2015学年").
_YEAR = re.compile(rf"(?<!\d){YEAR}(?!\d)")


@dataclass(frozen=True)
class Citation:
    number: int  # the [n] used in the answer text
    doc_id: str
    title: str
    issuer: str
    date: str
    status: str
    section: str
    text: str  # the passage
    quote: str  # the sentence the answer rests on
    score: float
    chunk_id: str
    status_reason: str = ""  # why a document is historical ("有效期至2021年，已过期"), when known
    url: str = ""  # a website document's address, shown with the citation
    ocr_pages: str = ""  # the scan's pages this passage was read from by OCR ("3", "3-4")
    ocr_confidence: str = ""  # the lowest OCR confidence of those pages ("0.87")
    # (sentence, cosine similarity to the question) for the sentences with a stored vector
    sentence_dense: tuple[tuple[str, float], ...] = field(default=(), compare=False)
    # (asking clause, its (sentence, cosine) pairs) for a question asking several things
    clause_dense: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = field(default=(), compare=False)

    @property
    def historical(self) -> bool:
        return self.status == "historical"

    @property
    def year(self) -> str:
        """The document's year: its date's, else (a file that states no date) the year its
        title or its status names ("江苏省2016年普通高等学校招生工作意见")."""
        if self.date[:4].isdigit():
            return self.date[:4]
        named = _YEAR.search(self.title) or _YEAR.search(self.status_reason)
        return named.group(0) if named else ""

    @property
    def context(self) -> str:
        """What names a sentence's subject besides the sentence: its document and heading
        path."""
        return f"{self.title} {self.issuer} {self.section}"

    @property
    def label(self) -> str:
        """《title》 section, with the year of a historical document."""
        badge = f"（{self.year}年历史文件）" if self.historical and self.year else ""
        label = f"《{self.title}》{badge}" + (f" {self.section}" if self.section else "")
        label += f" {self.url}" if self.url else ""
        return label + (f"（{self.ocr_note}）" if self.ocr_note else "")

    @property
    def ocr_note(self) -> str:
        """ "第3页，本段由扫描件识别，可能有误" for a passage read by OCR, else ""."""
        return citation_note(self.ocr_pages, self.ocr_confidence) if self.ocr_pages else ""

    def _ocr_json(self) -> dict[str, str]:
        return {"ocr_pages": self.ocr_pages, "ocr_confidence": self.ocr_confidence, "ocr_note": self.ocr_note}

    def to_json(self) -> dict[str, Any]:
        # The first five keys are the stable contract of `ask --json`; the rest are additions.
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "score": round(self.score, 4),
            "number": self.number,
            "issuer": self.issuer,
            "date": self.date,
            "status": self.status,
            "quote": self.quote,
            "chunk_id": self.chunk_id,
            "status_reason": self.status_reason,
            "url": self.url,
            **(self._ocr_json() if self.ocr_pages else {}),
        }


def cite(passages: list[Passage]) -> list[Citation]:
    """Number passages [1]..[n] in rank order."""
    return [
        Citation(
            number=i,
            doc_id=p.doc_id,
            title=p.title,
            issuer=str(p.metadata.get("issuer", "")),
            date=str(p.metadata.get("date", "")),
            status=str(p.metadata.get("status", "current")),
            section=p.section,
            text=p.text,
            quote=p.best_sentence,
            score=p.score,
            chunk_id=p.id,
            status_reason=str(p.metadata.get("status_reason", "")),
            url=str(p.metadata.get("url", "")),
            ocr_pages=str(p.metadata.get("ocr_pages", "")),
            ocr_confidence=str(p.metadata.get("ocr_confidence", "")),
            sentence_dense=tuple(p.sentence_dense.items()),
            clause_dense=tuple((c, tuple(d.items())) for c, d in p.clause_dense.items()),
        )
        for i, p in enumerate(passages, start=1)
    ]
