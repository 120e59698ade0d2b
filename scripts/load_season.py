"""Season mode of scripts/load_test.py (`--season`, what `make load-test` runs): the same
questions measured two ways against `app.py`, both printed.

1. Distinct questions: the server runs without its cache of query vectors, so every
   question, repeated in the file or not, costs its forward pass as a new question would.
   One client, then `--clients` at once: the ratio of their throughputs is what
   concurrency buys.
2. Enrolment season: the server as shipped (the cache on), and a skewed mix of the same
   questions, the r-th most popular asked in proportion to 1/r^s (`--skew`; a few
   questions make up much of the day), drawn with a fixed seed.

Then, with the servers stopped, this process loads the embedding model the server uses and
times the query embedding of every distinct question alone (normalised as the assistant
does): the forward pass that a cache hit saves.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

CACHE_VARIABLE = "ASSISTANT_QUERY_CACHE_SIZE"
SEED = 25


def skewed_mix(
    items: list[dict[str, Any]], count: int, skew: float, seed: int = SEED
) -> list[dict[str, Any]]:
    """`count` questions drawn from `items`, the r-th (in a seeded random order of
    popularity) with weight 1/r^skew."""
    rng = random.Random(seed)
    ranked = list(items)
    rng.shuffle(ranked)
    weights = [1 / (rank**skew) for rank in range(1, len(ranked) + 1)]
    return rng.choices(ranked, weights=weights, k=count)


def mix_shape(mix: list[dict[str, Any]]) -> dict[str, Any]:
    """How repetitive a mix is: distinct questions, the most asked one's share, and the share
    of askings that repeat an earlier one (what a cache large enough can serve)."""
    counts = Counter((m["question"], json.dumps(m["history"], ensure_ascii=False)) for m in mix)
    top = counts.most_common(5)
    return {
        "questions": len(mix),
        "distinct": len(counts),
        "top1_share": top[0][1] / len(mix) if mix else 0.0,
        "top5_share": sum(c for _, c in top) / len(mix) if mix else 0.0,
        "repeat_share": 1 - len(counts) / len(mix) if mix else 0.0,
    }


@contextmanager
def cache_size(value: str | None) -> Iterator[None]:
    """The query-vector cache setting the servers started inside inherit (None: as shipped)."""
    before = os.environ.get(CACHE_VARIABLE)
    if value is None:
        os.environ.pop(CACHE_VARIABLE, None)
    else:
        os.environ[CACHE_VARIABLE] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CACHE_VARIABLE, None)
        else:
            os.environ[CACHE_VARIABLE] = before


def serve_and_run(
    lt: ModuleType, args: argparse.Namespace, runs: list[tuple[list[dict[str, Any]], int, int]]
) -> list[Any]:
    """Start app.py, run each (items, clients, questions) against it, stop it."""
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"load-test-app-{os.getpid()}.log"
    print(f"starting app.py (log: {log_path}) …", flush=True)
    proc, url = lt.start_app(args.data_dir, log_path)
    try:
        reports = []
        for items, clients, questions in runs:
            print(f"  {clients} client(s), {questions} questions …", flush=True)
            reports.append(lt.load_test(url, proc.pid, items, clients, questions, args.timeout))
        return reports
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except Exception:
            proc.kill()


def embedding_times(items: list[dict[str, Any]], data_dir: Path | None) -> dict[str, Any]:
    """Query embedding of each distinct question alone, in this process, with the backend
    the server uses (after three warm-up questions)."""
    from assistant.backends.loader import get_embedder
    from assistant.question.normalize import normalize_question
    from assistant.settings import Settings

    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    embedder = get_embedder(settings)
    texts = list(dict.fromkeys(normalize_question(item["question"]).text for item in items))
    for text in texts[:3]:
        embedder.embed_query(text)
    times = []
    for text in texts:
        started = time.perf_counter()
        embedder.embed_query(text)
        times.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return {
        "backend": getattr(embedder, "backend", getattr(embedder, "name", "?")),
        "questions": len(times),
        "p50_ms": statistics.median(times),
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
    }


def season_main(lt: ModuleType, args: argparse.Namespace, items: list[dict[str, Any]]) -> int:
    questions = args.questions or lt.SINGLE_RUN_QUESTIONS
    print(f"{len(items)} distinct questions from {', '.join(map(str, args.questions_file))}", flush=True)
    print("1. distinct questions: server without the query-vector cache", flush=True)
    with cache_size("0"):
        one, many = serve_and_run(lt, args, [(items, 1, questions), (items, args.clients, questions)])
    mix = skewed_mix(items, questions, args.skew)
    shape = mix_shape(mix)
    print(f"2. enrolment season: server as shipped, skewed mix (1/r^{args.skew})", flush=True)
    with cache_size(None):
        (season,) = serve_and_run(lt, args, [(mix, args.clients, questions)])
    embed = embedding_times(items, args.data_dir)
    lines = [
        f"== distinct questions, 1 client (server without the query-vector cache; {len(items)} distinct)",
        *one.lines(),
        f"== distinct questions, {args.clients} clients",
        *many.lines(),
        f"== enrolment season, {args.clients} clients (cache as shipped): {shape['distinct']} distinct of "
        f"{shape['questions']}, the most asked {shape['top1_share']:.0%}, the five most asked "
        f"{shape['top5_share']:.0%}, repeats {shape['repeat_share']:.0%}",
        *season.lines(),
        "== summary",
        f"{args.clients} clients / 1 client, distinct: {many.throughput_qps / one.throughput_qps:.2f}× "
        f"({many.throughput_qps:.2f} / {one.throughput_qps:.2f} q/s; target ≥ 1.8×)",
        f"enrolment season / distinct, {args.clients} clients: "
        f"{season.throughput_qps / many.throughput_qps:.2f}× ({season.throughput_qps:.2f} q/s), "
        f"p50 {season.p50_s * 1000:.0f} ms against {many.p50_s * 1000:.0f} ms",
        f"server CPU a question, 1 client / {args.clients} clients: {one.server_cpu_ms:.1f} / "
        f"{many.server_cpu_ms:.1f} ms (cores busy {one.server_cpu_s / one.seconds:.2f} / "
        f"{many.server_cpu_s / many.seconds:.2f})",
        f"warm answer p50, 1 client (HTTP round trip): {one.p50_s * 1000:.0f} ms (target ≤ 80 ms)",
        f"query embedding p50 / p95 ({embed['backend']}, one question alone, "
        f"{embed['questions']} questions): {embed['p50_ms']:.1f} / {embed['p95_ms']:.1f} ms (target ≤ 40 ms)",
        f"machine load average (1/5/15 min) at the end: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}",
    ]
    print("\n".join(lines), flush=True)
    if args.json:
        body = {
            "distinct_one_client": asdict(one),
            "distinct_many_clients": asdict(many),
            "season": asdict(season),
            "season_mix": shape,
            "query_embedding": embed,
        }
        args.json.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    failed = 0
    for name, report in (("1 client", one), (f"{args.clients} clients", many), ("season", season)):
        if report.errors:
            print(f"FAILED ({name}): {report.errors} errors", file=sys.stderr)
            failed += 1
        if report.rss_growth_mb > args.max_growth_mb or report.rss_growth_pct > args.max_growth_pct:
            print(f"FAILED ({name}): memory grew {report.rss_growth_mb:.0f} MB", file=sys.stderr)
            failed += 1
    return 1 if failed else 0
