"""What a loader gives the document path: the text of a file, its format and, for scans,
the pages read by OCR. Apart from the loaders so the scan reader can return it too."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.documents.ocr import ScanInfo


@dataclass(frozen=True)
class LoadedText:
    text: str  # normalize_width applied, \n line breaks, paragraphs separated by blank lines
    format: str  # "txt" | "md" | "html" | "pdf" | "docx" | "doc" | "rtf" | "sheet" | "image"
    encoding: str | None
    title: str = ""  # an HTML page's <title> (or the title its script sets), for metadata
    scan: ScanInfo | None = None  # the pages read by OCR, when any were
    # The extension of a page saved from a browser under a document's name (".pdf" for a
    # file viewer's page saved as the file): its text must still hold the document's.
    saved_as: str = ""


def tidy(text: str) -> str:
    """Strip trailing spaces and collapse runs of blank lines to one."""
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
