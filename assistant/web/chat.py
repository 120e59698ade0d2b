"""The 问答 tab: the conversation, example questions and 👍/👎 feedback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import gradio as gr

from assistant.chain import AskResult, Assistant
from assistant.errors import user_message_for
from assistant.question.condense import Turn
from assistant.question.normalize import clean_input
from assistant.settings import Settings
from assistant.web.api import QuestionError, check_question, question_queue
from assistant.web.feedback import FeedbackStore
from assistant.web.i18n import t
from assistant.web.render import Record, render_messages

log = logging.getLogger(__name__)

EXAMPLES: dict[str, list[str]] = {
    "examples_principal": [
        "劳动教育每周至少安排几课时？",
        "校长职级制改革有哪些内容？",
        "教育督导问责怎么做？",
    ],
    "examples_parent": [
        "罗湖区要新增多少公办义务教育学位？",
        "孩子作业太多了怎么办？",
        "“十四五”期间新增多少幼儿园学位？",
    ],
    "examples_staff": [
        "什么时候基本消除超班额、超规模办学？",
        "各街道办在增加幼儿园学位中要做什么？",
        "2025年前要完成哪些目标？",
    ],
}


class Chat:
    """The chat's event handlers. Per-session state is a list of records (raw text, never
    HTML), from which the chatbot is re-rendered and the history is taken."""

    def __init__(self, assistant: Assistant, settings: Settings, store: FeedbackStore) -> None:
        self.assistant = assistant
        self.settings = settings
        self.store = store

    @staticmethod
    def history(records: list[Record]) -> list[Turn]:
        return [(r["question"], r["answer"]) for r in records if not r.get("notice")]

    def respond(
        self, message: str, records: list[Record] | None
    ) -> Iterator[tuple[str, list[dict[str, str]], list[Record]]]:
        records = list(records or [])
        question = clean_input(message or "")
        notice = self._notice(question)
        if notice:
            shown = question if len(question) <= 80 else question[:80] + "…"
            records.append({"question": shown, "answer": notice, "citations": [], "notice": True})
            yield "", render_messages(records), records
            return
        history = self.history(records)
        current: Record = {"question": question, "answer": "", "citations": []}
        yield "", render_messages([*records, current]), records
        try:
            for piece in self.assistant.stream(question, history):
                if isinstance(piece, AskResult):
                    current = {
                        "question": question,
                        "answer": piece.answer,
                        "citations": [c.to_json() for c in piece.citations],
                        "refused": piece.refused,
                        "reason": piece.reason,
                    }
                else:
                    current["answer"] += piece
                    yield "", render_messages([*records, current]), records
        except Exception as exc:
            log.exception("answering failed")
            current = {"question": question, "answer": user_message_for(exc), "citations": [], "notice": True}
        records.append(current)
        yield "", render_messages(records), records

    def _notice(self, question: str) -> str:
        try:
            check_question(question, self.settings)
        except QuestionError as exc:
            return exc.user_message
        return ""

    def like(self, records: list[Record] | None, data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        records = records or []
        position = int(index) // 2  # each record is one user and one assistant message
        if not 0 <= position < len(records) or records[position].get("notice"):
            return
        vote = _vote(data.liked)
        if vote is None:
            return  # a vote withdrawn
        record = records[position]
        self.store.add(record["question"], record["answer"], record.get("citations") or [], vote)


def _vote(liked: bool | str | None) -> str | None:
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return str(liked) if liked else None


def chat_tab(chat: Chat) -> None:
    records = gr.State([])
    chatbot = gr.Chatbot(
        show_label=False,  # the Chatbot label does not take a translated string
        elem_id="chatbot",
        height=520,
        latex_delimiters=[],
        allow_tags=False,
        sanitize_html=True,
        buttons=["copy"],
        placeholder=t("chat_placeholder"),
    )
    with gr.Row():
        question = gr.Textbox(
            label=t("question"),
            placeholder=t("question_placeholder"),
            elem_id="question",
            scale=8,
            max_lines=6,
            autofocus=True,
        )
        send = gr.Button(t("send"), variant="primary", elem_id="send", scale=1)
    clear = gr.Button(t("clear"), elem_id="clear", size="sm")
    gr.Markdown(t("feedback_hint"))
    outputs = [question, chatbot, records]
    # Every way of asking shares one queue with /ask, bounded by the admission gate.
    asking = question_queue(chat.settings)
    question.submit(chat.respond, [question, records], outputs, api_name="chat", **asking)
    send.click(chat.respond, [question, records], outputs, api_visibility="undocumented", **asking)
    clear.click(lambda: ("", [], []), None, outputs, api_visibility="undocumented", queue=False)
    chatbot.like(chat.like, [records], None, api_visibility="undocumented")
    with gr.Row():
        for key, questions in EXAMPLES.items():
            with gr.Column(min_width=200):
                examples = gr.Examples([[q] for q in questions], inputs=[question], label=t(key))
                examples.load_input_event.then(
                    chat.respond, [question, records], outputs, api_visibility="undocumented", **asking
                )
