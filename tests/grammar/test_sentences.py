"""Sentence ends and splitting: the unit citations quote and targets come from, and the
line ends that stop a PDF's wrapped lines from being joined."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from assistant.grammar.sentences import (
    ALL_MARKS,
    CLAUSE_MARKS,
    COMMAS,
    ENDS,
    FULL_STOPS,
    PROSE_MARK,
    SENTENCE_END,
    clauses,
    ends_line,
    first_sentence,
    split_sentences,
    strip_final_stops,
    without_remarks,
)


def test_split_after_each_end_mark_and_at_line_breaks() -> None:
    text = "第一句。第二句！第三句？Fourth? 第五句；第六句;\n列表行 不拆\n\n最后"
    assert split_sentences(text) == [
        "第一句。",
        "第二句！",
        "第三句？",
        "Fourth?",
        "第五句；",
        "第六句;",
        "列表行 不拆",
        "最后",
    ]


def test_a_closing_quote_or_bracket_stays_with_its_sentence() -> None:
    assert split_sentences("他说：“按时报名。”然后离开。") == ["他说：“按时报名。”", "然后离开。"]
    assert split_sentences("（详见附件。）下一句。") == ["（详见附件。）", "下一句。"]


def test_commas_colons_and_decimals_do_not_split() -> None:
    assert split_sentences("新增学位3.3万座，其中：小学1.5万座。") == ["新增学位3.3万座，其中：小学1.5万座。"]


def test_an_end_mark_inside_round_brackets_ends_no_sentence() -> None:
    text = "1.入学条件：具备“三证”（户口簿和身份证；劳动合同或营业执照；暂住证。下同）即符合报名条件。2.其他条件。"
    assert split_sentences(text) == [
        "1.入学条件：具备“三证”（户口簿和身份证；劳动合同或营业执照；暂住证。下同）即符合报名条件。",
        "2.其他条件。",
    ]
    # A bracket never closed holds its line together no further than the line's end.
    assert split_sentences("（一）目标；（二）任务。\n第三条（略") == [
        "（一）目标；",
        "（二）任务。",
        "第三条（略",
    ]


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("\n \n") == []


def test_sentence_end_marks() -> None:
    assert all(SENTENCE_END.search(mark) for mark in "。！？!?；;")
    assert not any(SENTENCE_END.search(mark) for mark in "，,、：:")


def test_line_ends_for_wrapped_lines_and_page_breaks() -> None:
    # A line ending a sentence, a list's lead or a quote is not continued by the next line.
    for line in ("按时报名。", "包括：", "称为“学位房”", "是否？"):
        assert ends_line(line), line
    for line in ("各区教育局应当", "（试行）", ""):
        assert not ends_line(line), line
    # A page's text that ends in a closing bracket ends its paragraph.
    assert ends_line("（此件主动公开）", brackets=True)


def test_clauses_end_at_commas_colons_and_sentence_ends_but_not_at_enumeration_commas() -> None:
    assert clauses("学校、家庭和社会协同，每周不少于1课时；具体如下：劳动教育。") == [
        "学校、家庭和社会协同",
        "每周不少于1课时",
        "具体如下",
        "劳动教育",
    ]


def test_a_comma_inside_round_brackets_ends_no_clause() -> None:
    # An answer's lead line is a clause: "区教育行政部门(含光明新区社会事务办" was one.
    assert clauses("区教育行政部门(含光明新区社会事务办，下同)应当划定招生地段，市直属学校由区划定。") == [
        "区教育行政部门(含光明新区社会事务办，下同)应当划定招生地段",
        "市直属学校由区划定",
    ]
    assert clauses("随迁子女（以下简称“随迁子女”，含港澳）入学，按规定办理。") == [
        "随迁子女（以下简称“随迁子女”，含港澳）入学",
        "按规定办理",
    ]


def test_a_remark_in_round_brackets_can_be_left_out() -> None:
    long = "租房居住至少1年以上作为基本申请条件（以《房屋租赁凭证》备案时间为准。公告见“罗湖教育信息网”）"
    assert without_remarks(long) == "租房居住至少1年以上作为基本申请条件"
    assert without_remarks("年限达1年(含1年（足月）)以上") == "年限达1年以上"


def test_a_colon_or_comma_between_digits_is_part_of_a_time_or_number_not_a_clause_mark() -> None:
    assert clauses("考试时间为1月10日18：30，地点另行通知。") == ["考试时间为1月10日18：30", "地点另行通知"]
    assert clauses("网上报名：即日起至12月21日11 : 00") == ["网上报名", "即日起至12月21日11 : 00"]
    assert clauses("计划比例按4:6安排，共1,000人：其中") == ["计划比例按4:6安排", "共1,000人", "其中"]


def test_final_stops_of_a_question_and_the_first_sentence_of_a_reply() -> None:
    assert strip_final_stops("幼儿园呢？？ ") == "幼儿园呢"
    assert strip_final_stops("What about kindergartens?") == "What about kindergartens"
    # A semicolon or comma at the end is no question's end.
    assert strip_final_stops("学位，") == "学位，"
    assert first_sentence("资料中没有相关规定。其余内容[1]") == "资料中没有相关规定"
    assert first_sentence("Not stated. See [1]") == "Not stated"
    assert first_sentence("第一行\n第二行") == "第一行"


def test_mark_sets_are_built_from_the_data_file() -> None:
    assert set(ENDS) == set(FULL_STOPS) | set("；;")
    assert set(CLAUSE_MARKS) == set(COMMAS) | {"、"}
    for mark in "，。；：、！？“”《》（）【】":
        assert mark in ALL_MARKS, mark
    assert not PROSE_MARK.search("来源：教育局 作者：办公室")
    assert PROSE_MARK.search("按时报名，逾期不候")


_MARK_CLASS = re.compile(r"\[[^\]]*[，。；！？：、][^\]]*\]")


def _punctuation_literals(path: Path) -> list[str]:
    """String literals of `path` that spell a class of sentence or clause marks: a regex
    character class holding one, or the argument of strip/rstrip/lstrip holding two."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        literal = (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        )
        if literal and _MARK_CLASS.search(node.value):
            found.append(f"{path}:{node.lineno}: {node.value}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"strip", "rstrip", "lstrip"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and len(set(node.args[0].value) & set("，。；！？：、,;:!?")) >= 2
        ):
            found.append(f"{path}:{node.lineno}: strip({node.args[0].value!r})")
    return found


def test_no_class_of_sentence_or_clause_marks_is_written_outside_the_grammar() -> None:
    package = Path(__file__).resolve().parents[2] / "assistant"
    found = [
        hit
        for path in sorted(package.rglob("*.py"))
        if "grammar" not in path.relative_to(package).parts
        for hit in _punctuation_literals(path)
    ]
    assert found == []


def test_the_literal_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""Doc [，。]."""\nimport re\nX = re.compile(r"[，,。]+")\ny = "a".rstrip("。；")\n')
    assert sorted(hit.split(": ", 1)[1] for hit in _punctuation_literals(module)) == [
        "[，,。]+",
        "strip('。；')",
    ]
