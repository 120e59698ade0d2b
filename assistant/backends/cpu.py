"""What the CPU can do, as far as embedding speed is concerned.

The same model runs at very different speeds on CPUs of one machine type: bfloat16 is
fast only with native instructions (AVX-512 BF16, AMX) and several times slower than
float32 on AVX2-only CPUs. The flags read here decide when the backend choice must be
measured again; they never decide the choice themselves.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from assistant.settings import available_cores

# Instruction-set flags that change which backend is fastest.
RELEVANT_FLAGS = (
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx_vnni",
    "avx512_bf16",
    "amx_bf16",
    "amx_int8",
    "asimd",
    "bf16",
)
# Libraries whose kernels the timings depend on: a new version may change the winner.
RUNTIME_PACKAGES = ("torch", "onnxruntime", "sentence-transformers", "transformers")


@dataclass(frozen=True)
class CpuInfo:
    model: str
    flags: tuple[str, ...]
    cores: int
    machine: str
    runtimes: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        """Identifies the CPU and runtime versions a measurement holds for."""
        payload = "|".join([self.model, ",".join(self.flags), str(self.cores), self.machine])
        payload += "|" + ",".join(f"{n}={v}" for n, v in self.runtimes)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def native_bf16(self) -> bool:
        return bool({"avx512_bf16", "amx_bf16", "bf16"} & set(self.flags))

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["flags"] = list(self.flags)
        data["runtimes"] = dict(self.runtimes)
        data["key"] = self.key
        return data


def _cpuinfo_lines() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def package_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)
def cpu_info() -> CpuInfo:
    model, flags = "", set()
    for line in _cpuinfo_lines():
        name, _, value = line.partition(":")
        name = name.strip()
        if name in {"model name", "Model", "cpu model"} and not model:
            model = value.strip()
        elif name in {"flags", "Features"} and not flags:
            flags = set(value.split())
    return CpuInfo(
        model=model or platform.processor() or "unknown",
        flags=tuple(f for f in RELEVANT_FLAGS if f in flags),
        cores=available_cores(),
        machine=platform.machine(),
        runtimes=tuple((p, package_version(p)) for p in RUNTIME_PACKAGES),
    )
