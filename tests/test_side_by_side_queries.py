"""Concurrent query embeddings run side by side on one-thread runs; a lone one on every core.

An int8 backend cannot batch queries (its activations are quantised per run), so the
batcher gives each waiting query its own one-thread run beside the others, and a query
alone its all-cores run. The vector must not depend on which run made it.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from fakes import HashEmbedder, hash_vector

from assistant.question.batching import QueryBatcher, side_by_side_streams
from assistant.settings import Settings


class TwoWayEmbedder(HashEmbedder):
    """Not batch-invariant (a batch's vectors lean on each other) and offers two one-thread
    runs; records which run embedded each query and how many narrow runs overlapped."""

    query_streams = 2

    def __init__(self, delay: float = 0.05) -> None:
        super().__init__()
        self.run_delay = delay
        self.full: list[str] = []
        self.narrow: list[str] = []
        self.running = 0
        self.most_at_once = 0
        self.prepared = False
        self._count = threading.Lock()

    def embed_queries(self, texts: list[str]) -> np.ndarray:  # the all-cores run
        self.full.extend(texts)
        time.sleep(self.run_delay)
        vectors = np.stack([hash_vector(t) for t in texts])
        if len(texts) > 1:
            vectors = vectors + 0.3 * vectors.mean(axis=0)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.astype(np.float32)

    def prepare_narrow(self) -> None:
        self.prepared = True

    def embed_query_narrow(self, text: str) -> np.ndarray:
        with self._count:
            self.narrow.append(text)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(self.run_delay)
        with self._count:
            self.running -= 1
        return hash_vector(text)


def ask_together(batcher: QueryBatcher, texts: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    threads = [threading.Thread(target=lambda t=t: out.__setitem__(t, batcher.embed_query(t))) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return out


def test_waiting_queries_run_side_by_side_on_one_thread_runs_and_a_lone_one_on_all_cores() -> None:
    embedder = TwoWayEmbedder()
    batcher = QueryBatcher(embedder, max_batch=8, max_wait_ms=20, in_flight=lambda: 12)
    assert not batcher.batched and batcher.streams == 2
    assert embedder.prepared  # the one-thread session is opened before the first request
    embedder.full.clear()  # (the batch-invariance probe's own queries)

    texts = [f"问题{i}：学位申请" for i in range(12)]
    vectors = ask_together(batcher, texts)
    assert set(vectors) == set(texts)
    for text, vector in vectors.items():
        np.testing.assert_allclose(vector, hash_vector(text), atol=1e-6)
    assert len(embedder.narrow) >= len(texts) // 2, embedder.full  # the waiting ones
    assert embedder.most_at_once == 2  # two runs at a time: one per stream, never more
    assert batcher.narrow_runs == len(embedder.narrow)

    embedder.full.clear()
    embedder.narrow.clear()
    batcher.embed_query("学位")  # alone: the all-cores run
    assert embedder.full == ["学位"] and embedder.narrow == []


def test_a_backend_without_one_thread_runs_keeps_one_model_thread() -> None:
    assert side_by_side_streams(HashEmbedder()) == 1
    one_core = TwoWayEmbedder()
    one_core.query_streams = 1
    assert side_by_side_streams(one_core) == 1
    batcher = QueryBatcher(one_core, max_batch=8, in_flight=lambda: 4)
    assert batcher.streams == 1 and not one_core.prepared
    ask_together(batcher, [f"问题{i}" for i in range(4)])
    assert one_core.narrow == []
    capped = TwoWayEmbedder()  # ASSISTANT_QUERY_STREAMS=1: one model thread, no second session
    batcher = QueryBatcher(capped, max_batch=8, in_flight=lambda: 4, streams=1)
    assert batcher.streams == 1 and not capped.prepared
    ask_together(batcher, [f"问题{i}" for i in range(4)])
    assert capped.narrow == []


@pytest.fixture(scope="module")
def int8() -> object:
    from assistant.backends.selection import load

    return load(Settings().model_cache_dir, "onnx-int8", threads=2)


QUESTIONS = [
    "罗湖区要新增多少公办义务教育学位？",
    "劳动教育每周不少于几课时，由哪个部门负责落实？",
    "学位",
    "幼儿园要新增多少所？",
    "中小学生每周课外劳动时间不少于多少？",
    "积分入学的积分怎么算",
    "What does the plan say about teacher training?",
    "非深户籍的孩子怎么申请学位",
]


def test_the_real_int8_model_gives_the_same_vector_on_either_run(int8: object) -> None:
    alone = np.stack([int8.embed_query(q) for q in QUESTIONS])  # type: ignore[attr-defined]
    narrow = np.stack([int8.embed_query_narrow(q) for q in QUESTIONS])  # type: ignore[attr-defined]
    np.testing.assert_allclose(narrow, alone, atol=1e-5)

    batcher = QueryBatcher(int8, in_flight=lambda: len(QUESTIONS))  # type: ignore[arg-type]
    assert not batcher.batched and batcher.streams == 2
    together = ask_together(batcher, QUESTIONS * 3)
    assert batcher.narrow_runs > 0, "no query ran on a one-thread run"
    for q, vector in together.items():
        np.testing.assert_allclose(vector, alone[QUESTIONS.index(q)], atol=1e-5)
