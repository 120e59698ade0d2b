"""Load test: many clients at once on the OpenAI-compatible API, as on enrolment day.

    .venv/bin/python scripts/load_test.py [--clients 32] [--questions 1000]
        [--questions-file FILE ...] [--url http://127.0.0.1:7860 --pid PID] [--json OUT]
        [--season [--skew 1.0]]

Without --url it starts `app.py` itself on a free loopback port (the index in
ASSISTANT_DATA_DIR or --data-dir must be built, or app.py builds it first) and stops it at
the end. `--season` (what `make load-test` runs) measures distinct questions with 1 and
with --clients clients, then an enrolment-season mix where a few questions repeat often
(scripts/load_season.py). Questions are taken in turn from the FILEs (JSON lines with a
"question" field and an optional "history" of [question, answer] pairs, or one question per
line; each distinct question once), cycling until --questions have been asked; `--clients`
threads ask them at once through their own HTTP connections. A warm-up round (one question
per client, not counted) comes first.

The serving process's resident memory (VmRSS, psutil when installed) is sampled every
second. Printed: clients, questions, errors, latency p50/p95/max, throughput, and memory
at start, after warm-up, at the end and at its peak. Exit status 1 on any error, or when
memory grew from after warm-up to the end by more than --max-growth-mb or
--max-growth-pct (what counts as noise).

Matrix mode measures every replica count × client count in one run:

    .venv/bin/python scripts/load_test.py --matrix [--clients-list 1,8,32]
        [--replicas-list 1,2] [--questions 200] [--threads-per-replica T] [--reindex N] [--json OUT]

Each replica count is started once with scripts/scale_out.py (its own Chroma server, seeded
from the embedded index in --data-dir or the local one of `make index`; HAProxy in front
even of a single replica, so every cell pays the same extra hop), then each client count
runs against it: a warm-up round, then --questions questions (per cell). One table row per
cell: throughput, latency p50/p95, errors, resident memory of the replicas plus the Chroma
server at the end, how many questions each replica answered (X-Served-By) and the
machine's 1-minute load average before the cell (other work on the machine shows there).
With --reindex N, after the cells of each replica count the most clients ask again, without
pause, while a document is updated and `python -m assistant ingest` runs, N times, against
the same Chroma server: the line printed counts the answers per index version (every rebuilt one must
answer) and the errors (there must be none). Exit status 1 on any error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = ROOT / "tests" / "fixtures" / "refusal_calibration.jsonl"
MODEL_ID = "luohu-assistant"
SINGLE_RUN_QUESTIONS = 1000
MATRIX_QUESTIONS = 200  # per cell: the default matrix (6 cells) takes about 5 minutes on 2 cores


# ---------------------------------------------------------------------------- questions


def read_questions(path: Path) -> list[dict[str, Any]]:
    """[{question, history}] from JSON lines or plain lines."""
    items: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            record = json.loads(line)
            items.append({"question": record["question"], "history": record.get("history") or []})
        else:
            items.append({"question": line, "history": []})
    if not items:
        raise SystemExit(f"no questions in {path}")
    return items


def read_question_files(paths: list[Path]) -> list[dict[str, Any]]:
    """The questions of every file, each distinct one (with its history) once."""
    seen: dict[str, dict[str, Any]] = {}
    for path in paths:
        for item in read_questions(path):
            seen.setdefault(json.dumps(item, ensure_ascii=False, sort_keys=True), item)
    return list(seen.values())


def messages_for(item: dict[str, Any]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for question, answer in item["history"]:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return [*messages, {"role": "user", "content": item["question"]}]


# ---------------------------------------------------------------------------- memory


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB."""
    try:
        import psutil  # type: ignore[import-untyped]

        return float(psutil.Process(pid).memory_info().rss) / (1024 * 1024)
    except ImportError:
        pass
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class MemorySampler(threading.Thread):
    """RSS of one process, once a second, with the time of each sample."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self._halt = threading.Event()

    def sample(self) -> float:
        value = rss_mb(self.pid)
        self.samples.append((time.monotonic(), value))
        return value

    def run(self) -> None:
        while not self._halt.wait(self.every):
            try:
                self.sample()
            except (OSError, RuntimeError):
                return  # the process is gone

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


# ---------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_app(data_dir: Path | None, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`app.py` on a free loopback port, without an admin section; returns once it serves."""
    port = free_port()
    env = {**os.environ, "ASSISTANT_PORT": str(port), "ASSISTANT_HOST": "127.0.0.1"}
    env["ASSISTANT_ADMIN_PASSWORD"] = ""
    if data_dir is not None:
        env["ASSISTANT_DATA_DIR"] = str(data_dir)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 1800  # a first run builds the index
    while True:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise SystemExit(f"app.py exited ({proc.returncode}):\n{tail}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("app.py did not start serving")
        time.sleep(1)


# ---------------------------------------------------------------------------- the load


@dataclass
class Outcome:
    seconds: float
    ok: bool
    error: str = ""
    served_by: str = ""  # the balancer's X-Served-By header, when there is one
    index_version: str = ""  # the collection the answer was read from


def ask(client: httpx.Client, url: str, item: dict[str, Any]) -> Outcome:
    started = time.perf_counter()
    try:
        response = client.post(
            f"{url}/v1/chat/completions", json={"model": MODEL_ID, "messages": messages_for(item)}
        )
        seconds = time.perf_counter() - started
        served_by = response.headers.get("x-served-by", "")
        if response.status_code != 200:
            error = f"HTTP {response.status_code}: {response.text[:200]}"
            return Outcome(seconds, False, error, served_by)
        body = response.json()
        content = body["choices"][0]["message"]["content"]
        if not content:
            return Outcome(seconds, False, "empty answer", served_by)
        return Outcome(seconds, True, served_by=served_by, index_version=str(body.get("index_version", "")))
    except Exception as exc:  # any failure of any kind is an error of the run
        return Outcome(time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")


def run_round(
    url: str, items: list[dict[str, Any]], count: int, clients: int, timeout: float
) -> list[Outcome]:
    """`count` questions (cycling through `items`) by `clients` threads at once."""
    outcomes: list[Outcome | None] = [None] * count
    next_index = iter(range(count))
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(timeout=timeout) as client:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                outcomes[i] = ask(client, url, items[i % len(items)])

    threads = [threading.Thread(target=worker, name=f"client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [o for o in outcomes if o is not None]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Report:
    clients: int
    questions: int
    errors: int
    p50_s: float
    p95_s: float
    max_s: float
    mean_s: float
    seconds: float
    throughput_qps: float
    rss_start_mb: float
    rss_after_warmup_mb: float
    rss_end_mb: float
    rss_peak_mb: float
    rss_growth_mb: float
    rss_growth_pct: float
    rss_during_mb: list[float] = field(default_factory=list)  # at 0, 25, 50, 75, 100 % of the run
    error_samples: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"clients            {self.clients}",
            f"questions          {self.questions}",
            f"errors             {self.errors}",
            f"latency p50 / p95  {self.p50_s:.2f} s / {self.p95_s:.2f} s (max {self.max_s:.2f} s, "
            f"mean {self.mean_s:.2f} s)",
            f"throughput         {self.throughput_qps:.2f} questions/s over {self.seconds:.0f} s",
            f"server RSS         start {self.rss_start_mb:.0f} MB, after warm-up "
            f"{self.rss_after_warmup_mb:.0f} MB, end {self.rss_end_mb:.0f} MB, "
            f"peak {self.rss_peak_mb:.0f} MB",
            f"RSS growth         {self.rss_growth_mb:+.0f} MB ({self.rss_growth_pct:+.1f} %) "
            "from after warm-up to end",
            "RSS during the run " + " / ".join(f"{v:.0f}" for v in self.rss_during_mb) + " MB (each quarter)",
            *[f"error: {e}" for e in self.error_samples],
        ]


def load_test(
    url: str, pid: int, items: list[dict[str, Any]], clients: int, questions: int, timeout: float = 600
) -> Report:
    sampler = MemorySampler(pid)
    rss_start = sampler.sample()
    sampler.start()
    try:
        run_round(url, items, clients, clients, timeout)  # warm-up: every client once
        time.sleep(1.5)
        rss_warm = sampler.sample()
        started, first = time.perf_counter(), time.monotonic()
        outcomes = run_round(url, items, questions, clients, timeout)
        seconds, last = time.perf_counter() - started, time.monotonic()
        time.sleep(1.5)
        rss_end = sampler.sample()
    finally:
        sampler.stop()
    latencies = [o.seconds for o in outcomes]
    errors = [o.error for o in outcomes if not o.ok]
    growth = rss_end - rss_warm
    return Report(
        clients=clients,
        questions=len(outcomes),
        errors=len(errors),
        p50_s=percentile(latencies, 50),
        p95_s=percentile(latencies, 95),
        max_s=max(latencies, default=0.0),
        mean_s=statistics.fmean(latencies) if latencies else 0.0,
        seconds=seconds,
        throughput_qps=len(outcomes) / seconds if seconds else 0.0,
        rss_start_mb=rss_start,
        rss_after_warmup_mb=rss_warm,
        rss_end_mb=rss_end,
        rss_peak_mb=max(v for _, v in sampler.samples),
        rss_growth_mb=growth,
        rss_growth_pct=100 * growth / rss_warm if rss_warm else 0.0,
        rss_during_mb=_quarters(sampler.samples, first, last),
        error_samples=sorted(set(errors))[:5],
    )


def _quarters(samples: list[tuple[float, float]], first: float, last: float) -> list[float]:
    """The sample nearest to each quarter of the run [first, last]."""
    if not samples:
        return []
    marks = [first + (last - first) * q / 4 for q in range(5)]
    return [min(samples, key=lambda s: abs(s[0] - mark))[1] for mark in marks]


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


def outcome_figures(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    """Counts, throughput and latency of a cell's answers (the rows' shared fields)."""
    latencies = [o.seconds for o in outcomes]
    errors = [o.error for o in outcomes if not o.ok]
    return {
        "questions": len(outcomes),
        "errors": len(errors),
        "throughput_qps": len(outcomes) / seconds if seconds else 0.0,
        "p50_s": percentile(latencies, 50),
        "p95_s": percentile(latencies, 95),
        "max_s": max(latencies, default=0.0),
        "error_samples": sorted(set(errors))[:5],
    }


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


def _int_list(text: str) -> list[int]:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load test of the OpenAI-compatible API")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument(
        "--questions",
        type=int,
        help=f"questions in all (default {SINGLE_RUN_QUESTIONS}); with --matrix, per cell "
        f"(default {MATRIX_QUESTIONS})",
    )
    parser.add_argument(
        "--questions-file",
        type=Path,
        nargs="+",
        default=[DEFAULT_QUESTIONS],
        help="JSON lines or one question per line; several files are merged, each question once",
    )
    parser.add_argument(
        "--season",
        action="store_true",
        help="distinct questions with 1 and --clients clients (no query-vector cache), then an "
        "enrolment-season mix with the cache as shipped; both printed",
    )
    parser.add_argument(
        "--skew", type=float, default=1.0, help="season mix: the r-th most asked question has weight 1/r^skew"
    )
    parser.add_argument(
        "--query-cache",
        action="store_true",
        help="keep the servers' cache of repeated questions' vectors (enrolment-season repetition); "
        "by default the servers started here run without it, so repeated questions still cost work",
    )
    parser.add_argument("--url", help="a running server (default: start app.py on a free port)")
    parser.add_argument("--pid", type=int, help="process id of the --url server, for its memory")
    parser.add_argument("--data-dir", type=Path, help="ASSISTANT_DATA_DIR for the app.py started here")
    parser.add_argument("--max-growth-mb", type=float, default=100.0, help="memory growth taken as noise")
    parser.add_argument("--max-growth-pct", type=float, default=10.0, help="the same, in percent")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one request may take")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    matrix = parser.add_argument_group("matrix mode (scripts/scale_out.py: replicas behind HAProxy)")
    matrix.add_argument(
        "--matrix", action="store_true", help="measure every replica count × client count in one run"
    )
    matrix.add_argument(
        "--clients-list", type=_int_list, default=[1, 8, 32], help="client counts (default 1,8,32)"
    )
    matrix.add_argument(
        "--replicas-list", type=_int_list, default=[1, 2], help="replica counts (default 1,2)"
    )
    matrix.add_argument(
        "--threads-per-replica", type=int, help="embedding threads per replica (default cores // replicas)"
    )
    matrix.add_argument(
        "--reindex",
        type=int,
        default=0,
        help="after each replica count's cells: the most clients again while the index is rebuilt N times",
    )
    args = parser.parse_args(argv)
    if args.matrix and args.url:
        parser.error("--matrix starts its own clusters; it takes no --url")
    if not args.matrix and args.url and not args.pid:
        parser.error("--url needs --pid (the server's process id) to measure its memory")
    if args.season:
        if args.matrix or args.url:
            parser.error("--season starts its own servers; it takes no --matrix or --url")
        here = str(Path(__file__).resolve().parent)
        if here not in sys.path:
            sys.path.insert(0, here)
        import load_season

        items = read_question_files(args.questions_file)
        return int(load_season.season_main(sys.modules[__name__], args, items))
    if args.query_cache:
        return _run(args)
    # Inherited by every server process this script starts (app.py, scale-out replicas);
    # restored afterwards, for a caller in the same process.
    before = os.environ.get("ASSISTANT_QUERY_CACHE_SIZE")
    os.environ["ASSISTANT_QUERY_CACHE_SIZE"] = "0"
    try:
        return _run(args)
    finally:
        if before is None:
            del os.environ["ASSISTANT_QUERY_CACHE_SIZE"]
        else:
            os.environ["ASSISTANT_QUERY_CACHE_SIZE"] = before


def _run(args: argparse.Namespace) -> int:
    if args.matrix:
        return matrix_main(args, read_question_files(args.questions_file))
    if args.questions is None:
        args.questions = SINGLE_RUN_QUESTIONS

    items = read_question_files(args.questions_file)
    proc = None
    if args.url:
        url, pid = args.url.rstrip("/"), args.pid
    else:
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"load-test-app-{os.getpid()}.log"
        print(f"starting app.py (log: {log_path}) …", flush=True)
        proc, url = start_app(args.data_dir, log_path)
        pid = proc.pid
    try:
        print(
            f"{args.clients} clients, {args.questions} questions from {args.questions_file} "
            f"({len(items)} distinct) against {url}",
            flush=True,
        )
        report = load_test(url, pid, items, args.clients, args.questions, args.timeout)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    print("\n".join(report.lines()), flush=True)
    if args.json:
        figures = json.dumps(asdict(report), ensure_ascii=False, indent=2)
        args.json.write_text(figures + "\n", encoding="utf-8")
    too_much = report.rss_growth_mb > args.max_growth_mb or report.rss_growth_pct > args.max_growth_pct
    if report.errors:
        print(f"FAILED: {report.errors} errors", file=sys.stderr)
    if too_much:
        print(
            f"FAILED: memory grew {report.rss_growth_mb:.0f} MB ({report.rss_growth_pct:.1f} %), more than "
            f"{args.max_growth_mb:.0f} MB or {args.max_growth_pct:.0f} %",
            file=sys.stderr,
        )
    return 1 if report.errors or too_much else 0


if __name__ == "__main__":
    sys.exit(main())
