"""An ingest in three steps with one report: plan → embed → switch.

- plan (plan.py): which documents are unchanged, to prepare, refused, removed;
- prepare: read and chunk the documents to prepare (one bad file never stops the others);
  the report is complete here, and an ingest that changes nothing stops here;
- embed, into a new collection not yet read by anyone: unchanged documents' stored chunks
  and vectors are copied; a prepared document whose chunks are all stored already (only its
  status or reason changed: superseded, withdrawn from its site) keeps its vectors; the
  rest is embedded, batch by batch, so memory stays bounded on large folders;
- switch: record the documents' hashes, let `before_switch` see the new collection, flip
  the registry's pointer to it and drop the collections before the previous one.

A failure or a kill before the flip leaves the previous collection active: the half-built
one is deleted, or dropped as an orphan by the next ingest.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from tqdm import tqdm

from assistant.documents.chunking import Chunk
from assistant.documents.errors import DocumentError
from assistant.documents.manifest import DocumentMeta
from assistant.documents.pipeline import prepare_document
from assistant.documents.scans import ocr_settings
from assistant.embeddings import Embedder
from assistant.indexing.plan import IngestPlan, IngestReport, plan_ingest
from assistant.indexing.sentence_vectors import SentenceVectors, chunk_sentences, sentence_dir
from assistant.settings import Settings

log = logging.getLogger(__name__)

ADD_BATCH = 256
# Chunks a call to a local model that reports its runs (memory: 3 MB of vectors a 1,000).
WHOLE_CALL = 4096
KEPT_PREVIOUS = "已保留上次收录的版本。"
Progress = Callable[[float, str], None] | None


class KnowledgeIndex(Protocol):
    """What the steps use of assistant.index.KnowledgeIndex (which imports this module)."""

    settings: Settings
    client: ClientAPI

    @property
    def embedder(self) -> Embedder: ...
    def active(self) -> Collection | None: ...
    def doc_hashes(self) -> dict[str, str]: ...
    def embedding_function(self) -> Any: ...
    def before_switch(self, collection: Collection) -> None: ...
    def activate(self, name: str, previous: str) -> None: ...
    def drop_orphans(self) -> None: ...
    def safe_delete(self, name: str) -> None: ...


@dataclass
class Prepared:
    """The documents read and chunked by this ingest, and those that could not be."""

    chunks: dict[str, list[Chunk]] = field(default_factory=dict)  # doc id -> chunks and rows
    failed: dict[str, DocumentError] = field(default_factory=dict)  # doc id -> why not
    notes: dict[str, str] = field(default_factory=dict)  # file name -> pages of a scan skipped


def run_ingest(
    index: KnowledgeIndex,
    metas: list[DocumentMeta],
    unsupported: dict[str, str],
    rebuild: bool,
    progress: Progress,
    started: float,
) -> IngestReport:
    """Bring the index in line with `metas`; `unsupported` (file name -> Chinese message)
    are the folder's files no loader reads, reported as failed."""
    old = index.active()
    if not metas and old is not None and old.count():
        # A mistyped --knowledge folder would otherwise prune every document.
        folder = index.settings.knowledge_dir
        raise DocumentError(
            f"no readable documents in {folder}; the index was left as it is",
            f"目录 {folder} 中没有可读取的文件，现有索引未作改动。请检查知识库目录。",
        )
    plan = plan_ingest(metas, {} if rebuild else index.doc_hashes(), index.settings)
    index.drop_orphans()
    prepared = prepare(index, plan.to_prepare, progress)
    report = make_report(plan, prepared, unsupported)
    if not rebuild and old is not None and not report.changed:
        report.chunks, report.collection = old.count(), old.name
    else:
        new = _create(index)
        try:
            backends = embed(index, new, plan, prepared, None if rebuild else old, progress)
            switch(index, new, old, _stored_hashes(plan, prepared), backends)
        except BaseException:
            # The old collection stays active; the half-built one is removed (or, if this
            # process is killed right here, dropped as an orphan by the next ingest).
            index.safe_delete(new.name)
            raise
        index.drop_orphans()  # the one before the previous
        report.chunks, report.collection = new.count(), new.name
    report.seconds = time.perf_counter() - started
    return report


def make_report(plan: IngestPlan, prepared: Prepared, unsupported: dict[str, str]) -> IngestReport:
    report = IngestReport(failed=dict(unsupported), notes=dict(prepared.notes))
    errors = {**plan.refused, **prepared.failed}
    for meta in plan.metas:
        if meta.doc_id in errors:
            log.warning("skipping %s: %s", meta.path.name, errors[meta.doc_id])
            kept = meta.doc_id in plan.old_hashes  # the last good version stays
            report.failed[meta.path.name] = errors[meta.doc_id].user_message + (KEPT_PREVIOUS if kept else "")
    report.unchanged = sorted(_carried(plan, prepared))
    report.added = sorted(d for d in prepared.chunks if d not in plan.old_hashes)
    report.updated = sorted(d for d in prepared.chunks if d in plan.old_hashes)
    report.removed = plan.removed
    return report


def _carried(plan: IngestPlan, prepared: Prepared) -> list[str]:
    """Documents whose stored chunks go on as they are: unchanged ones, and indexed ones
    that failed this time (folder order)."""
    failed = set(plan.refused) | set(prepared.failed)
    unchanged = set(plan.unchanged)
    return [
        m.doc_id
        for m in plan.metas
        if m.doc_id in unchanged or (m.doc_id in failed and m.doc_id in plan.old_hashes)
    ]


def _stored_hashes(plan: IngestPlan, prepared: Prepared) -> dict[str, str]:
    """What the new collection holds: this ingest's hash of each unchanged or prepared
    document, the old hash of an indexed one that failed (its last good version)."""
    hashes = {d: plan.hashes[d] for d in [*plan.unchanged, *prepared.chunks]}
    failed = [*plan.refused, *prepared.failed]
    hashes.update({d: plan.old_hashes[d] for d in failed if d in plan.old_hashes})
    return hashes


# ---------------------------------------------------------------------------- prepare


def prepare(index: KnowledgeIndex, metas: list[DocumentMeta], progress: Progress) -> Prepared:
    prepared = Prepared()
    for meta in metas:
        try:
            with ocr_settings(index.settings, progress):
                document = prepare_document(meta)
        except DocumentError as exc:  # prepare_document raises nothing else
            prepared.failed[meta.doc_id] = exc
            continue
        prepared.chunks[meta.doc_id] = document.chunks + document.rows
        if document.notes:
            prepared.notes[meta.path.name] = document.notes
    return prepared


# ---------------------------------------------------------------------------- embed


def _create(index: KnowledgeIndex) -> Collection:
    settings = index.settings
    name = f"{settings.collection_prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
    return index.client.create_collection(
        name,
        embedding_function=index.embedding_function(),  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine", "ef_search": settings.hnsw_ef_search}},
        metadata={"embedding_model": settings.embedding_model, "building": True},
    )


def embed(
    index: KnowledgeIndex,
    new: Collection,
    plan: IngestPlan,
    prepared: Prepared,
    old: Collection | None,
    progress: Progress,
) -> set[str]:
    """Fill `new`: copied, re-used (when `old` is given) and new vectors. Returns which
    backends made them."""
    stored = (old.metadata if old is not None else None) or {}
    old_backends = set(json.loads(str(stored.get("embedding_backends", "[]"))))
    backends: set[str] = set()
    carried = _carried(plan, prepared)
    if old is not None and carried:
        _copy(old, new, carried)
        backends |= old_backends
    chunks = dict(prepared.chunks)
    if old is not None and _reuse_vectors(old, new, chunks):
        backends |= old_backends
    if _embed_and_add(index, new, chunks, progress):
        embedder = index.embedder
        backends.add(str(getattr(embedder, "backend", embedder.name)))
    return backends


def _copy(old: Collection, new: Collection, doc_ids: list[str]) -> None:
    for doc_id in doc_ids:
        got = old.get(where={"doc_id": doc_id}, include=["embeddings", "documents", "metadatas"])
        for start in range(0, len(got["ids"]), ADD_BATCH):
            end = start + ADD_BATCH
            new.add(
                ids=got["ids"][start:end],
                embeddings=got["embeddings"][start:end],  # type: ignore[index]
                documents=got["documents"][start:end],  # type: ignore[index]
                metadatas=got["metadatas"][start:end],  # type: ignore[index]
            )


def _reuse_vectors(old: Collection, new: Collection, chunks: dict[str, list[Chunk]]) -> bool:
    """A document whose chunks are all stored with the same title and section keeps their
    vectors: its chunks are added to `new` with the new metadata and taken out of
    `chunks`. True when any was."""
    reused = False
    for doc_id, doc_chunks in chunks.items():
        got = old.get(ids=[c.id for c in doc_chunks], include=["embeddings", "metadatas"])
        stored = dict(zip(got["ids"], zip(got["embeddings"], got["metadatas"], strict=True), strict=True))  # type: ignore[arg-type]
        same = [
            (c, stored[c.id][0])
            for c in doc_chunks
            if c.id in stored
            and stored[c.id][1].get("title") == c.title
            and stored[c.id][1].get("section") == c.section
        ]
        if len(same) != len(doc_chunks):
            continue  # the text changed: the whole document is embedded anew
        for start in range(0, len(same), ADD_BATCH):
            part = same[start : start + ADD_BATCH]
            _add(new, [c for c, _ in part], [v for _, v in part])
        chunks[doc_id] = []
        reused = reused or bool(same)
    return reused


def _embed_and_add(
    index: KnowledgeIndex, collection: Collection, chunks: dict[str, list[Chunk]], progress: Progress
) -> bool:
    """Embed and add the chunks; False when there were none."""
    # Similar lengths in one batch waste less padding: ~2x faster on CPU.
    todo = sorted((c for doc_chunks in chunks.values() for c in doc_chunks), key=lambda c: len(c.embed_text))
    if not todo:
        return False
    embedder = index.embedder
    # An embedding server takes larger requests than a local forward pass wants.
    batch = max(1, getattr(embedder, "request_batch", index.settings.embedding_batch_size))
    # A local ONNX model pools each chunk's sentence vectors from the chunk's own forward
    # pass (backends/spans.py); other embedders embed the sentences on their own later.
    pools = index.settings.sentence_vectors_pooled and bool(getattr(embedder, "pools_sentences", False))
    rows: list[tuple[str, str]] = []
    pooled: list[np.ndarray] = []
    with tqdm(total=len(todo), desc="建立索引", unit="段") as bar:
        if not pools and getattr(embedder, "reports_runs", False):
            _embed_whole(embedder, collection, todo, bar, progress)
            return True
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            texts = [c.embed_text for c in part]
            if pools:
                own = [chunk_sentences(c.text) if c.metadata().get("kind") != "row" else [] for c in part]
                vectors, found = embedder.embed_documents_with_sentences(texts, own)  # type: ignore[attr-defined]
                for c, sentences, got in zip(part, own, found, strict=True):
                    kept = [(s, v) for s, v in zip(sentences, got, strict=True) if v is not None]
                    rows.extend((c.id, s) for s, _ in kept)
                    pooled.extend(v for _, v in kept)
            else:
                vectors = embedder.embed_documents(texts)
            _add(collection, part, vectors)
            bar.update(len(part))
            if progress:
                progress(min(1.0, (start + len(part)) / len(todo)), "建立索引")
    if rows:  # read by save_sentence_vectors before the collection becomes active
        model, texts = index.settings.embedding_model, [s for _, s in rows]
        found = SentenceVectors(rows, texts, np.stack(pooled), model)
        found.save(sentence_dir(index.settings.derived_dir(collection.name)))
    return True


def _add(collection: Collection, chunks: list[Chunk], vectors: Any) -> None:
    collection.add(
        ids=[c.id for c in chunks],
        embeddings=vectors,
        documents=[c.text for c in chunks],
        metadatas=[c.metadata() for c in chunks],  # type: ignore[misc]
    )


def _embed_whole(
    embedder: Embedder, collection: Collection, todo: list[Chunk], bar: tqdm, progress: Progress
) -> None:
    """Chunks in calls of thousands to an embedder that reports each run as it ends (a local
    ONNX model): its parallel runs stay busy to the last chunk instead of waiting for the
    slowest run at the end of every few chunks (the shipped folder's chunks: 53 s in one
    call, 60 s in calls of 16, on two AVX2 cores)."""
    lock = threading.Lock()
    finished = 0

    def advance(count: int) -> None:  # called from the embedder's worker threads
        nonlocal finished
        with lock:
            finished += count
            bar.update(count)
            if progress:
                progress(min(1.0, finished / len(todo)), "建立索引")

    for start in range(0, len(todo), WHOLE_CALL):
        part = todo[start : start + WHOLE_CALL]
        vectors = embedder.embed_documents([c.embed_text for c in part], done=advance)  # type: ignore[call-arg]
        for at in range(0, len(part), ADD_BATCH):
            _add(collection, part[at : at + ADD_BATCH], vectors[at : at + ADD_BATCH])


# ---------------------------------------------------------------------------- switch


def switch(
    index: KnowledgeIndex, new: Collection, old: Collection | None, hashes: dict[str, str], backends: set[str]
) -> None:
    """Mark `new` built, let `before_switch` see it, then make it the active collection."""
    settings = index.settings
    new.modify(
        metadata={
            "embedding_model": settings.embedding_model,
            # Which backends made these vectors (accepted backends agree with
            # float32, so a mixture answers like one; `doctor` shows it).
            "embedding_backends": json.dumps(sorted(backends)),
            "doc_hashes": json.dumps(hashes, sort_keys=True),
            "building": False,
        }
    )
    index.before_switch(new)
    index.activate(new.name, previous=old.name if old else "")
