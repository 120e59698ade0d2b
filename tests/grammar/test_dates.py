"""Dates as written, deadlines, five-year plans and document numbers (文号)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from assistant.grammar.dates import (
    DEADLINE,
    DEADLINE_LEAD,
    DOC_NUMBER,
    PLAN_PERIOD,
    norm_doc_number,
    parse_dates,
    plan_period_years,
)


@pytest.mark.parametrize(
    "written,iso",
    [
        ("2021年3月1日", "2021-03-01"),
        ("2016 年 4 月 13 日（此件主动公开）", "2016-04-13"),
        ("发文日期：2016年01月11日", "2016-01-11"),
        ("生成日期： | 2016-01-27", "2016-01-27"),
        ("二〇二一年三月一日", "2021-03-01"),
        ("二○一五年十月十日", "2015-10-10"),
        ("二〇一六年一月二十六日", "2016-01-26"),
        ("2021.3.1", "2021-03-01"),
        ("2021-03-01", "2021-03-01"),
        ("2016/4/1", "2016-04-01"),
        ("2016年4月", "2016-04"),
    ],
)
def test_written_dates(written: str, iso: str) -> None:
    assert parse_dates(written)[0][0] == iso


def test_date_positions_and_several_dates() -> None:
    assert parse_dates("自2016年9月1日起施行，2021年8月31日止") == [
        ("2016-09-01", 1, 10),
        ("2021-08-31", 14, 24),
    ]


@pytest.mark.parametrize("text", ["2016年2月30日", "第2016号文件", "1800年1月1日", "2016年13月", "20210301"])
def test_impossible_or_absent_dates(text: str) -> None:
    assert parse_dates(text) == []


@pytest.mark.parametrize(
    "text,year,post",
    [
        ("到2023年，新增学位", "2023", None),
        ("至2025年底", "2025", None),
        ("2025年底前完成", "2025", "前"),
        ("2008年5月10日前报送", "2008", "前"),
    ],
)
def test_deadlines(text: str, year: str, post: str | None) -> None:
    m = DEADLINE.search(text)
    assert m and m.group("y") == year and m.group("post") == post


def test_a_paragraph_opening_with_a_deadline_states_a_goal() -> None:
    assert DEADLINE_LEAD.match("到2023年，全区新增学位")
    assert DEADLINE_LEAD.match("力争到2025年基本实现")
    assert not DEADLINE_LEAD.match("全区到2023年新增")


def test_five_year_plans() -> None:
    m = PLAN_PERIOD.search("“十四五”期间新增学位")
    assert m and m.group("n") == "十四"
    assert plan_period_years("十四") == (2021, 2025)
    assert plan_period_years("十三") == (2016, 2020)
    assert plan_period_years("十") == (2001, 2005)
    assert plan_period_years("二十") is None  # "二十五" is the number 25, not a plan
    assert plan_period_years("三") is None


@pytest.mark.parametrize(
    "text,number",
    [
        ("粤教考〔2015〕14号", "粤教考〔2015〕14号"),
        ("津教委[2016]12号", "津教委[2016]12号"),
        ("深教（2019）3号", "深教（2019）3号"),
        ("罗教【2024】5号", "罗教【2024】5号"),
        ("根据教基〔2014〕 1 号文件", "根据教基〔2014〕 1 号"),
    ],
)
def test_document_numbers(text: str, number: str) -> None:
    m = DOC_NUMBER.search(text)
    assert m and m.group(0) == number


def test_document_numbers_compare_across_bracket_forms() -> None:
    assert norm_doc_number("深教[2015]12号") == norm_doc_number("深教〔2015〕12号") == "深教〔2015〕12号"
    assert norm_doc_number("深教 （2015） 12 号") == "深教〔2015〕12号"
    assert not DOC_NUMBER.search("〔2015〕")


_CN = "〇一二三四五六七八九"


def _cn_digits(value: int) -> str:
    return "".join(_CN[int(d)] for d in str(value))


def _cn_small(value: int) -> str:
    """1..31 the way documents write them: 一, 十, 十二, 二十, 二十六."""
    tens, units = divmod(value, 10)
    return (("" if tens == 1 else _CN[tens]) + "十" if tens else "") + (_CN[units] if units else "")


def test_seeded_dates_round_trip_in_every_form() -> None:
    rng = random.Random(13)
    for _ in range(300):
        day = dt.date(1990, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
        forms = [
            f"{day.year}年{day.month}月{day.day}日",
            f"{day.year} 年 {day.month} 月 {day.day} 日",
            f"{_cn_digits(day.year)}年{_cn_small(day.month)}月{_cn_small(day.day)}日",
            day.isoformat(),
        ]
        for form in forms:
            assert parse_dates(f"某市教育局\n{form}")[0][0] == day.isoformat(), form
