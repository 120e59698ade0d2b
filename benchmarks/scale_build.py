"""A knowledge-base index plus N distractor chunks, in its own data dir, laid out exactly as
`KnowledgeIndex` reads it (registry pointer -> one active collection), so the serving side
runs the product's own code unchanged.

The knowledge base's chunks and vectors are copied from an index built by the real ingest;
distractors are added with their real or filler vectors. The collection has the HNSW graph
an ingest gives it (Chroma's default graph, the product's search breadth): the assistant's
dense search is Chroma's HNSW query, so a cheaper graph would understate what it finds.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from assistant.grammar.sentences import split_sentences
from assistant.index import AssistantEmbeddingFunction, KnowledgeIndex
from assistant.indexing.sentence_vectors import SentenceVectors, sentence_dir
from assistant.question.snapshot import ChromaChunks, build_lexical, keyword_dir
from assistant.settings import Settings
from benchmarks.distractors import DistractorChunk

ADD_BATCH = 2000


@dataclass(frozen=True)
class BuildResult:
    collection: str
    kb_chunks: int
    distractors: int
    real: int
    filler: int
    seconds: float
    derived_s: float = 0.0  # of `seconds`: keyword index and sentence vectors, as an ingest saves them

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class KnowledgeSnapshot:
    ids: list[str]
    vectors: np.ndarray
    texts: list[str]
    metadatas: list[dict[str, Any]]
    doc_hashes: str
    sentences: SentenceVectors | None = None  # saved by the ingest beside the collection


def read_knowledge(settings: Settings) -> KnowledgeSnapshot:
    """Everything in the active collection of an index built by `python -m assistant ingest`."""
    collection = KnowledgeIndex(settings).active()
    if collection is None:
        raise RuntimeError(f"no active index in {settings.data_dir}")
    got = collection.get(include=["embeddings", "documents", "metadatas"])
    return KnowledgeSnapshot(
        ids=list(got["ids"]),
        vectors=np.asarray(got["embeddings"], dtype=np.float32),
        texts=list(got["documents"] or []),
        metadatas=[dict(m) for m in got["metadatas"] or []],
        doc_hashes=str((collection.metadata or {}).get("doc_hashes", "{}")),
        sentences=SentenceVectors.load(sentence_dir(settings.derived_dir(collection.name))),
    )


def distractor_sentences(
    knowledge: KnowledgeSnapshot, chunks: list[DistractorChunk], vectors: np.ndarray, model: str
) -> SentenceVectors:
    """The knowledge base's sentence vectors plus one row per sentence of each distractor
    of two or more, each carrying its chunk's vector: what serving reads has the size and
    layout an ingest gives it, without embedding every distractor sentence."""
    rows: list[tuple[str, str]] = []
    parts: list[np.ndarray] = []
    kb = knowledge.sentences
    if kb is not None and len(kb):
        rows += kb.rows
        parts.append(np.asarray(kb.vectors, dtype=np.float32))
    of_chunk: list[int] = []
    for i, chunk in enumerate(chunks):
        sentences = list(dict.fromkeys(split_sentences(chunk.text)))
        if len(sentences) > 1:
            rows += [(chunk.id, sentence) for sentence in sentences]
            of_chunk += [i] * len(sentences)
    parts.append(np.asarray(vectors, dtype=np.float32)[of_chunk])
    return SentenceVectors(rows, [sentence for _, sentence in rows], np.concatenate(parts), model)


def _add(collection: Any, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[Any]) -> None:
    for start in range(0, len(ids), ADD_BATCH):
        end = start + ADD_BATCH
        collection.add(
            ids=ids[start:end],
            embeddings=vectors[start:end],
            documents=texts[start:end],
            metadatas=metas[start:end],
        )


def build_scaled_index(
    settings: Settings,
    knowledge: KnowledgeSnapshot,
    chunks: list[DistractorChunk],
    vectors: np.ndarray,
    real: int,
) -> BuildResult:
    """Write the knowledge base plus `chunks` (with `vectors`, the first `real` of them real
    embeddings) into a fresh index under `settings.data_dir`, then make it the active one."""
    started = time.perf_counter()
    index = KnowledgeIndex(settings)
    name = f"{settings.collection_prefix}-bench-{len(chunks)}-{uuid.uuid4().hex[:6]}"
    collection = index.client.create_collection(
        name,
        embedding_function=AssistantEmbeddingFunction(settings.embedding_model),  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine", "ef_search": settings.hnsw_ef_search}},
        metadata={"embedding_model": settings.embedding_model, "building": True},
    )
    _add(collection, knowledge.ids, knowledge.vectors, knowledge.texts, knowledge.metadatas)
    _add(
        collection,
        [c.id for c in chunks],
        vectors,
        [c.text for c in chunks],
        [c.metadata() for c in chunks],
    )
    # What an ingest saves before the switch (assistant/question/snapshot.py), so serving
    # starts as it would on a real index of this size.
    derived = time.perf_counter()
    distractor_sentences(knowledge, chunks, vectors, settings.embedding_model).save(
        sentence_dir(settings.derived_dir(name))
    )
    build_lexical(ChromaChunks(collection)).save(keyword_dir(settings, name))
    derived_s = time.perf_counter() - derived
    collection.modify(
        metadata={
            "embedding_model": settings.embedding_model,
            "doc_hashes": knowledge.doc_hashes,
            "building": False,
        }
    )
    index._registry().modify(metadata={"active": name})  # the pointer `ingest` flips
    check = KnowledgeIndex(settings)
    if check.active_name() != name or not check.is_ready():
        raise RuntimeError(f"the scaled index in {settings.data_dir} is not readable as a KnowledgeIndex")
    return BuildResult(
        collection=name,
        kb_chunks=len(knowledge.ids),
        distractors=len(chunks),
        real=min(real, len(chunks)),
        filler=max(0, len(chunks) - real),
        seconds=time.perf_counter() - started,
        derived_s=derived_s,
    )
