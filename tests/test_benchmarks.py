"""The benchmark package's own parts: distractor corpus, vector cache, timers, sizes.
(The benchmark run itself is `python -m benchmarks`; it measures, it is not a test.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder

from benchmarks.distractors import DistractorSources, distractors, split_text
from benchmarks.runner import resolve_sizes
from benchmarks.timers import PhaseTimer, patched, percentile
from benchmarks.vector_cache import VectorCache, embed_cached, filler_vectors

NEWS = [
    "学校课后服务覆盖全部义务教育学校。每天不少于两小时。" * 12,
    "某区新建幼儿园三所，新增学位一千个。",
]
WIKI = ["长江是中国第一大河，全长约6300公里。流经十一个省级行政区。" * 8]


@pytest.fixture
def sources(tmp_path: Path) -> DistractorSources:
    news = tmp_path / "news.jsonl"
    news.write_text(
        "\n".join(json.dumps({"date_prefix": "2023-07", "text": t}, ensure_ascii=False) for t in NEWS),
        encoding="utf-8",
    )
    cmrc = tmp_path / "cmrc.jsonl"
    cmrc.write_text(
        "\n".join(json.dumps({"title": "长江", "text": t}, ensure_ascii=False) for t in WIKI),
        encoding="utf-8",
    )
    return DistractorSources(news, cmrc)


def test_split_text_keeps_whole_sentences_near_the_target() -> None:
    text = "第一句话。" * 100
    pieces = split_text(text, target=60)
    assert "".join(pieces) == text
    assert all(len(p) <= 60 for p in pieces[:-1])  # a short tail joins the last piece
    assert all(p.endswith("。") for p in pieces)
    assert split_text("短。") == ["短。"]


def test_distractors_come_news_then_wikipedia_then_filler(sources: DistractorSources) -> None:
    few = distractors(sources, 2)
    assert [c.source for c in few] == ["news", "news"]
    every_real = [c for c in distractors(sources, 50) if c.source != "filler-text"]
    assert [c.source for c in every_real][-1] == "cmrc"
    assert "".join(c.text for c in every_real if c.source == "news") == "".join(NEWS)
    many = distractors(sources, len(every_real) + 25)
    assert len(many) == len(every_real) + 25
    assert len({c.id for c in many}) == len(many)
    filler = [c for c in many if c.source == "filler-text"]
    assert len(filler) == 25 and all(c.title == "填充文本" for c in filler)
    # filler text is real sentences recombined, and the same on every run
    assert all("。" in c.text and c.text.strip("。") for c in filler)
    assert [c.text for c in distractors(sources, len(many))] == [c.text for c in many]
    meta = filler[0].metadata()
    assert set(meta) == {"doc_id", "title", "issuer", "date", "status", "section", "position"}


def test_vector_cache_embeds_only_what_is_missing(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    cache = VectorCache(tmp_path / "cache", embedder.name)
    texts = ["学位", "作业", "学位"]
    first = embed_cached(cache, embedder, texts)
    assert first.shape == (3, HashEmbedder.dim)
    assert np.array_equal(first[0], first[2])
    assert sorted(embedder.embedded) == ["作业", "学位"]  # each distinct text once
    cache.close()
    again = VectorCache(tmp_path / "cache", embedder.name)  # persisted on disk
    second = embed_cached(again, embedder, ["作业", "课后服务"])
    assert sorted(embedder.embedded) == ["作业", "学位", "课后服务"]
    assert np.array_equal(second[0], first[1])
    again.close()


def test_filler_vectors_are_reproducible_unit_vectors() -> None:
    a, b = filler_vectors(5, 8, seed=1), filler_vectors(5, 8, seed=1)
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert not np.array_equal(a, filler_vectors(5, 8, seed=2))


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.95) == 96.0
    assert percentile([], 0.5) == 0.0


def test_phase_timer_patches_and_restores() -> None:
    class Owner:
        @staticmethod
        def work(x: int) -> int:
            return x * 2

    original = Owner.work
    timer = PhaseTimer()
    with patched(timer, [(Owner, "work", "work")]):
        assert Owner.work(4) == 8
        assert timer.total("work") > 0
        timer.flush(["work"])
    assert Owner.work is original
    assert len(timer.samples["work"]) == 1


def test_sizes_are_ordered_and_labelled() -> None:
    assert resolve_sizes(["100000", "news", "1000"], n_news=1254) == [
        ("KB + 1,000 distractors", 1000),
        ("KB + 484 news articles", 1254),
        ("KB + 100,000 distractors", 100000),
    ]


def test_scale_rows_name_the_cpu_and_whether_it_has_native_bf16() -> None:
    from benchmarks.machine import Machine
    from benchmarks.report import cpu_cell

    def machine(flags: str) -> Machine:
        return Machine("AMD EPYC", flags, 2, 23.5, "3.11.7", {}, "2026-12-04 21:00 UTC", "6.18")

    assert cpu_cell(machine("avx2 fma f16c avx512f avx512_bf16")) == "AMD EPYC, 2 cores, native bf16"
    assert cpu_cell(machine("avx2 fma f16c")) == "AMD EPYC, 2 cores, no bf16"


def test_scaled_index_sentences_keep_the_knowledge_base_and_add_each_distractor_sentence() -> None:
    from assistant.indexing.sentence_vectors import SentenceVectors
    from benchmarks.distractors import DistractorChunk
    from benchmarks.scale_build import KnowledgeSnapshot, distractor_sentences

    kb = SentenceVectors(
        [("kb-1", "甲。"), ("kb-1", "乙。")], ["甲。", "乙。"], np.eye(2, 4, dtype=np.float32)
    )
    knowledge = KnowledgeSnapshot(["kb-1"], np.ones((1, 4), np.float32), ["甲。乙。"], [{}], "{}", kb)
    chunks = [
        DistractorChunk("d-1", "d", "新闻", 0, "第一句话。第二句话。", "news"),
        DistractorChunk("d-2", "d", "新闻", 1, "只有一句。", "news"),  # its chunk vector stands for it
    ]
    vectors = np.array([[0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float32)
    got = distractor_sentences(knowledge, chunks, vectors, "m")
    assert got.rows == [("kb-1", "甲。"), ("kb-1", "乙。"), ("d-1", "第一句话。"), ("d-1", "第二句话。")]
    assert np.array_equal(got.vectors[:2], kb.vectors) and np.array_equal(got.vectors[2:], vectors[[0, 0]])
    assert got.similarities("d-1", ["第二句话。"], np.array([0, 0, 1, 0], np.float32)) == [1.0]


def test_retrieval_phases_time_the_query_embedding_the_searcher_asks_for(tmp_path: Path) -> None:
    from benchmarks.measure import retrieval_only
    from tests.fakes import hash_vector, small_assistant

    _settings, index, assistant = small_assistant(tmp_path, query_cache_size=0)
    # Like the real backends, a batch method, which the batcher calls instead of embed_query.
    index.embedder.embed_queries = lambda texts: np.stack([hash_vector(t) for t in texts])
    assistant.ask("幼儿园保育教育以什么为基本活动？")  # the batcher starts (and probes the model)
    items = [{"question": "学位申请时间是什么时候？", "gold": ["每年四月"], "refuse": False}]
    result = retrieval_only(assistant.searcher, items, reps=3, k=3)
    assert result.phases_ms["embed query"] > 0  # through the batcher, as when serving
    assert "embed_query" not in vars(assistant.searcher)  # the patch is undone
