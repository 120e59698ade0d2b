"""The row index of a collection: in memory, from its saved file beside the collection
(`<data>/derived/<collection>/rows.jsonl`), or rebuilt from the collection's row chunks.
Collections never change once active, so the index of one is valid for its lifetime and
survives restarts; a switch to a new collection opens (or builds) the new one's."""

from __future__ import annotations

import gc
import logging
import threading
import time
from typing import Any

from assistant.settings import Settings
from assistant.tables.lookup import ROWS_FILE, RowIndex
from assistant.tables.model import ROW_KIND, record_from_metadata

log = logging.getLogger(__name__)

READ_PAGE = 5000
KEPT = 2  # the active collection's index and the previous one's
_CACHE: dict[str, RowIndex] = {}
_LOCK = threading.Lock()


def build_row_index(collection: Any) -> RowIndex:
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    offset = 0
    while True:
        got = collection.get(where={"kind": ROW_KIND}, include=["metadatas"], limit=READ_PAGE, offset=offset)
        ids.extend(got["ids"])
        metas.extend(dict(m) for m in got["metadatas"] or [])
        if len(got["ids"]) < READ_PAGE:
            break
        offset += READ_PAGE
    return RowIndex([record_from_metadata(m) for m in metas], ids, metas)


def save_row_index(settings: Settings, collection: Any) -> RowIndex:
    """Build and save the row index of a new collection (before it becomes active)."""
    index = build_row_index(collection)
    index.save(settings.derived_dir(collection.name) / ROWS_FILE)
    with _LOCK:
        _CACHE[collection.name] = index
    return index


def row_index(settings: Settings, name: str | None, collection: Any) -> RowIndex | None:
    if not name or collection is None:
        return None
    cached = _CACHE.get(name)
    if cached is not None:
        return cached
    with _LOCK:
        if name in _CACHE:
            return _CACHE[name]
        path = settings.derived_dir(name) / ROWS_FILE
        index = RowIndex.load(path)
        if index is None:
            started = time.perf_counter()
            index = build_row_index(collection)
            try:
                index.save(path)
            except OSError as exc:  # a read-only data dir: serve from memory
                log.warning("cannot save the row index in %s: %s", path, exc)
            log.info(
                "row index of %s (%d rows) built in %.1f s", name, len(index), time.perf_counter() - started
            )
        # A large row index is millions of long-lived objects: out of the garbage collector's
        # full passes, which would otherwise stall questions (p95) for tens of milliseconds.
        gc.freeze()
        for old in list(_CACHE)[: max(0, len(_CACHE) - KEPT + 1)]:
            del _CACHE[old]
        _CACHE[name] = index
        return index
