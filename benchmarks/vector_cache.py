"""Document vectors kept between benchmark runs (embedding is the slowest step on two
cores): an SQLite file keyed by model name and the sha1 of the embedded text."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.embeddings import Embedder

DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "luohu-bench-cache"


def _key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x00{text}".encode()).hexdigest()


class VectorCache:
    def __init__(self, folder: Path, model: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "vectors.sqlite"
        self.model = model
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")

    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        """text -> vector for the texts that are cached."""
        keys = {_key(self.model, t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        items = list(keys)
        for start in range(0, len(items), 500):
            part = items[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part)
            for key, blob in rows:
                found[keys[key]] = np.frombuffer(blob, dtype=np.float32).copy()
        return found

    def put_many(self, texts: list[str], vectors: np.ndarray) -> None:
        rows = [
            (_key(self.model, t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def embed_cached(
    cache: VectorCache,
    embedder: Embedder,
    texts: list[str],
    batch: int = 16,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Vectors of `texts` in order; only the missing ones are embedded (shortest first, so a
    batch wastes little padding) and stored as soon as each batch is done."""
    have = cache.get_many(texts)
    missing = sorted({t for t in texts if t not in have}, key=len)
    for start in range(0, len(missing), batch):
        part = missing[start : start + batch]
        vectors = embedder.embed_documents(part)
        cache.put_many(part, vectors)
        have.update(zip(part, vectors, strict=True))
        if progress:
            progress(min(start + batch, len(missing)), len(missing))
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([have[t] for t in texts]).astype(np.float32)


class CachedEmbedder:
    """An `Embedder` whose document vectors come from the cache when present. Queries are
    always embedded for real (their time is what is measured)."""

    def __init__(self, embedder: Embedder, cache: VectorCache) -> None:
        self._embedder = embedder
        self._cache = cache
        self.name = embedder.name
        self.dim = embedder.dim

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return embed_cached(self._cache, self._embedder, texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embedder.embed_query(text)


def filler_vectors(count: int, dim: int, seed: int) -> np.ndarray:
    """Random unit vectors (float32), reproducible from the seed."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors
