"""The text layer of a PDF: pages read by pypdf, printed page numbers dropped, a sentence
running over a page break joined, and the extraction's artefacts repaired. Scanned pages
(no text layer) are read by OCR instead (scans.py)."""

from __future__ import annotations

import io
import re

from pypdf import PasswordType, PdfReader

from assistant.documents.errors import DocumentError
from assistant.documents.text_repair import repair_pdf_text
from assistant.grammar.pages import bare_number, is_page_number
from assistant.grammar.sentences import ends_line

_MIN_PDF_TEXT_CHARS = 20
_WHITESPACE = re.compile(r"[\s\xa0]+")
_PARAGRAPH = "\n\n"
_LINE = "\n"
_PDF_ENCRYPTED = "PDF 文件已加密，无法读取，请提供未加密的版本。"
_PDF_CORRUPT = "PDF 文件已损坏或格式不正确，无法读取。"
_PDF_NO_TEXT = "该 PDF 没有文字层（可能是扫描件），需要先进行 OCR 文字识别后再上传。"


def load_pdf(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        _unlock(reader)
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many types for malformed files
        raise DocumentError(f"corrupt PDF: {exc!r}", _PDF_CORRUPT) from exc
    text = repair_pdf_text(join_pages(strip_page_numbers(pages)))
    if pages and len(_WHITESPACE.sub("", text)) < _MIN_PDF_TEXT_CHARS:
        raise DocumentError("PDF has no text layer", _PDF_NO_TEXT)
    return text


def strip_page_number(page: str) -> str:
    """Drop the printed page number ("- 3 -", "第1页 共2页") at a page's top or bottom."""
    lines = page.strip("\n").split("\n")
    while lines and (not lines[-1].strip() or is_page_number(lines[-1])):
        lines.pop()
    while lines and (not lines[0].strip() or is_page_number(lines[0])):
        lines.pop(0)
    return "\n".join(lines)


def strip_page_numbers(pages: list[str]) -> list[str]:
    """Each page without its printed page number. A bare number ("3") is one only where such
    numbers, on the same edge, count up with the pages on at least two of them."""
    pages = [strip_page_number(page) for page in pages]
    edges: dict[tuple[str, int], list[int]] = {}
    for index, page in enumerate(pages):
        lines = page.split("\n")
        for edge, line in (("top", lines[0]), ("bottom", lines[-1])):
            if (number := bare_number(line)) is not None and len(lines) > 1:
                edges.setdefault((edge, number - index), []).append(index)
    numbered = {
        (edge, index) for (edge, _), indexes in edges.items() if len(indexes) >= 2 for index in indexes
    }
    out: list[str] = []
    for index, page in enumerate(pages):
        lines = page.split("\n")
        if ("bottom", index) in numbered:
            lines.pop()
        if ("top", index) in numbered:
            lines.pop(0)
        out.append("\n".join(lines).strip("\n"))
    return out


def join_pages(pages: list[str]) -> str:
    """A sentence running over a page break continues on the next page: join it there
    (the line-wrap repair then decides); a page ending a sentence ends a paragraph."""
    out = ""
    for page in (p for p in pages if p.strip()):
        if out and not ends_line(out, brackets=True):
            out = out.rstrip() + _LINE + page.lstrip()
        else:
            out = (out + _PARAGRAPH if out else "") + page
    return out


def _unlock(reader: PdfReader) -> None:
    """Open PDFs that only have an owner password (empty user password)."""
    if not reader.is_encrypted:
        return
    try:
        unlocked = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception as exc:  # e.g. AES without the `cryptography` package
        raise DocumentError(f"PDF is encrypted: {exc!r}", _PDF_ENCRYPTED) from exc
    if not unlocked:
        raise DocumentError("PDF is encrypted", _PDF_ENCRYPTED)
