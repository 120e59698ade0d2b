"""The lookup tab's search: rows a typed compound, road and number, street or school name
match, whatever the wording of the input (no question needed); else the closest names."""

from __future__ import annotations

from collections import defaultdict

from assistant.tables.lookup import SUGGESTIONS, RowIndex, TableMatch, fold
from assistant.tables.places import house_number


def search_rows(index: RowIndex, text: str, limit: int = 50) -> TableMatch:
    """The lookup tab: rows a typed compound, road and number, street or school names,
    whatever the wording; else the closest names."""
    q = fold(text)
    numbered = house_number(q) or house_number(q + "号")
    if numbered:
        road_text, number = numbered
        road = index.road_of(road_text)
        if road:
            inside = [i for i, r in index.roads[road] if r.holds(number)]
            ranges = "、".join(dict.fromkeys(r.describe() for i, r in index.roads[road] if i in inside))
            if inside:
                return TableMatch(
                    "lookup", rows=_ordered(index, inside)[:limit], names=[road], condition=ranges
                )
    rows: dict[int, float] = defaultdict(float)
    hits = index.found_keys(q)
    for _, _, key in hits:
        for i in index.keys[key]:
            rows[i] += len(key)
    if rows:
        best = max(rows.values())
        found = _ordered(index, [i for i, v in rows.items() if v >= best])
        return TableMatch("lookup", rows=found[:limit], names=[h[2] for h in hits])
    names = list(dict.fromkeys(n for n, _ in index.closest(q)))[:SUGGESTIONS]
    return TableMatch("not_found", names=[text.strip()], suggestions=names)


def _ordered(index: RowIndex, rows: list[int]) -> list[int]:
    """Current tables first, then newer ones, then by table and row."""

    def key(i: int) -> tuple[bool, str, str, str, int]:
        r = index.records[i]
        return (
            r.status == "historical",
            "".join(chr(0x10FFFF - ord(c)) for c in r.date),
            r.doc_id,
            r.table,
            r.row,
        )

    return sorted(rows, key=key)
