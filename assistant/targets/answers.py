"""List-style questions about the targets table ("2025年前要完成哪些目标？",
"街道办负责什么？", "有哪些每周的要求？", "十四五期间有哪些目标？") are answered by
filtering the table; anything else (a single fact, "要新增多少…？") is left to retrieval."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import jieba
import jieba.posseg as pseg

from assistant.grammar.dates import PLAN_PERIOD_NAME, YEAR
from assistant.grammar.places import asked_places, place_codes
from assistant.grammar.sentences import clauses
from assistant.targets.bodies import body_suffix_pattern, normalize_body
from assistant.targets.deadlines import plan_period_years
from assistant.targets.model import Target, deadline_years, filter_targets
from assistant.targets.vocabulary import RECURRENCE
from assistant.vocab import table

_Q = table("assistant.targets", "vocabulary.toml")["questions"]
_LIST_CUE = re.compile(_Q["list"])
_TOPIC_CUE = re.compile(_Q["topic"])
_SINGLE_FACT = re.compile(_Q["single_fact"])
_YEAR = re.compile(rf"({YEAR})\s*年")
# A plan period named in a question, with or without 期间 ("十四五有哪些目标").
_PERIOD = re.compile(PLAN_PERIOD_NAME)
_SAME_RECURRENCE: dict[str, str] = _Q["same_recurrence"]
_BODY_ROLE = _Q["body_role"]


def answer_list_question(
    question_simplified: str, targets: Sequence[Target] | Callable[[], Sequence[Target]]
) -> list[Target] | None:
    """The rows that answer a list-style question about targets, or None when the question
    is not one (then the normal retrieval answers it). An empty list means "recognised, but
    the table has no such row". `targets` may be a loader, called only for list-style
    questions (building the table reads every chunk)."""
    q = question_simplified.strip()
    # The clause that asks the list names tasks, goals or duties ("…要完成哪些目标"); a word
    # before it only sets the scene ("招生工作意见附表里，…分成哪几大类").
    listing = next((c for c in clauses(q) if _LIST_CUE.search(c)), "")
    if not _TOPIC_CUE.search(listing):
        return None
    if _SINGLE_FACT.search(q) and "哪些" not in q:
        return None
    year = _YEAR.search(q)
    period = _question_period(q)
    recurrences = {_SAME_RECURRENCE.get(r, r) for r in RECURRENCE.findall(q)}
    body = _question_body(q)
    if not (year or period or recurrences or body):
        return None  # list-style, but about nothing the table can filter on
    rows = list(targets() if callable(targets) else targets)
    asked = frozenset(code for _, codes in asked_places(q) for code in codes)
    if asked:
        # "2016年深圳…有什么要求" is about 深圳: rows of other places' documents are no answer,
        # nor a province's. A document is of the place when one of its rows (title, heading
        # or sentence) names it or a place inside it.
        of_place = {
            t.doc_id
            for t in rows
            if any(
                c.startswith(a) for c in place_codes(f"{t.doc_id} {t.section} {t.sentence}") for a in asked
            )
        }
        rows = [t for t in rows if t.doc_id in of_place]
        if not rows:
            return None
    if year:
        rows = filter_targets(rows, year=year.group(1))
    if period:
        rows = [t for t in rows if _within(t, period)]
    if recurrences:
        rows = [t for t in rows if _SAME_RECURRENCE.get(t.recurrence, t.recurrence) in recurrences]
        if not (year or period or body) and not (_about_rows(q, rows) and _names_its_thing(listing, rows)):
            # "每天" only set the scene ("孩子每天作业写到很晚，…对作业提了哪几条要求", "每年给
            # 义务教育的财政拨款，在增长幅度上有什么硬性要求"): the question is about a thing no
            # row of that recurrence names.
            return None
    if body:
        rows = filter_targets(rows, body=body)
    elif (year or period) and not _names_its_thing(listing, rows):
        # "…2016年…，暂住证有什么要求": the year only sets the scene of a question about a
        # thing of its own, which no row of that year names.
        return None
    return rows


def _about_rows(q: str, rows: Sequence[Target]) -> bool:
    """Whether `rows` name what `q` asks about: one of its nouns (not a place, not the
    list's own word such as 要求 or 目标), or it names none."""
    nouns = [
        w.word
        for w in pseg.cut(q)
        if w.flag.startswith("n") and w.flag != "ns" and len(w.word) >= 2 and not _TOPIC_CUE.search(w.word)
    ]
    return _rows_name(nouns, rows)


# Parts of speech (jieba) of the words that ask, link or set a time or place in a listing
# clause; its other words name the thing it lists the requirements of.
_NOT_A_THING = ("r", "x", "u", "p", "c", "d", "m", "t", "f", "q", "ns")


def _names_its_thing(listing: str, rows: Sequence[Target]) -> bool:
    """Whether `rows` name the thing the listing clause asks about (暂住证 in "暂住证有什么
    要求", tagged a verb by the segmenter), or the clause names none ("要完成哪些目标")."""
    words = [
        w.word
        for w in pseg.cut(listing)
        if len(w.word) >= 2
        and not w.flag.startswith(_NOT_A_THING)
        and not _TOPIC_CUE.search(w.word)
        and not _LIST_CUE.search(w.word)
    ]
    return _rows_name(words, rows)


def _rows_name(words: list[str], rows: Sequence[Target]) -> bool:
    """Whether a row names one of `words`, or there is none to name. A word is named by any
    of its parts (体育课 by 体育 in 体育与健康课)."""
    parts = {part for word in words for part in jieba.cut_for_search(word) if len(part) >= 2}
    return not words or any(part in f"{t.what}{t.sentence}" for t in rows for part in parts)


def _question_period(q: str) -> tuple[int, int] | None:
    for m in _PERIOD.finditer(q):
        span = plan_period_years(m.group("n"))
        if span:
            return span
    return None


def _within(target: Target, period: tuple[int, int]) -> bool:
    """Due inside the plan period: the period itself, or a deadline year within it."""
    span = deadline_years(target.deadline)
    return bool(span) and period[0] <= span[1] <= period[1]


def _question_body(q: str) -> str:
    """The body the question asks about, when it is the one doing something
    (街道办负责什么, 教科院要做哪些工作)."""
    m = re.search(rf"([\u4e00-\u9fff]{{0,8}}?(?:{body_suffix_pattern()})){_BODY_ROLE}", q)
    return normalize_body(m.group(1)) if m else ""
