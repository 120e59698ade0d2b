"""Matrix mode of scripts/load_test.py (`--matrix`): every replica count × client count,
each replica count started once by scripts/scale_out.py behind HAProxy, and re-indexes
under load (`--reindex N`). See scripts/load_test.py for the options."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from load_client import ROOT, Outcome, ask, outcome_figures, rss_mb, run_round

MATRIX_QUESTIONS = 200  # per cell: the default matrix (6 cells) takes about 5 minutes on 2 cores


# ---------------------------------------------------------------------------- matrix mode


@dataclass
class MatrixRow:
    """One cell of the matrix: `clients` at once against `replicas` behind the balancer."""

    replicas: int
    clients: int
    questions: int
    errors: int
    throughput_qps: float
    p50_s: float
    p95_s: float
    max_s: float
    seconds: float
    rss_total_mb: float  # the replicas' and the Chroma server's resident memory at the end
    rss_replicas_mb: list[float]
    rss_chroma_mb: float
    threads_per_replica: int
    served_by: dict[str, int]  # questions answered by each replica (X-Served-By)
    load_avg_1m: float  # of the whole machine just before the cell: other work shows here
    error_samples: list[str] = field(default_factory=list)


def matrix_cell(
    cluster: Any, items: list[dict[str, Any]], clients: int, questions: int, timeout: float
) -> MatrixRow:
    run_round(cluster.url, items, clients, clients, timeout)  # warm-up: every client once
    load = os.getloadavg()[0]
    started = time.perf_counter()
    outcomes = run_round(cluster.url, items, questions, clients, timeout)
    seconds = time.perf_counter() - started
    replicas_mb = [rss_mb(pid) for pid in cluster.replica_pids]
    chroma_mb = rss_mb(cluster.chroma_pid)
    served: dict[str, int] = {}
    for outcome in outcomes:
        served[outcome.served_by or "?"] = served.get(outcome.served_by or "?", 0) + 1
    return MatrixRow(
        replicas=len(cluster.replica_pids),
        clients=clients,
        **outcome_figures(outcomes, seconds),
        seconds=seconds,
        rss_total_mb=sum(replicas_mb) + chroma_mb,
        rss_replicas_mb=replicas_mb,
        rss_chroma_mb=chroma_mb,
        threads_per_replica=cluster.threads_per_replica,
        served_by=dict(sorted(served.items())),
        load_avg_1m=load,
    )


MATRIX_HEADER = (
    "| replicas | clients | questions | q/s | p50 s | p95 s | errors | RSS MB (replicas + chroma) "
    "| served by | load 1m |"
)


def matrix_line(row: MatrixRow) -> str:
    replicas = " + ".join(f"{v:.0f}" for v in row.rss_replicas_mb)
    served = " / ".join(f"{name} {count}" for name, count in row.served_by.items())
    return (
        f"| {row.replicas} | {row.clients} | {row.questions} | {row.throughput_qps:.2f} | {row.p50_s:.3f} "
        f"| {row.p95_s:.3f} | {row.errors} | {row.rss_total_mb:,.0f} ({replicas} + {row.rss_chroma_mb:.0f}) "
        f"| {served} | {row.load_avg_1m:.2f} |"
    )


def matrix_table(rows: list[MatrixRow]) -> list[str]:
    return [MATRIX_HEADER, "|" + "---|" * (MATRIX_HEADER.count("|") - 1), *map(matrix_line, rows)]


def run_matrix(
    items: list[dict[str, Any]],
    clients_list: list[int],
    replicas_list: list[int],
    questions: int,
    timeout: float,
    seed_index: Path | None,
    threads_per_replica: int | None = None,
    reindexes: int = 0,
) -> tuple[list[MatrixRow], list[ReindexRow]]:
    """Every replica count started once through scale_out (HAProxy in front even for one
    replica, so every cell pays the same hop); each client count run against it in turn;
    then, with `reindexes`, the most clients again while the index is rebuilt."""
    scale_out = _scale_out_module().scale_out
    rows: list[MatrixRow] = []
    rebuilt: list[ReindexRow] = []
    for replicas in replicas_list:
        print(f"starting {replicas} replica(s) behind haproxy …", flush=True)
        with scale_out(replicas, seed_index=seed_index, threads_per_replica=threads_per_replica) as cluster:
            print(f"  {cluster.url}: {cluster.threads_per_replica} embedding threads per replica", flush=True)
            for clients in clients_list:
                row = matrix_cell(cluster, items, clients, questions, timeout)
                print("  " + matrix_line(row), flush=True)
                rows.append(row)
            if reindexes:
                rebuilt.append(reindex_cell(cluster, items, max(clients_list), reindexes, timeout))
                print("  " + reindex_line(rebuilt[-1]), flush=True)
    return rows, rebuilt


@dataclass
class ReindexRow:
    """Questions asked without pause while the index is rebuilt `reindexes` times."""

    replicas: int
    clients: int
    reindexes: int
    questions: int
    errors: int
    throughput_qps: float
    p50_s: float
    p95_s: float
    max_s: float
    versions: dict[str, int]  # answers per index version (collection), in order of first use
    reindex_seconds: list[float]
    error_samples: list[str] = field(default_factory=list)


def reindex_cell(
    cluster: Any, items: list[dict[str, Any]], clients: int, reindexes: int, timeout: float
) -> ReindexRow:
    """`clients` ask in a loop while an administrator updates a document `reindexes` times:
    a copy of the knowledge folder whose smallest text file gains a sentence each time, then
    `python -m assistant ingest` against the cluster's Chroma server (that document is
    embedded again, the others copied, a new collection switched in); the replicas move to
    each new collection on their own. No answer may be lost."""
    host, port = cluster.chroma_url.removeprefix("http://").rsplit(":", 1)
    knowledge = Path(tempfile.mkdtemp(prefix="load-test-knowledge-")) / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    updated = min(knowledge.glob("*.txt"), key=lambda p: p.stat().st_size)
    env = {**os.environ, "ASSISTANT_CHROMA_HOST": host, "ASSISTANT_CHROMA_PORT": port}
    env["ASSISTANT_DATA_DIR"] = cluster.data_dir
    env["ASSISTANT_KNOWLEDGE_DIR"] = str(knowledge)
    stop = threading.Event()
    outcomes: list[Outcome] = []

    def client_loop(offset: int) -> None:
        with httpx.Client(timeout=timeout) as client:
            i = offset
            while not stop.is_set():
                outcomes.append(ask(client, cluster.url, items[i % len(items)]))
                i += clients

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    took: list[float] = []
    try:
        for n in range(reindexes):
            begun = time.perf_counter()
            with updated.open("a", encoding="utf-8") as text:
                text.write(f"\n\n本文件已于负载测试中更新第 {n + 1} 次。\n")
            command = [sys.executable, "-m", "assistant", "ingest"]
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
            if done.returncode != 0:
                raise SystemExit(f"re-index failed ({done.returncode}):\n{done.stderr[-2000:]}")
            took.append(time.perf_counter() - begun)
        time.sleep(3)  # the replicas notice the last switch (they look every second)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        shutil.rmtree(knowledge.parent, ignore_errors=True)
    seconds = time.perf_counter() - started
    versions: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.ok:
            versions[outcome.index_version] = versions.get(outcome.index_version, 0) + 1
    return ReindexRow(
        replicas=len(cluster.replica_pids),
        clients=clients,
        reindexes=reindexes,
        **outcome_figures(outcomes, seconds),
        versions=versions,
        reindex_seconds=took,
    )


def reindex_line(row: ReindexRow) -> str:
    versions = " / ".join(str(count) for count in row.versions.values())
    rebuilt = ", ".join(f"{s:.0f}" for s in row.reindex_seconds)
    return (
        f"re-index under load: {row.replicas} replicas, {row.clients} clients, {row.reindexes} re-indexes "
        f"({rebuilt} s): {row.questions} questions, {row.errors} errors, {row.throughput_qps:.2f} q/s, "
        f"p50 {row.p50_s:.3f} s, p95 {row.p95_s:.3f} s, max {row.max_s:.3f} s; "
        f"answers per index version: {versions}"
    )


def _scale_out_module() -> Any:
    """scripts/scale_out.py, beside this file (imported only in matrix mode)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import scale_out

    return scale_out


def int_list(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"a comma-separated list of positive numbers, not {text!r}")
    return values


def matrix_main(args: argparse.Namespace, items: list[dict[str, Any]]) -> int:
    if args.data_dir is not None:
        seed: Path | None = args.data_dir / "chroma"
    else:
        seed = _scale_out_module().local_index_dir()
    if not (seed / "chroma.sqlite3").is_file():
        print(f"no embedded index in {seed}: each configuration builds its own (slow)", flush=True)
        seed = None
    questions = args.questions or MATRIX_QUESTIONS
    print(
        f"matrix: replicas {args.replicas_list} × clients {args.clients_list}, {questions} questions per "
        f"cell from {args.questions_file} ({len(items)} distinct)",
        flush=True,
    )
    rows, rebuilt = run_matrix(
        items,
        args.clients_list,
        args.replicas_list,
        questions,
        args.timeout,
        seed,
        args.threads_per_replica,
        args.reindex,
    )
    print("\n".join(matrix_table(rows)), flush=True)
    for again in rebuilt:
        print(reindex_line(again), flush=True)
    for row in rows:
        for sample in row.error_samples:
            print(f"error ({row.replicas} replicas, {row.clients} clients): {sample}")
    if args.json:
        body = {"cells": [asdict(r) for r in rows], "reindex": [asdict(r) for r in rebuilt]}
        args.json.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    errors = sum(r.errors for r in rows) + sum(r.errors for r in rebuilt)
    if any(len(r.versions) < r.reindexes + 1 for r in rebuilt):
        print("FAILED: the replicas did not answer from every rebuilt index", file=sys.stderr)
        errors += 1
    if errors:
        print(f"FAILED: {errors} errors", file=sys.stderr)
    return 1 if errors else 0
