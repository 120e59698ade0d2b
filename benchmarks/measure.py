"""Measurements shared by the in-process comparison and the serving worker: retrieval-only
and end-to-end latency with quality, per-phase retrieval timing, and a cProfile of `ask`."""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.chain import Assistant
from assistant.evaluation.run import Metrics, evaluate, gold_rank
from assistant.question.condense import condense
from assistant.question.lexical import LexicalIndex
from assistant.question.normalize import clean_input, normalize_question
from assistant.question.retrieve import HybridSearcher
from assistant.question.snapshot import ChromaChunks
from benchmarks.timers import PhaseTimer, patched, percentile

Item = dict[str, Any]
AskFn = Callable[[str, list[tuple[str, str]]], dict[str, Any]]
PHASES = ("embed query", "dense top-k", "BM25", "sentence scoring")


@dataclass
class SystemResult:
    """Latency and quality of one system over the dev set."""

    name: str
    p50_ms: float
    p95_ms: float
    hit1: float
    hit3: float
    fact_recall: float | None
    n: int
    phases_ms: dict[str, float] = field(default_factory=dict)  # phase -> p50 ms

    @staticmethod
    def from_metrics(name: str, metrics: Metrics, facts: bool = True) -> SystemResult:
        return SystemResult(
            name=name,
            p50_ms=metrics.latency(0.5),
            p95_ms=metrics.latency(0.95),
            hit1=metrics.hit_at(1),
            hit3=metrics.hit_at(3),
            fact_recall=metrics.fact_recall if facts else None,
            n=len(metrics.latencies),
        )


def history_of(item: Item) -> list[tuple[str, str]]:
    return [(q, a) for q, a in item.get("history", [])]


def standalone(question: str, history: list[tuple[str, str]]) -> str:
    """What `Assistant` hands to the searcher: normalised, condensed by the rules."""
    normalized = normalize_question(clean_input(question))
    return normalize_question(condense(normalized.original, history, None)).text


def retrieval_only(searcher: HybridSearcher, items: list[Item], reps: int, k: int) -> SystemResult:
    """`HybridSearcher.search` alone, timed per phase; hit@k from the returned passages."""
    queries = [(standalone(i["question"], history_of(i)), i) for i in items]
    metrics = Metrics("retrieval")
    timer = PhaseTimer()
    # The searcher's own call: serving embeds through the batcher (the model's batch
    # method), so wrapping the model's embed_query would time nothing.
    targets = [
        (HybridSearcher, "embed_query", "embed query"),
        (ChromaChunks, "nearest", "dense top-k"),
        (LexicalIndex, "search", "BM25"),
        (HybridSearcher, "_score_sentences", "sentence scoring"),
    ]
    with patched(timer, targets):
        for rep in range(reps):
            for text, item in queries:
                timer.current.clear()
                started = time.perf_counter()
                result = searcher.search(text, k)
                metrics.latencies.append(time.perf_counter() - started)
                timer.flush(PHASES)
                if rep == 0 and not item.get("refuse"):
                    metrics.ranks.append(gold_rank(item.get("gold", []), [p.text for p in result.passages]))
    out = SystemResult.from_metrics("assistant: retrieval only (HybridSearcher.search)", metrics, facts=False)
    out.phases_ms = {name: percentile(timer.samples[name], 0.5) * 1000 for name in PHASES}
    return out


def end_to_end(ask: AskFn, items: list[Item], reps: int, name: str) -> SystemResult:
    """`assistant.evaluation.evaluate` over the dev set, `reps` times (quality is the same
    each time: every system here is deterministic)."""
    return SystemResult.from_metrics(name, evaluate(items * reps, ask, name))


def assistant_ask(assistant: Assistant) -> AskFn:
    return lambda q, h: assistant.ask(q, h).to_json()


@dataclass
class Profile:
    asks: int
    seconds: float
    cumulative: list[str]
    own: list[str]


# LCEL plumbing (RunnableSequence/RunnableLambda invoke, config and context wrappers) sits on
# every path and hides the functions that do the work; it is left out of the listings.
_PLUMBING = ("/langchain_core/runnables/", "_contextvars")


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    return f"{Path(filename).name}:{line}({name})" if line else name


def _top_lines(stats: pstats.Stats, key: str, asks: int, n: int) -> list[str]:
    stats.sort_stats(key)
    lines = [f"{'ncalls':>9} {'tottime':>8} {'cumtime':>8} {'cum/ask ms':>10}  function"]
    funcs = [f for f in stats.fcn_list if not any(p in f[0] or p in f[2] for p in _PLUMBING)]  # type: ignore[attr-defined]
    for func in funcs[:n]:
        _, ncalls, tottime, cumtime, _ = stats.stats[func]  # type: ignore[attr-defined]
        lines.append(
            f"{ncalls:>9} {tottime:8.3f} {cumtime:8.3f} {cumtime / asks * 1000:10.1f}  {_where(func)}"
        )
    return lines


def profile_asks(assistant: Assistant, items: list[Item], top: int = 10, every: int = 3) -> Profile:
    """cProfile over `Assistant.ask` on every `every`-th dev question (cProfile slows the
    model's many small Python calls ~3x; a third of the set shows the same picture)."""
    items = items[::every]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for item in items:
        assistant.ask(item["question"], history_of(item))
    profiler.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    return Profile(
        asks=len(items),
        seconds=seconds,
        cumulative=_top_lines(stats, "cumulative", len(items), top),
        own=_top_lines(stats, "tottime", len(items), top),
    )
