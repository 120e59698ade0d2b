"""A sheet or table as a grid of cell texts → the tables in it.

Real sheets are not one table: a title and notes sit in merged rows above the header, a row
of group captions ("公办小学", "公办初中") spans the header, blocks of the same columns stand
side by side ("辖区 | 学校 | 学位" five times), and sub-tables are stacked with blank rows
between them. The grid is split on those shapes, not on words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.tables.model import Table, vocabulary

_SPACE = re.compile(r"[\s\u3000\xa0]+")
_NUMBER = re.compile(r"^[-+]?\d[\d,.]*%?$")
HEADER_CELL_CHARS = 24  # a header names a column; a longer cell is data
ORIGINAL, FROM_LEFT, FROM_ABOVE = "", "h", "v"


def cell_text(value: str) -> str:
    """One line; a letter-spaced label ("学  校", "公 办 小 学") read as one word."""
    text = _SPACE.sub(" ", value).strip()
    tokens = text.split(" ")
    return "".join(tokens) if len(tokens) > 1 and all(len(t) == 1 for t in tokens) else text


@dataclass
class Grid:
    """Cells of one sheet (merged cells filled), and for each cell whether it was copied
    from a merge (from the left or from above)."""

    sheet: str
    cells: list[list[str]]
    filled: list[list[str]] = field(default_factory=list)
    first_row: int = 1  # the sheet's row number of cells[0]

    def __post_init__(self) -> None:
        width = max((len(r) for r in self.cells), default=0)
        self.cells = [[cell_text(c) for c in r] + [""] * (width - len(r)) for r in self.cells]
        if not self.filled:
            self.filled = [[ORIGINAL] * width for _ in self.cells]
        self.filled = [list(r) + [ORIGINAL] * (width - len(r)) for r in self.filled]


def fill_merges(
    cells: list[list[str]], merges: list[tuple[tuple[int, int], tuple[int, int]]]
) -> list[list[str]]:
    """Copy each merged range's value into every cell it covers; returns the filled mask."""
    filled = [[ORIGINAL] * len(r) for r in cells]
    for (r0, c0), (r1, c1) in merges:
        if r0 >= len(cells):
            continue
        value = cells[r0][c0] if c0 < len(cells[r0]) else ""
        for r in range(r0, min(r1, len(cells) - 1) + 1):
            for c in range(c0, min(c1, len(cells[r]) - 1) + 1):
                if (r, c) != (r0, c0):
                    cells[r][c] = value
                    filled[r][c] = FROM_LEFT if r == r0 else FROM_ABOVE
    return filled


def _values(row: list[str]) -> list[str]:
    return [c for c in row if c]


def _is_title(row: list[str]) -> bool:
    """One value across the row (a merged title, a note, a sub-table's heading)."""
    return len(set(_values(row))) == 1


def _is_group_caption(row: list[str], filled: list[str]) -> bool:
    """Every value spans two or more columns: captions over groups of columns."""
    values = _values(row)
    if len(set(values)) < 2:
        return False
    for j, value in enumerate(row):
        if value and filled[j] == ORIGINAL:
            spans = j + 1 < len(row) and filled[j + 1] == FROM_LEFT
            if not spans:
                return False
    return True


def _looks_like_header(row: list[str], below: list[str] | None = None) -> bool:
    """Names, no numbers; long names only when the row below holds numbers."""
    values = _values(row)
    if len(values) < 2 or any(_NUMBER.match(v) for v in values):
        return False
    if all(len(v) <= HEADER_CELL_CHARS for v in values):
        return True
    return below is not None and any(_NUMBER.match(v) for v in below if v)


def _is_second_header(grid: Grid, upper: int, lower: int) -> bool:
    """The row under a header with merged cells is a header too when, outside the merged
    cells, it only continues the header's cells downwards (or is empty)."""
    marks = grid.filled[upper]
    spanned = {j for j, m in enumerate(marks) if m == FROM_LEFT}
    spanned |= {j - 1 for j in spanned}
    if not spanned or not _looks_like_header(grid.cells[lower]):
        return False
    return all(
        not grid.cells[lower][j] or grid.filled[lower][j] == FROM_ABOVE
        for j in range(len(marks))
        if j not in spanned
    )


def _period(header: list[str]) -> int:
    """The width of side-by-side blocks repeating the same column names (0: none)."""
    n = len(header)
    for k in range(2, n // 2 + 1):
        if n % k == 0 and all(header[j] == header[j % k] for j in range(n)) and any(header[:k]):
            return k
    return 0


def _is_subtotal(row: list[str]) -> bool:
    words = vocabulary()["reader"]["subtotal"]
    first = next((c for c in row if c), "")
    return any(w in first.replace(" ", "") for w in words)


def _blocks(grid: Grid) -> list[list[int]]:
    """Row indexes of runs of non-blank rows."""
    blocks: list[list[int]] = [[]]
    for i, row in enumerate(grid.cells):
        if any(row):
            blocks[-1].append(i)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def tables_from_grid(grid: Grid, source: str) -> list[Table]:
    tables: list[Table] = []
    sheet_caption = ""
    for block in _blocks(grid):
        i = 0
        titles: list[str] = []
        while i < len(block) and _is_title(grid.cells[block[i]]):
            titles.append(_values(grid.cells[block[i]])[0])
            i += 1
        if i >= len(block):  # titles only: they caption what follows
            sheet_caption = sheet_caption or (titles[0] if titles else "")
            continue
        caption = titles[0] if titles else sheet_caption
        group_rows: list[int] = []
        while i + 1 < len(block) and _is_group_caption(grid.cells[block[i]], grid.filled[block[i]]):
            group_rows.append(block[i])
            i += 1
        tables.extend(_block_tables(grid, source, caption, group_rows, block[i:]))
    return tables


def _block_tables(
    grid: Grid, source: str, caption: str, group_rows: list[int], rows: list[int]
) -> list[Table]:
    header_row = grid.cells[rows[0]]
    has_header = _looks_like_header(header_row, grid.cells[rows[1]] if len(rows) > 1 else None)
    width = len(header_row)
    if has_header:
        header = list(header_row)
        data = rows[1:]
        # A second header row under merged header cells ("学位" over "小学 | 初中").
        if data and _is_second_header(grid, rows[0], data[0]):
            lower = grid.cells[data[0]]
            header = [
                u if u == d or not d else (f"{u}{d}" if u else d) for u, d in zip(header, lower, strict=True)
            ]
            data = data[1:]
    else:
        header = [f"第{j + 1}列" for j in range(width)]
        data = rows
    period = _period(header) if has_header else 0
    groups = [range(s, s + period) for s in range(0, width, period)] if period else [range(width)]
    tables = []
    for columns in groups:
        group_caption = " ".join(
            dict.fromkeys(grid.cells[r][columns[0]] for r in group_rows if grid.cells[r][columns[0]])
        )
        table = Table(
            source=source,
            caption=" ".join(x for x in (caption, group_caption) if x),
            sheet=grid.sheet,
            header=[header[j] or f"第{j + 1}列" for j in columns],
            has_header=has_header,
        )
        for r in data:
            cells = [grid.cells[r][j] for j in columns]
            marks = [grid.filled[r][j] for j in columns]
            if not any(cells) or all(m != ORIGINAL for c, m in zip(cells, marks, strict=True) if c):
                continue  # blank here, or only the continuation of merged cells above
            if len(set(_values(cells))) == 1 and len(_values(cells)) > 1 and len(columns) > 2:
                continue  # a note or heading spanning the row, not a record
            table.rows.append(cells)
            table.row_numbers.append(grid.first_row + r)
            table.subtotal.append(_is_subtotal(cells))
        _drop_empty_columns(table)
        if table.rows:
            tables.append(table)
    return tables


def _drop_empty_columns(table: Table) -> None:
    keep = [j for j in range(len(table.header)) if any(row[j] for row in table.rows)]
    table.header = [table.header[j] for j in keep]
    table.rows = [[row[j] for j in keep] for row in table.rows]
