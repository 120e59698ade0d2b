"""Retrieval benchmark on a BEIR-style set: the project's hybrid searcher against its two
halves (dense alone, BM25 alone).

    python -m assistant bench-retrieval DIR [--limit N]

DIR holds corpus.jsonl ({"_id", "title"?, "text"}), queries.jsonl ({"_id", "text", ...})
and qrels.tsv (`query-id  corpus-id  score`, with a header). The corpus is embedded once
into its own Chroma collection under `<data_dir>/bench/<set name>/` (never the knowledge
base's) and reused on later runs; the hybrid side is `HybridSearcher` itself, fed by a
small adapter that makes the bench collection look like a `KnowledgeIndex`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from tqdm import tqdm

from assistant.backends.loader import get_embedder
from assistant.embeddings import Embedder
from assistant.index import AssistantEmbeddingFunction
from assistant.indexing.ingest import ADD_BATCH
from assistant.question.lexical import tokenize
from assistant.question.normalize import normalize_question
from assistant.question.retrieve import HybridSearcher
from assistant.settings import Settings

log = logging.getLogger(__name__)

K = 20
CANDIDATES = 50
CUTOFFS = (1, 5, 20)
# ~512 EmbeddingGemma tokens of Chinese text (1.3-1.5 characters a token).
MAX_EMBED_CHARS = 700
METHODS = ("hybrid (project)", "dense only", "BM25 (jieba)")


# --- the data set


@dataclass(frozen=True)
class BenchPassage:
    id: str
    title: str
    text: str

    @property
    def embed_text(self) -> str:
        """Title line then the passage, as the knowledge base embeds its chunks."""
        body = self.text[:MAX_EMBED_CHARS]
        return f"{self.title}\n{body}" if self.title else body


@dataclass
class BenchSet:
    name: str
    passages: list[BenchPassage]
    queries: list[tuple[str, str]]  # (id, text), sorted by id
    qrels: dict[str, set[str]]  # query id -> relevant passage ids (score > 0)


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def query_text(row: dict[str, Any], with_date: bool = True) -> str:
    """The question as a user asks it. Time-sensitive sets (DomainRAG) keep the year a
    question is about in a `date` field, beside identical wordings for other years; a user
    names that year, so it is put in front of the question."""
    text = str(row["text"])
    date = str(row.get("date") or "").strip()
    if not with_date or not date:
        return text
    return f"{date}年，{text}" if date.isdigit() else f"{date}，{text}"


def load_bench(directory: Path, limit: int = 0, with_date: bool = True) -> BenchSet:
    """Read a BEIR-style folder; keep only queries with a relevant passage in the corpus,
    sorted by id, the first `limit` of them when `limit` > 0."""
    passages = [
        BenchPassage(id=str(row["_id"]), title=str(row.get("title") or ""), text=str(row["text"]))
        for row in _read_jsonl(directory / "corpus.jsonl")
    ]
    known = {p.id for p in passages}
    qrels: dict[str, set[str]] = {}
    with (directory / "qrels.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if float(row["score"]) > 0 and row["corpus-id"] in known:
                qrels.setdefault(row["query-id"], set()).add(row["corpus-id"])
    queries = sorted(
        (str(row["_id"]), query_text(row, with_date))
        for row in _read_jsonl(directory / "queries.jsonl")
        if str(row["_id"]) in qrels
    )
    if limit > 0:
        queries = queries[:limit]
    return BenchSet(name=directory.resolve().name, passages=passages, queries=queries, qrels=qrels)


# --- the bench collection


def _sanitize(name: str) -> str:
    """Chroma collection names: [a-zA-Z0-9._-], starting and ending with an alphanumeric."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")
    return cleaned or "x"


def collection_name(bench: BenchSet, embedder: Embedder) -> str:
    return f"bench-{_sanitize(bench.name)}-{_sanitize(embedder.name)}"[:500]


def _fingerprint(passages: list[BenchPassage]) -> str:
    digest = hashlib.sha256(f"max_chars={MAX_EMBED_CHARS}".encode())
    for p in sorted(passages, key=lambda p: p.id):
        digest.update(f"\x00{p.id}\x00{p.embed_text}".encode())
    return digest.hexdigest()[:32]


def _metadata(p: BenchPassage) -> dict[str, str]:
    return {
        "doc_id": p.id,
        "title": p.title,
        "section": "",
        "status": "current",
        "date": "",
        "issuer": "",
    }


def bench_client(settings: Settings, bench: BenchSet) -> ClientAPI:
    path = settings.data_dir / "bench" / _sanitize(bench.name)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


def build_collection(
    client: ClientAPI, bench: BenchSet, embedder: Embedder, settings: Settings
) -> Collection:
    """The bench corpus embedded in its own collection; reused when it already holds the
    same passages, completed when an earlier run was interrupted."""
    name = collection_name(bench, embedder)
    fingerprint = _fingerprint(bench.passages)
    ef = AssistantEmbeddingFunction(settings.embedding_model, embedder)
    existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    if name in existing:
        collection = client.get_collection(name, embedding_function=ef)  # type: ignore[arg-type]
        if (collection.metadata or {}).get("fingerprint") != fingerprint:
            log.info("bench collection %s is stale; rebuilding", name)
            client.delete_collection(name)
    collection = client.get_or_create_collection(
        name,
        embedding_function=ef,  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"fingerprint": fingerprint},
    )
    have = set(collection.get(include=[])["ids"])
    todo = sorted((p for p in bench.passages if p.id not in have), key=lambda p: len(p.embed_text))
    if not todo:
        return collection
    batch = max(1, settings.embedding_batch_size) * 4
    with tqdm(total=len(bench.passages), initial=len(have), desc=f"嵌入 {bench.name}", unit="段") as bar:
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            vectors = embedder.embed_documents([p.embed_text for p in part])
            for sub in range(0, len(part), ADD_BATCH):
                rows = part[sub : sub + ADD_BATCH]
                collection.add(
                    ids=[p.id for p in rows],
                    embeddings=vectors[sub : sub + ADD_BATCH],  # type: ignore[arg-type]
                    documents=[p.text for p in rows],
                    metadatas=[_metadata(p) for p in rows],  # type: ignore[misc]
                )
            bar.update(len(part))
    return collection


class _QueryCache:
    """Wraps an embedder so each query is embedded once across the compared methods."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.name = embedder.name
        self.dim = embedder.dim
        self._vectors: dict[str, np.ndarray] = {}

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embedder.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self._vectors:
            self._vectors[text] = self._embedder.embed_query(text)
        return self._vectors[text]


class BenchIndex:
    """What `HybridSearcher` needs from a `KnowledgeIndex`, backed by the bench collection."""

    def __init__(self, collection: Collection, embedder: Embedder) -> None:
        self.collection = collection
        self.embedder = embedder

    def active_name(self) -> str | None:
        return self.collection.name

    def previous_name(self) -> str | None:
        return None

    def active(self) -> Collection:
        return self.collection

    def all_chunks(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        got = self.collection.get(include=["documents", "metadatas"])
        return got["ids"], list(got["documents"] or []), [dict(m) for m in got["metadatas"] or []]

    def all_vectors(self) -> tuple[list[str], np.ndarray]:
        got = self.collection.get(include=["embeddings"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return list(got["ids"]), np.asarray(vectors, dtype=np.float32)

    def query(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        k = min(k, self.collection.count())
        if k <= 0:
            return []
        res = self.collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]


# --- scoring


def score_rankings(
    rankings: dict[str, list[str]], qrels: dict[str, set[str]], k: int = K
) -> dict[str, float]:
    """R@1/5/20 (any relevant passage in the top k) and MRR@k over the ranked ids."""
    n = len(rankings)
    hits = dict.fromkeys(CUTOFFS, 0)
    rr = 0.0
    for qid, ranked in rankings.items():
        relevant = qrels.get(qid, set())
        first = next((i for i, pid in enumerate(ranked[:k]) if pid in relevant), None)
        if first is None:
            continue
        rr += 1.0 / (first + 1)
        for cutoff in CUTOFFS:
            if first < cutoff:
                hits[cutoff] += 1
    metrics = {f"R@{c}": hits[c] / n if n else 0.0 for c in CUTOFFS}
    metrics[f"MRR@{k}"] = rr / n if n else 0.0
    metrics["n"] = float(n)
    return metrics


@dataclass
class BenchReport:
    name: str
    passages: int
    metrics: dict[str, dict[str, float]]  # method -> metric -> value
    hybrid_latency_ms: list[float] = field(default_factory=list)
    rankings: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def hybrid_p50_ms(self) -> float:
        return statistics.median(self.hybrid_latency_ms) if self.hybrid_latency_ms else 0.0


def bench_searcher(
    directory: Path,
    settings: Settings,
    limit: int = 0,
    embedder: Embedder | None = None,
    with_date: bool = True,
) -> tuple[BenchSet, HybridSearcher, BenchIndex, _QueryCache]:
    """The set, indexed (or its collection reused), and the project's searcher over it."""
    bench = load_bench(directory, limit, with_date)
    if not bench.queries:
        raise ValueError(f"{directory}: no query has a relevant passage in the corpus")
    settings = settings.model_copy(
        update={
            "dense_candidates": max(CANDIDATES, settings.dense_candidates),
            "lexical_candidates": max(CANDIDATES, settings.lexical_candidates),
            "top_k": K,
        }
    )
    base = embedder or get_embedder(settings)
    collection = build_collection(bench_client(settings, bench), bench, base, settings)
    cached = _QueryCache(base)
    adapter = BenchIndex(collection, cached)
    # What the searcher derives from the bench collection (its keyword index) stays beside
    # the bench's own store, apart from the knowledge base's.
    bench_dir = settings.data_dir / "bench" / _sanitize(bench.name)
    searcher = HybridSearcher(adapter, settings.model_copy(update={"data_dir": bench_dir}))  # type: ignore[arg-type]
    return bench, searcher, adapter, cached


def evaluate(
    directory: Path,
    settings: Settings,
    limit: int = 0,
    embedder: Embedder | None = None,
    with_date: bool = True,
) -> BenchReport:
    """Index the set (or reuse its collection) and rank every query by the three methods."""
    bench, searcher, adapter, cached = bench_searcher(directory, settings, limit, embedder, with_date)
    texts = {qid: normalize_question(text).text for qid, text in bench.queries}
    rankings: dict[str, dict[str, list[str]]] = {m: {} for m in METHODS}
    latency: list[float] = []
    methods: dict[str, Callable[[str], list[str]]] = {
        # hybrid first: its timing includes embedding the query, later methods reuse it
        "hybrid (project)": lambda q: [p.id for p in searcher.search(q, K).passages],
        "dense only": lambda q: [cid for cid, _ in adapter.query(cached.embed_query(q).tolist(), K)],
        "BM25 (jieba)": lambda q: [cid for cid, _ in searcher.lexical.search(tokenize(q), K)],
    }
    for qid, _ in tqdm(bench.queries, desc="检索", unit="问", leave=False):
        for method, rank in methods.items():
            started = time.perf_counter()
            rankings[method][qid] = rank(texts[qid])
            if method == "hybrid (project)":
                latency.append((time.perf_counter() - started) * 1000)
    metrics = {m: score_rankings(rankings[m], bench.qrels) for m in METHODS}
    return BenchReport(
        name=bench.name,
        passages=len(bench.passages),
        metrics=metrics,
        hybrid_latency_ms=latency,
        rankings=rankings,
    )


def format_report(report: BenchReport) -> str:
    header = f"| method | R@1 | R@5 | R@{K} | MRR@{K} | n queries |"
    lines = [
        f"{report.name}: {report.passages} passages, k={K}, candidates {CANDIDATES}+{CANDIDATES}",
        header,
        "|---|---|---|---|---|---|",
    ]
    for method in METHODS:
        m = report.metrics[method]
        lines.append(
            f"| {method} | {m['R@1']:.3f} | {m['R@5']:.3f} | {m[f'R@{K}']:.3f} "
            f"| {m[f'MRR@{K}']:.3f} | {int(m['n'])} |"
        )
    lines.append(f"hybrid query latency p50: {report.hybrid_p50_ms:.1f} ms")
    return "\n".join(lines)


def run_bench(
    directory: Path,
    settings: Settings,
    limit: int = 0,
    embedder: Embedder | None = None,
    with_date: bool = True,
) -> int:
    report = evaluate(directory, settings, limit=limit, embedder=embedder, with_date=with_date)
    print(format_report(report))
    return 0
