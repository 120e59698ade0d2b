"""A document's path: load → clean → structure → chunk."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace

from assistant.documents.chunking import Chunk, chunk_sections
from assistant.documents.cleaning import clean_web_text
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_document
from assistant.documents.manifest import DocumentMeta
from assistant.documents.structure import parse_sections

# Bump when loading, cleaning, structure or chunking changes, so re-ingest redoes every
# document even though no file changed.
PIPELINE_VERSION = "3"


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


def prepare_document(meta: DocumentMeta) -> PreparedDocument:
    """Load, clean and chunk one document. Raises DocumentError for unusable files."""
    loaded = load_document(meta.path)
    text = clean_web_text(loaded.text)
    if meta.title == meta.path.stem:  # no manifest entry: name it by its first line
        title = _title_from_text(text, meta.title)
        meta = replace(meta, title=title, short_title=title)
    sections = parse_sections(text, title=meta.title)
    chunks = chunk_sections(meta, sections)
    if not chunks:
        raise DocumentError(
            f"{meta.path.name}: no text left after cleaning",
            f"文件《{meta.path.name}》清理后没有可用的正文内容。",
        )
    return PreparedDocument(meta=meta, chunks=chunks)
