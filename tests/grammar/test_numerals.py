"""Chinese numerals, read by cn2an through a thin wrapper: the numerals the documents
use, and what the wrapper adds (zero look-alikes, a bare 百/千, None for non-numerals)."""

from __future__ import annotations

import pytest

from assistant.grammar.numerals import to_int


@pytest.mark.parametrize(
    "text,value",
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十六", 26),
        ("五", 5),
        ("12", 12),
        ("两", 2),
        ("两千", 2000),
        ("九十", 90),
        ("一百二十", 120),
        ("一千零五", 1005),
        ("三万三千", 33000),
        ("〇", 0),
        ("零", 0),
        ("二〇一六", 2016),  # years are written digit by digit
        ("二〇二一", 2021),
        ("十四", 14),
        ("十七", 17),
    ],
)
def test_numerals_the_documents_write(text: str, value: int) -> None:
    assert to_int(text) == value


def test_zero_look_alikes_of_pdfs_and_web_pages() -> None:
    assert to_int("二○一六") == 2016
    assert to_int("二Ｏ二一") == 2021
    assert to_int("○") == 0


def test_a_bare_hundred_or_thousand_is_one_of_it() -> None:
    assert to_int("百") == 100
    assert to_int("千") == 1000
    assert to_int("百二十") == 120


@pytest.mark.parametrize("text", ["", "十十", "第十七条", "十四五期间", "abc", "3.3万"])
def test_what_is_no_integer_numeral_is_none(text: str) -> None:
    """Ordinals and names (第十七条, 十四五) are other grammars'; 3.3万 is a decimal with a
    multiplier, which quantities keep as written."""
    assert to_int(text) is None


def test_numbers_are_written_in_digits_for_matching() -> None:
    from assistant.grammar.numerals import with_digits

    assert with_digits("每满一个月积2分") == "每满1个月积2分"
    assert with_digits("二〇一六年三月") == "2016年3月"
    assert with_digits("没有数字的句子") == "没有数字的句子"
    # Words built on a numeral are rewritten too, the same on both sides of a match.
    assert with_digits("统一") in with_digits("全市统一组织")
