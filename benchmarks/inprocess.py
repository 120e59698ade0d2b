"""Warm latency and quality at knowledge-base size, in one process: the assistant (retrieval
only and end to end), the naive LangChain baseline and BM25 alone, after one warm-up each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.chain import Assistant
from assistant.embeddings import Embedder
from assistant.evaluation.baseline import NaiveBaseline
from assistant.index import KnowledgeIndex
from assistant.question.lexical import LexicalIndex, tokenize
from assistant.settings import Settings
from benchmarks.measure import (
    AskFn,
    Item,
    SystemResult,
    assistant_ask,
    end_to_end,
    history_of,
    retrieval_only,
    standalone,
)
from benchmarks.timers import stopwatch

BM25_K = 5


@dataclass
class Comparison:
    systems: list[SystemResult]
    setup_s: dict[str, float]


def bm25_alone(index: KnowledgeIndex, k: int = BM25_K) -> tuple[AskFn, int]:
    """BM25 (the project's LexicalIndex) over the same chunks, fed the same standalone
    question as the hybrid searcher; the top passage is the answer, as in the baseline."""
    ids, texts, metas = index.all_chunks()
    searchable = [
        f"{m.get('title', '')} > {m.get('section', '')}\n{t}" for t, m in zip(texts, metas, strict=True)
    ]
    lexical = LexicalIndex(ids, searchable)
    by_id = dict(zip(ids, texts, strict=True))

    def ask(question: str, history: list[tuple[str, str]]) -> dict[str, Any]:
        hits = lexical.search(tokenize(standalone(question, history)), k)
        citations = [{"text": by_id[cid], "score": score} for cid, score in hits]
        answer = citations[0]["text"] if citations else ""
        return {"question": question, "answer": answer, "refused": False, "citations": citations}

    return ask, len(ids)


def _warm(ask: AskFn, item: Item) -> float:
    with stopwatch() as t:
        ask(item["question"], history_of(item))
    return t[0]


def compare(
    settings: Settings,
    embedder: Embedder,
    baseline_embedder: Embedder,
    items: list[Item],
    reps: int,
) -> Comparison:
    setup: dict[str, float] = {}
    with stopwatch() as t:
        # Repetitions must measure the work, not the cache of repeated questions' vectors.
        served = Assistant(
            settings.model_copy(update={"query_cache_size": 0}), KnowledgeIndex(settings, embedder)
        )
    setup["assistant build"] = t[0]
    setup["assistant warm-up"] = _warm(assistant_ask(served), items[0])
    systems = [
        retrieval_only(served.searcher, items, reps, settings.top_k),
        end_to_end(assistant_ask(served), items, reps, "assistant: end to end (Assistant.ask)"),
    ]
    with stopwatch() as t:
        naive = NaiveBaseline(settings, baseline_embedder)
    setup["baseline build (vectors cached)"] = t[0]
    setup["baseline warm-up"] = _warm(naive.ask, items[0])
    systems.append(end_to_end(naive.ask, items, reps, "naive LangChain baseline (500/50 split, dense top-5)"))
    with stopwatch() as t:
        bm25, _ = bm25_alone(served.index)
    setup["BM25 build"] = t[0]
    setup["BM25 warm-up"] = _warm(bm25, items[0])
    systems.append(end_to_end(bm25, items, reps, f"BM25 alone (LexicalIndex, same chunks, top-{BM25_K})"))
    return Comparison(systems, setup)
