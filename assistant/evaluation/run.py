"""`python -m assistant eval FILE.jsonl`: retrieval, answer and refusal quality, and latency.

Input lines: {"id", "question", "gold": [substrings], "facts": [[alternatives], ...],
"refuse": bool, "history": [[question, answer], ...]}. A hit is a gold substring inside a
returned passage (compared after punctuation folding, so "," and "，" match).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.documents.text_repair import fold_punctuation
from assistant.question.normalize import to_simplified
from assistant.settings import Settings

HIT_KS = (1, 3, 5)


@dataclass
class Metrics:
    name: str
    ranks: list[int | None] = field(default_factory=list)  # rank of first gold hit, answerable only
    fact_hits: list[bool] = field(default_factory=list)
    refuse_pred: list[bool] = field(default_factory=list)
    refuse_gold: list[bool] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def hit_at(self, k: int) -> float:
        return _mean([r is not None and r < k for r in self.ranks])

    @property
    def mrr(self) -> float:
        return _mean([1.0 / (r + 1) if r is not None else 0.0 for r in self.ranks])

    @property
    def fact_recall(self) -> float:
        return _mean(self.fact_hits)

    def refusal(self) -> tuple[float, float]:
        pairs = list(zip(self.refuse_pred, self.refuse_gold, strict=True))
        tp = sum(p and g for p, g in pairs)
        predicted = sum(p for p, _ in pairs)
        actual = sum(g for _, g in pairs)
        return (tp / predicted if predicted else 1.0, tp / actual if actual else 1.0)

    def latency(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> dict[str, float]:
        precision, recall = self.refusal()
        row = {f"hit@{k}": self.hit_at(k) for k in HIT_KS}
        row.update(
            {
                "MRR": self.mrr,
                "fact recall": self.fact_recall,
                "refusal P": precision,
                "refusal R": recall,
                "p50 ms": self.latency(0.5),
                "p95 ms": self.latency(0.95),
            }
        )
        return row


def _mean(values: Sequence[float | bool]) -> float:
    return float(statistics.fmean(values)) if values else 0.0


def gold_rank(golds: list[str], passages: list[str]) -> int | None:
    folded = [fold_punctuation(g) for g in golds]
    for rank, text in enumerate(passages):
        text = fold_punctuation(text)
        if any(g and g in text for g in folded):
            return rank
    return None


def facts_present(facts: list[list[str]], answer: str) -> bool:
    """Every group has one alternative in the answer (script-insensitive)."""
    answer_s = fold_punctuation(to_simplified(answer)).lower()
    return all(
        any(fold_punctuation(to_simplified(alt)).lower() in answer_s for alt in group) for group in facts
    )


def load_items(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


AskFn = Callable[[str, list[tuple[str, str]]], dict[str, Any]]


def evaluate(items: list[dict[str, Any]], ask: AskFn, name: str, out: Path | None = None) -> Metrics:
    metrics = Metrics(name)
    sink = out.open("w", encoding="utf-8") if out else None
    try:
        for item in items:
            history = [(q, a) for q, a in item.get("history", [])]
            started = time.perf_counter()
            result = ask(item["question"], history)
            metrics.latencies.append(time.perf_counter() - started)
            metrics.refuse_pred.append(bool(result["refused"]))
            metrics.refuse_gold.append(bool(item.get("refuse")))
            if not item.get("refuse"):
                texts = [c["text"] for c in result["citations"]]
                metrics.ranks.append(gold_rank(item.get("gold", []), texts))
                ok = not result["refused"] and facts_present(item.get("facts", []), result["answer"])
                metrics.fact_hits.append(ok)
            if sink:
                sink.write(json.dumps({"id": item.get("id"), **result}, ensure_ascii=False) + "\n")
    finally:
        if sink:
            sink.close()
    return metrics


def format_table(rows: list[Metrics]) -> str:
    columns = list(rows[0].row())
    header = "| system | " + " | ".join(columns) + " |"
    lines = [header, "|" + "---|" * (len(columns) + 1)]
    for m in rows:
        values = m.row()
        cells = [f"{values[c]:.0f}" if "ms" in c else f"{values[c]:.3f}" for c in columns]
        lines.append(f"| {m.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_eval(path: Path, settings: Settings, out: Path | None = None, baseline: bool = False) -> int:
    from assistant.chain import build_assistant

    items = load_items(path)
    assistant = build_assistant(settings)
    assistant.ask("预热")  # load the model and indexes before timing
    rows = [evaluate(items, lambda q, h: assistant.ask(q, h).to_json(), "assistant (hybrid)", out)]
    if baseline:
        from assistant.evaluation.baseline import NaiveBaseline

        naive = NaiveBaseline(settings, assistant.index.embedder)
        rows.append(evaluate(items, naive.ask, "naive LangChain baseline"))
    print(f"{path.name}: {len(items)} questions ({sum(1 for i in items if i.get('refuse'))} to refuse)")
    print(format_table(rows))
    return 0
