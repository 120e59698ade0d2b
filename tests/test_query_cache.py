"""Vectors of repeated questions come from the cache: same answer, no second forward pass;
a re-index starts a new version; the size bounds what is kept."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.question.query_cache import QueryVectorCache
from tests.fakes import SAMPLE_DOCS, hash_vector, make_knowledge, small_assistant


class _Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []

        self._lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            self.calls.append(text)
        time.sleep(0.02)  # a forward pass takes a while: others arrive meanwhile
        return hash_vector(text)


def test_a_repeated_question_is_embedded_once_per_version() -> None:
    embed, cache = _Counting(), QueryVectorCache(8)
    first = cache.get("v1", "学位够不够", embed)
    again = cache.get("v1", "学位够不够", embed)
    assert embed.calls == ["学位够不够"] and np.array_equal(first, again)
    cache.get("v2", "学位够不够", embed)  # a new index version embeds it anew
    assert embed.calls == ["学位够不够", "学位够不够"]
    assert (cache.hits, cache.misses) == (1, 2)
    with pytest.raises(ValueError):
        first[0] = 1.0  # shared between requests: read-only


def test_least_recently_used_questions_leave_first() -> None:
    embed, cache = _Counting(), QueryVectorCache(2)
    cache.get("v", "a", embed)
    cache.get("v", "b", embed)
    cache.get("v", "a", embed)  # a is now the most recent
    cache.get("v", "c", embed)  # evicts b
    assert len(cache) == 2
    cache.get("v", "a", embed)
    cache.get("v", "b", embed)
    assert embed.calls == ["a", "b", "c", "b"]


def test_size_zero_turns_the_cache_off() -> None:
    embed, cache = _Counting(), QueryVectorCache(0)
    cache.get("v", "a", embed)
    cache.get("v", "a", embed)
    assert embed.calls == ["a", "a"] and len(cache) == 0


def test_the_assistant_embeds_a_repeated_question_once_and_answers_the_same(tmp_path: Path) -> None:
    _settings, index, assistant = small_assistant(tmp_path)
    embedder = index.embedder
    first = assistant.ask("罗湖区要新增多少公办义务教育学位？")
    embedder.reset()
    second = assistant.ask("罗湖区要新增多少公办义务教育学位？")
    assert embedder.queries == 0
    assert second.answer == first.answer
    assert [c.text for c in second.citations] == [c.text for c in first.citations]


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    _settings, index, assistant = small_assistant(tmp_path, query_cache_size=0)
    embedder = index.embedder
    assistant.ask("罗湖区要新增多少公办义务教育学位？")  # the first also probes the batcher
    embedder.reset()
    assistant.ask("罗湖区要新增多少公办义务教育学位？")
    assert embedder.queries == 1


def test_many_threads_asking_the_same_questions_embed_each_once() -> None:
    embed, cache = _Counting(), QueryVectorCache(8)
    texts = ["学位够不够", "什么时候报名", "积分怎么算", "要交什么材料"]
    start = threading.Barrier(32)
    got: dict[int, list[tuple[str, np.ndarray]]] = {}

    def client(n: int) -> None:
        start.wait()  # all at once, as on enrolment day
        got[n] = [(t, cache.get("v", t, embed)) for t in texts[n % 4 :] + texts[: n % 4]]

    threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(embed.calls) == sorted(texts)  # one forward pass per question
    assert (cache.hits, cache.misses) == (32 * 4 - 4, 4)
    assert all(np.array_equal(v, hash_vector(t)) for pairs in got.values() for t, v in pairs)


def test_a_failed_embedding_reaches_every_waiter_and_is_not_cached() -> None:
    cache, entered, release = QueryVectorCache(8), threading.Event(), threading.Event()
    calls = 0

    def failing(text: str) -> np.ndarray:
        nonlocal calls
        calls += 1
        entered.set()
        release.wait(5)
        raise RuntimeError("model failed")

    errors: list[str] = []

    def waiter() -> None:
        try:
            cache.get("v", "学位够不够", failing)
        except RuntimeError as exc:
            errors.append(str(exc))

    first = threading.Thread(target=waiter)
    first.start()
    entered.wait(5)
    second = threading.Thread(target=waiter)  # arrives while the first is embedding
    second.start()
    time.sleep(0.05)
    release.set()
    first.join()
    second.join()
    assert errors == ["model failed", "model failed"] and calls == 1
    assert len(cache) == 0
    assert np.array_equal(cache.get("v", "学位够不够", hash_vector), hash_vector("学位够不够"))


def test_a_reindex_embeds_the_question_anew(tmp_path: Path) -> None:
    settings, index, assistant = small_assistant(tmp_path, refresh_seconds=0)
    embedder = index.embedder
    question = "罗湖区要新增多少公办义务教育学位？"
    first = assistant.ask(question)
    changed = dict(SAMPLE_DOCS)
    changed["admission-guide"] += "\n\n第四条 学位申请结果于每年七月公布。"
    make_knowledge(settings.knowledge_dir, changed)
    assert not index.ingest().failed
    embedder.reset()
    second = assistant.ask(question)
    assert second.index_version != first.index_version
    assert embedder.queries == 1  # the new version's cache starts empty


def test_the_real_model_embeds_a_repeated_question_once(tmp_path: Path) -> None:
    """The real embedding model behind the assistant: the second asking of a question
    makes no model call and searches with the identical vector."""
    from assistant.chain import Assistant
    from assistant.index import KnowledgeIndex
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "kb", chroma_host=None)
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings)
    assert not index.ingest().failed
    model = index.embedder
    texts: list[str] = []
    for name in ("embed_query", "embed_queries"):
        method = getattr(model, name, None)
        if method is not None:

            def counted(arg: Any, _method: Any = method) -> Any:
                texts.extend([arg] if isinstance(arg, str) else arg)
                return _method(arg)

            setattr(model, name, counted)
    assistant = Assistant(settings, index)
    question = "中小学每周课外劳动时间不少于多少？"
    first = assistant.ask(question)
    vector = assistant.searcher.embed_query(first.standalone)
    assert first.standalone in texts
    texts.clear()
    second = assistant.ask(question)
    again = assistant.searcher.embed_query(second.standalone)
    assert texts == []  # no forward pass for the repeated question
    assert np.array_equal(vector, again) and vector.shape == (model.dim,)
    assert second.answer == first.answer
