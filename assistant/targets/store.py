"""The targets table of the active index (cached per collection), or of the knowledge
folder through the document pipeline when no index is ready."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from assistant.targets.extract import extract_targets
from assistant.targets.model import Target

_CACHE: dict[str, list[Target]] = {}


def _pipeline_chunks(knowledge_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    from assistant.documents.errors import DocumentError
    from assistant.documents.manifest import read_manifest
    from assistant.documents.pipeline import prepare_document

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


Pages = Iterable[tuple[list[str], list[str], list[dict[str, Any]]]]


def load_targets(
    settings: Settings, collection: str | None = None, pages: Callable[[], Pages] | None = None
) -> list[Target]:
    """The table over the active index if it is ready (cached by collection name), else over
    the knowledge folder through the document pipeline. A caller that knows the collection
    (a search snapshot) passes its name and a reader of its chunks: no index lookup then."""
    if collection and collection in _CACHE:
        return _CACHE[collection]
    if collection and pages is not None:
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        for _, page_texts, page_metas in pages():
            texts.extend(page_texts)
            metas.extend(page_metas)
        if texts:
            order = sorted(range(len(texts)), key=lambda i: (metas[i]["doc_id"], metas[i]["position"]))
            _CACHE[collection] = extract_targets([(texts[i], metas[i]) for i in order])
            return _CACHE[collection]
    pairs: list[tuple[str, dict[str, Any]]] | None = None
    key = ""
    try:
        from assistant.index import KnowledgeIndex

        index = KnowledgeIndex(settings)
        name = index.active_name()
        if name and name in _CACHE:
            return _CACHE[name]
        if name and index.is_ready():
            _, texts, metas = index.all_chunks()
            order = sorted(range(len(texts)), key=lambda i: (metas[i]["doc_id"], metas[i]["position"]))
            pairs = [(texts[i], metas[i]) for i in order]
            key = name
    except Exception:  # no index yet, or the server is down: read the files instead
        pairs = None
    if pairs is None:
        key = _knowledge_key(settings.knowledge_dir)
        if key in _CACHE:
            return _CACHE[key]
        pairs = _pipeline_chunks(settings.knowledge_dir)
    _CACHE[key] = extract_targets(pairs)
    return _CACHE[key]
