"""A row of the targets table, and filtering rows by year, action and responsible body."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistant.targets.bodies import normalize_body
from assistant.targets.deadlines import years_in


@dataclass(frozen=True)
class Target:
    what: str
    value: str
    unit: str
    deadline: str  # "2025", "2008-05-10", "十四五期间(2021-2025)" or ""
    recurrence: str  # "每周", "每学年", … or ""
    responsible: tuple[str, ...]
    doc_id: str
    section: str
    sentence: str

    def __post_init__(self) -> None:
        # Accept a list for convenience; keep a tuple so the frozen row stays hashable.
        object.__setattr__(self, "responsible", tuple(self.responsible))

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "value": self.value,
            "unit": self.unit,
            "deadline": self.deadline,
            "recurrence": self.recurrence,
            "responsible": list(self.responsible),
            "doc_id": self.doc_id,
            "section": self.section,
            "sentence": self.sentence,
        }

    @property
    def quantity(self) -> str:
        """The amount as the documents write it: "20%以上", "3000人以上", "不少于1课时"."""
        for tail in ("以上", "以下"):
            if self.unit and self.value.endswith(tail):
                return f"{self.value[: -len(tail)]}{self.unit}{tail}"
        return f"{self.value}{self.unit}"


def deadline_years(deadline: str) -> tuple[int, int] | None:
    """(first, last) year a deadline covers: "2025" → (2025, 2025), a period → its span."""
    years = [int(y) for y in years_in(deadline)]
    if not years:
        return None
    if "期间" in deadline and len(years) >= 2:
        return years[0], years[-1]
    return years[0], years[0]


def filter_targets(
    targets: Iterable[Target],
    year: str | None = None,
    action: str | None = None,
    body: str | None = None,
) -> list[Target]:
    """year: rows due in that year — a deadline in that year or a period ending then (so
    --year 2025 gives 至2025年 and the 十四五 period, not the 2023 goals); action: part of
    the section path; body: part of a responsible body's name."""
    rows = list(targets)
    if year:
        wanted = int(year)
        rows = [t for t in rows if (span := deadline_years(t.deadline)) and span[1] == wanted]
    if action:
        rows = [t for t in rows if action in t.section]
    if body:
        key = normalize_body(body)
        rows = [t for t in rows if any(key in normalize_body(r) for r in t.responsible)]
    return rows
