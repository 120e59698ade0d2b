"""The date and the 文号. The date: a 发文日期/成文日期 field, the 落款 date, the last date
of a law's history, the in-force date or a 发布时间 field (the earlier), the year of the
文号: the signing date always wins over a page's posting or print date."""

from __future__ import annotations

import re

from assistant.documents.metadata.common import field, line_text, rules, rx, squeeze
from assistant.documents.metadata.issuer import LAW_HISTORY, Closing
from assistant.grammar.dates import DOC_NUMBER, YEAR, parse_dates


def detect_doc_number(lines: list[str], fields: dict[str, str]) -> str:
    value = field(fields, rules()["doc_number"]["field_labels"])
    if value and DOC_NUMBER.search(squeeze(value)):
        return DOC_NUMBER.search(squeeze(value)).group(0)  # type: ignore[union-attr]
    # In the header a 文号 stands on a line of its own; in the body it is a citation.
    for line in lines[:40]:
        m = DOC_NUMBER.fullmatch(squeeze(line_text(line)))
        if m:
            return m.group(0)
    return ""


def detect_date(
    lines: list[str], fields: dict[str, str], closed: list[Closing], doc_number: str, text: str
) -> str:
    cfg = rules()["date"]
    signed = field(fields, cfg["signed_labels"])
    if signed and parse_dates(signed):
        return parse_dates(signed)[0][0]
    if closed:
        return closed[0].date
    # A law or regulation: the latest date of its history (通过/修正/修订), so a revised
    # text is dated by its last revision, not by the in-force date of its first version.
    history = [
        parse_dates(line)[0][0]
        for line in lines[:20]
        if LAW_HISTORY.search(line) and parse_dates(line) and rx("date", "history_body").search(squeeze(line))
    ]
    if history:
        return max(history)
    posted = field(fields, cfg["posted_labels"])
    posted_iso = parse_dates(posted)[0][0] if posted and parse_dates(posted) else ""
    in_force = ""
    flat = squeeze(text)
    for m in re.finditer(r"自(.{4,16}?)起(施行|实施|执行)", flat):
        if parse_dates(m.group(1)):
            in_force = parse_dates(m.group(1))[0][0]
            break
    if in_force and (not posted_iso or in_force < posted_iso):
        return in_force  # a page posted years later: the in-force date is nearer the document's own
    if posted_iso:
        return posted_iso
    year = re.search(f"({YEAR})", doc_number)
    return year.group(1) if year else ""
