"""The fitted sentence ranker: candidate sentences are ordered by the coefficients of
answering/data/ranker.toml over named features, and `fit_ranker` cross-validates by
question and writes those coefficients."""

from __future__ import annotations

import json
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest

from assistant.answering import ranker
from assistant.answering.extractive import rank_sentences
from assistant.answering.ranker import FEATURE_NAMES, RankerModel, sentence_features
from assistant.chain import Assistant
from assistant.evaluation import fit_ranker
from assistant.question.cite import Citation
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import slot_of
from assistant.question.terms import search_tokens


def _citation(number: int, text: str, dense: dict[str, float]) -> Citation:
    return Citation(
        number, "d", "文件", "", "2021", "current", f"s{number}", text, "", 1.0, f"c{number}",
        sentence_dense=tuple(dense.items()),
    )  # fmt: skip


def _model(**coefs: float) -> RankerModel:
    features = {name: {"mean": 0.0, "scale": 1.0, "coef": coef} for name, coef in coefs.items()}
    return RankerModel({"intercept": 0.0, "features": features})


QUESTION = "学校每天的体育课有几节？"
FIRST, SECOND = "积极创造条件增加体育与健康课时。", "义务教育阶段学校设置每天1节体育与健康课。"


def _ranked() -> list[Any]:
    citations = [_citation(1, FIRST + SECOND, {FIRST: 0.70, SECOND: 0.55})]
    return rank_sentences(
        citations, QUESTION, slot_of(QUESTION), search_tokens(QUESTION), LexicalIndex([], [])
    )


def test_sentences_are_ranked_by_the_shipped_coefficients() -> None:
    ranked = _ranked()
    rows = sentence_features(
        ranked, QUESTION, slot_of(QUESTION), search_tokens(QUESTION), LexicalIndex([], [])
    )
    assert [c.score for c in ranked] == pytest.approx([ranker.MODEL.fusion(r) for r in rows])
    probabilities = [ranker.MODEL.probability(r) for r in rows]
    assert probabilities == sorted(probabilities, reverse=True)  # the fusion orders as P does
    assert all(0.0 < p < 1.0 for p in probabilities)


def test_the_order_follows_the_coefficients_in_the_model_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # Closer in meaning leads when dense counts; the sentence stating the asked number
    # (1节) leads when slot fit counts more.
    monkeypatch.setattr(ranker, "MODEL", _model(dense=1.0, holds=0.1))
    assert _ranked()[0].sentence == FIRST
    monkeypatch.setattr(ranker, "MODEL", _model(dense=1.0, holds=1.0))
    assert _ranked()[0].sentence == SECOND


def test_the_features_of_a_candidate_are_relative_to_its_question() -> None:
    a, b, c = "第一句说明情况。", "第二句说明学位。", "另一份文件的句子。"
    question = "学位有多少？"
    citations = [_citation(1, a + b, {a: 0.3, b: 0.6}), _citation(2, c, {c: 0.5})]
    ranked = rank_sentences(
        citations, question, slot_of(question), search_tokens(question), LexicalIndex([], [])
    )
    rows = sentence_features(
        ranked, question, slot_of(question), search_tokens(question), LexicalIndex([], [])
    )
    by_sentence = {cand.sentence: row for cand, row in zip(ranked, rows, strict=True)}
    assert set(by_sentence[a]) == set(FEATURE_NAMES)
    assert by_sentence[a]["dense_margin"] == pytest.approx(-0.3) and by_sentence[b]["dense_margin"] == 0.0
    assert by_sentence[c]["dense_gap"] == pytest.approx(-0.1)
    assert (by_sentence[a]["rank"], by_sentence[c]["rank"]) == (0.0, 1.0)
    assert (by_sentence[a]["position"], by_sentence[b]["position"]) == (0.0, 1.0)
    assert by_sentence[a]["neighbour_dense"] == pytest.approx(0.6)


def test_a_rules_case_is_matched_against_the_case_the_question_states() -> None:
    question = "随迁子女家长拿不出有效证件的，孩子的学籍还能注册吗？"
    lexical = LexicalIndex([], [])
    rule = ranker.case_match("对不能提供有效证件的，暂不予以学籍注册。", question, lexical)
    other = ranker.case_match("申请人在海淀租房的，应提交房屋租赁合同。", question, lexical)
    assert rule > 0.4 and other == 0.0
    # A case written without a comma before its outcome, a list item's number before it.
    assert ranker.case_match("未进行预约登记的不予安排入学。", "没有预约登记还能入学吗", lexical) >= 0.5
    assert ranker.case_match("(2)租住农民个人房且无房产证的，须提交以下证明", "租农民个人房", lexical) > 0
    # A sentence that states no case has none to match.
    assert ranker.case_match("2016学年，本区继续实施学年注册制度。", question, lexical) == 0.0


def test_a_model_file_naming_a_feature_nobody_computes_is_refused() -> None:
    with pytest.raises(ValueError, match="sentence_colour"):
        _model(dense=1.0, sentence_colour=0.5)


# --- the fitting command ------------------------------------------------------------


def _collected(tmp_path: Path, decisive: str) -> Path:
    """Candidates of 60 questions: the sentence holding the fact is the one `decisive`
    marks; every other feature is noise."""
    rng = random.Random(0)
    lines = []
    for q in range(60):
        candidates = []
        for at in range(6):
            held = int(at == q % 6)
            features = {name: rng.random() for name in FEATURE_NAMES}
            features["rank"] = float(rng.randrange(5))
            features[decisive] = (0.9 if held else 0.0) + rng.random() * 0.5
            candidates.append(
                {"number": 1, "at": at, "held": held, "quote_all": bool(held), "features": features}
            )
        part = "choose" if q % 2 == 0 else "confirm"
        lines.append(
            {"id": f"q{q}", "question": f"问{q}", "part": part, "groups": 1, "candidates": candidates}
        )
    path = tmp_path / "candidates.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    return path


def test_fit_command_cross_validates_by_question_and_writes_the_coefficients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _collected(tmp_path, "dense")
    written = tmp_path / "ranker.toml"
    monkeypatch.setattr(fit_ranker, "RANKER_FILE", written)
    assert fit_ranker.main(["fit", str(data), "--write"]) == 0
    out = capsys.readouterr().out
    assert "| fitted (dense, coverage, holds, rank; C 1) | 30 / 30 of 30 | 30 / 30 of 30 |" in out
    assert "| hand-set fusion |" in out
    model = tomllib.loads(written.read_text(encoding="utf-8"))
    assert list(model["features"]) == list(fit_ranker.FIT_FEATURES)
    assert model["features"]["dense"]["coef"] > 0
    # The file is what the ranker reads: the fact-holding sentence scores highest.
    fitted = RankerModel(model)
    row = {name: 0.2 for name in FEATURE_NAMES}
    assert fitted.probability({**row, "dense": 1.2}) > fitted.probability(row)


def test_the_hand_set_weights_are_written_with_only_their_calibration_fitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _collected(tmp_path, "dense")
    written = tmp_path / "ranker.toml"
    monkeypatch.setattr(fit_ranker, "RANKER_FILE", written)
    assert fit_ranker.main(["fit", str(data), "--write", "--hand-set"]) == 0
    features = tomllib.loads(written.read_text(encoding="utf-8"))["features"]
    assert list(features) == list(fit_ranker.HAND_SET)
    slope = features["dense"]["coef"] / fit_ranker.HAND_SET["dense"]
    assert slope > 0
    for name, weight in fit_ranker.HAND_SET.items():
        assert features[name]["coef"] == pytest.approx(slope * weight, rel=1e-4)
        assert (features[name]["mean"], features[name]["scale"]) == (0.0, 1.0)


def test_compare_chooses_the_feature_that_carries_the_fact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _collected(tmp_path, "position")
    assert fit_ranker.main(["compare", str(data)]) == 0
    out = capsys.readouterr().out
    assert "chosen features: dense, coverage, holds, rank, position" in out
    assert "| dense + coverage + holds + rank + position | 1 | 30 / 30 of 30 | 30 / 30 of 30 |" in out


def test_confirm_reads_models_fitted_on_some_files_on_files_they_never_saw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "outside").mkdir()
    train = _collected(tmp_path / "train", "position")
    outside = _collected(tmp_path / "outside", "position")
    assert fit_ranker.main(["confirm", str(train), "--on", str(outside)]) == 0
    out = capsys.readouterr().out
    assert "fitted on 60 questions; read on 60" in out
    # Only the model with every feature can see position, the feature that carries the fact.
    every = " + ".join(FEATURE_NAMES)
    assert f"| fitted {every}, C 1 | 60 / 60 of 60 |" in out
    hand = next(line for line in out.splitlines() if line.startswith("| hand-set fusion |"))
    assert hand != "| hand-set fusion | 60 / 60 of 60 |"


# --- the real assistant (real model) ---------------------------------------------------


@pytest.mark.model
def test_the_sentence_stating_the_asked_period_leads_not_its_neighbours(real_assistant: Assistant) -> None:
    # 第三十九条 of the Shenzhen pre-school regulations opens with a sentence on daily
    # routines; the asked period is its second sentence, which must lead and be quoted.
    question = "孩子在幼儿园每天在室外活动的时间最少要有多久？"
    result = real_assistant.ask(question)
    assert not result.refused, result.answer
    lines = result.answer.splitlines()
    assert "两小时" in lines[0], result.answer
    assert lines[1].startswith("学前儿童在幼儿园的室外活动时间每天不少于两小时"), result.answer
    lexical = real_assistant.searcher.snapshot().lexical
    ranked = rank_sentences(result.citations, question, slot_of(question), search_tokens(question), lexical)
    best = ranked[0]
    assert best.at > 0 and "两小时" in best.sentence  # not the article's opening sentence
    neighbours = [s for i, s in enumerate(best.sentences) if abs(i - best.at) == 1]
    assert neighbours and all("两小时" not in s for s in neighbours)
    assert all(c.score < best.score for c in ranked if c.citation is best.citation and c.at != best.at)


def test_a_caption_states_no_fact_and_is_never_a_candidate() -> None:
    # An annex's caption set on two lines comes close to the question in meaning; it never
    # leads, and the row of points does.
    caption, rest = "2015年某市新莞人子女积分制入学", "积分材料一览表"
    row = "3．本科学历，80分；"
    question = "积分入学家长本科学历能积多少分？"
    citations = [_citation(1, f"{caption}\n{rest}\n{row}", {caption: 0.9, rest: 0.8, row: 0.5})]
    ranked = rank_sentences(
        citations, question, slot_of(question), search_tokens(question), LexicalIndex([], [])
    )
    assert [c.sentence for c in ranked] == [row]


def test_a_sentence_naming_the_asked_schools_fills_a_which_schools_question() -> None:
    # The rule about the locked schools is closer in meaning; the sentence naming them is
    # what "有哪些公办小学" asks for, and its slot fit leads it.
    rule = "一套住房被锁定后，实行学区住房学位申请限制的学校小学六年后才解除锁定状态。"
    named = "（4）实行学区住房学位申请限制的小学：深圳小学、红岭小学、淘金山小学等十二所学校，学位锁定六年。"
    question = "有哪些公办小学对学区住房实行六年锁定？"
    citations = [_citation(1, f"{rule}\n{named}", {rule: 0.67, named: 0.62})]
    ranked = rank_sentences(
        citations, question, slot_of(question), search_tokens(question), LexicalIndex([], [])
    )
    holds = {c.sentence: c.holds for c in ranked}
    assert holds[named] and not holds[rule]
    assert ranked[0].sentence == named
    # A list question asking no names ("有哪些要求") gets no such fit from names.
    other = "有哪些要求对学区住房实行六年锁定？"
    ranked = rank_sentences(citations, other, slot_of(other), search_tokens(other), LexicalIndex([], []))
    assert not any(c.holds for c in ranked)


def test_the_case_a_question_states_is_compared_by_its_negation() -> None:
    from assistant.question.slots import negated_words, polarity_clash

    question = "教育资源配置比较均衡的地方，应该用什么方式划片？"
    words = search_tokens(question)
    unequal = "在目前教育资源配置不均衡、择校冲动强烈的地方，要积极稳妥采取多校划片。"
    equal = "在教育资源相对均衡的地方，要积极通过单校划片的方式，落实就近入学的要求。"
    assert polarity_clash(question, unequal, words, lambda w: 1.0) > 0
    assert polarity_clash(question, equal, words, lambda w: 1.0) == 0.0
    # A negation reaches to the end of its clause; a rule's modal (不得) and a question's
    # choice form (能不能) negate no case.
    assert negated_words("没有签署服从安排承诺的，教育局不再安排学位。", ["承诺", "学位"]) == {"承诺", "学位"}
    assert negated_words("学校不得招收不足年龄的儿童。", ["招收"]) == set()
    assert negated_words("学校能不能招收5岁的儿童？", ["招收"]) == set()


def test_a_number_counts_as_covered_however_either_side_writes_it() -> None:
    from assistant.question.coverage import coverage

    tokens = ["每满", "一个月", "几分"]
    written = coverage(tokens, "提供营业执照的，按纳税时间计算加分，每满1个月积1分。", lambda t: 1.0)
    assert written == pytest.approx(2 / 3)
    assert coverage(["3", "年"], "三年内不得申请。", lambda t: 1.0) == 1.0
    assert coverage(["一个月"], "每满两个月积2分。", lambda t: 1.0) == 0.0
