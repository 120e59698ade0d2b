"""Load .txt/.md/.html/.mht/.pdf/.docx/.doc/.rtf files into normalised plain text (a PDF's
text layer is read by pdf_text.py, scanned pages by scans.py, a page saved as one file by
web_archive.py, Word files of earlier years by legacy_word.py).

Every failure a user can cause (bad encoding, encrypted or scanned PDF, corrupt file, wrong
extension) is raised as a DocumentError with a Chinese message that says what to do.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from pathlib import Path

import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from assistant.documents.encoding import decode_bytes
from assistant.documents.errors import DocumentError
from assistant.documents.legacy_word import OLE_MAGIC as _OLE_MAGIC
from assistant.documents.legacy_word import doc_as_docx, rtf_text, sniff
from assistant.documents.loaded import LoadedText, tidy
from assistant.documents.ocr import IMAGE_SUFFIXES
from assistant.documents.pdf_text import load_pdf
from assistant.documents.text_repair import normalize_width
from assistant.documents.web_archive import archived_page
from assistant.grammar.sentences import PROSE_MARK
from assistant.tables.model import TableError
from assistant.tables.readers import docx_text, read_workbook, tables_as_text

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".shtml", ".mht", ".mhtml")
SUPPORTED_SUFFIXES += (".pdf", ".docx", ".doc", ".rtf", ".xlsx", ".xls")
_FORMATS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".shtml": "html"}
# A page saved as one file (.mht/.mhtml, "网页，单个文件"): its HTML part is read as a page.
_FORMATS |= {".mht": "mhtml", ".mhtml": "mhtml"}
_FORMATS |= {".pdf": "pdf", ".docx": "docx", ".xlsx": "sheet", ".xls": "sheet"}
_FORMATS |= {".doc": "doc", ".rtf": "rtf"}
# Saved pages read as HTML from their own bytes (a web archive's are MIME, not HTML).
PAGE_SUFFIXES = tuple(suffix for suffix, fmt in _FORMATS.items() if fmt == "html")
# Scans: image files, and PDF pages without a text layer, are read by OCR (scans.py).
SUPPORTED_SUFFIXES += IMAGE_SUFFIXES
_FORMATS |= dict.fromkeys(IMAGE_SUFFIXES, "image")

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_BINARY_MAGICS = (_PDF_MAGIC, _ZIP_MAGIC, _OLE_MAGIC)
# The spec allows junk before the header; readers accept it within the first 1 KiB.
_PDF_HEADER_WINDOW = 1024
_HTML_DROP = {"script", "style", "noscript", "template", "svg", "iframe", "head"}
_HTML_BLOCKS = {"p", "div", "li", "section", "article", "ul", "ol", "table", "blockquote"}
_HTML_BLOCKS |= {"h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "nav", "main"}
_HTML_BLOCKS |= {"aside", "form", "dl", "dt", "dd", "figure", "figcaption", "hr"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# The browser convention: a GBK/GB2312 label means gb18030, its superset.
_CHARSET_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "x-gbk": "gb18030"}
# A line break in HTML source between two CJK characters renders as nothing.
_CJK = "\u3000-\u9fff\uff00-\uffef"
_CJK_SOURCE_BREAK = re.compile(rf"(?<=[{_CJK}])\s*\n\s*(?=[{_CJK}])")
_WHITESPACE = re.compile(r"[\s\xa0]+")
_STRAY_SPACE = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
_PROSE_LINE_CHARS = 30
_SCRIPT_TITLE = re.compile(r"""document\.title\s*=\s*["']([^"']{2,200})["']""")
# A table cell longer than this holds running text: the table lays out a page.
_LAYOUT_CELL_CHARS = 200

_PARAGRAPH = "\n\n"
_LINE = "\n"
# HTML break markers, resolved after the walk: block boundaries and table rows are
# idempotent (nested/adjacent blocks give one break), while each <br> counts.
_HTML_BLOCK_BREAK = "\x00"
_HTML_ROW_BREAK = "\x01"
_HTML_BREAKS = re.compile(r"[ \t]*[\n\x00\x01][\n\x00\x01 \t]*")

_DOCX_CORRUPT = "Word 文件已损坏或不是有效的 .docx 文件。"


def load_document(path: Path) -> LoadedText:
    """Load a file from disk; see `load_bytes`."""
    return load_bytes(Path(path).read_bytes(), Path(path).name)


def load_bytes(data: bytes, filename: str) -> LoadedText:
    """Load an uploaded file's bytes; the format is chosen by the extension of `filename`."""
    suffix = Path(filename).suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        raise _unsupported(suffix)
    if not data:
        raise DocumentError("empty file", "文件为空（0 字节），请检查后重新上传。")
    # A page saved from the browser under a document's own name (a .pdf, .txt or .docx whose
    # bytes are HTML, as code hosts' and portals' file viewers are saved) is read as a page.
    saved_as = suffix if fmt not in ("html", "mhtml") and sniff(data) == "html" else ""
    if saved_as:
        fmt = "html"
    else:
        _check_magic(data, suffix)
    if fmt in ("doc", "docx") and (held := sniff(data)) is not None:
        fmt = held  # a Word name over RTF or (.docx) an old binary file
    if fmt in ("pdf", "image"):  # scanned pages and images: OCR (PDFium and the engine load here)
        from assistant.documents.scans import load_scan

        if (scanned := load_scan(data, filename, fmt)) is not None:
            return scanned
    try:
        text, encoding, title = _read_text(data, fmt, filename)
    except DocumentError:
        raise
    except TableError as exc:  # a workbook's errors name the file and the sheet
        raise DocumentError(str(exc), exc.user_message) from exc
    except Exception as exc:  # a parser's bug on an odd file: that file's failure, said so
        raise DocumentError(
            f"{filename}: unexpected {fmt} reader error: {exc!r}",
            f"读取文件时出错（{type(exc).__name__}），该文件可能格式异常，请另存后重新上传。",
        ) from exc
    if not text.strip():
        raise DocumentError("document has no text", "文件中没有可读取的文字内容。")
    fmt = "html" if fmt == "mhtml" else fmt  # cleaned and titled as the page it holds
    return LoadedText(text=text, format=fmt, encoding=encoding, title=title, saved_as=saved_as)


def _read_text(data: bytes, fmt: str, filename: str = "") -> tuple[str, str | None, str]:
    title = ""
    if fmt == "sheet":  # workbooks are read as tables (assistant/tables), rows as lines
        text, encoding = tables_as_text(read_workbook(data, filename)), None
    elif fmt == "pdf":
        text, encoding = load_pdf(data), None
    elif fmt == "docx":
        text, encoding = _load_docx(data), None
    elif fmt == "doc":
        text, encoding = _load_docx(doc_as_docx(data, filename)), None
    elif fmt == "rtf":
        text, encoding = rtf_text(data)
    elif fmt == "html":
        text, encoding, title = _load_html(data)
    elif fmt == "mhtml":
        page, charset = archived_page(data, filename)
        html, encoding = _decode_html(page, charset)
        text, title = _parse_html(html)
    else:
        text, encoding = decode_bytes(data)
    return tidy(normalize_width(text)), encoding, normalize_width(title).strip()


def check_size(size: int, limit_mb: int) -> None:
    """Refuse a file of `size` bytes when it is over `limit_mb` MB."""
    if size > limit_mb * 1024 * 1024:
        raise DocumentError(
            f"file of {size} bytes is over the {limit_mb} MB limit",
            f"文件太大（{size / (1024 * 1024):.1f} MB），上限为 {limit_mb} MB。",
        )


def unsupported_type(filename: str) -> DocumentError:
    """The error for a file whose extension is not one the assistant reads."""
    return _unsupported(Path(filename).suffix.lower())


# Other spellings of a listed type, left out of the list users are shown.
_ALIAS_SUFFIXES = (".htm", ".shtml", ".mhtml")


def _unsupported(suffix: str) -> DocumentError:
    shown = suffix or "（无扩展名）"
    supported = " ".join(s for s in SUPPORTED_SUFFIXES if s not in _ALIAS_SUFFIXES)
    return DocumentError(f"unsupported file type {suffix!r}", f"不支持的文件类型 {shown}，支持：{supported}")


def _check_magic(data: bytes, suffix: str) -> None:
    if suffix == ".pdf":
        matches = _PDF_MAGIC in data[:_PDF_HEADER_WINDOW]
    elif suffix in (".xls", ".xlsx"):  # an encrypted .xlsx is an OLE container
        matches = data.startswith((_OLE_MAGIC, _ZIP_MAGIC))
    elif suffix == ".docx":  # an old binary file renamed .docx is read as the .doc it is
        matches = data.startswith((_ZIP_MAGIC, _OLE_MAGIC))
    elif suffix == ".doc":
        matches = sniff(data) is not None
    elif suffix == ".rtf":
        matches = sniff(data) == "rtf"
    else:
        matches = not data.startswith(_BINARY_MAGICS)
    if not matches:
        raise DocumentError(f"content does not match extension {suffix}", f"文件内容与扩展名 {suffix} 不符。")


# --- DOCX ------------------------------------------------------------------------------


def _load_docx(data: bytes) -> str:
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_docx_block(item) for item in document.iter_inner_content()]
    except Exception as exc:  # zipfile, lxml and python-docx errors
        raise DocumentError(f"corrupt docx: {exc!r}", _DOCX_CORRUPT) from exc
    return _PARAGRAPH.join(block for block in blocks if block.strip())


def _docx_block(item: Paragraph | Table) -> str:
    if isinstance(item, Table):
        if _docx_is_layout(item):  # a page laid out in a table: its content is the text
            inner = (_docx_block(x) for cell in _docx_cells(item) for x in cell.iter_inner_content())
            return _PARAGRAPH.join(block for block in inner if block.strip())
        return _LINE.join(_docx_rows(item))
    return _drop_stray_spaces(docx_text(item._p))


def _drop_stray_spaces(text: str) -> str:
    """Web text pasted into Word keeps stray spaces inside words ("各 区", "继 续"); in a
    sentence a lone space between two ideographs is never meant. Short lines (titles,
    names such as "中共中央 国务院") keep theirs."""
    if len(text) < _PROSE_LINE_CHARS or not PROSE_MARK.search(text):
        return text
    return _STRAY_SPACE.sub("", text)


def _docx_cells(table: Table) -> list[_Cell]:
    cells: list[_Cell] = []
    for row in table.rows:
        for cell in row.cells:
            # A merged cell is returned once per grid position it spans.
            if not any(cell._tc is seen._tc for seen in cells):
                cells.append(cell)
    return cells


def _docx_is_layout(table: Table) -> bool:
    """One cell holding the page, or cells holding further tables: layout, not data."""
    cells = _docx_cells(table)
    return len(cells) == 1 or any(cell.tables for cell in cells)


def _docx_rows(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            # A horizontally merged cell is returned once per grid column it spans.
            if cell is not previous:
                cells.append(_cell_text(docx_text(cell._tc)))
            previous = cell
        if any(cells):
            yield " | ".join(cells)


def _cell_text(text: str) -> str:
    """One line per cell; a letter-spaced header ("工 作 项 目") is read as one word."""
    text = _WHITESPACE.sub(" ", text).strip()
    tokens = text.split(" ")
    return "".join(tokens) if len(tokens) > 1 and all(len(t) == 1 for t in tokens) else text


# --- HTML ------------------------------------------------------------------------------


def _load_html(data: bytes) -> tuple[str, str, str]:
    text, encoding = _decode_html(data)
    body, title = _parse_html(text)
    return body, encoding, title


def _parse_html(text: str) -> tuple[str, str]:
    """A decoded page's text (blocks and table rows as lines) and its title."""
    soup = BeautifulSoup(text, "html.parser")
    title = _html_title(soup)
    for table in soup.find_all("table"):  # outer tables first
        if _html_is_layout(table):
            _unwrap_layout(table)
    parts: list[str] = []
    _walk_html(soup, parts)
    return _HTML_BREAKS.sub(_resolve_html_break, "".join(parts)).strip(), title


def _html_title(soup: BeautifulSoup) -> str:
    """The <title>, or the title a script sets (`document.title="…"`) when there is none."""
    if soup.title and soup.title.get_text(strip=True):
        return _WHITESPACE.sub(" ", soup.title.get_text()).strip()
    for script in soup.find_all("script"):
        match = _SCRIPT_TITLE.search(script.get_text())
        if match:
            return match.group(1).strip()
    return ""


def _resolve_html_break(match: re.Match[str]) -> str:
    run = match.group()
    return _PARAGRAPH if _HTML_BLOCK_BREAK in run or run.count(_LINE) > 1 else _LINE


def _decode_html(data: bytes, declared_by_archive: str | None = None) -> tuple[str, str]:
    """Use the declared charset (a web archive's for its page, else the page's own `<meta
    charset>`) unless a BOM says otherwise or it is wrong."""
    declared = _charset(declared_by_archive) if declared_by_archive else _declared_charset(data)
    has_bom = data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if declared and not has_bom:
        try:
            return data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            pass  # unknown label or a page that lies about its encoding
    return decode_bytes(data)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    return _charset(match.group(1).decode("ascii"))


def _charset(label: str) -> str:
    label = label.lower()
    return _CHARSET_ALIASES.get(label, label)


def _walk_html(node: Tag, parts: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                parts.append(_inline_text(str(child)))
        elif isinstance(child, Tag):
            _emit_tag(child, parts)


def _emit_tag(tag: Tag, parts: list[str]) -> None:
    name = tag.name
    if name in _HTML_DROP:
        return
    if name == "br":
        parts.append(_LINE)
    elif name == "tr":
        parts.append(_HTML_ROW_BREAK + _html_row(tag) + _HTML_ROW_BREAK)
    elif name == "pre":
        parts.append(_HTML_BLOCK_BREAK + tag.get_text() + _HTML_BLOCK_BREAK)
    elif name in _HTML_BLOCKS:
        parts.append(_HTML_BLOCK_BREAK)
        _walk_html(tag, parts)
        parts.append(_HTML_BLOCK_BREAK)
    else:
        _walk_html(tag, parts)


def _own(table: Tag, names: list[str]) -> list[Tag]:
    """The `names` elements of `table` itself, not of tables nested in it."""
    return [el for el in table.find_all(names) if el.find_parent("table") is table]


def _html_is_layout(table: Tag) -> bool:
    """Portal pages put the whole page in tables: nested tables, a single column or a
    cell of running text mean layout; the content is then read as ordinary blocks."""
    if table.find("table") is not None:
        return True
    rows = _own(table, ["tr"])
    if all(len(row.find_all(["td", "th"], recursive=False)) <= 1 for row in rows):
        return True
    return any(len(cell.get_text(strip=True)) > _LAYOUT_CELL_CHARS for cell in _own(table, ["td", "th"]))


def _unwrap_layout(table: Tag) -> None:
    for element in _own(table, ["tr", "td", "th", "tbody", "thead", "tfoot", "caption"]):
        element.name = "div"
    table.name = "div"


def _html_row(row: Tag) -> str:
    cells = []
    for cell in row.find_all(["td", "th"], recursive=False):
        inner: list[str] = []
        _walk_html(cell, inner)
        # A table row stays one line: breaks inside a cell become spaces.
        cells.append(_cell_text(_HTML_BREAKS.sub(" ", "".join(inner))))
    return " | ".join(cells)


def _inline_text(text: str) -> str:
    # HTML whitespace is layout, not content: collapse it as a browser would.
    text = text.replace(_HTML_BLOCK_BREAK, "").replace(_HTML_ROW_BREAK, "")
    # A "|" typed in a page's text separates links of a menu ("RSS | 繁体 | 简体") or
    # words; only a <tr> makes a table row, so a typed one is kept apart from the cell
    # separator the rows are written with.
    text = text.replace("|", "｜")
    return _WHITESPACE.sub(" ", _CJK_SOURCE_BREAK.sub("", text))
