"""Sentence vectors: written beside a new collection before it becomes active, switched and
pruned with it, reused for unchanged sentences, read by the searcher for each passage."""

from __future__ import annotations

from typing import Any

import pytest
from fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge

from assistant.chain import Assistant
from assistant.grammar.sentences import split_sentences
from assistant.index import KnowledgeIndex
from assistant.indexing.sentence_vectors import SentenceVectors, sentence_dir
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


def test_every_sentence_of_a_chunk_of_several_has_a_vector(settings: Settings) -> None:
    index, name = _ingest(settings, SAMPLE_DOCS, HashEmbedder())
    stored = SentenceVectors.load(sentence_dir(settings.derived_dir(name)))
    assert stored is not None and len(stored) > 0
    ids, texts, _ = index.all_chunks()
    expected = {
        (cid, s)
        for cid, text in zip(ids, texts, strict=True)
        for s in split_sentences(text)
        if len(set(split_sentences(text))) > 1
    }
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


def test_a_collection_built_without_them_gets_them_when_first_searched(settings: Settings) -> None:
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    plain = KnowledgeIndex(settings, embedder=HashEmbedder())  # no before_switch hook
    name = plain.ingest().collection
    assert SentenceVectors.load(sentence_dir(settings.derived_dir(name))) is None
    snapshot = Assistant(settings, plain).searcher.snapshot()
    assert len(snapshot.sentences) > 0
    assert SentenceVectors.load(sentence_dir(settings.derived_dir(name))) is not None
