"""Ruled tables on a scanned page: the grid recovered from its ruling lines (OpenCV
morphology, installed with RapidOCR), so that OCR's text lines are put into cells. A cell's
wrapped lines become one cell, a cell merged over several rows is repeated on each (when
short: a 辖区 or 类别 label) and each row of the table comes out as one "a | b | c" line.

Maintained table recognisers (rapid-table, wired-table-rec, lineless-table-rec) were
considered: their wheels carry no model, which they fetch at first use, so they cannot run
offline from the package registry (docs/ocr.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Line:
    """A line of text the OCR engine read, with its box (kept here: the grid places lines in cells)."""

    text: str
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in page pixels

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2


# Pixels either side of a rule's mean position where its stretch over one cell is looked
# for: a skewed or bent scan moves a rule by a few pixels along its length.
_SLACK = 8


@dataclass(frozen=True)
class Grid:
    """Row and column rule positions (pixels) and, for every slot (row, column), the id of
    the cell it belongs to: slots of a merged cell share the id of its top-left slot."""

    ys: list[int]
    xs: list[int]
    cell: np.ndarray  # shape (rows, columns), int

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def _positions(profile: np.ndarray, threshold: float) -> list[int]:
    """Centres of runs of the profile at or above the threshold: one rule each."""
    out: list[int] = []
    run: list[int] = []
    for i, value in enumerate(profile):
        if value >= threshold:
            run.append(i)
        elif run:
            out.append(int(np.mean(run)))
            run = []
    if run:
        out.append(int(np.mean(run)))
    return out


def find_grid(image: Image.Image, settings: dict[str, Any]) -> Grid | None:
    """The ruled grid of the page's table, or None when the page has no ruled table."""
    import cv2

    gray = np.asarray(image.convert("L"))
    height, width = gray.shape
    ink = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -10)
    # A rule is a run of ink far longer than any character: opening with a long thin kernel
    # keeps rules and drops text; a small closing bridges a scan's breaks in a rule.
    share = float(settings["min_rule_share"])
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(int(width * share), 10)), np.uint8))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(int(height * share), 10), 1), np.uint8))
    horizontal = cv2.dilate(horizontal, np.ones((3, 9), np.uint8))
    vertical = cv2.dilate(vertical, np.ones((9, 3), np.uint8))
    xs_all = _positions(vertical.sum(axis=0) / 255, height * share)
    ys_all = _positions(horizontal.sum(axis=1) / 255, width * share)
    if len(xs_all) < 3 or len(ys_all) < 3:
        return None
    # The table's frame: from the first to the last rule; rows and columns are the rules in it.
    rows_n, cols_n = len(ys_all) - 1, len(xs_all) - 1
    covered = float(settings["rule_cover"])

    def h_rule(y: int, x0: int, x1: int) -> bool:  # a horizontal rule at y between x0 and x1
        band = horizontal[max(y - _SLACK, 0) : y + _SLACK + 1, x0:x1].max(axis=0) if x1 > x0 else np.zeros(1)
        return bool((band > 0).mean() >= covered)

    def v_rule(x: int, y0: int, y1: int) -> bool:
        band = vertical[y0:y1, max(x - _SLACK, 0) : x + _SLACK + 1].max(axis=1) if y1 > y0 else np.zeros(1)
        return bool((band > 0).mean() >= covered)

    parent = list(range(rows_n * cols_n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)

    for r in range(rows_n):
        for c in range(cols_n):
            pad_x = (xs_all[c + 1] - xs_all[c]) // 5
            pad_y = (ys_all[r + 1] - ys_all[r]) // 5
            if r + 1 < rows_n and not h_rule(ys_all[r + 1], xs_all[c] + pad_x, xs_all[c + 1] - pad_x):
                union(r * cols_n + c, (r + 1) * cols_n + c)
            if c + 1 < cols_n and not v_rule(xs_all[c + 1], ys_all[r] + pad_y, ys_all[r + 1] - pad_y):
                union(r * cols_n + c, r * cols_n + c + 1)
    cell = np.array([find(i) for i in range(rows_n * cols_n)]).reshape(rows_n, cols_n)
    return Grid(ys_all, xs_all, cell)


def _slot(grid: Grid, x: float, y: float) -> tuple[int, int] | None:
    r = int(np.searchsorted(grid.ys, y)) - 1
    c = int(np.searchsorted(grid.xs, x)) - 1
    if 0 <= r < len(grid.ys) - 1 and 0 <= c < len(grid.xs) - 1:
        return r, c
    return None


def table_rows(grid: Grid, lines: list[Line], settings: dict[str, Any], joiner: Any) -> list[str]:
    """The table's rows as "a | b | c" lines: each cell's lines top to bottom in one text."""
    texts: dict[int, list[Line]] = {}
    for line in lines:
        slot = _slot(grid, (line.box[0] + line.box[2]) / 2, line.cy)
        if slot is not None:
            texts.setdefault(int(grid.cell[slot]), []).append(line)
    cell_text: dict[int, str] = {}
    for cell_id, members in texts.items():
        height = float(np.median([ln.height for ln in members])) or 1.0
        members.sort(key=lambda ln: (round(ln.cy / (height * 0.6)), ln.box[0]))
        text = ""
        for line in members:
            text += (joiner(text, line.text) if text else "") + line.text
        cell_text[cell_id] = text
    repeat_max, repeat_rows = int(settings["repeat_merged_max"]), int(settings["repeat_merged_rows"])
    spans = {int(i): sorted(set(np.nonzero(grid.cell == i)[0])) for i in np.unique(grid.cell)}  # rows covered

    def remark(cell_id: int) -> bool:
        """A long text merged over a block of rows: a note on the block, not a value of
        each row (a short label, or one answer for two cases, belongs to each row)."""
        return len(cell_text.get(cell_id, "")) > repeat_max and len(spans[cell_id]) > repeat_rows

    out: list[str] = []
    notes: list[str] = []
    for r in range(grid.cell.shape[0]):
        cells: list[str] = []
        for c in range(grid.cell.shape[1]):
            cell_id = int(grid.cell[r, c])
            if c and int(grid.cell[r, c - 1]) == cell_id:
                continue  # merged across columns: once in the row
            if remark(cell_id):
                # Its rows keep the column empty; the note follows the table, as a table's
                # notes are printed under it, named by its column and the rows it covers.
                if r == spans[cell_id][0]:
                    notes.append(_note(grid, cell_id, cell_text, spans, c, remark))
                cells.append("")
                continue
            cells.append(cell_text.get(cell_id, ""))
        if any(cells):
            out.append(" | ".join(cells).strip())
    return out + notes


def _note(
    grid: Grid, cell_id: int, cell_text: dict[int, str], spans: dict[int, list[int]], column: int, remark: Any
) -> str:
    """ "备注（甲至乙）：…": the column's heading (the first row's cell, when the note does not
    cover it) and the first and last rows' first cell that is a value of the row itself."""
    rows = spans[cell_id]
    heading = cell_text.get(int(grid.cell[0, column]), "") if rows[0] > 0 else ""

    def row_name(r: int) -> str:
        for c in range(grid.cell.shape[1]):
            cell = int(grid.cell[r, c])
            if len(spans[cell]) == 1 and cell_text.get(cell) and not remark(cell):
                return cell_text[cell]
        return ""

    first, last = row_name(rows[0]), row_name(rows[-1])
    where = f"（{first}至{last}）" if first and last and first != last else ""
    label = f"{heading}{where}"
    return f"{label}：{cell_text[cell_id]}" if label else cell_text[cell_id]
