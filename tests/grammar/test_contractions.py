"""Contracted forms of a phrase (grammar/contractions.py)."""

from __future__ import annotations

from assistant.grammar.contractions import contracts, names_contracted


def test_a_contraction_keeps_the_first_and_last_characters_in_order() -> None:
    assert contracts("新建改扩建", "新改扩建")
    assert contracts("义务教育学校", "义教学校")
    assert not contracts("新建改扩建", "改扩建")  # the first character left out
    assert not contracts("新建改扩建", "新建改")  # the last
    assert not contracts("新建改扩建", "新扩改建")  # out of order
    assert not contracts("学位", "学")  # too short to tell from chance


def test_a_numeral_or_a_particle_is_never_left_out() -> None:
    assert not contracts("深圳市第十九高级中学", "深圳市第九高级中学")
    assert not contracts("幼儿的园", "幼儿园")


def test_a_text_names_a_phrase_contracted_or_in_full() -> None:
    plan = "“十四五”期间新改扩建公办义务教育学校34所"
    assert names_contracted("新建改扩建", plan)
    assert names_contracted("新改扩建", "要新建改扩建一批学校")
    assert not names_contracted("新建改扩建", "新增公办义务教育学位3.3万座")
    assert not names_contracted("学位", "学校")
    assert not names_contracted("Hong Kong", "Hong Kong pupils")


def test_a_name_contracted_to_less_than_half_its_length_is_named() -> None:
    assert names_contracted("住建部", "住房城乡建设部关于开展2014年度资质核定工作的通知")
    assert names_contracted("教科院", "区教育科学研究院负责组织实施")
    assert not names_contracted("住建部", "住房和城乡建设部")  # 和 is never left out
