"""Sentence vectors of a collection that has none saved yet, served while they are made.

The first start of the app indexes the documents and serves as soon as the chunks are in:
embedding every sentence on its own costs about as long again as the chunks (the shipped
folder: 49 s on two AVX2 cores). A background thread then embeds them all, as the ingest
would have, saves them beside the collection and hands them over. Until it ends, a
question's passages have their sentences embedded when first asked about (a few dozen
sentences, once), so every answer ranks sentences by the same vectors from the first
question on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from assistant.indexing.sentence_vectors import Embed, SentenceVectors, build_sentence_vectors

log = logging.getLogger(__name__)

# Sentences per background call of the embedder. A question's own sentences wait for the
# background's current call (the embedder runs one call at a time), so a call is kept
# under a second on two cores; smaller calls lose more at each call's end.
FILL_PIECE = 16

Chunks = Callable[[], Iterable[tuple[str, str, dict]]]


class _Stopped(Exception):
    """The collection was replaced before its sentence vectors were finished."""


class SentencesOnDemand:
    """Reads like `SentenceVectors` (`similarities`, `len`); fills itself in the background
    once `start()` is called."""

    def __init__(
        self,
        name: str,
        embed: Embed,
        model: str,
        chunks: Chunks,
        earlier: Callable[[], Iterable[SentenceVectors]],
        save_to: Path,
        piece: int = FILL_PIECE,
    ) -> None:
        self.name = name
        self._embed = embed
        self._model = model
        self._chunks = chunks
        self._earlier = earlier
        self._save_to = save_to
        self._piece = max(1, piece)
        # sentence text → vector, in float16 as saved, so a similarity is the same before
        # and after the saved vectors take over
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        # Questions waiting for their sentences; the background fill pauses between its
        # calls while there are any (a lock is not fair: it would win the embedder back).
        self._asking = 0
        self._turn = threading.Condition()
        self._done: SentenceVectors | None = None
        self._made, self._to_make = 0, 0  # the background's progress, in sentences
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, name=f"sentences-{name}", daemon=True)

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        done = self._done
        return len(done) if done is not None else len(self._known)

    @property
    def finished(self) -> bool:
        return self._done is not None

    def progress(self) -> tuple[int, int]:
        """(sentences embedded, sentences to embed) of the background fill; (0, 0) before it
        knows them (sentences of an earlier collection are reused, not counted)."""
        return self._made, self._to_make

    def similarities(self, chunk_id: str, sentences: list[str], query: np.ndarray) -> list[float | None]:
        """As `SentenceVectors.similarities`; sentences not embedded yet are embedded now."""
        done = self._done
        if done is not None:
            return done.similarities(chunk_id, sentences, query)
        self._ensure(sentences)
        known = self._known
        q = np.asarray(query, dtype=np.float32)
        return [float(known[s].astype(np.float32) @ q) if s in known else None for s in sentences]

    def prepare(self, passages: list[list[str]]) -> None:
        """Embed, in one call, the sentences of these passages (each a list of its sentences)
        that have none yet: what `similarities` will ask for, asked once per question."""
        if self._done is None:
            self._ensure([s for sentences in passages if len(sentences) > 1 for s in sentences])

    def _ensure(self, sentences: list[str]) -> None:
        missing = [s for s in dict.fromkeys(sentences) if s not in self._known]
        if not missing:
            return
        with self._turn:
            self._asking += 1
        try:
            got = np.asarray(self._embed(missing), dtype=np.float16)
        except Exception as exc:  # the answer then ranks these sentences by keywords alone
            log.warning("cannot embed %d sentences of a question's passages: %s", len(missing), exc)
            return
        finally:
            with self._turn:
                self._asking -= 1
                self._turn.notify_all()
        with self._lock:
            self._known.update(zip(missing, got, strict=True))

    # ------------------------------------------------------------------ filling

    def start(self) -> SentencesOnDemand:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Give up filling (the collection was replaced); reading keeps working."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background fill; True once every sentence vector is in."""
        self._thread.join(timeout)
        return self._done is not None

    def _embed_missing(self, texts: list[str]) -> np.ndarray:
        """What `build_sentence_vectors` asks for, in pieces, without the sentences a
        question has already had embedded."""
        for start in range(0, len(texts), self._piece):
            with self._turn:  # questions first
                self._turn.wait_for(lambda: self._asking == 0 or self._stop.is_set())
            if self._stop.is_set():
                raise _Stopped
            part = [t for t in texts[start : start + self._piece] if t not in self._known]
            if part:
                got = np.asarray(self._embed(part), dtype=np.float16)
                with self._lock:
                    self._known.update(zip(part, got, strict=True))
            self._made += len(texts[start : start + self._piece])
        return np.stack([self._known[t] for t in texts])

    def _planned(self, count: int) -> None:
        self._to_make = count

    def _fill(self) -> None:
        started = time.perf_counter()
        try:
            embed = self._embed_missing
            vectors = build_sentence_vectors(
                self._chunks(), embed, self._model, self._earlier(), planned=self._planned
            )
            if self._stop.is_set():
                raise _Stopped
        except _Stopped:
            log.info("sentence vectors of %s: stopped, the collection was replaced", self.name)
            return
        except Exception as exc:  # questions keep embedding their own sentences
            log.warning("sentence vectors of %s could not be made in the background: %s", self.name, exc)
            return
        try:
            vectors.save(self._save_to)
            saved = SentenceVectors.load(self._save_to)
        except OSError as exc:  # a read-only data dir: serve them from memory
            log.warning("cannot save the sentence vectors in %s: %s", self._save_to, exc)
            saved = None
        self._done = saved if saved is not None else vectors
        log.info(
            "sentence vectors of %s: %d sentences, made in the background in %.1f s",
            self.name,
            len(vectors),
            time.perf_counter() - started,
        )
