"""Load test: many clients at once on the OpenAI-compatible API, as on enrolment day.

    .venv/bin/python scripts/load_test.py [--clients 32] [--questions 1000]
        [--questions-file FILE] [--url http://127.0.0.1:7860 --pid PID] [--json OUT]

Without --url it starts `app.py` itself on a free loopback port (the index in
ASSISTANT_DATA_DIR or --data-dir must be built, or app.py builds it first) and stops it at
the end. Questions are taken in turn from FILE (JSON lines with a "question" field and an
optional "history" of [question, answer] pairs, or one question per line), cycling until
--questions have been asked; `--clients` threads ask them at once through their own HTTP
connections. A warm-up round (one question per client, not counted) comes first.

The serving process's resident memory (VmRSS, psutil when installed) is sampled every
second. Printed: clients, questions, errors, latency p50/p95/max, throughput, and memory
at start, after warm-up, at the end and at its peak. Exit status 1 on any error, or when
memory grew from after warm-up to the end by more than --max-growth-mb or
--max-growth-pct (what counts as noise).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = ROOT / "tests" / "fixtures" / "refusal_calibration.jsonl"
MODEL_ID = "luohu-assistant"


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


def ask(client: httpx.Client, url: str, item: dict[str, Any]) -> Outcome:
    started = time.perf_counter()
    try:
        response = client.post(
            f"{url}/v1/chat/completions", json={"model": MODEL_ID, "messages": messages_for(item)}
        )
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            return Outcome(seconds, False, f"HTTP {response.status_code}: {response.text[:200]}")
        content = response.json()["choices"][0]["message"]["content"]
        if not content:
            return Outcome(seconds, False, "empty answer")
        return Outcome(seconds, True)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load test of the OpenAI-compatible API")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--questions", type=int, default=1000, help="questions in all (default 1000)")
    parser.add_argument(
        "--questions-file", type=Path, default=DEFAULT_QUESTIONS, help="JSON lines or one question per line"
    )
    parser.add_argument("--url", help="a running server (default: start app.py on a free port)")
    parser.add_argument("--pid", type=int, help="process id of the --url server, for its memory")
    parser.add_argument("--data-dir", type=Path, help="ASSISTANT_DATA_DIR for the app.py started here")
    parser.add_argument("--max-growth-mb", type=float, default=100.0, help="memory growth taken as noise")
    parser.add_argument("--max-growth-pct", type=float, default=10.0, help="the same, in percent")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one request may take")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.url and not args.pid:
        parser.error("--url needs --pid (the server's process id) to measure its memory")

    items = read_questions(args.questions_file)
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
