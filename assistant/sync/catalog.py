"""Every document the index holds: the knowledge folder's and the synced ones, with the
documents a newer one replaced marked historical (reason and link in their metadata).

Supersession is derived from the documents present at each ingest (never stored apart
from them), so removing the newer document restores the older one's own status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_document
from assistant.documents.manifest import DocumentMeta, read_manifest
from assistant.documents.metadata import detect_metadata
from assistant.documents.scans import ocr_settings
from assistant.settings import Settings
from assistant.sync.supersede import DocInfo, Supersession, from_claims, from_versions, is_revised

log = logging.getLogger(__name__)


@lru_cache(maxsize=512)
def _read(path: str, size: int, mtime_ns: int) -> tuple[str, str, str, str, str, str]:
    """(text, title, issuer, date, 文号, html title) of one file, cached per file state."""
    loaded = load_document(Path(path))
    found = detect_metadata(loaded.text, html_title=loaded.title)
    return loaded.text, found.title, found.issuer, found.date, found.doc_number, loaded.title


def _text_and_info(meta: DocumentMeta) -> tuple[str, DocInfo] | None:
    try:
        stat = meta.path.stat()
        text, title, issuer, date, number, _ = _read(str(meta.path), stat.st_size, stat.st_mtime_ns)
    except (OSError, DocumentError) as exc:
        log.info("supersession check skips %s: %s", meta.path.name, exc)
        return None
    if meta.in_manifest:  # the manifest's values win, as they do at ingest
        title, issuer, date, number = meta.title, meta.issuer, meta.date, meta.doc_number
    info = DocInfo(
        doc_id=meta.doc_id,
        title=title,
        issuer=issuer,
        date=date,
        doc_number=number,
        url=meta.url,
        revised=is_revised(text),
    )
    return text, info


def supersessions(metas: list[DocumentMeta]) -> list[Supersession]:
    """Which documents of `metas` a newer one among them replaces."""
    read = [(m, got) for m in metas if (got := _text_and_info(m)) is not None]
    infos = [info for _m, (_text, info) in read]
    found: list[Supersession] = []
    for _meta, (text, info) in read:
        found.extend(from_claims(info, text, infos))
    found.extend(from_versions(infos))
    return found


def synced_metas(settings: Settings) -> list[DocumentMeta]:
    """The synced documents of the manifest a run wrote; a file without an entry was left
    by a run that was killed before it wrote the manifest, and waits for the next run."""
    folder = settings.synced_dir
    return [m for m in read_manifest(folder) if m.in_manifest] if folder.is_dir() else []


def index_metas(settings: Settings) -> list[DocumentMeta]:
    """What an ingest indexes: knowledge folder + synced documents, supersession applied."""
    metas = read_manifest(settings.knowledge_dir) + synced_metas(settings)
    return apply(metas, supersessions(metas))


def apply(metas: list[DocumentMeta], found: list[Supersession]) -> list[DocumentMeta]:
    by_id = {m.doc_id: m for m in metas}
    marks: dict[str, Supersession] = {}
    for s in found:
        current = marks.get(s.old)
        newer = by_id[s.new].date if s.new in by_id else ""
        # Several replacements: the text that names the document wins over a version match,
        # then the newest document.
        if current is None or (s.evidence != "版本", newer) > (
            current.evidence != "版本",
            by_id[current.new].date if current.new in by_id else "",
        ):
            marks[s.old] = s
    out: list[DocumentMeta] = []
    for meta in metas:
        mark = marks.get(meta.doc_id)
        if mark is None or mark.new not in by_id:
            out.append(meta)
            continue
        new = by_id[mark.new]
        out.append(
            replace(meta, status="historical", status_reason=mark.reason, superseded_by=new.url or new.doc_id)
        )
    return out


def knowledge_metas(
    settings: Settings, progress: Callable[[float, str], None] | None = None
) -> list[DocumentMeta]:
    """The knowledge folder's documents and those synced from websites, with the
    documents a newer one replaced marked historical.

    Supersession reads every document's text, so a scan's pages are read by OCR here,
    into the cache the document's own preparation then reads them from."""
    with ocr_settings(settings, progress):
        return index_metas(settings)
