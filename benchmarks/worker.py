"""Subprocess entry points of the benchmark (each measurement that needs a clean process):

    python -m benchmarks.worker build --kb-data DIR --data DIR --size N --real N --out R.json
    python -m benchmarks.worker serve --data DIR --dev dev.jsonl --reps N --out R.json
    python -m benchmarks.worker backend --data DIR --dev dev2.jsonl --out R.json

`backend` is a serving process for one embedding backend (ASSISTANT_EMBEDDING_BACKEND in
its environment) over the index in --data, which another backend may have built: query
embedding and warm `ask` latency, retrieval quality, and each question's top passages.

`serve` is a serving process: it builds the assistant over the index in --data, answers the
dev questions (warm-up, retrieval only, end to end, one profiled pass) and reports its own
peak resident memory (`ru_maxrss`).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import assistant  # noqa: F401  (sets the offline environment before ML imports)
from assistant.backends.loader import get_embedder
from assistant.chain import build_assistant
from assistant.evaluation.run import load_items
from assistant.index import KnowledgeIndex
from assistant.question.lexical import LexicalIndex
from assistant.settings import Settings
from assistant.targets import store as targets_module
from benchmarks.distractors import DistractorSources, distractors
from benchmarks.measure import assistant_ask, end_to_end, history_of, profile_asks, retrieval_only
from benchmarks.scale_build import build_scaled_index, read_knowledge
from benchmarks.timers import PhaseTimer, patched, stopwatch
from benchmarks.vector_cache import VectorCache, filler_vectors

FILLER_SEED = 7
STARTUP_PHASES = ("read chunks", "read vectors", "BM25 build", "keyword index load", "targets table")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_settings(data_dir: Path) -> Settings:
    """Embedded store in `data_dir`, extractive answerer, whatever the environment says;
    no cache of repeated questions' vectors (repetitions must measure the work)."""
    return Settings(data_dir=data_dir, chroma_host=None, answerer="extractive", query_cache_size=0)


def distractor_vectors(cache: VectorCache, texts: list[str], real: int, dim: int) -> np.ndarray:
    """Cached real vectors for the first `real` texts, random unit vectors for the rest."""
    real = min(real, len(texts))
    have = cache.get_many(texts[:real])
    missing = [t for t in texts[:real] if t not in have]
    if missing:
        raise RuntimeError(f"{len(missing)} distractor vectors are not in {cache.path}: embed them first")
    parts = [np.stack([have[t] for t in texts[:real]])] if real else []
    if len(texts) > real:
        parts.append(filler_vectors(len(texts) - real, dim, FILLER_SEED))
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, dim), dtype=np.float32)


def cmd_build(args: argparse.Namespace) -> dict[str, Any]:
    knowledge = read_knowledge(bench_settings(Path(args.kb_data)))
    chunks = distractors(DistractorSources(Path(args.news), Path(args.cmrc)), args.size)
    settings = bench_settings(Path(args.data))
    cache = VectorCache(Path(args.cache), settings.embedding_model)
    vectors = distractor_vectors(cache, [c.embed_text for c in chunks], args.real, knowledge.vectors.shape[1])
    result = build_scaled_index(settings, knowledge, chunks, vectors, args.real)
    return {**result.to_json(), "peak_rss_mb": peak_rss_mb()}


def _build(settings: Settings, timer: PhaseTimer) -> tuple[Any, float]:
    """The assistant and the seconds it took, reads and BM25 build timed by phase."""
    targets = [
        (KnowledgeIndex, "all_chunks", "read chunks"),
        (KnowledgeIndex, "all_vectors", "read vectors"),
        (LexicalIndex, "__init__", "BM25 build"),
        (LexicalIndex, "load", "keyword index load"),
    ]
    with patched(timer, targets), stopwatch() as build:
        served = build_assistant(settings)
    return served, build[0]


@dataclass
class Startup:
    served: Any
    seconds: dict[str, float]
    rss_model_mb: float  # resident once the model is loaded


def _startup(settings: Settings, timer: PhaseTimer) -> Startup:
    """The assistant and its start-up times."""
    with stopwatch() as model:
        get_embedder(settings)
    rss_model = current_rss_mb()
    seconds = {"model load": model[0]}
    served, seconds["build assistant"] = _build(settings, timer)
    return Startup(served, seconds, rss_model)


def cmd_serve(args: argparse.Namespace) -> dict[str, Any]:
    settings = bench_settings(Path(args.data))
    items = load_items(Path(args.dev))
    timer = PhaseTimer()
    start = _startup(settings, timer)
    served, startup = start.served, start.seconds
    rss_started = current_rss_mb()
    first = items[0]
    with patched(timer, [(targets_module, "extract_targets", "targets table")]), stopwatch() as warm:
        served.ask(first["question"], history_of(first))
    startup["first answer"] = warm[0]
    startup.update({name: timer.total(name) for name in STARTUP_PHASES})
    retrieval = retrieval_only(served.searcher, items, args.reps, settings.top_k)
    e2e = end_to_end(assistant_ask(served), items, args.reps, "assistant: end to end (Assistant.ask)")
    profile = profile_asks(served, items) if args.profile else None
    return {
        "chunks": len(served.searcher.lexical),
        "startup_s": startup,
        "retrieval": retrieval.__dict__,
        "e2e": e2e.__dict__,
        "profile": profile.__dict__ if profile else None,
        "rss_model_mb": start.rss_model_mb,
        "rss_started_mb": rss_started,
        "peak_rss_mb": peak_rss_mb(),
        "rss_end_mb": current_rss_mb(),
    }


def cmd_backend(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.backends.selection import resolve_backend
    from benchmarks.measure import standalone

    settings = bench_settings(Path(args.data))
    items = load_items(Path(args.dev))
    with stopwatch() as load:
        embedder = get_embedder(settings)
    served = build_assistant(settings)
    served.ask(items[0]["question"], history_of(items[0]))  # warm-up, not timed
    queries = [standalone(i["question"], history_of(i)) for i in items]
    embed_ms = []
    for text in queries:
        started = time.perf_counter()
        embedder.embed_query(text)
        embed_ms.append((time.perf_counter() - started) * 1000)
    top = [[p.id for p in served.searcher.search(text, 3).passages] for text in queries]
    retrieval = retrieval_only(served.searcher, items, 1, settings.top_k)
    e2e = end_to_end(assistant_ask(served), items, args.reps, "assistant: end to end (Assistant.ask)")
    return {
        "backend": resolve_backend(settings)[0],
        "load_s": load[0],
        "embed_query_ms": embed_ms,
        "top3": top,
        "retrieval": retrieval.__dict__,
        "e2e": e2e.__dict__,
        "peak_rss_mb": peak_rss_mb(),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build")
    build.add_argument("--kb-data", required=True)
    build.add_argument("--data", required=True)
    build.add_argument("--size", type=int, required=True)
    build.add_argument("--real", type=int, required=True)
    build.add_argument("--cache", required=True)
    build.add_argument("--news", required=True)
    build.add_argument("--cmrc", required=True)
    build.set_defaults(func=cmd_build)
    serve = sub.add_parser("serve")
    serve.add_argument("--data", required=True)
    serve.add_argument("--dev", required=True)
    serve.add_argument("--reps", type=int, default=1)
    serve.add_argument("--profile", action="store_true")
    serve.set_defaults(func=cmd_serve)
    backend = sub.add_parser("backend")
    backend.add_argument("--data", required=True)
    backend.add_argument("--dev", required=True)
    backend.add_argument("--reps", type=int, default=2)
    backend.set_defaults(func=cmd_backend)
    for p in (build, serve, backend):
        p.add_argument("--out", required=True, help="where to write the JSON result")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("bm25s", "chromadb", "sentence_transformers", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started = time.perf_counter()
    result = args.func(args)
    result["worker_seconds"] = time.perf_counter() - started
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
