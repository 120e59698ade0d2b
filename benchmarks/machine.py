"""What the numbers were measured on."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "chromadb", "sentence-transformers", "bm25s", "jieba", "langchain-core")


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gib: float
    python: str
    versions: dict[str, str]
    date: str
    kernel: str


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe() -> Machine:
    return Machine(
        cpu=_cpu_model(),
        cores=len(os.sched_getaffinity(0)),
        ram_gib=_ram_gib(),
        python=platform.python_version(),
        versions={p: _version(p) for p in PACKAGES},
        date=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        kernel=platform.release(),
    )


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
