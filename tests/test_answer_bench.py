"""The answer benchmark's own mechanics on a made-up set (a fake embedder stands in for the
model; the benchmark itself runs the real one): answers as alternatives, the gold passage
among BM25 distractors, and the vector cache that makes a rerun embed nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from assistant.answering.ranker import FEATURE_NAMES
from assistant.evaluation.answer_bench import PASSAGES, VectorCache, answer_one, holds, load, load_rgb
from assistant.question.lexical import LexicalIndex

CORPUS = {
    "p1": "中国人民大学中法学院用汉语、法语和英语三种语言进行教学。学院设在苏州。",
    "p2": "中法学院的学生第一年学习法语。学院每年招收本科生。",
    "p3": "文学院的古典学实验班创办于2010年。该班每年招收二十人。",
    "p4": "新闻学院在学科评估中获评A+。学院有三个系。",
    "p5": "国际关系学院开设外交学专业。学院招收本科生和研究生。",
    "p6": "统计学院的学生可以辅修经济学",  # one sentence: the passage vector stands for it
}
QUERIES = [
    {"_id": "q1", "text": "中法学院用哪三种语言教学？", "answers": [["汉语", "法语", "英语"]]},
    {"_id": "q2", "text": "古典学实验班创办于哪一年？", "answers": [["2010"], ["2010年"]]},
    {"_id": "q3", "text": "没有答案的问题？", "answers": []},
]


class CountingEmbedder:
    """Deterministic unit vectors from a text's hash, with a count of texts embedded."""

    def __init__(self) -> None:
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
        v = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_documents(self, texts: list[str]) -> list[np.ndarray]:
        self.calls += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> np.ndarray:
        self.calls += 1
        return self._vector(text)


def _write_set(directory: Path) -> None:
    directory.mkdir()
    (directory / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in CORPUS.items()),
        encoding="utf-8",
    )
    (directory / "queries.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUERIES), encoding="utf-8"
    )
    (directory / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tp1\t1\nq2\tp3\t1\nq3\tp6\t1\n")


def test_an_answer_holds_an_alternative_when_all_its_parts_appear() -> None:
    assert holds([["汉语", "法语", "英语"]], "用汉语、法语和英语教学")
    assert not holds([["汉语", "法语", "英语"]], "用汉语和法语教学")
    assert holds([["2010"], ["2010年"]], "创办于 2010 年")


def test_each_question_gets_its_gold_passage_among_distractors_and_the_answer_quotes_it(
    tmp_path: Path,
) -> None:
    _write_set(tmp_path / "set")
    corpus, items = load(tmp_path / "set")
    assert [i.id for i in items] == ["q1", "q2"]  # a question without answers is left out
    ids = list(corpus)
    lexical = LexicalIndex(ids, [corpus[i] for i in ids])
    embedder = CountingEmbedder()
    cache = VectorCache(tmp_path / "vectors.npz", embedder)
    rows = [answer_one(item, corpus, ids, lexical, cache) for item in items]
    assert all(r["holds"] and r["gold_quoted"] for r in rows), rows
    # Each candidate sentence in the ranker's fitting format, labelled by the answers.
    candidates = rows[1]["candidates"]
    assert set(candidates[0]["features"]) == set(FEATURE_NAMES)
    assert sum(c["held"] for c in candidates) == 1  # only "…创办于2010年。" states it
    assert PASSAGES == 5
    cache.save()
    again = CountingEmbedder()
    reread = VectorCache(tmp_path / "vectors.npz", again)
    assert [answer_one(item, corpus, ids, lexical, reread)["answer"] for item in items] == [
        r["answer"] for r in rows
    ]
    assert embedder.calls > 0 and again.calls == 0  # the rerun embedded nothing


def test_an_rgb_file_gives_each_question_its_first_positive_passage_and_its_answer_parts(
    tmp_path: Path,
) -> None:
    rows = [
        {
            "id": 0,
            "query": "踩踏事故死亡人数",
            "answer": ["12人"],
            "positive": ["造成至少12人死亡。"],
            "negative": ["另一则新闻。"],
        },
        {
            "id": 1,
            "query": "粮食产量",
            "answer": [["1.3万亿斤", "6500万吨"], ["增长"]],
            "positive": ["产量1.3万亿斤，增长。"],
            "negative": [],
        },
    ]
    path = tmp_path / "zh_refine.json"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    corpus, items = load_rgb(path)
    assert set(corpus) == {"rgb-0-p0", "rgb-0-n0", "rgb-1-p0"}
    assert [i.gold for i in items] == ["rgb-0-p0", "rgb-1-p0"]
    assert items[0].answers == [["12人"]]
    # Each part with its alternatives: any alternative of every part.
    assert holds(items[1].answers, "产量6500万吨，同比增长") and not holds(items[1].answers, "产量6500万吨")
