"""Questions about a document itself (answering/document_facts.py): its issue date and its
issuer, led by the asked fact and quoted from the document's own line when one states it."""

from __future__ import annotations

from assistant.answering.document_facts import document_answer
from assistant.question.retrieve import Passage

TITLE = "教育部办公厅关于做好2016年城市义务教育招生入学工作的通知"
META = {
    "doc_id": "moe",
    "title": TITLE,
    "issuer": "教育部办公厅",
    "date": "2016-01-26",
    "doc_number": "教基一厅[2016]1号",
    "status": "historical",
    "section": "八、抓好各项政策落实",
}


def _passage(text: str, doc_id: str = "moe", **meta: str) -> Passage:
    return Passage(
        id=f"{doc_id}-{len(text)}", text=text, metadata={**META, "doc_id": doc_id, **meta}, best_sentence=""
    )


def test_the_issue_date_of_a_named_document_leads_and_its_line_is_quoted() -> None:
    rule = _passage("各地要认真制订2016年义务教育招生入学工作方案。")
    signed = _passage("教育部办公厅\n2016年01月26日")
    found = document_answer(
        "教育部办公厅《关于做好2016年城市义务教育招生入学工作的通知》落款签发的日期是哪天？", [rule, signed]
    )
    assert found is not None
    text, cited = found
    lines = text.splitlines()
    assert lines[0] == f"《{TITLE}》落款日期为2016年1月26日（教基一厅[2016]1号）。"
    assert lines[1] == "“2016年01月26日” [1]" and cited == [signed]
    assert "2016年的历史文件" in lines[-1]


def test_the_issuer_is_named_from_what_the_index_knows_when_no_line_states_it() -> None:
    rule = _passage("各地要认真制订2016年义务教育招生入学工作方案。")
    found = document_answer(f"《{TITLE}》是以哪个单位的名义发布的？", [rule])
    assert found is not None
    text, cited = found
    assert text.startswith(f"《{TITLE}》发布单位为教育部办公厅")
    assert "据文件信息" in text and cited == [rule]


def test_other_questions_go_to_the_text() -> None:
    passages = [_passage("本通知自发布之日起施行。")]
    # When a rule takes effect is the text's to state; so is a question that asks more.
    assert document_answer(f"《{TITLE}》是哪一天开始施行的？", passages) is None
    assert document_answer(f"《{TITLE}》是哪天印发的？片区范围怎么定？", passages) is None
    # A document the question does not name (few of its title's character pairs).
    assert document_answer("这个通知是哪天印发的？", passages) is None
    # A date the index knows only to the year is no issue date.
    assert document_answer(f"《{TITLE}》是哪天印发的？", [_passage("正文。", date="2016")]) is None
