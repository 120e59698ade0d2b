"""Query embeddings of concurrent requests through one bounded queue and one worker.

One thread runs the model, so concurrent requests never split the cores between several
forward passes; while it runs, the requests' other steps (keyword search, sentence
scoring, the answer) use the remaining core. Queries that arrive together are embedded as
one batch, but only when the model is batch-invariant: with dynamic int8 quantisation a
query's vector depends on the other queries in its batch (cosine 0.985 to itself alone),
and an answer must not depend on who else asked at the same moment. `batch_invariant`
measures this once when the batcher starts.

A backend that is not batch-invariant but can run queries side by side (`query_streams`
> 1, `embed_query_narrow`: ONNX Runtime on a one-thread session, one run per core) gets
one worker per stream instead: a query alone takes the all-cores run (lowest latency),
queries that wait for each other each take a one-thread run beside the others (more
questions a second: no thread pool to synchronise, no core idle while another run's
operator finishes). Both runs are the same graph and weights, so the vector does not
depend on which one made it (tests/test_side_by_side_queries.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from assistant.admission import ServerBusyError
from assistant.embeddings import Embedder, embed_queries

log = logging.getLogger(__name__)

# Probe questions of different lengths: padding is where batching differs most.
PROBES = ("学位", "罗湖区要新增多少公办义务教育学位？", "劳动教育每周不少于几课时，由哪个部门负责落实？")
# Float32 kernels differ by rounding only (cosine 1 - 1e-6); int8 by 1e-2.
INVARIANCE_TOLERANCE = 1e-4


class EmbeddingBusyError(ServerBusyError):
    """The query queue stayed full; the request should be retried later."""

    def __init__(self) -> None:
        super().__init__(retry_after=1)


def batch_invariant(embedder: Embedder) -> bool:
    """Whether a query's vector is the same alone and in a batch with others."""
    alone = np.stack([np.asarray(embedder.embed_query(t), dtype=np.float32) for t in PROBES])
    together = embed_queries(embedder, list(PROBES))
    worst = float(np.min(np.sum(alone * together, axis=1)))
    return worst >= 1.0 - INVARIANCE_TOLERANCE


def side_by_side_streams(embedder: Embedder) -> int:
    """How many one-thread query runs `embedder` offers side by side (1: none)."""
    if not callable(getattr(embedder, "embed_query_narrow", None)):
        return 1
    return max(1, int(getattr(embedder, "query_streams", 1)))


class QueryBatcher:
    """`embed_query` for many threads at once; see the module docstring."""

    def __init__(
        self,
        embedder: Embedder,
        max_batch: int = 16,
        max_wait_ms: float = 3.0,
        capacity: int = 128,
        in_flight: Callable[[], int] | None = None,
        batched: bool | None = None,
        streams: int = 0,
    ) -> None:
        """`in_flight` tells how many questions are being answered: the worker waits (up
        to max_wait_ms) for companions only when others are on their way. `batched` None
        = measure `batch_invariant`. `streams` caps the side-by-side runs (0: as many as
        the embedder offers)."""
        self.embedder = embedder
        self.batched = batch_invariant(embedder) if batched is None else batched
        self.max_batch = max(1, max_batch) if self.batched else 1
        self.max_wait = max(0.0, max_wait_ms) / 1000
        self._in_flight = in_flight or (lambda: 0)
        self._queue: queue.Queue[tuple[str, Future[np.ndarray]]] = queue.Queue(maxsize=max(1, capacity))
        self.batches = 0
        self.queries = 0
        self.narrow_runs = 0  # queries embedded on a one-thread run beside others
        offered = 1 if self.batched else side_by_side_streams(embedder)
        self.streams = min(offered, streams) if streams > 0 else offered
        prepare = getattr(embedder, "prepare_narrow", None)
        if self.streams > 1 and callable(prepare):
            prepare()
        self._busy = 0  # workers inside a forward pass
        self._busy_lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._run, name="query-embedder" + (f"-{i}" if i else ""), daemon=True)
            for i in range(self.streams)
        ]
        for worker in self._workers:
            worker.start()
        if self.batched:
            mode = f"batches of up to {self.max_batch}"
        elif self.streams > 1:
            mode = f"one at a time, up to {self.streams} side by side on one-thread runs"
        else:
            mode = "one at a time"
        log.info("query embedding: %s", mode)

    def embed_query(self, text: str, timeout: float = 30.0) -> np.ndarray:
        future: Future[np.ndarray] = Future()
        try:
            self._queue.put((text, future), timeout=timeout)
        except queue.Full as exc:
            raise EmbeddingBusyError() from exc
        return future.result()

    def _take(self) -> list[tuple[str, Future[np.ndarray]]]:
        batch = [self._queue.get()]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._in_flight() <= len(batch):
                break  # nobody else is coming: do not make this one wait
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self.streams <= 1:
            return embed_queries(self.embedder, texts)
        with self._busy_lock:
            # Alone (no other pass running, nobody queued): every core for this one.
            alone = self._busy == 0 and self._queue.empty()
            self._busy += 1
            self.narrow_runs += 0 if alone else len(texts)
        try:
            if alone:
                return embed_queries(self.embedder, texts)
            return np.stack([self.embedder.embed_query_narrow(t) for t in texts])  # type: ignore[attr-defined]
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                vectors = self._embed([text for text, _ in batch])
            except BaseException as exc:  # every waiting request learns why
                for _, future in batch:
                    future.set_exception(exc)
                continue
            with self._busy_lock:
                self.batches += 1
                self.queries += len(batch)
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)
