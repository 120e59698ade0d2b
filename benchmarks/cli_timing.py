"""The command line timed end to end, as a user runs it: a fresh `python -m assistant`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import REPO_ROOT

QUESTION = "罗湖区要新增多少公办义务教育学位？"


@dataclass(frozen=True)
class CliRun:
    seconds: float
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> CliRun:
        if self.returncode != 0:
            tail = self.stderr.strip().splitlines()[-5:]
            raise RuntimeError(f"{what} failed ({self.returncode}): {' / '.join(tail)}")
        return self


def bench_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment, pointed at `data_dir`, embedded store, extractive answers."""
    env = {k: v for k, v in os.environ.items() if k not in {"ASSISTANT_CHROMA_HOST", "ASSISTANT_ANSWERER"}}
    env["ASSISTANT_DATA_DIR"] = str(data_dir)
    return {**env, **(extra or {})}


def run_python(
    args: list[str], data_dir: Path, timeout: float, extra_env: dict[str, str] | None = None
) -> CliRun:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=bench_env(data_dir, extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(time.perf_counter() - started, done.returncode, done.stdout, done.stderr)


def ingest(
    data_dir: Path, timeout: float = 1800, extra_env: dict[str, str] | None = None
) -> tuple[CliRun, int]:
    """`python -m assistant ingest`; returns the run and the chunk count it printed."""
    run = run_python(["-m", "assistant", "ingest"], data_dir, timeout, extra_env).check("ingest")
    found = re.search(r"共 (\d+) 段", run.stdout)
    return run, int(found.group(1)) if found else 0


def first_answer(
    data_dir: Path, question: str = QUESTION, timeout: float = 600
) -> tuple[CliRun, dict[str, Any]]:
    """`python -m assistant ask --json QUESTION` from a new process."""
    run = run_python(["-m", "assistant", "ask", "--json", question], data_dir, timeout).check("ask")
    answer = json.loads(run.stdout)
    if not answer.get("answer"):
        raise RuntimeError("ask returned no answer")
    return run, answer
