"""The backends a measurement considers on this CPU, and those it leaves out because they
cannot win there (each left out is still listed in the choice, with the reason)."""

from __future__ import annotations

from importlib.util import find_spec

from assistant.backends.cpu import CpuInfo

TORCH_BACKENDS = ("torch-fp32", "torch-bf16", "torch-int8")
ONNX_BACKENDS = ("onnx-fp32", "onnx-int8")


def onnx_available() -> bool:
    return find_spec("onnxruntime") is not None and find_spec("onnxscript") is not None


def candidates() -> tuple[str, ...]:
    return TORCH_BACKENDS + (ONNX_BACKENDS if onnx_available() else ())


# What `say` prints for a backend left out, by the reason's first words.
SKIPPED_SAY = {
    "torch-bf16": "本机 CPU 的 bfloat16 算力不及 int8（没有原生 bfloat16 指令，或只有 AVX-512 BF16）",
    "torch-int8": "已有 onnx-int8（同样的 int8 矩阵，且保留了 float32 的下投影层）",
}


def cannot_win(backend: str, cpu: CpuInfo, backends: tuple[str, ...] = ()) -> str:
    """Why `backend` is not worth measuring on `cpu` among `backends` ("" when it is).

    - bfloat16 without native instructions is emulated: 3-7x slower than float32 on
      AVX2-only CPUs (docs/backends.md), and its measurement alone takes minutes.
    - torch-int8 when onnx-int8 is measured too: both run the same int8 matrix products,
      but torch's quantises the MLP down-projections as well, which is where the loss comes
      from; the acceptance rule rejected it on every CPU measured (cosine 0.93), so it can
      only lose the choice, after costing its measurement (22 s of a first run).
    - torch-bf16 where bfloat16 is native only through AVX-512 BF16 (no AMX) and the CPU
      has int8 VNNI, when onnx-int8 is measured: a BF16 dot-product instruction does two
      products per 32-bit lane, a VNNI one four, so int8 has twice the peak; on the
      AVX-512 BF16 EPYC measured, torch-bf16 took 63 ms a query against onnx-int8's 28."""
    if backend == "torch-bf16" and not cpu.native_bf16:
        return "skipped: this CPU has no native bfloat16 (AVX-512 BF16 / AMX)"
    if backend == "torch-bf16" and "onnx-int8" in backends and _int8_outruns_bf16(cpu):
        return "skipped: AVX-512 BF16 without AMX has half int8 VNNI's products, and onnx-int8 is measured"
    if backend == "torch-int8" and "onnx-int8" in backends:
        return "skipped: onnx-int8 is measured (the same int8 products, down-projections kept float32)"
    return ""


def _int8_outruns_bf16(cpu: CpuInfo) -> bool:
    flags = set(cpu.flags)
    return "avx512_bf16" in flags and "amx_bf16" not in flags and bool({"avx512_vnni", "avx_vnni"} & flags)
