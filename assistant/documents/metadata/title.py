"""The title: the page's <title> (site name stripped) when the body repeats it, a 标题
field, else the first line shaped like a title (ends with 通知/意见/办法/…, possibly
wrapped over 2–3 lines)."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.documents.metadata.common import (
    CJK,
    alternation,
    field,
    fields,
    is_furniture,
    is_garbled,
    line_text,
    rules,
    rx,
    squeeze,
)
from assistant.grammar.dates import DATE, DOC_NUMBER
from assistant.grammar.outline import is_annex_label
from assistant.grammar.sentences import COLONS, PUNCTUATION


def _title_ending(normative_only: bool = False) -> re.Pattern[str]:
    cfg = rules()["title"]
    words = cfg["endings"] + ([] if normative_only else cfg["other_endings"])
    return _title_ending_compiled(alternation(words))


@lru_cache(maxsize=2)
def _title_ending_compiled(words: str) -> re.Pattern[str]:
    qualifier = r"(?:[（(][^（）()]{1,16}[)）])*"
    return re.compile(rf"(?:{words})》?{qualifier}$")


def ends_like_title(text: str, normative_only: bool = False) -> bool:
    """The text ends with a document type (通知, 意见, 办法 …), maybe with a qualifier;
    `normative_only`: a normative document's type, not a plan's or a guide's (规划, 手册)."""
    return bool(_title_ending(normative_only).search(text))


def _clean_title(text: str) -> str:
    text = rx("title", "furniture").sub(" ", line_text(text)).strip(" |｜-—_")
    text = re.sub(r"(?<=\d)\s+(?=[\u4e00-\u9fff])", "", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\d\u4e00-\u9fff《》“”])", "", text)
    text = re.sub(r"(?<=[《“])\s+|\s+(?=[》”])", "", text)
    if text.startswith("《") and text.endswith("》") and text.count("《") == 1:
        text = text[1:-1]
    return text.strip()


def _title_shaped(text: str) -> bool:
    cfg = rules()["title"]
    if not (5 <= len(text) <= cfg["max_chars"]) or len(CJK.findall(text)) < 4:
        return False
    if is_furniture(text) or is_garbled(text) or PUNCTUATION.search(text.rstrip(COLONS)):
        return False
    return bool(_title_ending().search(text))


def _html_title_candidates(html_title: str) -> list[str]:
    if not html_title:
        return []
    parts = [html_title]
    for sep in rules()["title"]["html_separators"]:
        parts = [piece for part in parts for piece in part.split(sep)]
    site = rx("title", "site_name")
    return [_clean_title(p) for p in parts if p.strip() and not site.search(p.strip())]


def detect_title(lines: list[str], html_title: str = "") -> str:
    """The document's own title; "" when none is recognisable."""
    head = lines[:120]
    squeezed = squeeze("".join(head))
    # The page's <title>, when the body repeats it (wrapped or not).
    for candidate in _html_title_candidates(html_title):
        if _title_shaped(candidate) and squeeze(candidate) in squeezed:
            return candidate
    named = _clean_title(field(fields(head), ["信息名称", "标题", "名称", "文件名称"]))
    if named and _title_shaped(named):
        return named
    cfg = rules()["title"]
    texts = [line_text(line) for line in head]
    for i, text in enumerate(texts):
        raw = head[i]
        if not text or is_furniture(raw) or is_garbled(raw) or DOC_NUMBER.search(squeeze(text)):
            continue
        if is_annex_label(text):  # "附件1" above an annex's own title is not part of it
            continue
        if not DATE.sub("", squeeze(text)).strip():  # a 落款 date line above the annex's title
            continue
        # A title wrapped over lines may look complete after its first piece ("…办法" +
        # "指导意见的通知"): the longest title-shaped join within max_lines wins.
        joined, best = text, ""
        for extra in range(cfg["max_lines"]):
            candidate = _clean_title(joined)
            if _title_shaped(candidate):
                best = candidate
            nxt = i + extra + 1
            if nxt >= len(texts) or not texts[nxt] or len(joined) > cfg["max_chars"]:
                break
            if PUNCTUATION.search(texts[nxt]) or is_furniture(head[nxt]) or is_garbled(head[nxt]):
                break
            if DOC_NUMBER.search(squeeze(texts[nxt])) or DATE.search(texts[nxt]):
                break
            if squeeze(texts[nxt]) in squeeze(joined):
                break  # the title written again (a page's header, then its heading)
            joined += texts[nxt]
        if best:
            return best
    for candidate in _html_title_candidates(html_title):
        if _title_shaped(candidate):
            return candidate
    return ""
