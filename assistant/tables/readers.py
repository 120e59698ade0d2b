"""Read the tables of a file: XLSX/XLS (calamine), DOCX, HTML and text PDFs (pdfplumber).

Each reader turns a sheet or table into a `Grid` (merged cells filled, numbers written as a
person would: 36.0 → 36), and `grid.tables_from_grid` finds the tables in it. Errors a user
can cause are `TableError`s naming the file and the sheet.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path

from assistant.settings import Settings
from assistant.tables.grid import FROM_ABOVE, FROM_LEFT, ORIGINAL, Grid, fill_merges, tables_from_grid
from assistant.tables.model import Table, TableError

log = logging.getLogger(__name__)

# Page markup puts spaces and line breaks around the <span>s of "28" and "分": between a
# Chinese character (or full-width mark) and anything, such a space is not content.
_NON_ASCII_GAP = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")

WORKBOOK_SUFFIXES = (".xlsx", ".xls")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted OOXML workbook is an OLE container holding these streams.
_ENCRYPTED_MARKS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))


def _limits() -> tuple[int, int]:
    settings = Settings()
    return settings.max_table_rows, settings.max_cell_chars


def show(value: object) -> str:
    """A cell value as text: integral floats without ".0", dates as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta | time):
        return str(value)
    return str(value)


def _capped(text: str, where: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    log.warning("%s: a cell of %d characters cut to %d", where, len(text), limit)
    return text[:limit] + "…"


# --- workbooks --------------------------------------------------------------------------


def read_workbook(data: bytes, filename: str) -> list[Table]:
    """Every visible sheet's tables; hidden sheets are skipped and named in the log."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    if not data:
        raise TableError(f"{filename}: empty file", f"表格文件《{filename}》为空（0 字节）。")
    encrypted = any(mark in data for mark in _ENCRYPTED_MARKS)
    if filename.lower().endswith(".xlsx") and data.startswith(_OLE_MAGIC) and encrypted:
        raise TableError(
            f"{filename}: password-protected workbook",
            f"表格文件《{filename}》设有打开密码，无法读取，请取消密码后重新上传。",
        )
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own types for corrupt or encrypted files
        text = str(exc).lower()
        if "password" in text or "encrypt" in text:
            raise TableError(
                f"{filename}: encrypted workbook: {exc}",
                f"表格文件《{filename}》设有打开密码，无法读取，请取消密码后重新上传。",
            ) from exc
        raise TableError(
            f"{filename}: unreadable workbook: {exc!r}",
            f"表格文件《{filename}》已损坏或不是有效的 Excel 文件，无法读取。",
        ) from exc
    max_rows, max_cell = _limits()
    tables: list[Table] = []
    hidden: list[str] = []
    for meta in book.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != SheetVisibleEnum.Visible:
            hidden.append(meta.name)
            continue
        sheet = book.get_sheet_by_name(meta.name)
        where = f"{filename} › {meta.name}"
        cells: list[list[str]] = []
        rows: Iterator[list[object]] = iter(sheet.iter_rows())
        for row in islice(rows, max_rows):
            cells.append([_capped(show(v), where, max_cell) for v in row])
        if next(rows, None) is not None:
            log.warning("%s: more than %d rows; only the first %d are read", where, max_rows, max_rows)
        start_row, start_col = sheet.start or (0, 0)
        if start_col:
            cells = [[""] * start_col + r for r in cells]
        merges = [
            ((r0 - start_row, c0), (r1 - start_row, c1))
            for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []
        ]
        filled = fill_merges(cells, merges)
        tables.extend(tables_from_grid(Grid(meta.name, cells, filled, first_row=start_row + 1), filename))
    if hidden:
        log.info("%s: hidden sheets skipped: %s", filename, ", ".join(hidden))
    if not tables:
        raise TableError(
            f"{filename}: no table with data in any visible sheet",
            f"表格文件《{filename}》中没有可读取的数据（工作表为空"
            + (f"，隐藏的工作表 {'、'.join(hidden)} 未读取" if hidden else "")
            + "）。",
        )
    return tables


# --- HTML -------------------------------------------------------------------------------


def html_grid(table: object, sheet: str) -> Grid:
    """A <table> with rowspan/colspan expanded into a grid."""
    from bs4 import Tag

    assert isinstance(table, Tag)
    cells: list[list[str]] = []
    filled: list[list[str]] = []
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows still covered, text)
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for tr in rows:
        row: list[str] = []
        marks: list[str] = []
        for td in tr.find_all(["td", "th"], recursive=False):
            _take_pending(pending, row, marks)
            text = _NON_ASCII_GAP.sub("", " ".join(td.get_text("").split()))
            span = _int(td.get("colspan"))
            down = _int(td.get("rowspan"))
            for k in range(span):
                col = len(row)
                row.append(text)
                marks.append(ORIGINAL if k == 0 else FROM_LEFT)
                if down > 1:
                    pending[col] = (down - 1, text)
        _take_pending(pending, row, marks)
        cells.append(row)
        filled.append(marks)
    return Grid(sheet, cells, filled)


def _take_pending(pending: dict[int, tuple[int, str]], row: list[str], marks: list[str]) -> None:
    """Cells of rowspans from rows above that cover the next columns of this row."""
    while len(row) in pending:
        left, text = pending[len(row)]
        row.append(text)
        marks.append(FROM_ABOVE)
        if left <= 1:
            del pending[len(row) - 1]
        else:
            pending[len(row) - 1] = (left - 1, text)


def _int(value: object) -> int:
    try:
        return max(1, min(1000, int(str(value))))
    except (TypeError, ValueError):
        return 1


def read_html_tables(soup: object, filename: str) -> list[Table]:
    from bs4 import BeautifulSoup

    assert isinstance(soup, BeautifulSoup)
    tables: list[Table] = []
    for n, table in enumerate(soup.find_all("table"), start=1):
        if table.find("table") is not None:
            continue  # a layout table holding others
        grid = html_grid(table, "")
        caption_tag = table.find("caption")
        found = tables_from_grid(grid, filename)
        for t in found:
            if caption_tag is not None and caption_tag.get_text(strip=True):
                t.caption = t.caption or caption_tag.get_text(strip=True)
            t.caption = t.caption or f"表{n}"
        tables.extend(t for t in found if len(t.header) >= 2)
    return tables


# --- DOCX -------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(element: object) -> str:
    """All text of a paragraph or cell, including runs inside smart tags, content controls,
    fields and hyperlinks (python-docx's `.text` leaves some of them out)."""
    parts: list[str] = []
    for node in element.iter():  # type: ignore[attr-defined]
        tag = node.tag
        if tag == f"{_W}t":
            parts.append(node.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr") or (tag == f"{_W}p" and parts):
            parts.append("\n")
    return "".join(parts)


def read_docx_tables(document: object, filename: str) -> list[Table]:
    tables: list[Table] = []
    for n, table in enumerate(document.tables, start=1):  # type: ignore[attr-defined]
        cells: list[list[str]] = []
        filled: list[list[str]] = []
        above: list[object] = []
        for row in table.rows:
            texts: list[str] = []
            marks: list[str] = []
            current: list[object] = []
            for j, cell in enumerate(row.cells):
                tc = cell._tc
                current.append(tc)
                if j > 0 and current[j - 1] is tc:
                    marks.append(FROM_LEFT)
                elif j < len(above) and above[j] is tc:
                    marks.append(FROM_ABOVE)
                else:
                    marks.append(ORIGINAL)
                texts.append(docx_text(tc))
            above = current
            cells.append(texts)
            filled.append(marks)
        for t in tables_from_grid(Grid("", cells, filled), filename):
            t.caption = t.caption or f"表{n}"
            tables.append(t)
    return [t for t in tables if len(t.header) >= 2]


# --- PDF --------------------------------------------------------------------------------

_PDF_HEADER_REPEAT = re.compile(r"\s+")


def read_pdf_tables(data: bytes, filename: str) -> list[Table]:
    """Ruled tables of a text PDF, by the lines drawn around cells (pdfplumber); a header
    repeated on the next page continues the table."""
    import pdfplumber

    grids: list[list[list[str]]] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                for raw in page.extract_tables():
                    rows = [[(c or "").replace("\n", "") for c in r] for r in raw]
                    if grids and rows and len(rows[0]) == len(grids[-1][0]):
                        if _squash(rows[0]) == _squash(_header_of(grids[-1])):
                            rows = rows[1:]
                        grids[-1].extend(rows)
                    elif rows:
                        grids.append(rows)
                page.flush_cache()
    except Exception as exc:  # a PDF pdfplumber cannot parse keeps its text path
        log.warning("%s: no tables read: %r", filename, exc)
        return []
    tables: list[Table] = []
    for n, rows in enumerate(grids, start=1):
        for t in tables_from_grid(Grid("", _fill_pdf(rows)), filename):
            t.caption = t.caption or f"表{n}"
            tables.append(t)
    return [t for t in tables if len(t.header) >= 2]


def _header_of(rows: list[list[str]]) -> list[str]:
    return next((r for r in rows if sum(1 for c in r if c) >= 2), rows[0])


def _squash(row: list[str]) -> str:
    return _PDF_HEADER_REPEAT.sub("", "".join(row))


def _fill_pdf(rows: list[list[str]]) -> list[list[str]]:
    """pdfplumber gives None for the cells a merged cell covers: copy the value above."""
    out: list[list[str]] = []
    for r, row in enumerate(rows):
        filled_row = list(row)
        for j, cell in enumerate(filled_row):
            if not cell and r > 0 and any(filled_row) and j == 0 and out:
                filled_row[j] = out[-1][j]
        out.append(filled_row)
    return out


# --- text for the document path ---------------------------------------------------------


def tables_as_text(tables: list[Table]) -> str:
    """Tables as the loaders render them: caption line, then rows joined by " | "."""
    blocks = []
    for table in tables:
        lines = [table.caption] if table.caption else []
        lines.append(" | ".join(table.header))
        lines.extend(" | ".join(c for c in row) for row in table.rows)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def read_tables(path: Path, page: bool = False) -> list[Table]:
    """The tables of a file of any supported format ([] for plain text); `page`: the file
    is a web page whatever its name says (a page saved under a document's name)."""
    suffix = ".html" if page else path.suffix.lower()
    data = path.read_bytes()
    if suffix in (".xls", ".xlsx"):
        return read_workbook(data, path.name)
    if suffix == ".docx":
        import docx

        return read_docx_tables(docx.Document(io.BytesIO(data)), path.name)
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        return read_html_tables(BeautifulSoup(data, "html.parser"), path.name)
    if suffix == ".pdf":
        return read_pdf_tables(data, path.name)
    return []
