"""A document's path: load → clean → structure → chunk."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import TypeVar

from assistant.documents.chunking import Chunk, chunk_sections
from assistant.documents.cleaning import clean_web_text
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_document
from assistant.documents.manifest import DocumentMeta
from assistant.documents.structure import parse_sections

log = logging.getLogger(__name__)
T = TypeVar("T")

# Bump when loading, cleaning, structure or chunking changes, so re-ingest redoes every
# document even though no file changed.
PIPELINE_VERSION = "4"


@dataclass(frozen=True)
class PreparedDocument:
    meta: DocumentMeta
    chunks: list[Chunk]


def content_hash(meta: DocumentMeta, embedder_name: str) -> str:
    """What decides whether a document must be re-indexed."""
    digest = hashlib.sha256()
    digest.update(meta.path.read_bytes())
    fields = {k: str(v) for k, v in asdict(meta).items() if k != "path"}
    digest.update(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
    digest.update(f"|{PIPELINE_VERSION}|{embedder_name}".encode())
    return digest.hexdigest()


def _title_from_text(text: str, fallback: str) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if 4 <= len(line) <= 60:
            return line
    return fallback


# Each stage of a document's path, as named in logs (English) and to users (Chinese).
STAGES = {
    "load": ("loading", "读取"),
    "clean": ("cleaning", "清理"),
    "structure": ("structure parsing", "解析结构"),
    "chunk": ("chunking", "分段"),
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


def prepare_document(meta: DocumentMeta) -> PreparedDocument:
    """Load, clean and chunk one document. Raises DocumentError, and only DocumentError,
    when the file cannot be used."""
    loaded = _stage("load", meta, lambda: load_document(meta.path))
    text = _stage("clean", meta, lambda: clean_web_text(loaded.text))
    if meta.title == meta.path.stem:  # no manifest entry: name it by its first line
        title = _title_from_text(text, meta.title)
        meta = replace(meta, title=title, short_title=title)
    sections = _stage("structure", meta, lambda: parse_sections(text, title=meta.title))
    chunks = _stage("chunk", meta, lambda: chunk_sections(meta, sections))
    if not chunks:
        raise DocumentError(
            f"{meta.path.name}: no text left after cleaning",
            f"文件《{meta.path.name}》清理后没有可用的正文内容。",
        )
    return PreparedDocument(meta=meta, chunks=chunks)
