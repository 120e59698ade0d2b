"""Ingest throughput: token-length batches with bounded padding, a layout measured on this
CPU and read back, chunk vectors independent of batching, and sentence vectors pooled from
the chunk's own forward pass (real model where the vectors are at stake)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import SAMPLE_DOCS, HashEmbedder, hash_vector, make_knowledge

from assistant.backends import layout as layout_store
from assistant.backends.batching import (
    MAX_PADDING,
    Layout,
    candidates,
    default_layout,
    measure_layout,
    padding_share,
    plan_batches,
)
from assistant.backends.spans import char_spans, token_span
from assistant.index import KnowledgeIndex
from assistant.indexing.sentence_vectors import SentenceVectors, chunk_sentences, sentence_dir
from assistant.question.snapshot import keyword_hook
from assistant.settings import Settings

LENGTHS = [37, 5, 120, 118, 9, 400, 41, 6, 7, 119, 36, 38, 2048, 8, 115]


@pytest.mark.parametrize("budget", [512, 2048])
def test_batches_are_sorted_by_tokens_and_padding_is_bounded(budget: int) -> None:
    batches = plan_batches(LENGTHS, budget)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(LENGTHS)))  # every text once
    assert [LENGTHS[i] for i in flat] == sorted(LENGTHS)  # in token order
    for batch in batches:
        real = sum(LENGTHS[i] for i in batch)
        padded = max(LENGTHS[i] for i in batch) * len(batch)
        assert padded <= budget or len(batch) == 1  # a longer text runs alone
        assert padded - real <= MAX_PADDING * real
    assert len(batches) < len(LENGTHS)  # short texts did share runs
    assert padding_share(LENGTHS, batches) <= MAX_PADDING


def test_no_batch_tokens_means_one_text_per_run() -> None:
    batches = plan_batches(LENGTHS, 0)
    assert all(len(b) == 1 for b in batches)
    assert padding_share(LENGTHS, batches) == 0.0


def test_the_fastest_measured_layout_is_chosen() -> None:
    calls: list[tuple[int, int, int]] = []

    def run(threads: int, streams: int, batch_tokens: int) -> float:
        calls.append((threads, streams, batch_tokens))
        return 1.0 if (threads, streams, batch_tokens) == (1, 2, 512) else 2.0

    chosen = measure_layout(run, tokens=1000, cores=2)
    assert (chosen.threads, chosen.streams, chosen.batch_tokens) == (1, 2, 512)
    assert chosen.tokens_per_s == 1000.0 and chosen.cores == 2
    assert set(calls) == set(candidates(2)) and len(calls) == 2 * len(candidates(2))
    assert candidates(1) == [(1, 1, b) for b in (0, 512, 2048)]  # one core: no parallel runs
    assert candidates(2, quantised=True) == [(2, 1, 0), (1, 2, 0)]  # int8: one text per run


class _Layouted:
    """What layout.apply needs of an OnnxEmbedder."""

    def __init__(self) -> None:
        self._threads = 2
        self.layout = default_layout(2)


def test_recorded_layout_is_read_back_and_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    measured = Layout(threads=1, streams=2, batch_tokens=512, tokens_per_s=1234.0, cores=2)
    backend = "onnx-fp32"
    runs: list[int] = []

    def fake_measure(embedder: Any, say: Any = None, int8: bool = False) -> Layout:
        runs.append(1)
        return measured

    monkeypatch.setattr(layout_store, "measure", fake_measure)
    first = _Layouted()
    assert layout_store.apply(tmp_path, backend, first) == measured  # measured at first run
    assert first.layout == measured and runs == [1]
    assert (tmp_path / layout_store.LAYOUT_FILE).is_file()
    second = _Layouted()
    assert layout_store.apply(tmp_path, backend, second) == measured  # read back
    assert second.layout == measured and runs == [1]
    other = _Layouted()
    other._threads = 4  # another core count is measured anew
    layout_store.apply(tmp_path, backend, other)
    assert runs == [1, 1]
    # a batched layout is no candidate for an int8 graph: recorded under an older rule
    layout_store.record(tmp_path, "onnx-int8", measured)
    assert layout_store.recorded(tmp_path, "onnx-int8", 2) is None
    single = dataclasses.replace(measured, batch_tokens=0)
    layout_store.record(tmp_path, "onnx-int8", single)
    assert layout_store.recorded(tmp_path, "onnx-int8", 2) == single


def test_sentence_spans_are_found_in_the_text_and_its_tokens() -> None:
    text = "总则\n第一句。第二句，较长。第一句。"
    spans = char_spans(text, ["第一句。", "第二句，较长。", "不在其中。"])
    assert spans[0] == (3, 7) and spans[1] == (7, 14) and spans[2] is None
    offsets = np.array([[0, 0], [0, 2], [2, 3], [3, 6], [6, 7], [7, 14], [0, 0]])  # BOS … EOS
    assert token_span(offsets, 3, 7) == (3, 5)
    assert token_span(offsets, 20, 30) is None  # cut at the model's length


# --- ingest: pooled sentence vectors are stored and used --------------------------------


class _PoolingEmbedder(HashEmbedder):
    """Pools a sentence's vector as the hash of "pooled:" + sentence, so the test can tell
    which way each stored vector was made."""

    pools_sentences = True

    def embed_documents_with_sentences(
        self, texts: list[str], sentences: list[list[str]]
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        pooled = [[hash_vector("pooled:" + s) for s in own] for own in sentences]
        return self.embed_documents(texts), pooled  # type: ignore[return-value]


@pytest.mark.parametrize("pooled", [True, False])
def test_ingest_stores_the_pooled_sentence_vectors(settings_factory: Any, pooled: bool) -> None:
    settings: Settings = settings_factory(refresh_seconds=0.0, sentence_vectors_pooled=pooled)
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    embedder = _PoolingEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder, before_switch=keyword_hook(settings))
    report = index.ingest()
    stored = SentenceVectors.load(sentence_dir(settings.derived_dir(report.collection)))
    assert stored is not None and len(stored) > 0
    ids, texts, _ = index.all_chunks()
    assert set(stored.rows) == {(c, s) for c, t in zip(ids, texts, strict=True) for s in chunk_sentences(t)}
    for (_, sentence), vector in zip(stored.rows, stored.vectors, strict=True):
        made = hash_vector(("pooled:" if pooled else "") + sentence)
        assert np.allclose(np.asarray(vector, dtype=np.float32), made, atol=1e-3)
    standalone = {s for _, s in stored.rows} & set(embedder.embedded)
    assert bool(standalone) is not pooled  # pooled: no sentence embedded on its own


class _RunReportingEmbedder(HashEmbedder):
    """Reports each text as a finished run, from two threads, as a local ONNX model does."""

    reports_runs = True

    def __init__(self) -> None:
        super().__init__()
        self.call_sizes: list[int] = []

    def embed_documents(self, texts: list[str], done: Any = None) -> np.ndarray:  # type: ignore[override]
        from concurrent.futures import ThreadPoolExecutor

        self.call_sizes.append(len(texts))
        vectors = super().embed_documents(texts)
        if done is not None:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda _i: done(1), range(len(texts))))
        return vectors


def test_a_model_that_reports_its_runs_gets_every_chunk_in_one_call(settings_factory: Any) -> None:
    settings: Settings = settings_factory(refresh_seconds=0.0, embedding_batch_size=2)
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    embedder = _RunReportingEmbedder()
    seen: list[float] = []
    index = KnowledgeIndex(settings, embedder=embedder)
    report = index.ingest(progress=lambda share, what: seen.append(share) if what == "建立索引" else None)
    ids, _, _ = index.all_chunks()
    assert report.chunks == len(ids) > 2
    # The chunks went in one call, not in twos as the batch size says.
    assert embedder.call_sizes[0] == len(ids)
    assert len(seen) == len(ids) and seen[-1] == 1.0 and seen == sorted(seen)  # one step a chunk
    made = {tuple(np.round(hash_vector(t), 5)) for t in embedder.embedded[: len(ids)]}
    got = index.active().get(ids=ids, include=["embeddings"])  # type: ignore[union-attr]
    assert {tuple(np.round(np.asarray(v, dtype=np.float32), 5)) for v in got["embeddings"]} == made  # type: ignore[union-attr]


# --- the real model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_int8() -> Any:
    from assistant.backends.selection import load

    return load(Settings().model_cache_dir, "onnx-int8", threads=2, token_states=True)


@pytest.fixture(scope="module")
def chunk_texts() -> list[str]:
    from assistant.documents.pipeline import prepare_document
    from assistant.index import knowledge_metas

    metas = sorted(knowledge_metas(Settings()), key=lambda m: m.doc_id)
    chunks = [c for meta in metas[:2] for c in prepare_document(meta).chunks]
    return [c.embed_text for c in chunks[::7][:10]]


def test_each_run_reports_its_texts_as_it_ends(onnx_int8: Any, chunk_texts: list[str]) -> None:
    counts: list[int] = []
    vectors = onnx_int8.embed_documents(chunk_texts, done=counts.append)
    assert sum(counts) == len(chunk_texts) and len(counts) > 1
    assert np.allclose(vectors, onnx_int8.embed_documents(chunk_texts), atol=1e-6)


def test_chunk_vectors_batched_agree_with_one_at_a_time(onnx_int8: Any, chunk_texts: list[str]) -> None:
    alone = np.stack([onnx_int8.embed_documents([t])[0] for t in chunk_texts])
    ids = list(onnx_int8.tokenize_documents(chunk_texts)["input_ids"])
    for shape in candidates(2):
        got = onnx_int8.embed_ids(ids, Layout(*shape, cores=2))
        cosine = (got * alone).sum(1)
        # int8 activations are quantised per run, so padded batch-mates move a vector a little
        assert cosine.min() >= (0.9999 if shape[2] == 0 else 0.99), shape


def test_pooled_sentence_vectors_follow_the_pipeline(onnx_int8: Any, chunk_texts: list[str]) -> None:
    """Pooled over every token, the token states give the graph's own vector back; a
    sentence's vector is the same computation over its tokens (reference: the mean of its
    token states, then the Dense weights read here from the model folder)."""
    from safetensors.numpy import load_file

    from assistant import model_fetch

    assert onnx_int8.pools_sentences
    ids = list(onnx_int8.tokenize_documents(chunk_texts)["input_ids"])
    states: dict[int, np.ndarray] = {}
    vectors = onnx_int8.embed_ids(ids, on_states=lambda i, s: states.__setitem__(i, np.array(s)))
    folder = model_fetch.model_dir(Settings().model_cache_dir)
    first = load_file(str(folder / "2_Dense" / "model.safetensors"))["linear.weight"]
    second = load_file(str(folder / "3_Dense" / "model.safetensors"))["linear.weight"]

    def reference(pooled: np.ndarray) -> np.ndarray:
        out = second @ (first @ pooled)
        return out / np.linalg.norm(out)

    whole = np.stack([reference(states[i].mean(axis=0)) for i in range(len(ids))])
    assert (whole * vectors).sum(1).min() >= 0.998  # the graph's Dense layers are int8

    sentences = [chunk_sentences(t.split("\n", 1)[1]) for t in chunk_texts]
    got_vectors, pooled = onnx_int8.embed_documents_with_sentences(chunk_texts, sentences)
    assert np.allclose(got_vectors, vectors, atol=1e-5)
    encoded = onnx_int8.tokenize_documents(chunk_texts, offsets=True)
    shift = len(onnx_int8._document_prompt)
    checked = 0
    for i, (text, own) in enumerate(zip(chunk_texts, sentences, strict=True)):
        offsets = np.asarray(encoded["offset_mapping"][i]).reshape(-1, 2)
        for sentence, vector in zip(own, pooled[i], strict=True):
            start = text.index(sentence) + shift
            tokens = [
                k for k, (a, b) in enumerate(offsets) if b > a and a < start + len(sentence) and b > start
            ]
            expected = reference(states[i][tokens[0] : tokens[-1] + 1].mean(axis=0))
            assert vector is not None and float(vector @ expected) >= 0.9999
            checked += 1
    assert checked >= 5


def test_layout_record_is_a_plain_json_row() -> None:
    row = Layout(1, 2, 512, 1500.0, 2)
    assert Layout.from_json(row.to_json()) == row
    assert dataclasses.asdict(row)["streams"] == 2


def test_one_thread_layout_opens_only_its_session_until_a_query(chunk_texts: list[str]) -> None:
    """Built with a one-thread layout, the embedder embeds documents on the one-thread
    session alone; the all-cores session opens with the first query, and both give the
    vectors of an embedder that opened the all-cores session first."""
    from assistant.backends.onnx import OnnxEmbedder

    folder = Settings().model_cache_dir / "embeddinggemma-300m-onnx-int8"
    narrow = OnnxEmbedder(folder / "model.onnx", folder, threads=2, layout=Layout(1, 2, 0, cores=2))
    docs = narrow.embed_documents(chunk_texts[:3])
    assert set(narrow._sessions) == {1}
    query = narrow.embed_query("学位申请需要哪些材料？")
    assert set(narrow._sessions) == {1, 2}
    wide = OnnxEmbedder(folder / "model.onnx", folder, threads=2)
    wide.layout = Layout(1, 2, 0, cores=2)
    assert set(wide._sessions) == {2}
    np.testing.assert_allclose(wide.embed_documents(chunk_texts[:3]), docs, atol=1e-6)
    np.testing.assert_allclose(wide.embed_query("学位申请需要哪些材料？"), query, atol=1e-6)
