"""The BEIR-style retrieval bench on a tiny hand-made set, with the hash embedder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.evaluation import retrieval_bench
from assistant.evaluation.retrieval_bench import evaluate, load_bench, run_bench, score_rankings
from assistant.settings import Settings
from tests.fakes import HashEmbedder

# Each passage has vocabulary no other passage uses; each query repeats some of it.
PASSAGES = {
    "p1": ("熊猫基地", "大熊猫繁育研究基地位于成都北郊，饲养员每天给熊猫喂食新鲜竹子。"),
    "p2": ("潮汐", "月球引力引起海水周期性涨落，这种现象叫做潮汐，渔民据此安排出海。"),
    "p3": ("", "咖啡豆经过烘焙后研磨成粉，用热水萃取就得到一杯浓郁的咖啡。"),
    "p4": ("火山", "火山喷发时岩浆从地壳裂缝中涌出，冷却后形成玄武岩。"),
    "p5": ("", "象棋棋盘有九条竖线和十条横线，中间的楚河汉界把双方隔开。"),
    "p6": ("", "光合作用在叶绿体中进行，植物吸收二氧化碳并释放氧气。"),
    "p7": ("高铁", "高速铁路列车最高时速可达三百五十公里，乘客可以刷身份证进站。"),
    "p8": ("", "蜜蜂采集花蜜后在蜂巢里酿造蜂蜜，一只蜂群只有一只蜂王。"),
}
QUERIES = {
    "q1": "熊猫吃什么竹子？",
    "q2": "潮汐是怎么形成的？",
    "q3": "咖啡豆烘焙以后怎样萃取？",
    "q4": "玄武岩是火山岩浆冷却形成的吗？",
    "q5": "蜂群里有几只蜂王？",
}
GOLD = {"q1": "p1", "q2": "p2", "q3": "p3", "q4": "p4", "q5": "p8"}


def write_set(directory: Path, extra_qrels: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for pid, (title, text) in PASSAGES.items():
            row = {"_id": pid, "text": text} | ({"title": title} if title else {})
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (directory / "queries.jsonl").open("w", encoding="utf-8") as handle:
        # written out of order: the bench sorts by id
        for qid in reversed(list(QUERIES)):
            row = {"_id": qid, "text": QUERIES[qid], "answers": []}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.write(json.dumps({"_id": "q9", "text": "没有标注的问题"}, ensure_ascii=False) + "\n")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{p}\t1" for q, p in GOLD.items()]
    (directory / "qrels.tsv").write_text("\n".join(lines) + "\n" + extra_qrels, encoding="utf-8")
    return directory


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    return write_set(tmp_path / "tinyset")


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


def test_load_bench_sorts_filters_and_limits(tmp_path: Path) -> None:
    directory = write_set(tmp_path / "s", extra_qrels="q1\tp5\t0\nq2\tmissing\t1\n")
    bench = load_bench(directory)
    assert bench.name == "s"
    assert [q for q, _ in bench.queries] == ["q1", "q2", "q3", "q4", "q5"]  # q9 has no qrels
    assert bench.qrels["q1"] == {"p1"}  # score 0 is not relevant
    assert bench.qrels["q2"] == {"p2"}  # unknown passages are dropped
    assert len(bench.passages) == 8
    assert [q for q, _ in load_bench(directory, limit=2).queries] == ["q1", "q2"]


def test_score_rankings() -> None:
    qrels = {"a": {"x"}, "b": {"y"}, "c": {"z"}, "d": {"w"}}
    rankings = {
        "a": ["x", "m"],  # rank 1
        "b": ["m", "n", "y"],  # rank 3
        "c": [f"f{i}" for i in range(10)] + ["z"],  # rank 11
        "d": ["m"],  # missed
    }
    metrics = score_rankings(rankings, qrels)
    assert metrics["R@1"] == 0.25
    assert metrics["R@5"] == 0.5
    assert metrics["R@20"] == 0.75
    assert metrics["MRR@20"] == pytest.approx((1 + 1 / 3 + 1 / 11) / 4)
    assert metrics["n"] == 4


def test_bench_metrics_on_tiny_set(
    bench_dir: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    embedder = HashEmbedder()
    report = evaluate(bench_dir, settings, embedder=embedder)
    bm25 = report.metrics["BM25 (jieba)"]
    assert bm25["R@1"] == 1.0 and bm25["MRR@20"] == 1.0 and bm25["n"] == 5
    for method in retrieval_bench.METHODS:
        assert report.metrics[method]["R@20"] == 1.0, method
        assert report.metrics[method]["n"] == 5
    # the project's blend (BM25 + dense + sentence coverage) keeps every gold passage on top
    assert report.metrics["hybrid (project)"]["R@1"] == 1.0
    assert len(report.hybrid_latency_ms) == 5 and report.hybrid_p50_ms > 0
    assert all(len(r) == 8 for r in report.rankings["dense only"].values())

    # the corpus lives in its own collection under data_dir/bench, not the knowledge base's
    assert (settings.data_dir / "bench" / "tinyset").is_dir()
    assert not settings.index_dir.exists()
    assert embedder.calls >= 1 and len(embedder.embedded) == 8

    # a second run reuses the embedded collection
    embedder.reset()
    assert run_bench(bench_dir, settings, limit=2, embedder=embedder) == 0
    assert embedder.embedded == []
    out = capsys.readouterr().out
    assert "| hybrid (project) | 1.000 | 1.000 | 1.000 | 1.000 | 2 |" in out
    assert "| BM25 (jieba) | 1.000 | 1.000 | 1.000 | 1.000 | 2 |" in out
    assert "dense only" in out and "p50" in out


def test_changed_corpus_is_reembedded(bench_dir: Path, settings: Settings) -> None:
    embedder = HashEmbedder()
    evaluate(bench_dir, settings, limit=1, embedder=embedder)
    corpus = bench_dir / "corpus.jsonl"
    corpus.write_text(corpus.read_text(encoding="utf-8").replace("成都北郊", "成都"), encoding="utf-8")
    embedder.reset()
    report = evaluate(bench_dir, settings, limit=1, embedder=embedder)
    assert len(embedder.embedded) == 8
    assert report.metrics["BM25 (jieba)"]["R@1"] == 1.0


def test_run_bench_uses_project_embedder(
    bench_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = HashEmbedder()
    monkeypatch.setattr(retrieval_bench, "get_embedder", lambda _settings: embedder)
    assert run_bench(bench_dir, settings) == 0
    assert embedder.queries == 5  # each query embedded once, shared by hybrid and dense


def test_time_sensitive_queries_name_their_year(tmp_path: Path) -> None:
    """DomainRAG keeps the year of a time-sensitive question in `date`; it is asked with it."""
    from assistant.evaluation.retrieval_bench import query_text

    assert query_text({"text": "校长是谁？", "date": "2014"}) == "2014年，校长是谁？"
    assert query_text({"text": "校长是谁？", "date": "2014-09"}) == "2014-09，校长是谁？"
    assert query_text({"text": "校长是谁？", "date": None}) == "校长是谁？"
    assert query_text({"text": "校长是谁？", "date": "2014"}, with_date=False) == "校长是谁？"
    directory = write_set(tmp_path / "dated")
    rows = [
        json.loads(line) for line in (directory / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rows[0]["date"] = "2023"
    (directory / "queries.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    dated = dict(load_bench(directory).queries)
    assert dated[rows[0]["_id"]] == f"2023年，{rows[0]['text']}"
    assert dict(load_bench(directory, with_date=False).queries)[rows[0]["_id"]] == rows[0]["text"]
