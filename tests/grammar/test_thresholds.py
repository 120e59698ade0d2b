"""Quantities a rule sets as conditions and a question states of its case
(grammar/thresholds.py)."""

from __future__ import annotations

from assistant.grammar.thresholds import case_quantities, conditions, fit


def test_a_question_states_its_case_as_something_done_or_reached() -> None:
    (house,) = case_quantities("我在东莞买房子住了六年多了，孩子积分入学能加几分")
    assert (house.value, house.dimension) == (6.5, "year")  # 六年多: more than six
    (insured,) = case_quantities("社保交了一年半")
    assert insured.value == 1.5
    (age,) = case_quantities("孩子今年刚满六岁")
    assert (age.value, age.dimension) == (6.0, "age")
    # What is asked, a calendar year and a grade are no case.
    assert case_quantities("孩子身体不好想推迟一年上小学") == []
    assert case_quantities("2016年五年级的学生") == []


def test_a_rule_sets_conditions_with_a_comparator_and_in_items_by_a_bare_quantity() -> None:
    (within,) = conditions("1．居所方面：自有居所，5年以内的（含5年），30分；")
    assert (within.value, within.relation) == (5.0, "le")  # （含5年） sets no second condition
    (over,) = conditions("5年以上的，40分。")
    assert over.relation == "ge"
    (months,) = conditions("暂住证有效期限满6个月以上(含6个月)")
    assert (months.dimension, months.relation) == ("month", "ge")
    # The points a rule awards, a window (近5年) and a prose quantity set no condition.
    assert conditions("1．近5年在莞参加义务献血，每次2分，最高不超过20分；") == [
        conditions("最高不超过20分")[0]
    ]
    assert conditions("学生接受6年小学教育。") == []
    (schooling,) = conditions("6．在东莞市公民办小学接受6年小学教育，有学籍的，20分；")
    assert (schooling.relation, schooling.of) == ("eq", "小学")


def test_a_case_meets_or_fails_a_condition_of_its_dimension() -> None:
    house = case_quantities("买的房子都住了快七年了")
    assert fit(house, "5年以上的，40分。") == 1
    assert fit(house, "1．居所方面：5年以内的（含5年），30分；") == -1
    assert fit(house, "暂住证满6个月以上") == 0  # months are another dimension
    # A bare quantity of an item compares only with a case of the same thing.
    assert fit(house, "6．在东莞市公民办小学接受7年小学教育，有学籍的，24分；") == 0
    schooling = case_quantities("读了6年小学再申请初中的话呢")
    assert fit(schooling, "6．在东莞市公民办小学接受6年小学教育，有学籍的，20分；") == 1
    assert fit(schooling, "5．在东莞市公民办小学接受5年小学教育，有学籍的，16分；") == -1
