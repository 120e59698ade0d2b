"""The text recogniser RapidOCR runs: the wheel's float32 model, or an int8 copy made once
from it and kept only where it measures faster on this CPU.

Recognition is most of a page's OCR time and three quarters of it is convolutions.
Dynamic int8 quantisation (as the embedder's) turns them into ConvInteger, which is no
faster; static quantisation gives QLinearConv, which is. Its activation ranges come from a
calibration sheet of printed lines shipped in data/ (made by
scripts/ocr_calibration_sheet.py, from no document the OCR is measured on). Whether int8 is
faster depends on the CPU's instructions (VNNI or not), so it is measured here, once per
CPU and runtime version, in CPU seconds of one thread on the sheet's lines, and the
decision is kept beside the model."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import tempfile
import threading
import time
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

FP32_REC = "PP-OCRv6_rec_small.onnx"  # the wheel's recogniser
CALIBRATION_SHEET = Path(__file__).parent / "data" / "ocr_calibration.png"
_LINE_HEIGHT = 48  # the recogniser's input height; the sheet's lines are drawn at it
# int8 is kept when it takes at most this share of float32's CPU time: a smaller gain is
# within the noise of a shared machine and not worth a model that reads a few characters
# differently.
_KEEP_BELOW = 0.85
_RECIPE = "2"  # bump when quantise() changes: the int8 model is made again
_STEM, _NECK = 4, 3  # convolutions kept in float32 at either end of the recogniser
_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "asimd", "i8mm")


def _runtime_key(model: Path) -> str:
    """The CPU's relevant instructions, the runtime's version and the model and sheet
    contents: what the int8 model and the speed measured depend on."""
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            name, _, value = line.partition(":")
            if name.strip() in {"flags", "Features"}:
                flags = set(value.split())
                break
    except OSError:
        pass
    payload = "|".join(
        [
            platform.machine(),
            ",".join(f for f in _FLAGS if f in flags),
            version("onnxruntime"),
            _RECIPE,
            hashlib.sha256(model.read_bytes()).hexdigest(),
            hashlib.sha256(CALIBRATION_SHEET.read_bytes()).hexdigest(),
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def calibration_lines() -> list[np.ndarray]:
    """The sheet's lines as RGB arrays, each cut after its last ink column."""
    sheet = np.asarray(Image.open(CALIBRATION_SHEET).convert("RGB"))
    lines = []
    for top in range(0, sheet.shape[0] - _LINE_HEIGHT + 1, _LINE_HEIGHT):
        row = sheet[top : top + _LINE_HEIGHT]
        ink = np.nonzero(row.min(axis=(0, 2)) < 128)[0]
        if ink.size:
            lines.append(np.ascontiguousarray(row[:, : int(ink.max()) + 12]))
    return lines


def _inputs(lines: list[np.ndarray]) -> list[np.ndarray]:
    """One batch per line, normalised as RapidOCR's recogniser does (to [-1, 1], channels
    first, padded on the right to at least 320 pixels)."""
    batches = []
    for line in lines:
        scaled = line.astype(np.float32).transpose(2, 0, 1) / 255 * 2 - 1
        padded = np.zeros((3, _LINE_HEIGHT, max(line.shape[1], 320)), dtype=np.float32)
        padded[:, :, : line.shape[1]] = scaled
        batches.append(padded[None])
    return batches


def _kept_float(model: Path) -> list[str]:
    """The first and last convolutions: the stem reading the pixels and the neck feeding
    the CTC head. In int8 they changed 0.38 % of the characters float32 reads on real scan
    lines; kept in float32, 0.10 %, for a tenth of the time saved (docs/ocr.md)."""
    import onnx

    convs = [
        node.name
        for node in onnx.load(str(model), load_external_data=False).graph.node
        if node.op_type == "Conv"
    ]
    return convs[:_STEM] + convs[-_NECK:]


def quantise(fp32: Path, out: Path, batches: list[np.ndarray]) -> Path:
    """Convolutions to int8 (weights per channel, activations from the calibration lines),
    except the first and last ones."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Sheet(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._batches, None)
            return None if batch is None else {"x": batch}

    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:  # same file system: the rename is atomic
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(Path(tmp) / "int8.onnx"),
            Sheet(),
            quant_format=QuantFormat.QOperator,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=_kept_float(prepared),
        )
        os.replace(Path(tmp) / "int8.onnx", out)  # whole or absent, also for a process beside
    return out


def cpu_seconds(model: Path, batches: list[np.ndarray], repeats: int = 2) -> float:
    """CPU seconds of one thread to read the batches (the best of `repeats`): CPU time,
    not wall time, so that other work on a shared machine weighs little."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    session.run(None, {"x": batches[0]})  # first run allocates
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for batch in batches:
            session.run(None, {"x": batch})
        best = min(best, time.process_time() - started)
    return best


def int8_or_fp32(fp32: Path, cache_dir: Path) -> Path:
    """The int8 recogniser when it was measured faster on this CPU, else `fp32`. Made and
    measured once (about half a minute); later calls read the decision from `cache_dir`."""
    key = _runtime_key(fp32)
    decision_file = cache_dir / f"{fp32.stem}.int8-{key}.json"
    int8 = cache_dir / f"{fp32.stem}.int8-{key}.onnx"
    try:
        decision = json.loads(decision_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        decision = None
    if decision is None or (decision.get("int8") and not int8.is_file()):
        cache_dir.mkdir(parents=True, exist_ok=True)
        batches = _inputs(calibration_lines())
        if not int8.is_file():
            quantise(fp32, int8, batches)
        fp32_s, int8_s = cpu_seconds(fp32, batches), cpu_seconds(int8, batches)
        decision = {"int8": int8_s <= _KEEP_BELOW * fp32_s, "fp32_cpu_s": fp32_s, "int8_cpu_s": int8_s}
        log.info("OCR recogniser on this CPU: float32 %.2f s, int8 %.2f s: %s", fp32_s, int8_s, decision)
        # A file of this process's own, then renamed: two processes starting at once
        # (ingest and the web app) each write a whole decision.
        with tempfile.NamedTemporaryFile("w", dir=cache_dir, suffix=".tmp", delete=False) as fh:
            fh.write(json.dumps(decision))
        os.replace(fh.name, decision_file)
    return int8 if decision["int8"] else fp32


@lru_cache(maxsize=1)
def recognition_model() -> Path:
    """The recogniser this process runs, as the settings say (`ASSISTANT_OCR_INT8`)."""
    import rapidocr

    from assistant.settings import get_settings

    fp32 = Path(rapidocr.__file__).parent / "models" / FP32_REC
    settings = get_settings()
    if not settings.ocr_int8 or not fp32.is_file():
        return fp32
    try:
        return int8_or_fp32(fp32, settings.model_cache_dir / "ocr")
    except Exception as exc:  # the float32 model always works: a failed quantisation costs speed only
        log.warning("int8 OCR recogniser not made, float32 kept: %r", exc)
        return fp32


_ARENA_LOCK = threading.Lock()
_arena: list[bool] = []  # [registered?] once the process has tried


def _shared_arena(ort: Any) -> bool:
    """One memory arena for every OCR session of the process, registered once.

    Without an arena every intermediate tensor of every run is allocated and freed anew,
    and the large ones come from fresh zeroed pages: on the real scans a quarter of the
    process's CPU time was the kernel's (25.6 of 105 s; 8.2 million page faults). An arena
    per session keeps each session's largest run (3.3 GB for two engines); one arena shared
    by the sessions reuses the same blocks for detection and recognition (2.1 GB), with
    the kernel's share down to 3 s (docs/ocr.md, "Speed: one memory arena")."""
    with _ARENA_LOCK:
        if not _arena:
            try:
                arena, default = ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, ort.OrtMemType.DEFAULT
                info = ort.OrtMemoryInfo("Cpu", arena, 0, default)
                # max_mem 0: as large as the largest run needs; bounded by the page size
                # limit ([render] max_page_pixels) and the detection copy's side.
                ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, -1, -1, -1))
                _arena.append(True)
            except Exception as exc:  # another part of the process registered one first
                log.warning("OCR sessions without a shared memory arena: %r", exc)
                _arena.append(False)
        return _arena[0]


def ocr_session(model: Path, threads: int, spin: bool) -> Any:
    """An ONNX Runtime session for one of RapidOCR's models: its threads sleep while waiting
    unless `spin` ([engine] spin), and its memory comes from the process's shared arena."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads > 0:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    if _shared_arena(ort):
        options.add_session_config_entry("session.use_env_allocators", "1")
    else:
        options.enable_cpu_mem_arena = False  # as RapidOCR: page sizes vary, an arena only grows
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
