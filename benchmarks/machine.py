"""What the numbers were measured on."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from assistant.backends.cpu import cpu_info, package_version

PACKAGES = ("torch", "onnxruntime", "chromadb", "sentence-transformers", "bm25s", "jieba", "langchain-core")


@dataclass(frozen=True)
class Machine:
    cpu: str
    flags: str  # instruction sets that decide the embedding backend
    cores: int
    ram_gib: float
    python: str
    versions: dict[str, str]
    date: str
    kernel: str


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def describe() -> Machine:
    cpu = cpu_info()
    return Machine(
        cpu=cpu.model,
        flags=" ".join(cpu.flags) or "-",
        cores=cpu.cores,
        ram_gib=_ram_gib(),
        python=platform.python_version(),
        versions={p: package_version(p) for p in PACKAGES},
        date=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        kernel=platform.release(),
    )


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
