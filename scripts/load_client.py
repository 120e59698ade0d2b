"""The client side of the load test (scripts/load_test.py): questions, the server it
starts, the clients that ask at once, and what is measured of the server meanwhile
(resident memory every second, CPU seconds over a run)."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
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


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of process `pid` (this process when None) so far: on a
    shared machine, what a run cost, whatever else ran beside it."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    server_cpu_s: float = 0.0  # CPU seconds of the server process over the counted run
    client_cpu_s: float = 0.0  # ... and of this process (the clients), on the same cores
    load_before: float = 0.0  # the machine's 1-minute load average before and after the run
    load_after: float = 0.0

    @property
    def server_cpu_ms(self) -> float:
        """Server CPU per question: 2 free cores answer at most 2000 / this a second."""
        return 1000 * self.server_cpu_s / self.questions if self.questions else 0.0

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
            f"CPU                server {self.server_cpu_s:.1f} s ({self.server_cpu_ms:.1f} ms a question, "
            f"{self.server_cpu_s / self.seconds if self.seconds else 0:.2f} cores busy), clients "
            f"{self.client_cpu_s:.1f} s; load average {self.load_before:.2f} before, "
            f"{self.load_after:.2f} after",
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
        load_before = os.getloadavg()[0]
        server_cpu, client_cpu = cpu_seconds(pid), cpu_seconds()
        started, first = time.perf_counter(), time.monotonic()
        outcomes = run_round(url, items, questions, clients, timeout)
        seconds, last = time.perf_counter() - started, time.monotonic()
        server_cpu, client_cpu = cpu_seconds(pid) - server_cpu, cpu_seconds() - client_cpu
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
        server_cpu_s=server_cpu,
        client_cpu_s=client_cpu,
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )


def _quarters(samples: list[tuple[float, float]], first: float, last: float) -> list[float]:
    """The sample nearest to each quarter of the run [first, last]."""
    if not samples:
        return []
    marks = [first + (last - first) * q / 4 for q in range(5)]
    return [min(samples, key=lambda s: abs(s[0] - mark))[1] for mark in marks]


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
