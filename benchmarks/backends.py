"""Every embedding backend side by side, in one run on this machine:

    python -m benchmarks.backends [--backends torch-fp32,onnx-int8] [--dev FILE] [--out FILE]

For each backend, in fresh processes: a cold ingest of the shipped knowledge base, then a
serving process over that index (query embedding p50, warm `ask` p50/p95, peak RSS,
hit@3 on the development questions), and a serving process over the float32 index (an
index built by one backend queried by another). Agreement with float32 is the share of
questions whose top passage is float32's and the hit@3 difference; the same figures
decide whether the backend's probe acceptance holds on real questions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.backends.cpu import cpu_info
from assistant.backends.selection import REFERENCE, candidates, stored_choice
from assistant.settings import Settings
from benchmarks import REPO_ROOT, cli_timing
from benchmarks.timers import percentile

SHARED = REPO_ROOT.parent / "shared"
DEV2 = SHARED / "eval" / "dev2.jsonl"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class BackendRow:
    backend: str
    ingest_s: float = 0.0
    chunks: int = 0
    own: dict[str, Any] = field(default_factory=dict)  # served over its own index
    cross: dict[str, Any] = field(default_factory=dict)  # its queries over the float32 index
    error: str = ""
    ingest_estimated: bool = False


def _serve(data: Path, backend: str, dev: Path, work: Path, tag: str) -> dict[str, Any]:
    out = work / f"backend-{tag}.json"
    args = ["-m", "benchmarks.worker", "backend", "--data", str(data), "--dev", str(dev), "--out", str(out)]
    env = {"ASSISTANT_EMBEDDING_BACKEND": backend}
    cli_timing.run_python(args, data, 3600, env).check(f"serve {tag}")
    return json.loads(out.read_text(encoding="utf-8"))


def _probe_ms(cache_dir: Path) -> dict[str, float]:
    """ms per passage of each backend in this CPU's stored probe measurement."""
    choice = stored_choice(cache_dir)
    return {m.backend: m.passage_ms for m in choice.measurements if m.passage_ms} if choice else {}


def run(backends: list[str], dev: Path, work: Path, slow_factor: float) -> list[BackendRow]:
    """Each backend ingests and serves; one whose probe passages take over `slow_factor`
    times float32's is served over the float32 index only, and its ingest time is
    estimated from float32's ingest and the probe ratio (marked as such)."""
    rows: list[BackendRow] = []
    order = [REFERENCE, *[b for b in backends if b != REFERENCE]]
    probe = _probe_ms(Settings().model_cache_dir)
    for backend in order:
        row = BackendRow(backend)
        data = work / backend
        ratio = probe.get(backend, 1.0) / probe.get(REFERENCE, 1.0)
        try:
            if backend != REFERENCE and ratio > slow_factor and rows and rows[0].ingest_s:
                row.ingest_s, row.chunks = rows[0].ingest_s * ratio, rows[0].chunks
                row.ingest_estimated = True
                say(f"{backend}: {ratio:.1f}x float32 per passage; served over the float32 index only")
                row.own = _serve(work / REFERENCE, backend, dev, work, f"{backend}-on-fp32")
                row.cross = row.own
                rows.append(row)
                continue
            say(f"{backend}: cold ingest of knowledge/")
            ran, row.chunks = cli_timing.ingest(data, extra_env={"ASSISTANT_EMBEDDING_BACKEND": backend})
            row.ingest_s = ran.seconds
            say(f"  {ran.seconds:.1f} s, {row.chunks} chunks; serving its own index")
            row.own = _serve(data, backend, dev, work, f"{backend}-own")
            if backend != REFERENCE:
                say("  serving the float32 index")
                row.cross = _serve(work / REFERENCE, backend, dev, work, f"{backend}-on-fp32")
        except Exception as exc:  # one backend failing still reports the others
            row.error = f"{type(exc).__name__}: {exc}"[:300]
            say(f"  failed: {row.error}")
        rows.append(row)
    return rows


def _top1_agreement(a: dict[str, Any], b: dict[str, Any]) -> float:
    pairs = [(x[:1], y[:1]) for x, y in zip(a["top3"], b["top3"], strict=True)]
    return sum(x == y for x, y in pairs) / len(pairs) if pairs else 0.0


def render(rows: list[BackendRow], dev: Path, command: str) -> str:
    cpu = cpu_info()
    ref = next((r for r in rows if r.backend == REFERENCE and r.own), None)
    lines = [
        "## Embedding backends side by side",
        "",
        f"`{command}` on {cpu.model} ({cpu.cores} cores; flags: {' '.join(cpu.flags) or '-'}; "
        f"native bf16: {'yes' if cpu.native_bf16 else 'no'}), {time.strftime('%Y-%m-%d %H:%M %Z')}. "
        f"Questions: `{dev.name}` ({len(ref.own['top3']) if ref else 0}). Agreement: share of questions "
        "whose top passage is the float32 backend's; 'on fp32 index': this backend's query "
        "vectors over the index float32 built. ≈: not re-ingested (over 3× float32's time per "
        "passage on the probe), estimated from float32's ingest and that ratio; served over "
        "the float32 index.",
        "",
        "| backend | ingest s | query embed p50 ms | ask p50 / p95 ms | peak RSS MB | hit@3 | "
        "top-1 = fp32 | on fp32 index: hit@3, top-1 = fp32 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.error:
            lines.append(f"| {r.backend} | failed: {r.error} |||||||")
            continue
        own = r.own
        embed = percentile(own["embed_query_ms"], 0.5)
        e2e = own["e2e"]
        agree = "1.000" if r.backend == REFERENCE or not ref else f"{_top1_agreement(own, ref.own):.3f}"
        cross = "–"
        if r.cross and ref:
            cross = f"{r.cross['e2e']['hit3']:.3f}, {_top1_agreement(r.cross, ref.own):.3f}"
        ingest = f"{'≈' if r.ingest_estimated else ''}{r.ingest_s:.0f}"
        lines.append(
            f"| {r.backend} | {ingest} | {embed:.0f} | {e2e['p50_ms']:.0f} / "
            f"{e2e['p95_ms']:.0f} | {own['peak_rss_mb']:.0f} | {e2e['hit3']:.3f} | {agree} | {cross} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backends", description=__doc__)
    parser.add_argument("--backends", help=f"comma-separated (default: {','.join(candidates())})")
    parser.add_argument("--dev", default=str(DEV2))
    parser.add_argument("--out", help="also write the table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary indexes")
    parser.add_argument(
        "--slow-factor",
        type=float,
        default=3.0,
        help="a backend this many times slower than float32 per passage is not re-ingested (default 3)",
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in (args.backends or ",".join(candidates())).split(",") if b.strip()]
    work = Path(tempfile.mkdtemp(prefix="luohu-backends-"))
    try:
        rows = run(backends, Path(args.dev), work, args.slow_factor)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    table = render(rows, Path(args.dev), " ".join(["python -m benchmarks.backends", *argv]))
    print(table)
    if args.out:
        Path(args.out).write_text(table, encoding="utf-8")
    return 0 if all(not r.error for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
