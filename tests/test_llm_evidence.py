"""The LLM path reads the same evidence as the extractive one: the sentences ranked by
meaning with their passage, the quote the extractive answer would lead with (a list read
on into the chunks after its passage, the sentence that states the asked value) and its
lead line. Checked on what an OpenAI-compatible server on loopback receives
(tests/openai_stub_server.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from openai_stub_server import ANSWER_REPLY, StubServer
from pydantic import SecretStr

from assistant.answering.base import AnswerContext
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import ChatAnswerer, build_openai_chat
from assistant.chain import Assistant, build_assistant
from assistant.index import KnowledgeIndex
from assistant.question.cite import Citation
from assistant.question.slots import slot_of
from assistant.settings import Settings


def _prompt(stub: StubServer) -> str:
    """The user message of the one answer request the server received."""
    chats = stub.state.chat_requests
    assert len(chats) == 1
    return str(chats[0]["messages"][-1]["content"])


def _block(prompt: str, heading: str) -> str:
    """The text under a 【heading】 of the answer prompt, up to the next heading."""
    return prompt.split(f"【{heading}】", 1)[1].split("\n【", 1)[0]


LIST_CHUNK = "申请人应当交验下列材料：\n（一）户籍证明；"
LATER_CHUNKS = ["（二）住址证明；", "（三）出生证明。"]


def _citation(number: int, text: str, section: str, chunk_id: str) -> Citation:
    return Citation(
        number=number,
        doc_id="guide",
        title="入学指南",
        issuer="教育局",
        date="2024-03-01",
        status="current",
        section=section,
        text=text,
        quote=text,
        score=1.0,
        chunk_id=chunk_id,
    )


def test_the_prompt_quotes_a_list_read_on_into_the_following_chunks(
    fresh_stub: StubServer, settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(
        llm_base_url=fresh_stub.base_url, llm_api_key=SecretStr("t"), llm_model="stub"
    )
    citations = [
        _citation(1, LIST_CHUNK, "入学 > 材料", "guide:0003:aa"),
        _citation(2, "入学时间为每年九月。", "入学 > 时间", "guide:0009:bb"),
    ]

    def following(chunk_id: str, section: str) -> list[str]:
        assert (chunk_id, section) == ("guide:0003:aa", "入学 > 材料")
        return LATER_CHUNKS

    question = "申请入学要交哪些材料？"
    context = AnswerContext(
        question, question, "hans", citations, slot=slot_of(question), following=following
    )
    answer = "".join(ChatAnswerer(build_openai_chat(settings), "openai").stream(context))

    assert answer == ANSWER_REPLY
    prompt = _prompt(fresh_stub)
    quote = _block(prompt, "选定的引文")
    # the items of the later chunks are in the quote, each on its own line, as the
    # extractive answer gives them
    assert (
        "[1] 入学 > 材料：申请人应当交验下列材料：\n（一）户籍证明；\n（二）住址证明；\n（三）出生证明。"
        in quote
    )
    assert "（三）出生证明" in ExtractiveAnswerer().answer(context)
    assert "（三）出生证明" not in _block(prompt, "资料")  # only the quote carries them
    ranked = _block(prompt, "与问题最相关的句子").strip().splitlines()[1:]
    assert ranked[0].startswith("[1] 入学 > 材料：")  # each sentence with its passage
    assert any(line.startswith("[2] 入学 > 时间：入学时间为每年九月") for line in ranked)


@pytest.fixture
def stub_answerer(fresh_stub: StubServer, settings_factory: Callable[..., Settings]) -> ChatAnswerer:
    """An answerer whose model is the OpenAI-compatible stub server on loopback."""
    settings = settings_factory(
        llm_base_url=fresh_stub.base_url, llm_api_key=SecretStr("t"), llm_model="stub"
    )
    return ChatAnswerer(build_openai_chat(settings), "openai")


def test_the_prompt_gives_the_lead_line_of_the_asked_value(
    fresh_stub: StubServer, stub_answerer: ChatAnswerer
) -> None:
    citations = [
        _citation(1, "学校加强体育锻炼。每天校内体育活动时间不少于1小时。", "体育 > 时间", "guide:0001:aa"),
    ]
    question = "每天校内体育活动时间不少于多久？"
    context = AnswerContext(question, question, "hans", citations, slot=slot_of(question))
    list(stub_answerer.stream(context))

    quote = _block(_prompt(fresh_stub), "选定的引文")
    assert "[1] 体育 > 时间：每天校内体育活动时间不少于1小时。" in quote
    lead = ExtractiveAnswerer().answer(context).splitlines()[0]
    assert "1小时" in lead and f"要点：{lead}" in quote


def test_the_prompt_quotes_the_sentence_that_answers_each_thing_asked(
    fresh_stub: StubServer, stub_answerer: ChatAnswerer
) -> None:
    citations = [
        _citation(1, "录取通知书于7月10日发放。新生凭通知书到校报到。", "五、发放通知书", "guide:0005:aa"),
        _citation(2, "未按时报到的新生，视为放弃学位。", "六、报到", "guide:0006:bb"),
    ]
    question = "录取通知书几号发放？没按时报到会怎样处理？"
    context = AnswerContext(question, question, "hans", citations, slot=slot_of(question))
    list(stub_answerer.stream(context))

    quote = _block(_prompt(fresh_stub), "选定的引文").strip().splitlines()[1:]
    assert quote[0].startswith("[1] 五、发放通知书：录取通知书于7月10日发放。")
    assert "[2] 六、报到：未按时报到的新生，视为放弃学位。" in quote  # the second thing asked
    assert "视为放弃学位。 [2]" in ExtractiveAnswerer().answer(context)  # as the extractive answer


# --- the real index, the real model ---------------------------------------------------


@pytest.fixture
def openai_assistant(
    real_settings: Settings, real_index: KnowledgeIndex, fresh_stub: StubServer
) -> Assistant:
    settings = real_settings.model_copy(
        update={
            "answerer": "openai",
            "llm_base_url": fresh_stub.base_url,
            "llm_api_key": SecretStr("test"),
            "llm_model": "stub",
            "llm_timeout": 30.0,
        }
    )
    return build_assistant(settings)


@pytest.mark.model
def test_the_model_is_given_a_list_split_across_chunks(
    openai_assistant: Assistant, real_assistant: Assistant, fresh_stub: StubServer
) -> None:
    # The 2016 guide announces its materials at the end of one chunk; the items are the
    # chunks after it. The model gets them in the quote, as the extractive answer has them.
    question = "罗湖申请小一学位需要提交哪些证明材料？"
    result = openai_assistant.ask(question)
    assert not result.refused and result.answer.startswith(ANSWER_REPLY)
    quote = _block(_prompt(fresh_stub), "选定的引文")
    assert "如下证明材料原件（不用提交复印件）：\n（1）户籍证明材料" in quote, quote
    extractive = real_assistant.ask(question).answer
    assert extractive.splitlines()[1].startswith("（1）户籍证明材料")
