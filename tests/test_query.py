"""normalize_question: script detection, Traditional → Simplified, cleaning; in_script. The
keyword side of a question: the term map, and how much an English question lets it see."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge

from assistant.index import KnowledgeIndex
from assistant.question.lexical import tokenize
from assistant.question.normalize import (
    NormalizedQuestion,
    clean_input,
    detect_script,
    in_script,
    normalize_question,
    to_simplified,
    to_traditional,
)
from assistant.question.retrieve import HybridSearcher
from assistant.question.terms import COLLOQUIAL, keyword_reach, search_tokens


def test_traditional_question_is_simplified_and_marked_hant() -> None:
    q = normalize_question("學生每天有幾節體育課？")
    assert isinstance(q, NormalizedQuestion)
    assert q.script == "hant"
    assert q.text == "学生每天有几节体育课？"
    assert q.original == "學生每天有幾節體育課？"  # the user's wording is kept


def test_traditional_with_a_few_changed_characters_is_still_hant() -> None:
    q = normalize_question("羅湖區會開辦港人子弟學校嗎？")
    assert q.script == "hant"
    assert q.text == "罗湖区会开办港人子弟学校吗？"


def test_simplified_question_is_hans_and_unchanged() -> None:
    q = normalize_question("深圳市第十九高级中学新增多少学位？")
    assert q.script == "hans"
    assert q.text == "深圳市第十九高级中学新增多少学位？"
    assert q.original == q.text


def test_english_question_is_en() -> None:
    q = normalize_question("How many kindergarten places will Luohu add?")
    assert q.script == "en"
    assert q.original == "How many kindergarten places will Luohu add?"
    assert "kindergarten places" in q.text


def test_english_with_one_chinese_name_is_still_en() -> None:
    assert detect_script("Where is 罗湖 district located?") == "en"


def test_chinese_with_a_latin_word_is_not_english() -> None:
    assert detect_script("STEAM科技教育理念是什么？") == "hans"
    assert detect_script("Luohu 2023 目标是什么") == "hans"


def test_no_letters_at_all_defaults_to_hans() -> None:
    assert detect_script("2023？") == "hans"


def test_full_width_forms_are_folded_for_retrieval() -> None:
    q = normalize_question("ＳＴＥＡＭ教育是什么？")  # full-width Latin letters
    assert "STEAM" in q.text
    q2 = normalize_question("新增学位1200座, 对吗?")
    assert "，" in q2.text and "？" in q2.text  # punctuation folded to the matching form


def test_control_characters_are_removed() -> None:
    q = normalize_question("学生\x07每天有几节\x1b体育课？\x00")
    for ch in "\x07\x1b\x00":
        assert ch not in q.text and ch not in q.original
    assert q.script == "hans"


def test_zero_width_characters_are_removed() -> None:
    """Zero-width characters are invisible; pasted text often carries them inside words.
    Removing them must leave the question exactly as if they were not there (no space
    inserted, which would split 高级中学 / 学位 for the tokenizer)."""
    dirty = "\ufeff深圳市第十九高\u200b级中学新增多少学\u200d位？"
    q = normalize_question(dirty)
    for ch in "\ufeff\u200b\u200d":
        assert ch not in q.text and ch not in q.original
    assert q.text == "深圳市第十九高级中学新增多少学位？"


def test_whitespace_is_collapsed_and_stripped() -> None:
    assert clean_input("  学生   每天\n\n有几节\t体育课？ ") == "学生 每天 有几节 体育课？"


def test_empty_question() -> None:
    q = normalize_question("   ")
    assert q.text == "" and q.original == "" and q.script == "hans"


@pytest.mark.parametrize(
    "simplified",
    ["学生每天有几节体育课", "教师考核评价的第一标准", "罗湖区基础教育高质量发展行动方案"],
)
def test_in_script_round_trip(simplified: str) -> None:
    traditional = in_script(simplified, "hant")
    assert traditional != simplified
    assert to_simplified(traditional) == simplified
    assert normalize_question(traditional).text == simplified
    assert normalize_question(traditional).script == "hant"


def test_in_script_leaves_hans_and_en_alone() -> None:
    text = "学生每天有几节体育课 [1]"
    assert in_script(text, "hans") == text
    assert in_script(text, "en") == text  # English answers keep Chinese quotations Simplified
    assert in_script(text, "hant") == to_traditional(text)
    assert "學" in in_script(text, "hant") and "體" in in_script(text, "hant")


# --- keyword side: the term map and English questions ----------------------------------


@pytest.mark.parametrize(("key", "terms"), sorted(COLLOQUIAL.items()))
def test_every_term_of_a_colloquial_key_is_in_the_keyword_query(key: str, terms: tuple[str, ...]) -> None:
    """A key that maps to itself (家长 → 家长, 家庭; 排名 → 排名, 等级) must not lose its own
    word: the key's tokens are removed and its terms put back, including those it holds."""
    tokens = search_tokens(f"关于{key}的规定")
    for term in terms:
        assert set(tokenize(term)) <= set(tokens), (key, term, tokens)


def test_self_mapped_words_stay_in_the_keyword_query() -> None:
    assert {"家长", "家庭"} <= set(search_tokens("家长要做什么"))
    assert {"排名", "等级"} <= set(search_tokens("学校排名怎么定"))
    assert "学位" in search_tokens("没学位怎么办")
    # A word notices write as such too stays beside the policy term: a sentence writing
    # it ("计算居住、社保的截止时间") covers the question.
    for word, term in (("社保", "社会保险"), ("租房", "租赁"), ("户口", "户籍")):
        tokens = search_tokens(f"积分里的{word}时间算到哪天")
        assert {word, term} <= set(tokens), word


def test_keyword_reach_is_full_for_chinese_and_partial_for_english() -> None:
    assert keyword_reach("学校排名怎么定") == 1.0
    assert keyword_reach("school places for children") == 1.0
    assert keyword_reach("Will Luohu open an international school?") == pytest.approx(2 / 5)
    assert keyword_reach("Why?") == 0.0


# A stand-in for the multilingual embedder: English words are read as their Chinese
# meaning before hashing, which is what EmbeddingGemma does and a glossary cannot.
_MEANING = {
    "least": "不少于",
    "two": "二",
    "hours": "小时",
    "week": "每周",
    "labour": "劳动",
    "outside": "校外",
    "class": "课外",
    "children": "儿童",
}


class _MultilingualHashEmbedder(HashEmbedder):
    def embed_query(self, text: str) -> Any:
        words = [_MEANING.get(w, "") for w in re.findall(r"[a-z]+", text.lower())]
        return super().embed_query("".join(words) or text)


def test_an_english_question_is_ranked_by_the_dense_side_when_the_glossary_sees_little(
    settings_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The glossary only sees "children" (儿童), which the admission guide and the preschool
    # law use; the dense side understands the question is about labour time.
    settings = settings_factory()
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, embedder=_MultilingualHashEmbedder())
    assert not index.ingest().failed
    searcher = HybridSearcher(index, settings)
    question = normalize_question("Must children do at least two hours a week of labour outside class?")
    assert question.script == "en"
    result = searcher.search(question.text)
    assert result.tokens == ["儿童"]
    assert result.passages[0].doc_id == "labor-education"
    assert "二小时" in result.passages[0].text
    # Trusting the glossary's one word as much as a Chinese question's keywords ranks the
    # documents that merely mention children first.
    monkeypatch.setattr("assistant.question.retrieve.keyword_reach", lambda text: 1.0)
    assert searcher.search(question.text).passages[0].doc_id != "labor-education"


def test_a_chinese_question_keeps_the_full_keyword_side(settings_factory: Any) -> None:
    settings = settings_factory()
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, embedder=HashEmbedder())
    assert not index.ingest().failed
    result = HybridSearcher(index, settings).search("非深户籍儿童要提供什么证明？")
    assert result.passages[0].doc_id == "admission-guide"
    assert result.passages[0].lexical > 0
