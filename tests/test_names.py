"""A question asking which schools or places by name, and the names a quote holds
(answering/names.py; the partial answer it makes: test_subject_agreement.py)."""

from __future__ import annotations

from assistant.answering.names import asked_kind, names_in


def test_the_kind_of_name_a_question_asks_a_list_of() -> None:
    assert asked_kind("东城区有哪些一般初中可以就近登记入学？请列出学校名单。") == "school"
    assert asked_kind("福田区的小一大学区都包括哪几所小学？") == "school"
    assert asked_kind("各公办小学的招生片区分别包括哪些小区和街道？") == "place"
    # One school asked for, a list of papers, and a list published are no list of names.
    assert asked_kind("那分到哪所学校什么时候公布？") == ""
    assert asked_kind("报名要带哪些材料？") == ""
    assert asked_kind("考查通过的名单由哪个单位在网上公示？") == ""
    assert asked_kind("天津本市户口的孩子上小学，要拿哪些证件去学区片学校？") == ""
    assert asked_kind("大龙那边有哪些民办中小学？") == "school"
    # The kind's word before 都有哪些, and 哪几所 by its measure word, ask for names too.
    assert asked_kind("可以招收特长生的初中学校都有哪些？") == "school"
    assert asked_kind("孩子购房入学能去的学校具体是哪几所啊") == "school"
    # Which cases a school refuses: the noun after 哪些 is a list's, not a school's name.
    assert asked_kind("遇到哪些情况学校不予受理？") == ""


def test_names_are_told_from_descriptions_and_clauses() -> None:
    listed = "鼓楼区：福州实验小学、鼓楼第一中心小学；台江区：台江第三中心小学。"
    assert names_in(listed, "school") == {"福州实验小学", "鼓楼第一中心小学", "台江第三中心小学"}
    prose = "铁路以东的到德化街小学报名入学；铁路以西的到京广路小学报名入学。"
    assert names_in(prose, "school") == {"德化街小学", "京广路小学"}
    assert names_in(prose, "place") == set()  # 京广路 is part of a school's name here
    rule = (
        "一批次为就近登记就读一般初中；全区所有初中学校都可选择填报；每个服务片小学毕业生数量"
        "与初中招生计划相匹配；学生通过东城区初中入学服务系统填报。"
    )
    assert names_in(rule, "school") == set()
    # An enumeration names its items: kinds of school joined by 、, names before 等 and a
    # count of the kind.
    kinds = "可以填报公办普通高中（限调节性计划）、民办普通高中、中职学校。"
    assert {"民办普通高中", "中职学校"} <= names_in(kinds, "school")
    # A numbered school's short name (二中: 第二中学) is a name; 集中, 期中 are not.
    rows = "石基镇 大龙街 | 石碁中学 | 16\n石基镇 大龙街 | 石碁二中 | 30"
    assert names_in(rows, "school") == {"石碁中学", "石碁二中"}
    assert names_in("集中开展期中考试，初中、高中各一次", "school") == set()
    towns = "具有惠城区小金口、水口、三栋、汝湖等4镇（街道）户籍的儿童"
    assert {"水口", "三栋", "汝湖"} <= names_in(towns, "place")
