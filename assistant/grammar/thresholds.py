"""Conditions a rule sets on a quantity ("5年以上的，40分", "满6个月以上", "年满6周岁") and the
quantities a question states of the asker's case ("房子住了六年多", "社保交了八个月"), and
whether the case meets the condition. The units, comparators and the words that make a
number no condition are data (`data/thresholds.toml`).

A list item that states a bare quantity ("6．…接受6年小学教育的，20分") sets it as an
equality: the items of one list differ by it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.grammar import outline
from assistant.grammar.numerals import CHARACTERS, to_int
from assistant.vocab import alternation, table

_DATA = table("assistant.grammar", "thresholds.toml")
_UNITS: dict[str, str] = _DATA["units"]
_BEFORE: dict[str, str] = _DATA["condition_before"]
_AFTER: dict[str, str] = _DATA["condition_after"]
_CASE_BEFORE = re.compile(rf"(?:{alternation(_DATA['case_markers']['before'])})$")
_CASE_AFTER = tuple(_DATA["case_markers"]["after"])
_MORE: str = _DATA["case"]["more"]
_HALF: str = _DATA["case"]["half"]
_RELATIONS: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
}
# Longer words first: 周岁 before 岁, 不满 before 满, 及以上 before 以上.
_UNIT = alternation(sorted(_UNITS, key=len, reverse=True))
_NOT_AFTER = alternation(_DATA["not_after"])
_NOT_BEFORE = alternation(_DATA["not_before"])
_BEFORE_WORDS = alternation(sorted(_BEFORE, key=len, reverse=True))
_AFTER_WORDS = alternation(sorted(_AFTER, key=len, reverse=True))
_NUMBER = rf"\d+(?:\.\d+)?|[{CHARACTERS}]+"
# A number and its unit; what stands before it and after it decides what it is.
_QUANTITY = re.compile(
    rf"(?P<before>{_BEFORE_WORDS})?(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})(?!{_NOT_AFTER})"
    rf"(?P<half>{_HALF})?(?P<more>{_MORE})?"
    rf"(?:[（(]含[^）)]{{0,8}}[）)])?(?P<after>{_AFTER_WORDS})?"
)
_WINDOW = re.compile(rf"(?:{_NOT_BEFORE})$")
# A bare number of points in a rule is what it awards ("…的，20分"), not a condition.
_AWARDED = frozenset({"points"})
_WORD = re.compile(r"[\u4e00-\u9fff]{2}")
# A calendar year ("2016年") is no duration.
_MAX_DURATION = 100


@dataclass(frozen=True)
class Quantity:
    value: float
    dimension: str
    relation: str  # how a case's quantity must compare to `value`; "eq" for a case itself
    # The two characters written right after the quantity ("6年小学" → 小学): a bare
    # quantity of a list item compares only with a case of the same thing.
    of: str = ""


def _value(number: str) -> float | None:
    if re.fullmatch(r"\d+\.\d+", number):
        return float(number)
    parsed = to_int(number)
    return float(parsed) if parsed is not None else None


def _quantities(text: str) -> list[tuple[re.Match[str], Quantity]]:
    found = []
    for match in _QUANTITY.finditer(text):
        value = _value(match["number"])
        if value is None or value >= _MAX_DURATION or _WINDOW.search(text[: match.start("number")]):
            continue
        if match["before"] and _WINDOW.search(text[: match.start()]):
            continue
        relation = _BEFORE.get(match["before"] or "") or _AFTER.get(match["after"] or "") or "eq"
        of = text[match.end() : match.end() + 2]
        of = of if _WORD.fullmatch(of) else ""
        found.append((match, Quantity(value, _UNITS[match["unit"]], relation, of)))
    return found


def case_quantities(question: str) -> list[Quantity]:
    """The quantities a question states of its case, as values: "住了六年多" is a little over
    6 years, "交了一年半" 1.5; "推迟一年" (what is asked), "2016年" and "五年级" are none."""
    out = []
    for match, quantity in _quantities(question):
        stated = _CASE_BEFORE.search(question[: match.start("number")]) or question[match.end() :].startswith(
            _CASE_AFTER
        )
        if not stated:
            continue
        value = quantity.value + (0.5 if match["half"] else 0.0) + (0.5 if match["more"] else 0.0)
        out.append(replace(quantity, value=value, relation="eq"))
    return out


def conditions(sentence: str) -> list[Quantity]:
    """The conditions a rule's sentence sets on a quantity: those written with a
    comparator ("5年以上", "不满6周岁"), and in a list item a bare quantity ("接受6年小学
    教育的") other than the points it awards."""
    item = bool(outline.ITEM_START.match(sentence))
    return [
        q for _, q in _quantities(sentence) if q.relation != "eq" or (item and q.dimension not in _AWARDED)
    ]


def fit(cases: list[Quantity], sentence: str) -> int:
    """1 when the asker's case meets a condition the sentence sets (and fails none), -1
    when it fails one, 0 when the sentence sets no condition on a quantity the question
    states."""
    verdicts = [
        _RELATIONS[condition.relation](case.value, condition.value)
        for condition in conditions(sentence)
        for case in cases
        if case.dimension == condition.dimension
        and (condition.relation != "eq" or case.of == condition.of != "")
    ]
    if not verdicts:
        return 0
    return -1 if not any(verdicts) else 1
