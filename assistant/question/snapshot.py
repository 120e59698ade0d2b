"""What one search reads, as one immutable object per index version.

A `SearchSnapshot` pairs a Chroma collection (which does the dense search and holds the
chunk texts) with the keyword index built from that same collection. Collections are
never changed once active (an ingest writes a new one and switches a pointer), so a
snapshot never goes stale: a request keeps the snapshot it started with, and the
`SnapshotHolder` swaps in a new one, built off to the side, with a single assignment.

The keyword index is saved beside the index (`<data_dir>/derived/<collection>/keyword`)
when a collection is built, so a starting process memory-maps it instead of reading the corpus.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.indexing.sentence_vectors import EMPTY as NO_SENTENCES
from assistant.indexing.sentence_vectors import SentenceVectors, build_sentence_vectors, sentence_dir
from assistant.question.lexical import LexicalIndex
from assistant.question.sentences_on_demand import SentencesOnDemand
from assistant.question.typos import TypoCorrector
from assistant.settings import Settings
from assistant.tables.store import save_row_index

log = logging.getLogger(__name__)

READ_PAGE = 5000  # records per get() when the whole collection must be read
CACHED_CHUNKS = 20_000  # chunk texts a snapshot keeps after fetching them by id
CACHED_VECTORS = 5_000  # and stored vectors (3 KB each) of keyword-only candidates


def searchable_text(title: str, section: str, text: str) -> str:
    """What keyword search and coverage read of a chunk: where it sits, then the text."""
    return f"{title} > {section}\n{text}"


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]


class Collection(Protocol):
    """The part of a Chroma collection a snapshot uses."""

    name: str

    def count(self) -> int: ...
    def get(self, *args: Any, **kwargs: Any) -> Any: ...
    def query(self, *args: Any, **kwargs: Any) -> Any: ...


class Index(Protocol):
    """The part of `KnowledgeIndex` the searcher uses."""

    settings: Settings

    def active_name(self) -> str | None: ...
    def previous_name(self) -> str | None: ...
    def active(self) -> Collection | None: ...


def keyword_dir(settings: Settings, collection: str) -> Path:
    return settings.derived_dir(collection) / "keyword"


class ChromaChunks:
    """Dense search and chunk lookups, asked of one collection (embedded or server)."""

    def __init__(self, collection: Collection | None) -> None:
        self.collection = collection
        self._cache: dict[str, StoredChunk] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._documents: dict[str, str] | None = None

    def count(self) -> int:
        return self.collection.count() if self.collection is not None else 0

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k nearest chunks by cosine similarity (Chroma's HNSW search)."""
        if self.collection is None or k <= 0:
            return []
        # Distances only: reading texts costs Chroma more than the search itself (SQLite),
        # and most candidates' texts are already cached from earlier questions.
        # Table rows are read by the row lookup (assistant/tables), not by text search.
        got = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            include=["distances"],
            where={"kind": {"$ne": "row"}},
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def fetch(self, ids: list[str]) -> dict[str, StoredChunk]:
        """Texts and metadata of the given chunks (those that exist)."""
        cache = self._cache  # this reference: another thread may reset the cache meanwhile
        found = {cid: cache[cid] for cid in dict.fromkeys(ids) if cid in cache}
        missing = [cid for cid in dict.fromkeys(ids) if cid not in found]
        if missing and self.collection is not None:
            got = self.collection.get(ids=missing, include=["documents", "metadatas"])
            found.update(self._remember(got["ids"], got["documents"] or [], got["metadatas"] or []))
        return found

    def similarities(self, ids: list[str], vector: np.ndarray) -> dict[str, float]:
        """Exact cosine similarity of the given chunks' stored vectors to `vector`."""
        if not ids or self.collection is None:
            return {}
        vectors = self._vectors  # this reference: another thread may reset the cache meanwhile
        missing = [cid for cid in ids if cid not in vectors]
        if missing:
            got = self.collection.get(ids=missing, include=["embeddings"])
            if got["embeddings"] is not None and len(got["embeddings"]):
                fetched = np.asarray(got["embeddings"], dtype=np.float32)
                if len(self._vectors) > CACHED_VECTORS:
                    self._vectors = {}
                self._vectors.update(zip(got["ids"], fetched, strict=True))
                vectors = {**vectors, **dict(zip(got["ids"], fetched, strict=True))}
        query = np.asarray(vector, dtype=np.float32)
        return {cid: float(vectors[cid] @ query) for cid in ids if cid in vectors}

    def nearest_in(self, vector: np.ndarray, k: int, doc_ids: list[str]) -> list[tuple[str, float]]:
        """The k nearest text chunks of the given documents."""
        if self.collection is None or k <= 0 or not doc_ids:
            return []
        got = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            include=["distances"],
            where={"$and": [{"kind": {"$ne": "row"}}, {"doc_id": {"$in": doc_ids}}]},
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def documents(self) -> dict[str, str]:
        """Each document's title and issuer, by document id; read once (metadata only)."""
        if self._documents is None:
            found: dict[str, str] = {}
            if self.collection is not None:
                total = self.collection.count()
                for offset in range(0, total, READ_PAGE):
                    got = self.collection.get(include=["metadatas"], limit=READ_PAGE, offset=offset)
                    for meta in got["metadatas"] or []:
                        doc = str(meta.get("doc_id", ""))
                        if doc and doc not in found:
                            found[doc] = f"{meta.get('title', '')} {meta.get('issuer', '')}"
            self._documents = found
        return self._documents

    def in_section(self, doc_id: str, section: str) -> list[StoredChunk]:
        if self.collection is None:
            return []
        got = self.collection.get(
            where={"$and": [{"doc_id": doc_id}, {"section": section}]}, include=["documents", "metadatas"]
        )
        return list(self._remember(got["ids"], got["documents"] or [], got["metadatas"] or []).values())

    def pages(self) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]]]]:
        """Every chunk, READ_PAGE at a time (to build the keyword index or the targets table)."""
        if self.collection is None:
            return
        total = self.collection.count()
        for offset in range(0, total, READ_PAGE):
            got = self.collection.get(include=["documents", "metadatas"], limit=READ_PAGE, offset=offset)
            yield list(got["ids"]), list(got["documents"] or []), [dict(m) for m in got["metadatas"] or []]

    def _remember(self, ids: list[str], texts: list[Any], metas: list[Any]) -> dict[str, StoredChunk]:
        chunks = {
            cid: StoredChunk(cid, str(text or ""), dict(meta or {}))
            for cid, text, meta in zip(ids, texts, metas, strict=True)
        }
        if len(self._cache) > CACHED_CHUNKS:
            self._cache = {}  # a plain reset: the hot chunks come back on the next questions
        self._cache.update(chunks)
        return chunks


def build_lexical(chunks: ChromaChunks) -> LexicalIndex:
    ids: list[str] = []
    texts: list[str] = []
    for page_ids, page_texts, metas in chunks.pages():
        for cid, t, m in zip(page_ids, page_texts, metas, strict=True):
            if m.get("kind") != "row":  # table rows: the row lookup's, not keyword search's
                ids.append(cid)
                texts.append(searchable_text(str(m.get("title", "")), str(m.get("section", "")), t))
    return LexicalIndex(ids, texts)


def save_keyword_index(settings: Settings, collection: Collection, sentences: bool = True) -> LexicalIndex:
    """Build and save the keyword index (and, with `sentences`, the sentence vectors) of
    `collection`. Called before a new collection becomes active, so readers find them ready."""
    lexical = build_lexical(ChromaChunks(collection))
    lexical.save(keyword_dir(settings, collection.name))
    if sentences:
        save_sentence_vectors(settings, collection)
    return lexical


Rows = Callable[[], Iterator[tuple[str, str, dict[str, Any]]]]


def _sentence_sources(
    settings: Settings, collection: Collection
) -> tuple[Any, str, Rows, Callable[[], Iterator[SentenceVectors]]]:
    """What the sentence vectors of `collection` are made from: the collection's own
    embedding function (the index's embedder), its model, its chunks, and the sentence
    vectors saved earlier (this collection's pooled ones first, then other collections')."""
    embed = getattr(collection, "_embedding_function", None)
    model = str((getattr(collection, "metadata", None) or {}).get("embedding_model", ""))
    root = settings.derived_root
    own = settings.derived_dir(collection.name)

    def earlier() -> Iterator[SentenceVectors]:
        for path in [own, *(sorted(root.iterdir()) if root.is_dir() else [])]:
            other = path.name != collection.name and not path.name.startswith(".")
            if path.is_dir() and (path == own or other):
                found = SentenceVectors.load(sentence_dir(path))
                if found is not None:
                    yield found

    def chunks() -> Iterator[tuple[str, str, dict[str, Any]]]:
        for ids, texts, metas in ChromaChunks(collection).pages():
            for cid, text, meta in zip(ids, texts, metas, strict=True):
                if meta.get("kind") != "row":  # table rows are looked up by name, not read by meaning
                    yield cid, text, meta

    return embed, model, chunks, earlier


def save_sentence_vectors(settings: Settings, collection: Collection) -> None:
    """Embed every sentence of `collection` with the collection's own embedding function
    (the index's embedder); sentences already embedded for an earlier collection are reused."""
    embed, model, chunks, earlier = _sentence_sources(settings, collection)
    if embed is None:
        log.warning("collection %s has no embedding function: no sentence vectors", collection.name)
        return
    vectors = build_sentence_vectors(chunks(), embed, model, earlier())
    vectors.save(sentence_dir(settings.derived_dir(collection.name)))


def sentences_in_background(settings: Settings, collection: Collection) -> SentencesOnDemand | None:
    """The sentence vectors of `collection`, made by a background thread and, until it
    ends, embedded for each question's passages on demand (question/sentences_on_demand.py)."""
    embed, model, chunks, earlier = _sentence_sources(settings, collection)
    if embed is None:
        return None
    save_to = sentence_dir(settings.derived_dir(collection.name))
    return SentencesOnDemand(collection.name, embed, model, chunks, earlier, save_to).start()


def keyword_hook(settings: Settings, sentences: bool = True) -> Callable[[Collection], object]:
    """`save_keyword_index` (and the row index of tables) for `KnowledgeIndex(before_switch=…)`.
    Without `sentences` the new collection becomes active without sentence vectors, and the
    serving process makes them (`Settings.sentence_vectors_deferred`)."""
    return lambda collection: (
        save_keyword_index(settings, collection, sentences),
        save_row_index(settings, collection),
    )


def prune_derived(settings: Settings, keep: set[str]) -> None:
    """Drop what was computed from collections other than `keep`."""
    root = settings.derived_root
    if not root.is_dir():
        return
    for path in root.iterdir():
        if path.is_dir() and not path.name.startswith(".") and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class SearchSnapshot:
    """One index version: its collection, its keyword index, its typo corrector."""

    name: str | None
    chunks: ChromaChunks
    lexical: LexicalIndex
    sentences: SentenceVectors | SentencesOnDemand = NO_SENTENCES
    _typos: list[TypoCorrector] = field(default_factory=list, repr=False)
    _typos_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def typos(self) -> TypoCorrector:
        """Built on first use (its vocabulary is this snapshot's)."""
        if not self._typos:
            with self._typos_lock:
                if not self._typos:
                    self._typos.append(TypoCorrector(self.lexical.vocabulary))
        return self._typos[0]


EMPTY = SearchSnapshot(None, ChromaChunks(None), LexicalIndex([], []))


def open_snapshot(index: Index, settings: Settings, name: str | None) -> SearchSnapshot:
    """The snapshot of collection `name`: its saved keyword index, or one built now (and
    saved for the next process)."""
    collection = index.active() if name else None
    if collection is None:
        return EMPTY
    name = collection.name  # the active one now, should it have switched again meanwhile
    directory = keyword_dir(settings, name)
    lexical = LexicalIndex.load(directory)
    if lexical is None:
        started = time.perf_counter()
        lexical = build_lexical(ChromaChunks(collection))
        try:
            lexical.save(directory)
        except OSError as exc:  # a read-only data dir: serve from memory
            log.warning("cannot save the keyword index in %s: %s", directory, exc)
        log.info("keyword index of %s built in %.1f s", name, time.perf_counter() - started)
    # Collections older than the previous one are gone from Chroma; so goes what came of them.
    prune_derived(settings, {name, index.previous_name() or ""})
    sentences: SentenceVectors | SentencesOnDemand | None = SentenceVectors.load(
        sentence_dir(settings.derived_dir(name))
    )
    if sentences is None and settings.sentence_vectors_deferred:
        # A collection built without them (the app's first ingest leaves them to this
        # process, or an index from before sentence vectors): made in the background.
        sentences = sentences_in_background(settings, collection)
        if sentences is not None:
            log.info("sentence vectors of %s: none saved, making them in the background", name)
    if sentences is None:
        # Or made now, once, and saved for the next process.
        started = time.perf_counter()
        try:
            save_sentence_vectors(settings, collection)
            sentences = SentenceVectors.load(sentence_dir(settings.derived_dir(name)))
            log.info("sentence vectors of %s built in %.1f s", name, time.perf_counter() - started)
        except Exception as exc:  # answers then rank sentences by keywords alone
            log.warning("no sentence vectors for %s: %s", name, exc)
    if sentences is None:  # (not `or`: vectors still being made count no rows yet)
        sentences = NO_SENTENCES
    return SearchSnapshot(name, ChromaChunks(collection), lexical, sentences)


class SnapshotHolder:
    """The current snapshot; checks the active collection at most every `interval` seconds
    and swaps in the new one's snapshot once, whichever request notices first."""

    def __init__(
        self,
        index: Index,
        settings: Settings,
        opener: Callable[[Index, Settings, str | None], SearchSnapshot] = open_snapshot,
    ) -> None:
        self.index = index
        self.settings = settings
        self._open = opener
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self.rebuilds = 0  # snapshots opened, the first one included
        self._current = EMPTY
        self.refresh(force=True)

    @property
    def current(self) -> SearchSnapshot:
        self.refresh()
        return self._current

    def refresh(self, force: bool = False) -> SearchSnapshot:
        now = time.monotonic()
        if not force and now - self._checked < self.settings.refresh_seconds:
            return self._current
        active = self.index.active_name()
        self._checked = now
        if active == self._current.name:
            return self._current
        with self._lock:
            # Read the name again under the lock: a request that read it earlier and waited
            # here would otherwise re-open a version another request has already replaced.
            active = self.index.active_name()
            if active == self._current.name:
                return self._current
            snapshot = self._open(self.index, self.settings, active)
            self.rebuilds += 1
            replaced, self._current = self._current, snapshot  # the one assignment readers can observe
        if isinstance(replaced.sentences, SentencesOnDemand):
            replaced.sentences.stop()  # no use finishing the vectors of a replaced collection
        log.info("search snapshot %s: %d chunks", snapshot.name, len(snapshot.lexical))
        return snapshot
