"""Sentence ends and splitting: the unit citations quote and targets come from, and the
line ends that stop a PDF's wrapped lines from being joined."""

from __future__ import annotations

from assistant.grammar.sentences import SENTENCE_END, ends_line, split_sentences


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
