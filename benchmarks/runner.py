"""One benchmark run, step by step; see `python -m benchmarks --help`."""

from __future__ import annotations

import json
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.backends.loader import get_embedder
from assistant.embeddings import Embedder
from assistant.evaluation.run import load_items
from benchmarks import REPO_ROOT, cli_timing
from benchmarks.distractors import DistractorSources, distractors, news_chunks
from benchmarks.inprocess import compare
from benchmarks.machine import describe, load_average
from benchmarks.report import RunReport, ScaleRow, render
from benchmarks.vector_cache import CachedEmbedder, VectorCache, embed_cached
from benchmarks.worker import bench_settings

SHARED = REPO_ROOT.parent / "shared"


@dataclass
class Options:
    sizes: list[str]
    quick: bool
    out: Path
    dev: Path = SHARED / "eval" / "dev.jsonl"
    news: Path = SHARED / "bench" / "crud_rag_edu_distractors" / "edu_news_distractors.jsonl"
    cmrc: Path = SHARED / "bench" / "cmrc2018_dev" / "corpus.jsonl"
    cache: Path = Path(tempfile.gettempdir()) / "luohu-bench-cache"
    real: int | None = None  # distractors with real embeddings; default: all news chunks
    reps: int = 2  # passes over the dev set, in-process comparison
    scale_reps: int = 2  # passes over the dev set in each serving process
    cold_runs: int = 2
    keep: bool = False
    reuse_index: Path | None = None  # development: an existing data dir, ingest not timed
    blas_check: int | None = 10000  # serve this size again with OPENBLAS_NUM_THREADS=1
    command: str = "python -m benchmarks"
    backends: list[str] = field(default_factory=list)  # embedding backends compared side by side

    @property
    def sources(self) -> DistractorSources:
        return DistractorSources(self.news, self.cmrc)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


BLAS_ENV = {"OPENBLAS_NUM_THREADS": "1"}


def worker(args: list[str], data_dir: Path, out: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    command = ["-m", "benchmarks.worker", *args, "--out", str(out)]
    cli_timing.run_python(command, data_dir, 3600, env).check(f"worker {args[0]}")
    return json.loads(out.read_text(encoding="utf-8"))


def serve(
    data_dir: Path, options: Options, work: Path, tag: str, profile: bool, env: dict[str, str] | None = None
) -> dict[str, Any]:
    args = ["serve", "--data", str(data_dir), "--dev", str(options.dev), "--reps", str(options.scale_reps)]
    return worker([*args, *(["--profile"] if profile else [])], data_dir, work / f"serve-{tag}.json", env)


def resolve_sizes(sizes: list[str], n_news: int) -> list[tuple[str, int]]:
    """("label", distractor count) in increasing order; "news" = every news chunk."""
    out = []
    for size in sizes:
        if size == "news":
            out.append(("KB + 484 news articles", n_news))
        else:
            count = int(size)
            out.append((f"KB + {count:,} distractors", count))
    return sorted(out, key=lambda pair: pair[1])


def step_knowledge_base(report: RunReport, kb_dir: Path, options: Options) -> None:
    if options.reuse_index is None:
        say("cold ingest of knowledge/ (subprocess)")
        run, report.kb_chunks = cli_timing.ingest(kb_dir)
        report.ingest_s = run.seconds
        say(f"  {run.seconds:.1f} s, {report.kb_chunks} chunks; re-ingest")
    run, report.kb_chunks = cli_timing.ingest(kb_dir)
    report.reingest_s = run.seconds
    for _ in range(options.cold_runs):
        report.cold_start_s.append(cli_timing.first_answer(kb_dir)[0].seconds)
    say(f"  re-ingest {report.reingest_s:.1f} s, cold start {report.cold_start_s}")


def step_compare(
    report: RunReport, kb_dir: Path, options: Options, cache: VectorCache, embedder: Embedder
) -> None:
    say("in-process comparison: assistant, naive baseline, BM25 alone")
    settings = bench_settings(kb_dir)
    items = load_items(options.dev)
    result = compare(settings, embedder, CachedEmbedder(embedder, cache), items, options.reps)
    report.systems, report.setup_s, report.questions = result.systems, result.setup_s, len(items)


def step_backends(report: RunReport, options: Options, work: Path) -> None:
    """Every embedding backend: ingest, serve, agreement with float32 (benchmarks.backends)."""
    from benchmarks import backends

    say("embedding backends side by side")
    (work / "backends").mkdir(parents=True, exist_ok=True)
    rows = backends.run(options.backends, backends.DEV2, work / "backends", slow_factor=3.0)
    report.backends_table = backends.render(rows, backends.DEV2, options.command)


def step_embed(
    report: RunReport, options: Options, cache: VectorCache, embedder: Embedder, real: int
) -> None:
    """Real embeddings of the first `real` distractors, into the cache (missing ones only)."""
    texts = [c.embed_text for c in distractors(options.sources, real)]
    missing = len(texts) - len(cache.get_many(texts))
    say(f"distractor vectors: {real} real, {missing} to embed")
    progress: Callable[[int, int], None] = lambda done, total: say(f"  embedded {done}/{total}")  # noqa: E731
    started = time.perf_counter()
    embed_cached(cache, embedder, texts, batch=16, progress=progress)
    report.embed_distractors_s, report.embedded_now = time.perf_counter() - started, missing


def step_scale(report: RunReport, kb_dir: Path, options: Options, work: Path, real: int) -> None:
    n_news = len(news_chunks(options.news))
    sizes = resolve_sizes(options.sizes, n_news)
    for label, count in sizes:
        data = work / f"size-{count}"
        say(f"scale {label}: build")
        args = ["build", "--kb-data", str(kb_dir), "--data", str(data), "--size", str(count)]
        args += ["--real", str(real), "--cache", str(options.cache)]
        args += ["--news", str(options.news), "--cmrc", str(options.cmrc)]
        built = worker(args, data, work / f"build-{count}.json")
        say(f"  built in {built['seconds']:.0f} s; serve")
        served = serve(data, options, work, str(count), profile=count == sizes[-1][1])
        report.scale.append(ScaleRow(label, count, built["real"], built["filler"], served, built))
        say(f"  retrieval p50 {served['retrieval']['p50_ms']:.0f} ms, hit@3 {served['e2e']['hit3']:.3f}")
        if count == options.blas_check:
            say("  again with OPENBLAS_NUM_THREADS=1")
            again = serve(data, options, work, f"{count}-blas1", profile=False, env=BLAS_ENV)
            variant = "OPENBLAS_NUM_THREADS=1"
            report.scale.append(ScaleRow(label, count, built["real"], built["filler"], again, built, variant))
        shutil.rmtree(data, ignore_errors=True)


def run(options: Options) -> RunReport:
    started = time.perf_counter()
    report = RunReport(machine=describe(), command=options.command, load_start=load_average())
    report.reps, report.scale_reps = options.reps, options.scale_reps
    work = Path(tempfile.mkdtemp(prefix="luohu-bench-"))
    kb_dir = options.reuse_index or work / "kb"
    cache = VectorCache(options.cache, bench_settings(kb_dir).embedding_model)
    try:
        step_knowledge_base(report, kb_dir, options)
        say("serving process at knowledge-base size")
        report.scale.append(ScaleRow("KB only", 0, 0, 0, serve(kb_dir, options, work, "kb", profile=True)))
        embedder = get_embedder(bench_settings(kb_dir))
        step_compare(report, kb_dir, options, cache, embedder)
        if options.backends:
            step_backends(report, options, work)
        n_news = len(news_chunks(options.news))
        largest = max(count for _, count in resolve_sizes(options.sizes, n_news))
        real = min(options.real if options.real is not None else n_news, largest)
        step_embed(report, options, cache, embedder, real)
        step_scale(report, kb_dir, options, work, real)
    finally:
        cache.close()
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    report.load_end = load_average()
    report.seconds = time.perf_counter() - started
    return report


def write(report: RunReport, out: Path, cache: Path) -> None:
    """The Markdown file; the raw results are pickled next to the vector cache first, so a
    rendering problem never costs a run."""
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "last-run.pickle").write_bytes(pickle.dumps(report))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(report), encoding="utf-8")
    say(f"wrote {out} ({report.seconds / 60:.1f} min)")
