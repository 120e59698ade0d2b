"""The ingest layout of this CPU: measured once per backend and core count, stored beside
the backend choice (`ingest-layout.json` in the model cache, keyed like the choice by
CPU and runtime versions), read back at every load."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.backends.batching import Layout, candidates, default_layout, measure_layout
from assistant.backends.cpu import cpu_info
from assistant.backends.probe import probe_texts

log = logging.getLogger(__name__)

LAYOUT_FILE = "ingest-layout.json"
PROBE_GROUP = 4  # probe passages joined to make chunk-length texts as well as sentences


def probe_ids(embedder: Any) -> list[list[int]]:
    """Token ids of the probe passages alone and joined by fours: the short and long
    texts an ingest sees (sentences, chunks)."""
    _, passages = probe_texts()
    joined = ["".join(passages[i : i + PROBE_GROUP]) for i in range(0, len(passages), PROBE_GROUP)]
    return list(embedder.tokenize_documents(passages + joined)["input_ids"])


def quantised(backend: str) -> bool:
    return backend.endswith("int8")


def measure(embedder: Any, say: Callable[[str], None] = lambda _m: None, int8: bool = False) -> Layout:
    """Time the candidate layouts of `embedder` (an OnnxEmbedder) on the probe passages."""
    ids = probe_ids(embedder)
    tokens = sum(len(row) for row in ids)
    cores = embedder.layout.cores or embedder._threads

    def run(threads: int, streams: int, batch_tokens: int) -> float:
        layout = Layout(threads, streams, batch_tokens, cores=cores)
        embedder.embed_ids(ids[:2], layout)  # a new session's first run allocates
        started = time.perf_counter()
        embedder.embed_ids(ids, layout)
        return time.perf_counter() - started

    return measure_layout(run, tokens, cores, say=say, quantised=int8)


def _read(cache_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((cache_dir / LAYOUT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def recorded(cache_dir: Path, backend: str, cores: int) -> Layout | None:
    """The layout stored for `backend` with `cores` cores on this CPU, if any."""
    data = _read(cache_dir).get(cpu_info().key, {}).get(backend)
    try:
        layout = Layout.from_json(data) if data else None
    except TypeError:  # written by another version: measure again
        return None
    if layout is None or layout.cores != cores:
        return None
    shape = (layout.threads, layout.streams, layout.batch_tokens)
    return layout if shape in candidates(cores, quantised(backend)) else None  # else: an older rule


def record(cache_dir: Path, backend: str, layout: Layout) -> None:
    """Store `layout` beside the backend choice, under this CPU's key (CPU model, flags,
    cores and runtime versions, as the choice)."""
    data = _read(cache_dir)
    data.setdefault(cpu_info().key, {})[backend] = layout.to_json()
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f"{LAYOUT_FILE}.{os.getpid()}.part"
    partial.write_text(json.dumps(data, indent=2), encoding="utf-8")
    partial.replace(cache_dir / LAYOUT_FILE)


def apply(
    cache_dir: Path, backend: str, embedder: Any, say: Callable[[str], None] = lambda _m: None
) -> Layout:
    """Give `embedder` its recorded layout, measuring (and recording) it first if none is."""
    cores = embedder._threads
    layout = recorded(cache_dir, backend, cores)
    if layout is None:
        log.info("measuring the ingest layout of %s on this CPU (seconds)", backend)
        say(f"测量 {backend} 的收录批量与线程布局 …")
        embedder.layout = default_layout(cores)
        layout = measure(embedder, say, int8=quantised(backend))
        record(cache_dir, backend, layout)
        log.info("ingest layout of %s: %s", backend, layout)
    embedder.layout = layout
    return layout
