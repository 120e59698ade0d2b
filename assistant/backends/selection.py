"""Which backend runs EmbeddingGemma here: chosen by measurement, stored with the model.

Candidates: float32 torch (the reference), bfloat16 torch, int8 torch (dynamic
quantisation of the Linear layers), and ONNX Runtime float32 and int8 when onnxruntime
is installed. Each is timed on the probe sentences (`data/backend_probe.toml`) and its
rankings of the probe passages are compared with the reference's; the fastest backend
whose vectors and rankings agree with float32 is kept. The choice, its timings and the
CPU it was measured on are stored in the model cache (`backend-choice.json`, one entry
per CPU and runtime versions) and measured again when either changes.
`ASSISTANT_EMBEDDING_BACKEND` overrides the choice.

Because every accepted backend agrees with float32, an index built with one backend
answers correctly when queried with another; the index records which one built it.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import json
import logging
import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant import model_fetch
from assistant.backends.batching import Layout
from assistant.backends.candidates import (
    ONNX_BACKENDS,
    SKIPPED_SAY,
    TORCH_BACKENDS,
    candidates,
    cannot_win,
    onnx_available,
)
from assistant.backends.cpu import CpuInfo, available_cores, cpu_info
from assistant.backends.probe import PROBE_FILE, probe_texts
from assistant.embeddings import Embedder, EmbedderError, SentenceTransformerEmbedder
from assistant.settings import Settings

log = logging.getLogger(__name__)

REFERENCE = "torch-fp32"
CHOICE_FILE = "backend-choice.json"

# Acceptance against float32 on the probe sentences. A backend must rank every probe
# query's best passage as float32 does, and its vectors must stay close to float32's;
# how these were chosen and confirmed on the development questions: docs/backends.md.
MIN_COSINE = 0.97
MIN_TOP1_AGREEMENT = 1.0


# --- files each backend runs from -------------------------------------------------------


# The files an ONNX backend loads, besides the tokenizer and prompt files copied with them.
ONNX_FILES = {"onnx-fp32": ("model.onnx", "model.onnx.data"), "onnx-int8": ("model.onnx",)}
_MODEL_SIDE_FILES = (
    "config.json",
    "config_sentence_transformers.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
)


def ensure_files(cache_dir: Path, backend: str) -> Path:
    """The folder `backend` loads, made from the verified download if missing, and checked
    against the checksum recorded when it was made."""
    if backend in ("torch-fp32", "torch-int8"):
        return model_fetch.check_cached(cache_dir)
    if backend == "torch-bf16":
        return model_fetch.check_bf16(cache_dir)
    if backend in ONNX_FILES:
        return model_fetch.ensure_derived(
            cache_dir, backend, ONNX_FILES[backend], _onnx_maker(cache_dir, backend)
        )
    raise EmbedderError(f"unknown embedding backend {backend!r}")


def _onnx_maker(cache_dir: Path, backend: str) -> Callable[[Path, Path], None]:
    def make(source: Path, work: Path) -> None:
        import shutil

        from assistant.backends import onnx as onnx_embedder

        for name in _MODEL_SIDE_FILES:
            if (source / name).is_file():
                shutil.copy2(source / name, work / name)
        if backend == "onnx-fp32":
            onnx_embedder.export_fp32(source, work)
            return
        fp32 = ensure_files(cache_dir, "onnx-fp32")  # quantised from the float32 export
        onnx_embedder.quantize_int8(fp32 / "model.onnx", work / "model.onnx", source)

    return make


def backend_files(settings: Settings) -> Path:
    """Check (and make if missing) the files of the backend that will run; EmbedderError
    with the file and the fix otherwise."""
    try:
        backend, _ = resolve_backend(settings)
        return ensure_files(settings.model_cache_dir, backend)
    except model_fetch.ModelFetchError as exc:
        raise EmbedderError(str(exc)) from exc


def load(
    cache_dir: Path, backend: str, threads: int, batch_size: int = 16, token_states: bool = False
) -> Embedder:
    """EmbeddingGemma run by `backend` with `threads` intra-op threads; an ONNX backend with
    `token_states` also pools sentence vectors from a chunk's forward pass (spans.py)."""
    try:
        files = ensure_files(cache_dir, backend)
    except model_fetch.ModelFetchError as exc:
        raise EmbedderError(str(exc)) from exc
    name = model_fetch.EMBEDDINGGEMMA.name
    if backend in TORCH_BACKENDS:
        return SentenceTransformerEmbedder(
            str(files),
            dtype="bfloat16" if backend == "torch-bf16" else "float32",
            batch_size=batch_size,
            threads=threads,
            quantize=backend == "torch-int8",
            name=name,
        )
    from assistant.backends import layout
    from assistant.backends.onnx import OnnxEmbedder

    # The model folder's Dense layers turn token states into sentence vectors.
    dense = model_fetch.model_dir(cache_dir) if token_states else None
    return OnnxEmbedder(
        files / "model.onnx",
        files,
        threads=threads,
        name=name,
        layout=layout.recorded(cache_dir, backend, threads),
        dense_dir=dense if dense is not None and dense.is_dir() else None,
    )


def load_backend(settings: Settings) -> Embedder:
    backend, source = resolve_backend(settings)
    log.info("embedding backend %s (%s), %d threads", backend, source, settings.threads)
    embedder = load(
        settings.model_cache_dir,
        backend,
        settings.threads,
        settings.embedding_batch_size,
        token_states=settings.sentence_vectors_pooled,
    )
    embedder.backend = backend  # type: ignore[attr-defined]
    if backend in ONNX_BACKENDS:
        from assistant.backends import layout

        layout.apply(settings.model_cache_dir, backend, embedder)
    return embedder


# --- measuring ---------------------------------------------------------------------------


def import_in_background() -> threading.Thread:
    """Start importing the libraries a measurement runs on (torch, sentence-transformers,
    ONNX Runtime and the exporter: 17 s on a fresh two-core machine, where the bytecode is
    compiled at first import), so a download can overlap them. Join it before measuring:
    two threads must not import the same module at once. An import that fails here fails
    again, with its message, where the measurement needs it."""

    def work() -> None:
        names = ["torch", "sentence_transformers"]
        if onnx_available():
            names += ["onnxruntime", "onnxscript", "onnxruntime.quantization", "torch.onnx"]
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as exc:  # reported where the measurement needs it
                log.debug("preloading %s failed: %s", name, exc)
                return

    thread = threading.Thread(target=work, name="measurement-imports", daemon=True)
    thread.start()
    return thread


@dataclass
class Measurement:
    backend: str
    load_s: float = 0.0
    query_ms: float = 0.0  # median, one query at a time
    query_p95_ms: float = 0.0
    passage_ms: float = 0.0  # per passage, in batches
    min_cosine: float = 1.0  # against float32, over queries and passages
    mean_cosine: float = 1.0
    top1_agreement: float = 1.0  # probe queries whose best passage is float32's
    top3_overlap: float = 1.0
    accepted: bool = True
    note: str = ""


@dataclass
class Choice:
    backend: str
    reason: str
    cpu: dict[str, Any]
    measured_at: str
    threads: int
    measurements: list[Measurement] = field(default_factory=list)
    rule: str = ""  # the probe and acceptance rule it was measured with (see rule_id)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Choice:
        rows = [Measurement(**m) for m in data.get("measurements", [])]
        return Choice(**{**data, "measurements": rows})


def rule_id() -> str:
    """Changes when the probe sentences, the acceptance thresholds or the candidates do:
    a choice measured under another rule is measured again."""
    import hashlib

    payload = f"{PROBE_FILE.read_bytes()!r}|{MIN_COSINE}|{MIN_TOP1_AGREEMENT}|{','.join(candidates())}"
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _time_one(embedder: Embedder, queries: list[str], passages: list[str]) -> tuple[Any, ...]:
    embedder.embed_query(queries[0])  # first calls allocate; not timed
    embedder.embed_documents(passages[:2])
    times, qvecs = [], []
    for query in queries:
        started = time.perf_counter()
        qvecs.append(embedder.embed_query(query))
        times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    pvecs = embedder.embed_documents(passages)
    passage_ms = (time.perf_counter() - started) * 1000 / len(passages)
    return np.stack(qvecs), pvecs, times, min(passage_ms, _one_core_runs_ms(embedder, passages))


ROUNDS = 2


def _one_core_runs_ms(embedder: Embedder, passages: list[str]) -> float:
    """Per passage with one core per run and a run per core: the other layout an ingest
    picks between (backends/layout.py), and the one it picks for ONNX Runtime on the CPUs
    measured so far. Timing passages only with every core on one run made int8 look
    barely faster than float32 (74 against 81 ms a passage on two AVX2 cores) where
    ingest runs it 1.5 times as fast (975 against 656 tokens/s), so the choice between
    them turned on a few ms of query noise. inf where the embedder has no layouts."""
    embed_ids = getattr(embedder, "embed_ids", None)
    cores = int(getattr(embedder, "_threads", 0) or 0)
    if embed_ids is None or cores < 2:
        return float("inf")
    layout = Layout(threads=1, streams=cores, batch_tokens=0, cores=cores)
    ids = list(embedder.tokenize_documents(passages)["input_ids"])  # type: ignore[attr-defined]
    embed_ids(ids[:cores], layout)  # the one-thread session's first runs allocate
    best = float("inf")
    for _ in range(ROUNDS):  # the best of a few: other processes only ever slow a run down
        started = time.perf_counter()
        embed_ids(ids, layout)
        best = min(best, time.perf_counter() - started)
    return best * 1000 / len(passages)


def agreement(ref_q: np.ndarray, ref_p: np.ndarray, q: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """How closely vectors (queries, passages) follow the reference's, and whether each
    query ranks the passages the same way: its own queries against its own passages."""
    cos = np.concatenate([(ref_q * q).sum(1), (ref_p * p).sum(1)])
    ref_rank = np.argsort(-(ref_q @ ref_p.T), axis=1)
    rank = np.argsort(-(q @ p.T), axis=1)
    top1 = float(np.mean(ref_rank[:, 0] == rank[:, 0]))
    top3 = float(np.mean([len(set(a[:3]) & set(b[:3])) / 3 for a, b in zip(ref_rank, rank, strict=True)]))
    return {
        "min_cosine": float(cos.min()),
        "mean_cosine": float(cos.mean()),
        "top1_agreement": top1,
        "top3_overlap": top3,
    }


def measure(
    cache_dir: Path,
    backends: tuple[str, ...] | None = None,
    threads: int | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> Choice:
    """Time every candidate on the probe sentences; pick the fastest accepted one."""
    threads = threads or available_cores()
    queries, passages = probe_texts()
    backends = backends or candidates()
    order = [REFERENCE, *[b for b in backends if b != REFERENCE]]
    rows: list[Measurement] = []
    reference: tuple[np.ndarray, np.ndarray] | None = None
    cpu = cpu_info()
    for backend in order:
        row = Measurement(backend)
        if backend != REFERENCE and (why := cannot_win(backend, cpu, tuple(backends))):
            row.accepted, row.note = False, why
            rows.append(row)
            say(f"跳过 {backend}：{SKIPPED_SAY.get(backend, why)}")
            continue
        step_started = time.perf_counter()
        say(f"测量 {backend} …")
        try:
            ensure_files(cache_dir, backend)  # an export made now is not load time
            started = time.perf_counter()
            embedder = load(cache_dir, backend, threads)
            row.load_s = time.perf_counter() - started
            qv, pv, times, row.passage_ms = _time_one(embedder, queries, passages)
            del embedder
        except Exception as exc:  # a backend that cannot run here is not a candidate
            log.warning("embedding backend %s unavailable: %s", backend, exc)
            row.accepted, row.note = False, f"unavailable: {type(exc).__name__}: {exc}"[:300]
            rows.append(row)
            if backend == REFERENCE:
                raise EmbedderError(f"the float32 reference cannot run: {exc}") from exc
            continue
        finally:
            gc.collect()
        row.query_ms = statistics.median(times)
        row.query_p95_ms = float(np.percentile(times, 95))
        if reference is None:
            reference = (qv, pv)
        else:
            for key, value in agreement(*reference, qv, pv).items():
                setattr(row, key, value)
            row.accepted = row.min_cosine >= MIN_COSINE and row.top1_agreement >= MIN_TOP1_AGREEMENT
            if not row.accepted:
                row.note = "rankings or vectors differ from float32"
        rows.append(row)
        say(
            f"  {backend}: 查询 {row.query_ms:.0f} ms，段落 {row.passage_ms:.0f} ms/段"
            f"（本步用时 {time.perf_counter() - step_started:.0f} 秒）"
        )
    _time_again(rows, cache_dir, threads, queries, passages, say)
    chosen, reason = pick(rows)
    return Choice(
        backend=chosen,
        reason=reason,
        cpu=cpu_info().to_json(),
        measured_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        threads=threads,
        measurements=rows,
        rule=rule_id(),
    )


# Contenders whose cost (pick's) is within this share of the best are timed again.
CLOSE = 1.5


def _time_again(
    rows: list[Measurement],
    cache_dir: Path,
    threads: int,
    queries: list[str],
    passages: list[str],
    say: Callable[[str], None],
) -> None:
    """Time the close contenders a second time, in the reverse order, each keeping its
    better query and passage figures. The first pass times a backend right after its
    export or quantisation in the same process, and that timing was not the backend's:
    on a 2-core AVX2 EPYC a fresh set-up timed onnx-int8 at 48 ms a query and 52 ms a
    passage, where it takes 36 and 38 in a process of its own (onnx-fp32: 41 and 57,
    as alone), so onnx-fp32 was chosen and the first ingest took 103 s instead of 67-72."""
    costs = _costs(rows)
    best = min((cost for _, cost in costs), default=0.0)
    close = [r for r, cost in costs if cost <= CLOSE * best]
    if len(close) < 2:
        return
    for row in reversed(close):
        try:
            embedder = load(cache_dir, row.backend, threads)
            _, _, times, passage_ms = _time_one(embedder, queries, passages)
            del embedder
        except Exception as exc:  # the first pass's figures stand
            log.warning("embedding backend %s not timed again: %s", row.backend, exc)
            continue
        finally:
            gc.collect()
        row.query_ms = min(row.query_ms, statistics.median(times))
        row.passage_ms = min(row.passage_ms, passage_ms)
        say(
            f"  {row.backend} 再测一次，取较快者：查询 {row.query_ms:.0f} ms，段落 {row.passage_ms:.0f} ms/段"
        )


def _costs(rows: list[Measurement]) -> list[tuple[Measurement, float]]:
    """Each accepted, timed backend's cost: its query latency plus its per-passage time,
    each relative to the best accepted one, so serving and ingest weigh the same."""
    ok = [r for r in rows if r.accepted and r.query_ms > 0 and r.passage_ms > 0]
    if not ok:
        return []
    best_q = min(r.query_ms for r in ok)
    best_p = min(r.passage_ms for r in ok)
    return [(r, r.query_ms / best_q + r.passage_ms / best_p) for r in ok]


def pick(rows: list[Measurement]) -> tuple[str, str]:
    """The accepted backend with the lowest cost (`_costs`)."""
    costs = _costs(rows)
    if not costs:
        return REFERENCE, "no backend could be measured; float32 torch by default"
    chosen = min(costs, key=lambda rc: rc[1])[0]
    ref = next((r for r in rows if r.backend == REFERENCE), chosen)
    reason = (
        f"fastest of {len(costs)} backends agreeing with float32: query {chosen.query_ms:.0f} ms "
        f"(float32 {ref.query_ms:.0f} ms), passage {chosen.passage_ms:.0f} ms "
        f"(float32 {ref.passage_ms:.0f} ms)"
    )
    return chosen.backend, reason


# --- the stored choice -------------------------------------------------------------------


def _read_choices(cache_dir: Path) -> dict[str, Any]:
    path = cache_dir / CHOICE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stored_choice(cache_dir: Path, cpu: CpuInfo | None = None) -> Choice | None:
    entry = _read_choices(cache_dir).get((cpu or cpu_info()).key)
    try:
        choice = Choice.from_json(entry) if entry else None
    except TypeError:  # written by another version: measure again
        return None
    return choice if choice is not None and choice.rule == rule_id() else None


def save_choice(cache_dir: Path, choice: Choice) -> None:
    data = _read_choices(cache_dir)
    data[str(choice.cpu["key"])] = choice.to_json()
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f"{CHOICE_FILE}.{os.getpid()}.part"
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(cache_dir / CHOICE_FILE)


def choose(cache_dir: Path, force: bool = False, say: Callable[[str], None] = lambda _m: None) -> Choice:
    """The stored choice for this CPU, or a new measurement (stored)."""
    if not force and (choice := stored_choice(cache_dir)) is not None:
        return choice
    choice = measure(cache_dir, say=say)
    save_choice(cache_dir, choice)
    return choice


def resolve_backend(settings: Settings) -> tuple[str, str]:
    """(backend, where the decision came from)."""
    if settings.embedding_backend != "auto":
        return settings.embedding_backend, "ASSISTANT_EMBEDDING_BACKEND"
    if settings.embedding_dtype is not None:
        backend = "torch-bf16" if settings.embedding_dtype == "bfloat16" else "torch-fp32"
        return backend, "ASSISTANT_EMBEDDING_DTYPE"
    choice = stored_choice(settings.model_cache_dir)
    if choice is not None:
        return choice.backend, f"measured {choice.measured_at}"
    # Never measured on this CPU (a new machine, or the CPU or runtimes changed).
    log.warning("no embedding backend measured for this CPU yet; measuring now (about a minute)")
    model_fetch.check_cached(settings.model_cache_dir)
    choice = choose(settings.model_cache_dir)
    return choice.backend, f"measured {choice.measured_at}"
