"""Dates, deadlines and document numbers as Chinese official texts write them.

- dates: "2016年1月26日", "二〇一六年一月二十六日", "2016年3月", "2016-01-27", "2016.4.1";
- deadlines: "到2025年", "2025年底前", "7月底前", and five-year plans (“十四五”期间);
- 文号: "粤教考〔2015〕14号".

The patterns are data (`data/dates.toml`); Chinese numerals are read by `numerals`.
"""

from __future__ import annotations

import datetime as dt
import re

from assistant.grammar.numerals import to_int
from assistant.vocab import table

_DATA = table("assistant.grammar", "dates.toml")

YEAR: str = _DATA["year"]  # (?:19|20)\d{2}
RANGE_MARKS: str = _DATA["range_marks"]  # for a character class: [{RANGE_MARKS}]


def _expand(source: str) -> str:
    for name, value in (
        ("{tail}", _DATA["doc_number_tail"]),
        ("{open}", _DATA["doc_number_open"]),
        ("{close}", _DATA["doc_number_close"]),
        ("{year}", YEAR),
        ("{d}", _DATA["date_numerals"]),
    ):
        source = source.replace(name, value)
    return source


DATE = re.compile(_expand(_DATA["date"]))
DEADLINE = re.compile(_expand(_DATA["deadline"]))
MONTH_DEADLINE = re.compile(_DATA["month_deadline"])
DEADLINE_LEAD = re.compile(_DATA["deadline_lead"])
# The plan's name alone (a question's "十四五有哪些目标"), and as a text writes it.
PLAN_PERIOD_NAME: str = _DATA["plan_period_name"]
PLAN_PERIOD = re.compile(rf"{PLAN_PERIOD_NAME}(?:{_DATA['plan_period_after']})")
DOC_NUMBER = re.compile(_expand(_DATA["doc_number"]))
# The bracketed year and number of a 文号, without the organ (groups 1 and 2).
DOC_NUMBER_TAIL = re.compile(_expand(_DATA["doc_number_tail"]))


def parse_dates(text: str) -> list[tuple[str, int, int]]:
    """Every date in `text` as (ISO string, start, end), as precise as written
    ("2016-01", "2016-01-26"); invalid dates are skipped."""
    found: list[tuple[str, int, int]] = []
    for m in DATE.finditer(text):
        if m.group("y2"):
            parts = [int(m.group("y2")), int(m.group("m2")), int(m.group("d2"))]
        else:
            parts = [to_int(m.group("y")), to_int(m.group("m"))]
            if m.group("d"):
                parts.append(to_int(m.group("d")))
        if any(p is None for p in parts):
            continue
        iso = _iso([int(p) for p in parts if p is not None])
        if iso:
            found.append((iso, m.start(), m.end()))
    return found


def _iso(parts: list[int]) -> str:
    year, month = parts[0], parts[1]
    if not (1949 <= year <= 2100 and 1 <= month <= 12):
        return ""
    if len(parts) == 2:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, parts[2]).isoformat()
    except ValueError:
        return ""


def plan_period_years(n: str) -> tuple[int, int] | None:
    """The years of the n-th five-year plan, n in Chinese ("十四" → 2021–2025)."""
    number = to_int(n)
    low, high = _DATA["plan_numbers"]
    if number is None or not low <= number <= high:
        return None
    first = _DATA["third_plan_start"] + 5 * (number - 3)
    return first, first + 4


def norm_doc_number(number: str) -> str:
    """'深教[2015]12号' → '深教〔2015〕12号': one bracket form, no spaces, to compare 文号."""
    text = re.sub(r"[\s\u3000\xa0]+", "", number)
    return DOC_NUMBER_TAIL.sub(lambda m: f"〔{m.group(1)}〕{m.group(2)}号", text)
