"""The admission gate shared by every way of asking, and the query-embedding batcher."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fakes import HashEmbedder, hash_vector, small_assistant

from assistant.admission import AdmissionGate, ServerBusyError
from assistant.question.batching import QueryBatcher, batch_invariant

# --- the gate ------------------------------------------------------------------------------


def test_gate_admits_up_to_its_limit_then_queues_then_turns_away() -> None:
    gate = AdmissionGate(concurrent=2, waiting=1, wait_timeout=5)
    first, second = gate.enter(), gate.enter()
    assert gate.active == 2
    admitted: list[Any] = []
    waiter = threading.Thread(target=lambda: admitted.append(gate.enter()))
    waiter.start()
    deadline = time.monotonic() + 5
    while gate.waiting < 1:
        assert time.monotonic() < deadline, "the third question did not wait"
        time.sleep(0.01)
    with pytest.raises(ServerBusyError) as busy:  # the waiting room (1) is full
        gate.enter()
    assert busy.value.retry_after >= 1
    assert "秒后再试" in busy.value.user_message
    assert gate.turned_away == 1
    first.release()
    waiter.join(timeout=5)
    assert admitted and gate.active == 2 and gate.waiting == 0
    first.release()  # a second release changes nothing
    assert gate.active == 2
    second.release()
    admitted[0].release()
    assert gate.active == 0


def test_a_freed_turn_goes_to_the_longest_waiting_question() -> None:
    gate = AdmissionGate(concurrent=1, waiting=8, wait_timeout=10)
    held = gate.enter()
    order: list[str] = []
    lock = threading.Lock()

    def ask(name: str) -> None:
        with gate.enter():
            with lock:
                order.append(name)
            time.sleep(0.02)

    waiters = []
    for name in ("first", "second", "third"):
        waiters.append(threading.Thread(target=ask, args=(name,)))
        waiters[-1].start()
        while gate.waiting < len(waiters):
            time.sleep(0.005)
    held.release()
    ask("came back at once")  # the one that just left asks again: it queues behind the others
    for waiter in waiters:
        waiter.join(timeout=10)
    assert order == ["first", "second", "third", "came back at once"]
    assert gate.active == 0 and gate.waiting == 0


def test_a_waiting_question_is_turned_away_after_the_wait_timeout() -> None:
    gate = AdmissionGate(concurrent=1, waiting=4, wait_timeout=0.2)
    with gate.enter(), pytest.raises(ServerBusyError):
        gate.enter()
    with gate.enter():  # the slot came back
        assert gate.active == 1


# --- /v1, /ask and the chat share it ---------------------------------------------------------


@pytest.fixture
def busy_server(tmp_path: Path, serve_app: Any) -> Any:
    settings, _, assistant = small_assistant(tmp_path, max_concurrent_questions=1, max_waiting_questions=0)
    server = serve_app(assistant, settings)
    yield server, assistant
    server.stop()


def ask_v1(url: str, question: str, stream: bool = False) -> httpx.Response:
    body = {"model": "luohu-assistant", "messages": [{"role": "user", "content": question}], "stream": stream}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)


def test_v1_says_503_with_retry_after_while_every_turn_is_taken(busy_server: Any) -> None:
    server, assistant = busy_server
    assert ask_v1(server.url, "学位申请时间是什么时候？").status_code == 200
    held = assistant.gate.enter()  # a question in progress elsewhere (the chat, /ask)
    try:
        for stream in (False, True):
            response = ask_v1(server.url, "学位申请时间是什么时候？", stream=stream)
            assert response.status_code == 503
            assert int(response.headers["Retry-After"]) >= 1
            assert "秒后再试" in response.json()["error"]["message"]
        # the chat is behind the same gate: its answer says so, in Chinese
        from assistant.web.chat import Chat
        from assistant.web.feedback import FeedbackStore

        chat = Chat(assistant, assistant.settings, FeedbackStore.for_settings(assistant.settings))
        *_, (_, _, records) = list(chat.respond("学位申请时间是什么时候？", []))
        assert "秒后再试" in records[-1]["answer"]
    finally:
        held.release()
    assert ask_v1(server.url, "学位申请时间是什么时候？").status_code == 200
    assert assistant.gate.active == 0  # every request gave its turn back


# --- the batcher ------------------------------------------------------------------------------


class CountingEmbedder(HashEmbedder):
    """Records the size of every query batch; `crosstalk` makes a batch's vectors depend on
    each other, as dynamic int8 quantisation does."""

    def __init__(self, crosstalk: float = 0.0, delay: float = 0.0) -> None:
        super().__init__()
        self.sizes: list[int] = []
        self.crosstalk = crosstalk
        self.query_delay = delay
        self.threads: set[str] = set()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.sizes.append(len(texts))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.query_delay)
        vectors = np.stack([hash_vector(t) for t in texts])
        if self.crosstalk and len(texts) > 1:
            vectors = vectors + self.crosstalk * vectors.mean(axis=0)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.astype(np.float32)


def test_batch_invariance_is_measured() -> None:
    assert batch_invariant(CountingEmbedder())
    assert not batch_invariant(CountingEmbedder(crosstalk=0.3))


def run_concurrently(batcher: QueryBatcher, texts: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    threads = [threading.Thread(target=lambda t=t: out.__setitem__(t, batcher.embed_query(t))) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return out


def test_concurrent_queries_share_batches_and_get_their_own_vectors() -> None:
    embedder = CountingEmbedder(delay=0.05)  # a forward pass long enough for others to queue
    texts = [f"问题{i}：学位申请" for i in range(24)]
    batcher = QueryBatcher(embedder, max_batch=8, max_wait_ms=20, in_flight=lambda: len(texts))
    assert batcher.batched
    embedder.sizes.clear()  # (the probe's own batch, in this thread)
    embedder.threads.clear()
    vectors = run_concurrently(batcher, texts)
    assert set(vectors) == set(texts)
    for text, vector in vectors.items():
        np.testing.assert_allclose(vector, hash_vector(text), atol=1e-6)
    assert sum(embedder.sizes) == 24
    assert max(embedder.sizes) <= 8
    assert len(embedder.sizes) < 24, "no two queries shared a forward pass"
    assert embedder.threads == {"query-embedder"}  # one model thread, whoever asks


def test_a_backend_that_is_not_batch_invariant_embeds_one_query_at_a_time() -> None:
    embedder = CountingEmbedder(crosstalk=0.3, delay=0.02)
    batcher = QueryBatcher(embedder, max_batch=8, max_wait_ms=20, in_flight=lambda: 8)
    assert not batcher.batched and batcher.max_batch == 1
    texts = [f"问题{i}" for i in range(8)]
    embedder.sizes.clear()  # (the probe's own batch)
    vectors = run_concurrently(batcher, texts)
    assert embedder.sizes == [1] * 8
    for text, vector in vectors.items():  # alone, so exactly its own vector
        np.testing.assert_allclose(vector, hash_vector(text), atol=1e-6)


def test_a_lone_query_does_not_wait_for_companions() -> None:
    embedder = CountingEmbedder()
    batcher = QueryBatcher(embedder, max_batch=8, max_wait_ms=500, in_flight=lambda: 1)
    started = time.perf_counter()
    batcher.embed_query("学位")
    assert time.perf_counter() - started < 0.4  # far less than the 500 ms it may wait


def test_a_failing_model_fails_every_query_of_its_batch_and_the_next_ones_work() -> None:
    class Flaky(CountingEmbedder):
        fail = True

        def embed_queries(self, texts: list[str]) -> np.ndarray:
            if self.fail and texts[0] == "坏":
                raise RuntimeError("model failed")
            return super().embed_queries(texts)

    batcher = QueryBatcher(Flaky(), batched=True)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.embed_query("坏")
    np.testing.assert_allclose(batcher.embed_query("好"), hash_vector("好"), atol=1e-6)
