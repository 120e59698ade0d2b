"""Deadline phrases in a sentence (到2025年, 2025年底前, 7月底前, “十四五”期间) and their years."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.grammar.dates import DEADLINE, MONTH_DEADLINE, PLAN_PERIOD, YEAR, plan_period_years
from assistant.targets.vocabulary import CONDITION_AFTER_DEADLINE

__all__ = ["Deadline", "find_deadlines", "plan_period_years", "years_in"]


@dataclass(frozen=True)
class Deadline:
    start: int
    end: int
    label: str


def _plan_period(n: str) -> str:
    span = plan_period_years(n)
    return f"{n}五期间({span[0]}-{span[1]})" if span else ""


def find_deadlines(sentence: str, context_year: str) -> list[Deadline]:
    """Deadline phrases: 到/至 2025年, 2025年底前, 2008年5月10日前, “十四五”期间, and a
    month-only 7月底前 when the paragraph named its year earlier."""
    found: list[Deadline] = []
    for m in DEADLINE.finditer(sentence):
        if not (m.group("pre") in ("到", "至") or m.group("post") or m.group("yend")):
            continue  # a bare "2016年" is a date, not a deadline
        if m.group("pre") in ("在", "于") and not m.group("post"):
            continue
        if CONDITION_AFTER_DEADLINE.match(sentence[m.end() :]):
            continue
        label = m.group("y")
        if m.group("m"):
            label += f"-{int(m.group('m')):02d}"
            if m.group("d"):
                label += f"-{int(m.group('d')):02d}"
        found.append(Deadline(m.start(), m.end(), label))
    if context_year:
        for m in MONTH_DEADLINE.finditer(sentence):
            if any(d.start <= m.start() < d.end for d in found):
                continue
            if CONDITION_AFTER_DEADLINE.match(sentence[m.end() :]):
                continue
            label = f"{context_year}-{int(m.group('m')):02d}"
            if m.group("d"):
                label += f"-{int(m.group('d')):02d}"
            found.append(Deadline(m.start(), m.end(), label))
    for m in PLAN_PERIOD.finditer(sentence):
        label = _plan_period(m.group("n"))
        if label:
            found.append(Deadline(m.start(), m.end(), label))
    return sorted(found, key=lambda d: d.start)


def years_in(text: str) -> list[str]:
    return re.findall(YEAR, text)
