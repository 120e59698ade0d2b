"""The targets table of the active index (cached per collection), or of the knowledge
folder through the document pipeline when no index is ready."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assistant.documents.errors import DocumentError
from assistant.documents.manifest import read_manifest
from assistant.documents.pipeline import prepare_document
from assistant.settings import Settings
from assistant.targets.extract import extract_targets
from assistant.targets.model import Target

log = logging.getLogger(__name__)

_CACHE: dict[str, list[Target]] = {}


def _pipeline_chunks(knowledge_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    pairs: list[tuple[str, dict[str, Any]]] = []
    for meta in read_manifest(knowledge_dir):
        try:
            chunks = prepare_document(meta).chunks
        except DocumentError:
            continue
        pairs.extend((c.text, c.metadata()) for c in chunks)
    return pairs


def _knowledge_key(knowledge_dir: Path) -> str:
    stamps = sorted(
        f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in knowledge_dir.iterdir() if p.is_file()
    )
    return f"pipeline:{knowledge_dir.resolve()}:{hash(tuple(stamps))}"


TARGETS_FILE = "targets.json"


def _extraction_fingerprint() -> str:
    """Changes with the extraction code or its vocabulary: a table saved by another version
    of them is made again."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *package.glob("data/*")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


TARGETS_FORMAT = _extraction_fingerprint()


def _read_saved(path: Path) -> list[Target] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != TARGETS_FORMAT:
            return None
        return [Target(**row) for row in data["rows"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _save(path: Path, rows: list[Target]) -> None:
    """Write atomically (another process may read it at the same moment); a read-only data
    dir only costs the next process the extraction."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        body = {"format": TARGETS_FORMAT, "rows": [r.to_json() for r in rows]}
        partial.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        log.warning("cannot save the targets table in %s: %s", path, exc)


Pages = Iterable[tuple[list[str], list[str], list[dict[str, Any]]]]


def load_targets(
    settings: Settings,
    collection: str | None = None,
    pages: Callable[[], Pages] | None = None,
    index: Any = None,
) -> list[Target]:
    """The table over a collection (cached by its name in memory and saved beside it), else
    over the knowledge folder through the document pipeline. A caller that knows the
    collection (a search snapshot) passes its name and a reader of its chunks; otherwise the
    active collection of `index` (a KnowledgeIndex the caller opened) is used, when it is
    ready."""
    if collection and pages is not None:
        table = _collection_table(settings, collection, pages)
        if table is not None:
            return table
    elif index is not None:
        try:
            name = index.active_name() if index.is_ready() else None
            table = _collection_table(settings, name, lambda: [index.all_chunks()]) if name else None
            if table is not None:
                return table
        except Exception:  # no index yet, or the server is down: read the files instead
            pass
    key = _knowledge_key(settings.knowledge_dir)
    if key not in _CACHE:
        _CACHE[key] = extract_targets(_pipeline_chunks(settings.knowledge_dir))
    return _CACHE[key]


def _collection_table(settings: Settings, collection: str, pages: Callable[[], Pages]) -> list[Target] | None:
    """The table of one collection: from memory, from its saved file, or extracted from its
    chunks in document order (then saved); None when it has no chunks."""
    if collection in _CACHE:
        return _CACHE[collection]
    saved_file = settings.derived_dir(collection) / TARGETS_FILE
    table = _read_saved(saved_file)
    if table is None:
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        for _, page_texts, page_metas in pages():
            for text, meta in zip(page_texts, page_metas, strict=True):
                if meta.get("kind") != "row":  # table rows have their own lookup
                    texts.append(text)
                    metas.append(meta)
        if not texts:
            return None
        order = sorted(range(len(texts)), key=lambda i: (metas[i]["doc_id"], metas[i]["position"]))
        table = extract_targets([(texts[i], metas[i]) for i in order])
        _save(saved_file, table)
    _CACHE[collection] = table
    return table
