"""Percentiles and per-phase timing of functions inside the assistant (patched in place,
in the benchmark process only, and restored afterwards)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, the same rule as `assistant.evaluation.Metrics.latency`."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class PhaseTimer:
    """Adds up the time spent in patched functions; `flush` closes one sample (one query)."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.samples: dict[str, list[float]] = defaultdict(list)
        self._patched: list[tuple[Any, str, Any]] = []

    def wrap(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - started

        return timed

    def patch(self, owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr)
        self._patched.append((owner, attr, original))
        setattr(owner, attr, self.wrap(original, name))

    def restore(self) -> None:
        while self._patched:
            owner, attr, original = self._patched.pop()
            setattr(owner, attr, original)

    def flush(self, names: Sequence[str]) -> None:
        for name in names:
            self.samples[name].append(self.current.get(name, 0.0))
        self.current.clear()

    def total(self, name: str) -> float:
        return self.current.get(name, 0.0) + sum(self.samples.get(name, []))


@contextmanager
def patched(timer: PhaseTimer, targets: Sequence[tuple[Any, str, str]]) -> Iterator[PhaseTimer]:
    """Patch (owner, attribute, phase name) triples for the duration of the block."""
    for owner, attr, name in targets:
        timer.patch(owner, attr, name)
    try:
        yield timer
    finally:
        timer.restore()


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then `t[0]` holds the elapsed seconds."""
    box: list[float] = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started
