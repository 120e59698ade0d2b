"""How document texts go through the model: batches of similar token counts, and the
batch size and thread layout measured on this CPU.

A batch is padded to its longest text, so texts are sorted by their token count (not by
characters) and a batch closes before padding would exceed `MAX_PADDING` of its tokens.
An int8 graph runs one text per run (its activation scale is per run). The layout -
intra-op threads per run, runs in parallel, tokens per batch - changes the
throughput by tens of percent between CPUs of one machine kind (cache sizes, VNNI), so it
is measured on the first ingest (or with the backend) and stored with the backend choice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

log = logging.getLogger(__name__)

MAX_PADDING = 0.10  # padded positions a batch may hold, as a share of its real tokens
# Tokens per batch tried by the layout measurement; 0 = one text per run (no padding at all).
BATCH_TOKENS = (0, 512, 2048)
MAX_ROWS = 64


@dataclass(frozen=True)
class Layout:
    threads: int  # intra-op threads of one run
    streams: int  # runs at the same time (each in its own Python thread)
    batch_tokens: int  # padded tokens per run; 0 = one text per run
    tokens_per_s: float = 0.0  # as measured
    cores: int = 0  # the cores it was measured with

    def to_json(self) -> dict[str, float | int]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, float | int]) -> Layout:
        return Layout(**data)  # type: ignore[arg-type]


def default_layout(cores: int) -> Layout:
    """Before any measurement: every core on one run, one text per run."""
    return Layout(threads=cores, streams=1, batch_tokens=0, cores=cores)


def plan_batches(lengths: Sequence[int], batch_tokens: int, max_rows: int = MAX_ROWS) -> list[list[int]]:
    """Indices of `lengths` in batches: sorted by length, each batch at most `batch_tokens`
    padded tokens (a longer text alone) and at most MAX_PADDING of padding."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    real = 0
    for i in order:
        size = lengths[i]
        if current:
            padded = size * (len(current) + 1)  # sorted: the new text is the longest
            if (
                padded > batch_tokens
                or len(current) >= max_rows
                or padded - (real + size) > MAX_PADDING * (real + size)
            ):
                batches.append(current)
                current, real = [], 0
        current.append(i)
        real += size
    if current:
        batches.append(current)
    return batches


def padding_share(lengths: Sequence[int], batches: list[list[int]]) -> float:
    """Padded positions over real tokens of a plan."""
    real = sum(lengths[i] for b in batches for i in b)
    padded = sum(max(lengths[i] for i in b) * len(b) for b in batches)
    return (padded - real) / max(1, real)


def candidates(cores: int, quantised: bool = False) -> list[tuple[int, int, int]]:
    """(threads, streams, batch tokens) to measure: all cores on one run, or one core
    per run with as many runs as cores. A dynamically quantised (int8) graph runs one text
    per run: it scales a run's activations by the run's largest value, so batch-mates
    would blur each other's vectors (dev2 lost a refusal with 512-token batches)."""
    shapes = [(cores, 1)] + ([(1, cores)] if cores > 1 else [])
    sizes = (0,) if quantised else BATCH_TOKENS
    return [(t, s, b) for t, s in shapes for b in sizes]


def measure_layout(
    run: Callable[[int, int, int], float],
    tokens: int,
    cores: int,
    rounds: int = 2,
    say: Callable[[str], None] = lambda _m: None,
    quantised: bool = False,
) -> Layout:
    """Time `run(threads, streams, batch_tokens)` (which embeds the same `tokens` tokens
    and returns its wall seconds) for each candidate, `rounds` times interleaved; the
    best time of each counts (other processes only ever slow a run down)."""
    best: dict[tuple[int, int, int], float] = {}
    for _ in range(rounds):
        for shape in candidates(cores, quantised):
            started = time.perf_counter()
            seconds = run(*shape) or (time.perf_counter() - started)
            best[shape] = min(best.get(shape, seconds), seconds)
    (threads, streams, batch), seconds = min(best.items(), key=lambda kv: kv[1])
    for shape, s in sorted(best.items()):
        say(f"  线程 {shape[0]} × 并行 {shape[1]}，每批 {shape[2] or '1 段'} 词元：{tokens / s:.0f} 词元/秒")
        log.info("layout %s: %.0f tokens/s", shape, tokens / s)
    return Layout(threads, streams, batch, round(tokens / seconds, 1), cores)
