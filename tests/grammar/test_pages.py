"""Printed page numbers: one pattern for the PDF loader and the furniture check."""

from __future__ import annotations

import pytest

from assistant.grammar.pages import is_page_number


@pytest.mark.parametrize(
    "line", ["- 3 -", "— 12 —", "–3–", "第 3 页", "第1页 共2页", "第[1]页", "3/24", " 7 / 9 "]
)
def test_page_numbers(line: str) -> None:
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["第三条 本办法", "2016/4/1", "3 名学生", "1/2 以上的学校", "共2页"])
def test_not_page_numbers(line: str) -> None:
    assert not is_page_number(line)


def test_the_loader_and_the_furniture_check_share_it() -> None:
    from assistant.documents.metadata import is_furniture
    from assistant.documents.pdf_text import strip_page_number as _strip_page_number

    assert _strip_page_number("- 2 -\n正文第一行\n第2页 共3页") == "正文第一行"
    assert is_furniture("第[1]页")
