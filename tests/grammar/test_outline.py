"""The outline-numbering grammar: every style official documents number headings with,
its rank order, and the shapes each former copy of the pattern told apart."""

from __future__ import annotations

import pytest

from assistant.grammar import outline


@pytest.mark.parametrize(
    "line,style",
    [
        ("第一编 总则", "part"),
        ("第三章 学校", "chapter"),
        ("第二节 招生", "section"),
        ("第十七条 适龄儿童", "article"),
        ("第12条 本办法", "article"),
        ("一、总体要求", "cn"),
        ("十二、保障措施", "cn"),
        ("二.工作目标", "cn"),  # the full stop PDFs and web copies put for 、
        ("（一）重大意义", "paren_cn"),
        ("(三)加强领导", "paren_cn"),
        ("1.学位建设", "arabic"),
        ("12、加强监督", "arabic"),
        ("（1）新建学校", "paren_arabic"),
        ("(2)改扩建", "paren_arabic"),
        ("①小学", "circled"),
        ("⑳其他", "circled"),
    ],
)
def test_each_numbering_style_is_recognised(line: str, style: str) -> None:
    assert outline.style_of(line) == style
    assert outline.starts_numbered(line)


@pytest.mark.parametrize(
    "line",
    [
        "1.5万座学位",  # a decimal, not item 1
        "2016.4.1",  # a date
        "2021年3月1日",
        "第2016号文件",  # 第…号 is no ordinal heading
        "教育局关于",
        "附件",  # an annex label, not numbering
        "",
    ],
)
def test_what_is_not_numbering(line: str) -> None:
    assert outline.style_of(line) is None
    assert not outline.starts_numbered(line)


@pytest.mark.parametrize("line", ["一、目标", "（二）任务", "3.措施", "4）其他", "（ 5 ）附则", "⑥说明"])
def test_item_numbering_excludes_statute_ordinals(line: str) -> None:
    import re

    item = re.compile(rf"^\s*(?:{outline.ITEM})")
    assert item.match(line)
    assert not item.match("第三条 本办法")
    assert not item.match("第一章 总则")


def test_leading_spaces_before_numbering_are_allowed() -> None:
    assert outline.starts_numbered("  （二）建设任务")
    assert outline.starts_numbered("\u3000第一条 为了")


def test_rank_order_runs_from_statute_parts_to_circled_items() -> None:
    assert outline.ORDER == (
        "part",
        "chapter",
        "section",
        "article",
        "cn",
        "paren_cn",
        "arabic",
        "paren_arabic",
        "circled",
    )
    assert outline.rank("chapter") < outline.rank("article") < outline.rank("cn") < outline.rank("circled")


def test_an_ordinal_takes_every_unit_of_laws_and_plans() -> None:
    import re

    ordinal = re.compile(rf"^{outline.ORDINAL}$")
    for text in ("第一章", "第十二条", "第三款", "第二部分", "第一篇", "第一编", "第十节", "第〇条"):
        assert ordinal.match(text), text
    assert not ordinal.match("第一名")


def test_numerals_in_numbering_include_zero_two_and_hundreds() -> None:
    for line in ("第一百零二条 附则", "第两百条", "一百、附则"):
        assert outline.starts_numbered(line), line


def test_callers_take_the_one_pattern() -> None:
    """Section parsing, PDF repair, cleaning, answers and targets all use this grammar."""
    from assistant.answering import extractive, quote
    from assistant.documents import cleaning, structure, text_repair
    from assistant.targets import vocabulary

    assert outline.MARKER in extractive._NUMBERING.pattern
    assert outline.ITEM in quote.ITEM.pattern
    assert outline.MARKER in text_repair._HEADING.pattern
    assert outline.MARKER in vocabulary.NUMBERING.pattern
    assert cleaning.starts_numbered is outline.starts_numbered
    assert list(structure.RANKS)[-len(outline.ORDER) :] == list(outline.ORDER)
