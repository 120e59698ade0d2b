"""Table rows as the loaders write them into a passage's text: cells joined by " | ",
the header row first. Which column a cell is in, so a bare number in a row ("钟村毓秀小学 | 7")
can be read with its column's name ("拟招生班数"), and a labelled value ("学位：12") with
its label. Patterns are data (`data/table_rows.toml`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from assistant.vocab import compile_pattern, table

_DATA = table("assistant.grammar", "table_rows.toml")
CELL = _DATA["cell"]  # "|": the loaders join cells with " | "
# A cell that is a number and nothing else: its unit is in its column's name.
BARE_NUMBER = compile_pattern(_DATA["bare_number"])
# "学位：12", "计划招生人数: 45": a label, a colon and a number without a unit.
LABELLED_NUMBER = compile_pattern(_DATA["labelled_number"])
UNIT_NOTE = compile_pattern(_DATA["unit_note"])


def unit_note(text: str) -> str:
    """The unit a caption or heading path gives every number of its table ("（单位：人）"
    → 人), or ""."""
    m = UNIT_NOTE.search(text)
    return m.group("unit") if m else ""


def with_declared_unit(sentence: str, unit: str) -> str:
    """A table row with `unit` after each bare number cell (the table's note gives it)."""
    if CELL not in sentence or not unit:
        return sentence
    return f" {CELL} ".join(f"{c}{unit}" if BARE_NUMBER.fullmatch(c) else c for c in cells(sentence))


def cells(line: str) -> list[str]:
    """The cells of one table row, empty ones kept so positions match the header's."""
    return [cell.strip() for cell in line.split(CELL)]


def header_of(text: str) -> list[str]:
    """The column names of the table a passage holds: its first row with two or more cells,
    none of them empty or a bare number (a header names; a data row counts). [] when the
    passage holds no such row."""
    return list(_header(text))


@lru_cache(maxsize=1024)
def _header(text: str) -> tuple[str, ...]:
    # Cached: one question's steps (ranking, quote, lead line, clauses) ask it of the same
    # few passages many times.
    for line in text.splitlines():
        if CELL not in line:
            continue
        names = cells(line)
        if len(names) >= 2 and all(name and not BARE_NUMBER.fullmatch(name) for name in names):
            return tuple(names)
        return ()
    return ()


def aligned(row: str, header: Sequence[str]) -> list[tuple[str, str]]:
    """`row`'s cells, each with its column's name; [] when `row` is no table row or has
    more cells than the header (then it is not aligned with it)."""
    found = cells(row) if CELL in row else []
    return list(zip(header, found, strict=False)) if len(found) <= len(header) else []


def with_units(sentence: str, header: Sequence[str], unit: Callable[[str], str]) -> str:
    """`sentence` with the unit `unit(name)` gives after each number that has none: a bare
    number in a row's cell gets its column's, a labelled number its label's ("" leaves a
    number as it is). A row with more cells than the header is not aligned with it."""
    if pairs := aligned(sentence, header):
        sentence = f" {CELL} ".join(
            f"{cell}{unit(name)}" if BARE_NUMBER.fullmatch(cell) else cell for name, cell in pairs
        )
    return LABELLED_NUMBER.sub(lambda m: f"{m.group(0)}{unit(m.group('label'))}", sentence)
