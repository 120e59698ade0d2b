"""Sentence vectors: written beside a new collection before it becomes active, switched and
pruned with it, reused for unchanged sentences, read by the searcher for each passage."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge

from assistant.chain import Assistant
from assistant.grammar.sentences import split_sentences
from assistant.index import KnowledgeIndex
from assistant.indexing.sentence_vectors import SentenceVectors, sentence_dir
from assistant.question.sentences_on_demand import SentencesOnDemand
from assistant.question.snapshot import keyword_hook
from assistant.settings import Settings


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    return settings_factory(refresh_seconds=0.0)


def _ingest(settings: Settings, docs: dict[str, str], embedder: HashEmbedder) -> tuple[KnowledgeIndex, str]:
    make_knowledge(settings.knowledge_dir, docs)
    index = KnowledgeIndex(settings, embedder=embedder, before_switch=keyword_hook(settings))
    report = index.ingest()
    assert not report.failed
    return index, report.collection


def _sentence_rows(index: KnowledgeIndex) -> set[tuple[str, str]]:
    """(chunk id, sentence) of every chunk of two or more sentences."""
    ids, texts, _ = index.all_chunks()
    return {
        (cid, s)
        for cid, text in zip(ids, texts, strict=True)
        for s in split_sentences(text)
        if len(set(split_sentences(text))) > 1
    }


def test_every_sentence_of_a_chunk_of_several_has_a_vector(settings: Settings) -> None:
    index, name = _ingest(settings, SAMPLE_DOCS, HashEmbedder())
    stored = SentenceVectors.load(sentence_dir(settings.derived_dir(name)))
    assert stored is not None and len(stored) > 0
    expected = _sentence_rows(index)
    assert set(stored.rows) == expected
    assert stored.vectors.shape == (len(expected), HashEmbedder.dim)


def test_unchanged_sentences_are_not_embedded_again(settings: Settings) -> None:
    _ingest(settings, SAMPLE_DOCS, HashEmbedder())
    changed = dict(SAMPLE_DOCS)
    doc_id = next(iter(changed))
    changed[doc_id] = changed[doc_id] + "\n新增的一句话用于测试。又一句新的话。"
    embedder = HashEmbedder()
    _, name = _ingest(settings, changed, embedder)
    stored = SentenceVectors.load(sentence_dir(settings.derived_dir(name)))
    assert stored is not None
    embedded_sentences = [t for t in embedder.embedded if t in {s for _, s in stored.rows}]
    # only the changed document's sentences were embedded again, never the others'
    others = {s for cid, s in stored.rows if not cid.startswith(doc_id)}
    assert not others & set(embedded_sentences)
    assert "新增的一句话用于测试。" in embedded_sentences


def test_searcher_gives_each_passage_its_sentence_similarities(settings: Settings) -> None:
    index, _ = _ingest(settings, SAMPLE_DOCS, HashEmbedder())
    passages = Assistant(settings, index).searcher.search("学位申请时间是什么时候？").passages
    assert passages
    for p in passages:
        sentences = split_sentences(p.text)
        assert set(p.sentence_dense) == set(sentences), p.id
        assert all(-1.0 <= v <= 1.0 for v in p.sentence_dense.values())


def test_a_collection_built_without_them_gets_them_when_first_searched(settings_factory: Any) -> None:
    settings = settings_factory(refresh_seconds=0.0, sentence_vectors_deferred=False)
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    plain = KnowledgeIndex(settings, embedder=HashEmbedder())  # no before_switch hook
    name = plain.ingest().collection
    assert SentenceVectors.load(sentence_dir(settings.derived_dir(name))) is None
    snapshot = Assistant(settings, plain).searcher.snapshot()
    assert isinstance(snapshot.sentences, SentenceVectors) and len(snapshot.sentences) > 0
    assert SentenceVectors.load(sentence_dir(settings.derived_dir(name))) is not None


class _HeldBackground(HashEmbedder):
    """Holds the background fill's calls until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if threading.current_thread().name.startswith("sentences-"):
            self.release.wait(timeout=60)
        return super().embed_documents(texts)


def _deferred(settings: Settings, embedder: HashEmbedder) -> tuple[KnowledgeIndex, str]:
    """An ingest as the app's start makes it: keyword index, no sentence vectors."""
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, embedder=embedder, before_switch=keyword_hook(settings, sentences=False))
    report = index.ingest()
    assert not report.failed
    return index, report.collection


def test_deferred_ones_are_made_in_the_background_and_saved(settings: Settings) -> None:
    index, name = _deferred(settings, HashEmbedder())
    assert SentenceVectors.load(sentence_dir(settings.derived_dir(name))) is None
    assert (settings.derived_dir(name) / "keyword").is_dir()
    sentences = Assistant(settings, index).searcher.snapshot().sentences
    assert isinstance(sentences, SentencesOnDemand)
    assert sentences.wait(timeout=60)
    stored = SentenceVectors.load(sentence_dir(settings.derived_dir(name)))
    assert stored is not None and len(stored) == len(sentences) > 0
    # the same rows as an ingest that makes them before the switch
    expected = _sentence_rows(index)
    assert set(stored.rows) == expected


def test_a_question_before_they_are_made_gets_the_same_sentence_similarities(
    settings_factory: Any, tmp_path: Path
) -> None:
    question = "学位申请时间是什么时候？"
    ready = settings_factory(refresh_seconds=0.0, data_dir=tmp_path / "ready")
    index, _ = _ingest(ready, SAMPLE_DOCS, HashEmbedder())
    expected = {p.id: p.sentence_dense for p in Assistant(ready, index).searcher.search(question).passages}

    later = settings_factory(refresh_seconds=0.0, data_dir=tmp_path / "later")
    held = _HeldBackground()  # the question is answered before the background fill ends
    index, _ = _deferred(later, held)
    searcher = Assistant(later, index).searcher
    sentences = searcher.snapshot().sentences
    assert isinstance(sentences, SentencesOnDemand)
    got = {p.id: p.sentence_dense for p in searcher.search(question).passages}
    assert not sentences.finished
    held.release.set()
    assert set(got) == set(expected)
    for pid, scores in expected.items():
        assert scores.keys() == got[pid].keys(), pid
        for sentence, value in scores.items():
            assert got[pid][sentence] == pytest.approx(value, abs=1e-6)
    assert sentences.wait(timeout=60)


def test_a_replaced_collection_stops_making_them(settings: Settings) -> None:
    held = _HeldBackground()
    index, first = _deferred(settings, held)
    searcher = Assistant(settings, index).searcher
    sentences = searcher.snapshot().sentences
    assert isinstance(sentences, SentencesOnDemand)
    changed = dict(SAMPLE_DOCS)
    doc_id = next(iter(changed))
    changed[doc_id] += "\n新增的一句话用于测试。又一句新的话。"
    make_knowledge(settings.knowledge_dir, changed)
    assert index.ingest().collection != first
    assert searcher.refresh(force=True).name != first
    held.release.set()
    assert not sentences.wait(timeout=30)  # stopped: never finished
    assert SentenceVectors.load(sentence_dir(settings.derived_dir(first))) is None


def test_the_documents_tab_follows_the_background_fill_and_then_says_nothing(
    settings_factory: Any, tmp_path: Path
) -> None:
    from assistant.web.document_list import index_status

    deferred = settings_factory(refresh_seconds=0.0, data_dir=tmp_path / "deferred")
    held = _HeldBackground()
    index, _ = _deferred(deferred, held)
    assistant = Assistant(deferred, index)
    sentences = assistant.searcher.snapshot().sentences
    assert isinstance(sentences, SentencesOnDemand)
    for _ in range(200):  # the fill counts its sentences before its first (held) call
        if sentences.progress()[1]:
            break
        threading.Event().wait(0.05)
    made, total = sentences.progress()
    assert made == 0 and total > 0
    assert f"逐句向量正在后台生成（0/{total} 句）" in index_status(assistant)

    held.release.set()
    assert sentences.wait(timeout=60)
    assert sentences.progress() == (total, total)
    assert index_status(assistant) == ""

    # An index whose sentence vectors were made before the switch has nothing to say.
    ready = settings_factory(refresh_seconds=0.0, data_dir=tmp_path / "ready")
    index, _ = _ingest(ready, SAMPLE_DOCS, HashEmbedder())
    assert index_status(Assistant(ready, index)) == ""
