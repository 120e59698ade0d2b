"""Condensing a follow-up into a standalone question: by rules, through a rewrite function,
and through ChatAnswerer.rewrite with LangChain's fake chat models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage

from assistant.answering.llm import ChatAnswerer
from assistant.answering.prompts import load_prompt
from assistant.question.condense import condense, condense_by_rules, is_follow_up

Turn = tuple[str, str]


class RecordingHandler(BaseCallbackHandler):
    """Keeps the messages every chat-model call received."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.calls.extend(messages)


def _history(question: str, answer: str = "（回答）") -> list[Turn]:
    return [(question, answer)]


# --- rules ---------------------------------------------------------------------------


def test_stage_follow_up_replaces_the_stage() -> None:
    out = condense("那高中呢？", _history("幼儿园学位会增加多少？", "新增23所幼儿园和0.8万座学位。"))
    assert "高中" in out
    assert "学位" in out
    assert "幼儿园" not in out


def test_the_last_earlier_topic_of_the_kind_is_the_one_swapped() -> None:
    # 义务教育 in the document's name is not what was asked about; 小学 is.
    previous = "佛山市免费义务教育实施办法规定，小学每个学生每学年免多少钱？"
    standalone = condense_by_rules("那初中呢？", [(previous, "小学每生每学年970元。")])
    assert standalone == "佛山市免费义务教育实施办法规定，初中每个学生每学年免多少钱？"
    assert condense_by_rules("那初中呢？", [("义务教育阶段小学的作业时间是多少？", "…")]) == (
        "义务教育阶段初中的作业时间是多少？"
    )


def test_a_tail_with_dehua_is_dropped_from_the_new_topic() -> None:
    """ "那高中的话呢": the topic is 高中; the tail words come from follow_ups.toml's tail."""
    from assistant.question.condense import _new_topic

    assert _new_topic("那高中的话呢？") == "高中"
    assert _new_topic("那初中怎么样") == "初中"
    assert _new_topic("那高中的话") == "高中的话"  # no tail word: nothing is asked yet


def test_kindergarten_follow_up_after_compulsory_education_question() -> None:
    out = condense("那幼儿园呢？", _history("义务教育阶段要新增多少学位？"))
    assert "幼儿园" in out
    assert "义务教育" not in out
    assert "新增" in out and "学位" in out


def test_subject_follow_up_swaps_the_subject() -> None:
    out = condense("那美育呢？", _history("体育课每天安排几节？"))
    assert "美育" in out and "体育" not in out
    assert "每天" in out


def test_pronoun_is_replaced_by_the_named_school() -> None:
    out = condense("它的学位有多少？", _history("深圳市第十九高级中学是新建还是改建？"))
    assert "深圳市第十九高级中学" in out
    assert "学位" in out
    assert "它" not in out


def test_school_pronoun_is_replaced_too() -> None:
    out = condense("该校要新增多少学位？", _history("深圳市第十九高级中学是新建还是改建？"))
    assert "深圳市第十九高级中学" in out
    assert "该校" not in out


def test_follow_up_naming_a_sibling_role_swaps_it() -> None:
    out = condense_by_rules("那保育员呢？", _history("深圳的幼儿园老师要什么学历？"))
    assert out == "深圳的幼儿园保育员要什么学历？"


def test_follow_up_naming_another_district_swaps_the_district() -> None:
    out = condense_by_rules(
        "那怀柔区呢？", _history("北京顺义区2016年非京籍幼升小，租房合同有什么时间要求？")
    )
    assert out == "北京怀柔区2016年非京籍幼升小，租房合同有什么时间要求？"
    assert condense_by_rules("那福田区呢？", _history("罗湖区要新增多少学位？")) == "福田区要新增多少学位？"
    # A place of another level is no sibling: the earlier question is asked about it.
    assert condense_by_rules("那深圳呢？", _history("罗湖区要新增多少学位？")) != "深圳要新增多少学位？"


def test_follow_up_naming_another_group_or_subject_swaps_it() -> None:
    history = _history("泉州中心市区片区内户籍的孩子哪几天去小学报名登记？")
    assert (
        condense_by_rules("随迁子女呢？", history) == "泉州中心市区片区内随迁子女的孩子哪几天去小学报名登记？"
    )
    # The earlier group is part of the new one's name.
    assert condense_by_rules("那非户籍的呢？", _history("罗湖区户籍儿童小一申请要什么材料？")) == (
        "罗湖区非户籍儿童小一申请要什么材料？"
    )
    assert (
        condense_by_rules("那数学呢？", _history("成都2016年中考语文考多长时间？"))
        == "成都2016年中考数学考多长时间？"
    )


def test_the_earlier_setting_ends_before_a_stage_the_follow_up_names_anew() -> None:
    out = condense_by_rules(
        "那二七区的小升初，初中是什么时候报名？", _history("郑州二七区2015年小学什么时候报名？")
    )
    assert out.startswith("郑州二七区2015年") and "小学" not in out


def test_comparison_follow_up_swaps_the_kind_of_school() -> None:
    out = condense_by_rules("民办的也一样吗？", _history("公办幼儿园的收费标准由谁制定？"))
    assert out == "民办幼儿园的收费标准由谁制定？"


def test_follow_up_asking_a_new_slot_keeps_the_previous_subject() -> None:
    out = condense_by_rules("具体由哪个部门牵头？", _history("罗湖怎么推进集团化办学？"))
    assert out == "罗湖推进集团化办学，由哪个部门牵头？"
    assert "怎么" not in out  # the earlier question's own slot is gone


def test_follow_up_asking_a_new_value_drops_the_earlier_questions_day() -> None:
    out = condense_by_rules(
        "那一年级每个班最多能招多少个学生？", _history("重庆2016年公办小学从哪天开始报名？")
    )
    assert out.startswith("重庆2016年公办小学") and out.endswith("一年级每个班最多能招多少个学生？")
    assert "哪天" not in out  # one question, the new one


def test_follow_up_naming_a_thing_of_its_own_takes_the_earlier_setting_not_its_predicate() -> None:
    out = condense_by_rules("那入学通知书什么时候去哪里领？", _history("中山2015年城区小学现场报名是哪天？"))
    assert out.startswith("中山2015年城区小学") and out.endswith("入学通知书什么时候去哪里领？")
    assert "报名" not in out and "哪天" not in out
    # The thing replaces the earlier one of its kind: the setting is what came before it.
    out = condense_by_rules("那劳动周可以放在什么时候？", _history("中小学劳动教育课每周至少要上多少？"))
    assert out == "中小学劳动周可以放在什么时候？"


def test_a_pronoun_after_a_question_that_opens_with_a_scene_refers_to_the_scene() -> None:
    out = condense_by_rules("这个由谁批准？", _history("武汉有孩子因病需要缓学，家长要提供什么证明？"))
    assert out == "武汉有孩子因病需要缓学，这个由谁批准？"
    # A named institution is still what a pronoun refers to.
    assert condense_by_rules("它的学位有多少？", _history("翠竹小学今年招几个班？")).startswith("翠竹小学")


def test_a_follow_up_naming_another_document_puts_it_in_place_of_the_earlier_one() -> None:
    out = condense_by_rules("那学前教育法呢？", _history("《家庭教育促进法》是从哪天起施行的？"))
    assert out == "学前教育法是从哪天起施行的？"
    out = condense_by_rules("那深圳的条例呢？", _history("学前教育法对幼儿园收费有什么规定？"))
    assert out == "深圳的条例对幼儿园收费有什么规定？"


def test_conditional_follow_up_keeps_the_previous_subject() -> None:
    out = condense_by_rules("要是碰上下雨天怎么办？", _history("深圳的幼儿园每天户外活动要多长时间？"))
    assert out == "深圳的幼儿园每天户外活动，碰上下雨天怎么办？"


def test_new_slot_with_a_sibling_topic_swaps_and_asks() -> None:
    out = condense_by_rules("那初中要多少？", _history("小学每周要上几节体育课？"))
    assert out.startswith("初中每周") and out.endswith("初中要多少？")


def test_standalone_question_is_unchanged() -> None:
    question = "罗湖区“十四五”期间要新改扩建多少所公办义务教育学校？"
    assert not is_follow_up(question)
    assert condense(question, _history("幼儿园学位会增加多少？")) == question


def test_no_history_leaves_even_a_follow_up_unchanged() -> None:
    assert condense("那高中呢？", []) == "那高中呢？"
    assert condense("它的学位有多少？", ()) == "它的学位有多少？"


def test_follow_up_detection() -> None:
    assert is_follow_up("那高中呢？")
    assert is_follow_up("还有别的要求吗？")
    assert is_follow_up("它的学位有多少？")
    assert not is_follow_up("深圳市第十九高级中学新增多少学位？")


def test_only_the_last_turn_is_used() -> None:
    history = [("体育课每天安排几节？", "每天1节。"), ("幼儿园学位会增加多少？", "0.8万座。")]
    out = condense_by_rules("那高中呢？", history)
    assert "高中" in out and "学位" in out
    assert "体育" not in out


# --- a rewrite function instead of the rules -----------------------------------------


def test_llm_rewrite_is_used_when_given() -> None:
    seen: list[tuple[str, list[Turn]]] = []

    def rewrite(question: str, history: Sequence[Turn]) -> str:
        seen.append((question, list(history)))
        return "  高中阶段学位会增加多少？ "

    history = _history("幼儿园学位会增加多少？", "0.8万座。")
    assert condense("那高中呢？", history, llm_rewrite=rewrite) == "高中阶段学位会增加多少？"
    assert seen == [("那高中呢？", history)]


def test_llm_rewrite_empty_reply_falls_back_to_the_question() -> None:
    assert condense("那高中呢？", _history("幼儿园学位会增加多少？"), llm_rewrite=lambda q, h: "  ") == (
        "那高中呢？"
    )


def test_llm_rewrite_not_called_without_history() -> None:
    def boom(question: str, history: Sequence[Turn]) -> str:
        raise AssertionError("must not be called")

    assert condense("那高中呢？", [], llm_rewrite=boom) == "那高中呢？"


# --- ChatAnswerer.rewrite with LangChain fake chat models ------------------------------


def test_chat_answerer_rewrite_with_fake_list_model() -> None:
    handler = RecordingHandler()
    llm = FakeListChatModel(
        responses=["深圳市第十九高级中学新增多少学位？\n（改写说明：补全了主语）"], callbacks=[handler]
    )
    answerer = ChatAnswerer(llm, "openai")
    history = [("深圳市第十九高级中学是新建还是改建？", "新建工程。" + "很长的回答" * 100)]

    out = condense("它新增多少学位？", history, llm_rewrite=answerer.rewrite)

    assert out == "深圳市第十九高级中学新增多少学位？"  # only the first line of the reply
    assert len(handler.calls) == 1
    system, human = handler.calls[0]
    assert system.type == "system" and system.content == "你只负责改写问题。"
    assert human.type == "human"
    prompt = str(human.content)
    expected_head = load_prompt("condense").split("【对话记录】")[0]
    assert prompt.startswith(expected_head)
    assert "用户：深圳市第十九高级中学是新建还是改建？" in prompt
    assert "【最新追问】\n它新增多少学位？" in prompt
    assert "很长的回答" * 100 not in prompt  # answers in the history are cut to 300 characters


def test_chat_answerer_rewrite_keeps_the_last_three_turns() -> None:
    handler = RecordingHandler()
    answerer = ChatAnswerer(FakeListChatModel(responses=["高中学位会增加多少？"], callbacks=[handler]), "x")
    history = [(f"问题{i}", f"回答{i}") for i in range(5)]
    assert answerer.rewrite("那高中呢？", history) == "高中学位会增加多少？"
    prompt = str(handler.calls[0][1].content)
    assert "问题0" not in prompt and "问题1" not in prompt
    assert all(f"用户：问题{i}\n助手：回答{i}" in prompt for i in (2, 3, 4))


def test_chat_answerer_rewrite_with_generic_fake_model() -> None:
    llm = GenericFakeChatModel(messages=iter([AIMessage(content="幼儿园阶段要新增多少学位？")]))
    answerer = ChatAnswerer(llm, "openai")
    out = condense("那幼儿园呢？", _history("义务教育阶段要新增多少学位？"), llm_rewrite=answerer.rewrite)
    assert out == "幼儿园阶段要新增多少学位？"


def test_chat_answerer_rewrite_empty_reply_keeps_the_question() -> None:
    llm = GenericFakeChatModel(messages=iter([AIMessage(content="")]))
    answerer = ChatAnswerer(llm, "openai")
    assert answerer.rewrite("那高中呢？", _history("幼儿园学位会增加多少？")) == "那高中呢？"


def test_a_follow_up_asking_another_year_keeps_its_own_year_only() -> None:
    # The earlier question's 2016年 would make the year asked (2026) look answered.
    standalone = condense_by_rules(
        "那今年2026年的面谈是哪天？", [("上海2016年民办小学面谈是哪天？", "2016年5月7日。")]
    )
    assert "2026年" in standalone and "2016年" not in standalone and standalone.startswith("上海")


def test_the_earlier_setting_ends_before_the_group_it_asked_about() -> None:
    # "本区户籍的孩子" is whom the earlier question asked about, not where or when: the new
    # group (外地来宁务工人员的随迁子女) takes the earlier place and year only.
    out = condense_by_rules(
        "那外地来宁务工人员的随迁子女是什么时候报名登记？",
        _history("南京建邺区2016年本区户籍的孩子小学什么时候报名？"),
    )
    assert out == "南京建邺区2016年外地来宁务工人员的随迁子女是什么时候报名登记？"
