"""A document's path: load → clean → structure → chunk."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from assistant.documents.chunking import Chunk, chunk_sections
from assistant.documents.cleaning import clean_web_text, is_paragraph, repeated_lines
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import PAGE_SUFFIXES, LoadedText, load_bytes, load_document
from assistant.documents.manifest import DocumentMeta
from assistant.documents.metadata import detect_metadata, is_furniture, is_garbled
from assistant.documents.metadata.common import CJK
from assistant.documents.metadata.validity import status
from assistant.documents.ocr import IMAGE_SUFFIXES, index_key, mark_scan_pages
from assistant.documents.structure import parse_sections
from assistant.documents.table_rows import row_chunks
from assistant.grammar.outline import is_annex_label, starts_numbered
from assistant.grammar.table_rows import CELL

log = logging.getLogger(__name__)
T = TypeVar("T")

# Bump when loading, cleaning, structure or chunking changes, so re-ingest redoes every
# document even though no file changed.
PIPELINE_VERSION = "24"


@dataclass(frozen=True)
class PreparedDocument:
    meta: DocumentMeta
    chunks: list[Chunk]
    rows: list[Chunk] = field(default_factory=list)  # table rows as records (assistant/tables)
    notes: str = ""  # pages of a scan that could not be read, in Chinese


def content_hash(meta: DocumentMeta, embedder_name: str) -> str:
    """What decides whether a document must be re-indexed (its bytes, its metadata, and
    the navigation its site's other pages share, which cleaning removes)."""
    digest = hashlib.sha256()
    digest.update(meta.path.read_bytes())
    digest.update("\n".join(sorted(site_boilerplate(meta.path))).encode())
    # Fields added later count only when set, so existing documents keep their hashes.
    fields = {k: str(v) for k, v in asdict(meta).items() if k != "path" and (v or k not in _LATER_FIELDS)}
    digest.update(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
    digest.update(f"|{PIPELINE_VERSION}|{embedder_name}".encode())
    if meta.path.suffix.lower() in (".pdf", *IMAGE_SUFFIXES):  # a scan's text is OCR's
        digest.update(f"|ocr {index_key()}".encode())
    return digest.hexdigest()


# A file name with this many Chinese characters is the title its bureau gave the file.
_NAMED_FILE_MIN = 6
_LATER_FIELDS = ("url", "fetched", "superseded_by")
_HOST = re.compile(rb"""(?:href|src|action)\s*=\s*["']?https?://([A-Za-z0-9.-]+)""", re.I)


def site_of(data: bytes) -> str:
    """The host most of a saved page's absolute links point to: the site it came from."""
    hosts = Counter(m.group(1).lower().removeprefix(b"www.") for m in _HOST.finditer(data))
    return hosts.most_common(1)[0][0].decode("ascii", "replace") if hosts else ""


def site_boilerplate(path: Path) -> frozenset[str]:
    """Navigation lines that other saved pages of the same site in the same folder share."""
    try:
        folder = path.parent
        pages = tuple(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES
        )
        if path.suffix.lower() not in PAGE_SUFFIXES or len(pages) < 2:
            return frozenset()
        return _folder_boilerplate(str(folder), pages).get(path.name, frozenset())
    except OSError:
        return frozenset()


@lru_cache(maxsize=8)
def _folder_boilerplate(folder: str, pages: tuple[tuple[str, int, int], ...]) -> dict[str, frozenset[str]]:
    """Per page: the lines repeated across the folder's pages of its site (cached per
    folder state, so an ingest reads each page once)."""
    by_site: dict[str, dict[str, str]] = {}
    for name, _mtime, _size in pages:
        try:
            data = (Path(folder) / name).read_bytes()
            site = site_of(data)
            if site:
                by_site.setdefault(site, {})[name] = load_bytes(data, name).text
        except (OSError, DocumentError):
            continue  # an unreadable page is reported by its own ingest, not here
    out: dict[str, frozenset[str]] = {}
    for texts in by_site.values():
        if len(texts) >= 2:
            shared = repeated_lines(list(texts.values()))
            out.update(dict.fromkeys(texts, shared))
    return out


def _title_from_text(text: str, fallback: str) -> str:
    """When no line is shaped like a title: a file name in Chinese words (a bureau names its
    files by their titles), else the first plausible line that is no numbered heading and
    no table row (a header's cells name columns, not the document)."""
    if len(CJK.findall(fallback)) >= _NAMED_FILE_MIN:
        return fallback
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if not 4 <= len(line) <= 60 or is_furniture(line) or is_garbled(line) or f" {CELL} " in line:
            continue
        if not starts_numbered(line) and not is_annex_label(line):
            return line
    return fallback


def with_detected_metadata(
    meta: DocumentMeta, loaded: LoadedText, text: str, today: dt.date | None = None
) -> DocumentMeta:
    """Fill what a file without a manifest entry says about itself (title, issuer, date,
    文号, validity, status). A manifest entry is never overridden."""
    if meta.in_manifest:
        return meta
    found = detect_metadata(loaded.text, html_title=loaded.title, today=today)
    title = found.title or _title_from_text(text, meta.title)
    issuer, date = found.issuer or meta.issuer, found.date or meta.date
    state, reason = found.status, found.status_reason
    if not found.title:
        # Titled by its file name ("二七区2015年小学招生详细说明"): the year there dates it.
        state, reason = status(title, issuer, date, found.valid_until, today or dt.date.today())
    log.info("%s: detected %s", meta.path.name, ", ".join(found.detected) or "nothing")
    # A document another one replaced (assistant/sync/supersede.py) stays historical.
    superseded = bool(meta.superseded_by)
    return replace(
        meta,
        title=title,
        short_title=title,
        issuer=issuer,
        date=date,
        status="historical" if superseded else state,
        doc_number=found.doc_number,
        valid_until=found.valid_until,
        status_reason=meta.status_reason if superseded else reason,
        detected=",".join(found.detected),
    )


# Each stage of a document's path, as named in logs (English) and to users (Chinese).
STAGES = {
    "load": ("loading", "读取"),
    "clean": ("cleaning", "清理"),
    "metadata": ("metadata detection", "识别标题和日期"),
    "structure": ("structure parsing", "解析结构"),
    "chunk": ("chunking", "分段"),
    "tables": ("reading table rows", "读取表格行"),
}


def _stage(stage: str, meta: DocumentMeta, step: Callable[[], T]) -> T:
    """Run one stage; an unexpected exception becomes this file's DocumentError, so one
    odd file is reported as such and never stops the ingest of the others."""
    try:
        return step()
    except DocumentError:
        raise
    except Exception as exc:
        english, chinese = STAGES[stage]
        log.exception("%s: unexpected error while %s", meta.path.name, english)
        raise DocumentError(
            f"{meta.path.name}: {english} failed: {exc!r}",
            f"文件《{meta.path.name}》{chinese}时出错（{type(exc).__name__}），未能收录；其他文件不受影响。",
        ) from exc


def prepare_document(meta: DocumentMeta, today: dt.date | None = None) -> PreparedDocument:
    """Load, clean and chunk one document. Raises DocumentError, and only DocumentError,
    when the file cannot be used. `today` (default: the real today) decides which detected
    validity periods are over."""
    loaded = _stage("load", meta, lambda: load_document(meta.path))
    boilerplate = site_boilerplate(meta.path)
    text = _stage("clean", meta, lambda: clean_web_text(loaded.text, meta.path.name, boilerplate))
    if loaded.saved_as and not any(is_paragraph(line) and CJK.search(line) for line in text.splitlines()):
        # A file viewer's page saved under the file's name: the file itself is not in it.
        raise DocumentError(
            f"{meta.path.name}: a web page saved as {loaded.saved_as} without the document's text"
            " (a file viewer's page?)",
            f"文件《{meta.path.name}》其实是一个网页（扩展名 {loaded.saved_as}），其中没有文件正文，"
            "可能是网站上文件预览页面的保存件；请下载原始文件后重新上传。",
        )
    meta = _stage("metadata", meta, lambda: with_detected_metadata(meta, loaded, text, today))
    sections = _stage("structure", meta, lambda: parse_sections(text, title=meta.title))
    chunks = _stage("chunk", meta, lambda: chunk_sections(meta, sections))
    if not chunks:
        raise DocumentError(
            f"{meta.path.name}: no text left after cleaning",
            f"文件《{meta.path.name}》清理后没有可用的正文内容。",
        )
    rows = _stage("tables", meta, lambda: row_chunks(meta, page=bool(loaded.saved_as)))
    if loaded.scan is not None:  # passages read by OCR name their pages
        chunks = mark_scan_pages(chunks, loaded.scan)
        notes = "；".join(reason for _, reason in loaded.scan.skipped)
        return PreparedDocument(meta=meta, chunks=chunks, rows=rows, notes=notes)
    return PreparedDocument(meta=meta, chunks=chunks, rows=rows)
