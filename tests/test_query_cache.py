"""Vectors of repeated questions come from the cache: same answer, no second forward pass;
a re-index starts a new version; the size bounds what is kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.question.query_cache import QueryVectorCache
from tests.fakes import hash_vector, small_assistant


class _Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> np.ndarray:
        self.calls.append(text)
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
