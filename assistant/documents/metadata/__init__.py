"""Metadata of a document without a manifest entry, detected from its own text.

What a Chinese government document says about itself, one module per field, in the
order each is trusted there:
- `title`: the page's <title> when the body repeats it, else the first title-shaped line;
- `issuer`: the masthead, the organ opening the title, the 署名 of the 落款, a field;
- `dating`: the date (signing date over posting date) and the 文号;
- `validity`: 有效期X年, 有效期至, 失效日期, a plan's span, and the status they give.
`common` holds what they share (the word lists of `data/metadata.toml`, metadata-block
fields, furniture and garbled lines); dates and numerals are `assistant.grammar`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from assistant.documents.metadata.common import fields, is_furniture, is_garbled, rules
from assistant.documents.metadata.dating import detect_date, detect_doc_number
from assistant.documents.metadata.issuer import closings, detect_issuer
from assistant.documents.metadata.title import detect_title, ends_like_title
from assistant.documents.metadata.validity import status, valid_until
from assistant.grammar.dates import parse_dates

__all__ = [
    "DetectedMeta",
    "detect_metadata",
    "detect_title",
    "ends_like_title",
    "is_furniture",
    "is_garbled",
    "parse_dates",
    "rules",
]


@dataclass(frozen=True)
class DetectedMeta:
    title: str = ""
    issuer: str = ""
    date: str = ""  # ISO date, "YYYY-MM" or "YYYY": as precise as the text says
    doc_number: str = ""
    valid_until: str = ""
    status: str = "current"
    status_reason: str = ""  # short Chinese reason when historical
    detected: tuple[str, ...] = field(default_factory=tuple)  # the fields found in the text


def detect_metadata(text: str, html_title: str = "", today: dt.date | None = None) -> DetectedMeta:
    """Detect what the text says about itself. `text` is the loaded text before cleaning
    (furniture helps: metadata blocks and mastheads live there)."""
    today = today or dt.date.today()
    lines = [line for line in text.split("\n") if not is_garbled(line)]
    nonblank = [line for line in lines if line.strip()]
    found = fields(nonblank)
    detected: list[str] = []

    title = detect_title(nonblank, html_title)
    if title:
        detected.append("title")

    doc_number = detect_doc_number(nonblank, found)
    if doc_number:
        detected.append("doc_number")

    closed = closings(nonblank)
    issuer = detect_issuer(nonblank, found, title, closed, text)
    if issuer:
        detected.append("issuer")

    date = detect_date(nonblank, found, closed, doc_number, text)
    if date:
        detected.append("date")

    until, _why = valid_until(text, date, found, title)
    if until:
        detected.append("valid_until")
    state, reason = status(title, issuer, date, until, today)
    return DetectedMeta(
        title=title,
        issuer=issuer,
        date=date,
        doc_number=doc_number,
        valid_until=until,
        status=state,
        status_reason=reason,
        detected=tuple(detected),
    )
