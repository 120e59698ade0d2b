"""Homophone typos from pinyin input, corrected against a made-up corpus vocabulary."""

from __future__ import annotations

import pytest

from assistant.question.typos import TypoCorrector, general_noun

# token -> document frequency, as LexicalIndex holds it
VOCABULARY = {
    "学位": 12,
    "申请": 30,
    "幼儿园": 40,
    "幼儿": 41,
    "作业": 9,
    "随行": 2,
    "民办": 7,
    "学校": 50,
    "听力": 3,
    "英语": 5,
    "起付线": 2,
    "能手": 1,
    "得分": 2,
    "托班": 3,
}


@pytest.fixture(scope="module")
def corrector() -> TypoCorrector:
    return TypoCorrector(VOCABULARY)


@pytest.mark.parametrize(
    "question,expected",
    [
        ("才能申请学为 到底要租多久", "才能申请学位 到底要租多久"),
        ("娃在幼儿圆 老师天天在群里", "娃在幼儿园 老师天天在群里"),
        ("做业拖到很晚", "作业拖到很晚"),
        ("要办个啥随形卡，一定得办吗", "要办个啥随行卡，一定得办吗"),
        ("想给娃多报两个民版学校", "想给娃多报两个民办学校"),
        ("高考英语听历是要考两回吗", "高考英语听力是要考两回吗"),
    ],
)
def test_a_homophone_typo_becomes_the_corpus_word(
    corrector: TypoCorrector, question: str, expected: str
) -> None:
    assert corrector.correct(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "这么小的能收吗",  # 能/收 are ordinary words side by side, though 能手 sounds the same
        # jieba makes up 最多能, but 收 is a word it explains: the typo would be there
        "一个班最多能收多少个孩子",
        "最后算哪回的分啊",  # 的分 ≈ 得分: particle + noun, not a typo
        "起付线是多少钱",  # 付线 sits inside a word the corpus knows
        "学位怎么申请",  # already the corpus word
        "托班收几岁的孩子",
    ],
)
def test_ordinary_words_and_corpus_words_are_left_alone(corrector: TypoCorrector, question: str) -> None:
    assert corrector.correct(question) == question


def test_a_word_missing_from_the_corpus_is_not_invented() -> None:
    # 学位 is not in this corpus: the typo stays, nothing is guessed
    corrector = TypoCorrector({"申请": 3})
    assert corrector.correct("申请学为") == "申请学为"


def test_latin_digits_and_punctuation_pass_through(corrector: TypoCorrector) -> None:
    text = "PE课 2016年 申请学为？"
    assert corrector.correct(text) == "PE课 2016年 申请学位？"
    assert corrector.corrections(text) == [("学为", "学位")]


def test_empty_vocabulary_changes_nothing() -> None:
    assert TypoCorrector({}).correct("做业太多") == "做业太多"


def test_a_question_word_and_its_measure_word_are_never_corrected() -> None:
    # 天起 sounds as 天气, a word of the corpus, but 哪天起 is the asker's "from which day".
    corrector = TypoCorrector({"天气": 2, "学位": 40, "施行": 5})
    assert corrector.correct("学前教育法是哪天起施行的") == "学前教育法是哪天起施行的"
    assert corrector.correct("哪天起能申请学为") == "哪天起能申请学位"


@pytest.mark.parametrize(
    "question,expected",
    [
        ("网上预登记到几号截止啊？现场报名又是那天", "网上预登记到几号截止啊？现场报名又是哪天"),
        ("今年小学报名是那两天啊？", "今年小学报名是哪两天啊？"),
        ("除了户口本，还要带那些证明？", "除了户口本，还要带哪些证明？"),
    ],
)
def test_na_typed_for_which_asks_which(corrector: TypoCorrector, question: str, expected: str) -> None:
    assert corrector.correct(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "就近入学是不是就一定上离家最近的那所学校？",  # asks yes or no of that school
        "是那天吗？",
        "孩子摔倒那天的监控录像要留存多长时间？",  # asks a period; 那天 is the day it happened
        "那个条例管不管托班啊",
        "能在那边读不",
    ],
)
def test_na_as_that_is_left_alone(corrector: TypoCorrector, question: str) -> None:
    assert corrector.correct(question) == question


def test_a_noun_of_the_language_is_told_from_a_function_word_and_a_made_up_segment() -> None:
    # 菜单 asks a thing the documents call 食谱; 还有 and 让 ask nothing; 娃吵 is jieba's
    # guess at "娃 吵着".
    assert general_noun("菜单") and general_noun("手机")
    assert not any(general_noun(w) for w in ("还有", "让", "娃吵", "多大才"))
