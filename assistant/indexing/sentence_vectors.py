"""Sentence vectors: every sentence of every chunk, embedded by the same model as the chunks,
so an answer can be taken from the sentence closest in meaning to the question.

Stored beside the keyword index of the collection they were computed from
(`<data dir>/derived/<collection>/sentences/`: a float16 matrix and a JSON list of
(chunk id, sentence) rows), written before the collection becomes active and dropped with
it, so the sentence vectors switch with the chunks. A matrix beside the keyword index
rather than a second Chroma collection: the vectors are only ever read by chunk id for
the candidates of one question (an exact dot product over a few dozen rows), which a
memory-mapped array does in microseconds and Chroma in milliseconds, and it needs no
second collection to keep in step with the first. An incremental ingest reuses the
previous collection's vectors of unchanged (chunk id, sentence) pairs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.grammar.sentences import split_sentences
from assistant.indexing.publish import publish_directory

log = logging.getLogger(__name__)

FORMAT = 1
_ROWS = "rows.json"
_VECTORS = "vectors.npy"
EMBED_BATCH = 256

Embed = Callable[[list[str]], Any]


def sentence_dir(derived: Path) -> Path:
    return derived / "sentences"


class SentenceVectors:
    """The sentence vectors of one collection (empty when it has none)."""

    def __init__(
        self, rows: list[tuple[str, str]], texts: list[str], vectors: np.ndarray, model: str = ""
    ) -> None:
        self.rows = rows  # (chunk id, sentence)
        self.texts = texts  # what was embedded for each row
        self.vectors = vectors
        self.model = model
        self._at: dict[tuple[str, str], int] = {row: i for i, row in enumerate(rows)}

    def __len__(self) -> int:
        return len(self.rows)

    def similarities(self, chunk_id: str, sentences: list[str], query: np.ndarray) -> list[float | None]:
        """Cosine similarity of each sentence of a chunk to the query (None: not stored)."""
        at = [self._at.get((chunk_id, s)) for s in sentences]
        known = [i for i in at if i is not None]
        if not known:
            return [None] * len(sentences)
        scores = np.asarray(self.vectors[known], dtype=np.float32) @ np.asarray(query, dtype=np.float32)
        by_row = dict(zip(known, scores.tolist(), strict=True))
        return [by_row[i] if i is not None else None for i in at]

    def prepare(self, passages: list[list[str]]) -> None:
        """Nothing to do: every vector is stored (vectors still being made embed here)."""

    def save(self, directory: Path) -> None:
        """Atomically: written in a sibling folder, then renamed."""

        def write(staging: Path) -> None:
            staging.mkdir(parents=True)
            np.save(staging / _VECTORS, self.vectors.astype(np.float16))
            meta = {"format": FORMAT, "model": self.model, "rows": self.rows, "texts": self.texts}
            (staging / _ROWS).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

        publish_directory(directory, write)

    @classmethod
    def load(cls, directory: Path) -> SentenceVectors | None:
        try:
            meta = json.loads((directory / _ROWS).read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                return None
            vectors = np.load(directory / _VECTORS, mmap_mode="r")
        except (OSError, ValueError):
            return None
        rows = [(str(c), str(s)) for c, s in meta["rows"]]
        return cls(rows, list(meta["texts"]), vectors, str(meta.get("model", "")))


EMPTY = SentenceVectors([], [], np.zeros((0, 0), dtype=np.float16))


def chunk_sentences(text: str) -> list[str]:
    """The sentences of a chunk that get vectors: its distinct sentences when it has two or
    more (a one-sentence chunk's vector stands for its sentence)."""
    sentences = list(dict.fromkeys(split_sentences(text)))
    return sentences if len(sentences) > 1 else []


def build_sentence_vectors(
    chunks: Iterable[tuple[str, str, dict[str, Any]]],
    embed: Embed,
    model: str,
    previous: Iterable[SentenceVectors] = (),
    planned: Callable[[int], None] | None = None,
) -> SentenceVectors:
    """Vectors for the sentences of `chunks` (id, text, metadata) that hold two or more; a
    text that `previous` sets (of the same model) already embedded is not embedded again.
    `planned` is told how many sentences will be embedded, before the first is.

    The sentence alone is embedded, without its heading: the heading is the chunk vector's
    part, and leaving it out, like leaving out chunks of one sentence (whose chunk vector
    stands for it), keeps a full ingest within 1.5 times the chunks-only one (docs/answers.md)."""
    rows: list[tuple[str, str]] = []
    for cid, text, _meta in chunks:
        rows.extend((cid, sentence) for sentence in chunk_sentences(text))
    texts = [sentence for _, sentence in rows]
    if not rows:
        return EMPTY
    old: dict[str, np.ndarray] = {}
    for done in previous:
        if done.model == model and len(done):
            old.update((t, done.vectors[i]) for i, t in enumerate(done.texts) if t not in old)
    todo = [i for i, text in enumerate(texts) if text not in old]
    vectors: np.ndarray | None = None
    if len(todo) < len(rows):
        width = len(next(iter(old.values())))
        vectors = np.zeros((len(rows), width), dtype=np.float32)
        for i, text in enumerate(texts):
            if text in old:
                vectors[i] = old[text]
    # A sentence repeated in several chunks is embedded once; the embedder sorts and
    # batches by length.
    unique = sorted(dict.fromkeys(texts[i] for i in todo), key=len)
    if planned is not None:
        planned(len(unique))
    for start in range(0, len(unique), EMBED_BATCH):
        part = unique[start : start + EMBED_BATCH]
        got = np.asarray(embed(part), dtype=np.float32)
        if vectors is None:
            vectors = np.zeros((len(rows), got.shape[1]), dtype=np.float32)
        at = dict(zip(part, got, strict=True))
        for i in todo:
            if texts[i] in at:
                vectors[i] = at[texts[i]]
    assert vectors is not None
    log.info("sentence vectors: %d sentences, %d embedded", len(rows), len(todo))
    return SentenceVectors(rows, texts, vectors, model)
