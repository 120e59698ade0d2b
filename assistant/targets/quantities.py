"""Quantities with a counting unit (3.3万座, 不少于1课时, 两所) and what they count."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.grammar.numerals import to_int
from assistant.grammar.sentences import CLAUSE_MARKS, ENUMERATION_COMMA, OPENING_BRACKETS
from assistant.targets.vocabulary import (
    AR_NUM,
    CUE_VERBS,
    FILLERS,
    INSTITUTION_END,
    LEAD_VERBS,
    NAME_FLAGS,
    NUM,
    POST_MAX,
    PUNCT,
    QTY,
    QUALIFIER_BEFORE,
    QUALIFIERS,
    RECURRENCE,
    TRAILING_ADVERBS,
    WHAT_MAX,
)


def _arabic(num: str) -> str:
    if re.fullmatch(AR_NUM, num):
        return num
    value = to_int(num)
    return str(value) if value is not None else num


def _is_chinese(num: str) -> bool:
    return not num[0].isdigit()


def _quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Names in quotes or book-title marks (“十四五”, 《…十项准则》) are not quantities."""
    return [m.span() for m in re.finditer(r"“[^”]*”|《[^》]*》|\"[^\"]*\"", sentence)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < pos < end for start, end in spans)


def strip_fillers(text: str) -> str:
    changed = True
    while changed:
        changed = False
        text = text.strip(" \t" + CLAUSE_MARKS + OPENING_BRACKETS)
        for word in FILLERS:
            if text.startswith(word):
                text, changed = text[len(word) :], True
    return text


def strip_lead_verbs(text: str) -> str:
    changed = True
    while changed:
        changed = False
        text = strip_fillers(text)
        for verb in LEAD_VERBS:
            if text.startswith(verb) and len(text) > len(verb):
                text, changed = text[len(verb) :], True
    return text


def ends_with_verb(text: str) -> bool:
    return any(text.endswith(v) for v in LEAD_VERBS) or bool(
        re.search("(拥有|掌握|学会|提供|进行|设立|设置|开设|安排|达到|增加|新增|组建)$", text)
    )


def shorten(text: str, limit: int = WHAT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Quantity:
    start: int  # where the qualifier (or the number) starts
    end: int
    value: str
    unit: str
    qualified: bool


def find_quantities(sentence: str) -> list[Quantity]:
    quoted = _quoted_spans(sentence)
    found: list[Quantity] = []
    for m in QTY.finditer(sentence):
        start = m.start()
        before = sentence[:start]
        after = sentence[m.end() :]
        if _inside(start, quoted) or re.search(r"(第|[A-Za-z]|前|后|每|同|〔)$", before):
            continue
        if m.group("unit") == "个" and re.match("(月|工作日|星期|学期|年)", after):
            continue  # "3个月", "15个工作日内": durations, not counts
        if re.match(r"\s*(?:内|以内|之内|前|后|起|日|月|年|岁)", after):
            continue  # relative times ("3天内") and dates
        if re.fullmatch(r"\d{5,}", m.group("num")):
            continue  # phone numbers and other codes
        num = m.group("num")
        if _is_chinese(num) and not _chinese_allowed(before, found, start):
            continue
        value = _arabic(num) + (f"-{_arabic(m.group('num2'))}" if m.group("num2") else "")
        value += m.group("mult") or ""
        qualifier = QUALIFIER_BEFORE.search(_clause_head(sentence, start))
        qualified = bool(qualifier or m.group("tail"))
        if qualifier:
            value = qualifier.group(1) + value
            if qualifier.end() - qualifier.start() == len(qualifier.group(1)):
                start -= len(qualifier.group(1))  # adjacent: "不少于1课时"
        elif m.group("tail"):
            value += m.group("tail")
        unit = "%" if m.group("unit") == "％" else m.group("unit")
        found.append(Quantity(start, m.end(), value, unit, qualified))
    return found


def _clause_head(sentence: str, pos: int) -> str:
    """Text from the start of the clause holding `pos` up to `pos`."""
    head = sentence[:pos]
    cut = max(head.rfind(c) for c in "，,：:；;。（(")
    return head[cut + 1 :]


def _chinese_allowed(before: str, found: list[Quantity], start: int) -> bool:
    """Chinese numerals hide in words (统一, 一体, 同一个); count them only right after a
    qualifier, a target verb, or as the next item of an enumeration."""
    if (
        found
        and re.search(r"(?:和|及|与|、)\s*$", before)
        and not re.search(f"[{PUNCT}]", before[found[-1].end :])
    ):
        return True  # "开办一所…中学和一所…学校"
    head = before[-6:]
    return bool(re.search(rf"({'|'.join(QUALIFIERS)}|{CUE_VERBS.pattern})$", head))


def named_institution(sentence: str) -> str:
    """A proper school name in the sentence (深圳市第十九高级中学): an institution word
    preceded by place names, personal-name-like words or ordinals."""
    words = pos_tags(sentence)
    for i, (word, _) in enumerate(words):
        if not word.endswith(INSTITUTION_END):
            continue
        j = i
        while j > 0 and (words[j - 1][1] in NAME_FLAGS or words[j - 1][0].endswith(("市", "区"))):
            j -= 1
        if j < i:
            return "".join(w for w, _ in words[j : i + 1])
    return ""


@lru_cache(maxsize=8192)
def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba part-of-speech tags (cached: the same clauses are tagged many times)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return tuple((w.word, w.flag) for w in jieba.posseg.cut(text))


def what_before(sentence: str, start: int, floor: int, remove: list[tuple[int, int]]) -> str:
    text = "".join(
        ch
        for i, ch in enumerate(sentence[floor:start], start=floor)
        if not any(a <= i < b for a, b in remove)
    )
    text = RECURRENCE.sub("", text)
    text = re.sub(rf"({'|'.join(QUALIFIERS)})$", "", text)
    text = re.sub('[“”"]', "", text)
    return TRAILING_ADVERBS.sub("", strip_fillers(text))


def what_after(sentence: str, end: int) -> str:
    rest = sentence[end:]
    rest = re.sub(r"^(?:以上|以下)?的?", "", rest)
    stop = re.search(rf"[{PUNCT.replace(ENUMERATION_COMMA, '')}]|(?:和|及|与|、)(?={NUM})", rest)
    text = rest[: stop.start()] if stop else rest
    return text.strip() if len(text) <= POST_MAX else ""
