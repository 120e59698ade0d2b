"""`/ask`, a named Gradio endpoint: (question, history_json) → the `ask --json` object;
and the warm-up question answered before serving."""

from __future__ import annotations

import logging
import time
from typing import Any

import gradio as gr

from assistant.chain import Assistant
from assistant.errors import user_message_for
from assistant.settings import Settings
from assistant.web.api.questions import QuestionError, check_question, parse_history

log = logging.getLogger(__name__)


def add_ask_endpoint(assistant: Assistant, settings: Settings) -> None:
    """Register `/ask`; call inside the `gr.Blocks` context."""

    def ask(question: str, history_json: str = "[]") -> dict[str, Any]:
        """Answer one question. history_json: earlier turns as [[question, answer], …].
        Returns the `ask --json` object: question, answer, refused, citations, …"""
        try:
            text = check_question(question, settings)
            history = parse_history(history_json)
        except QuestionError as exc:
            raise gr.Error(exc.user_message) from exc
        try:
            return assistant.ask(text, history).to_json()
        except Exception as exc:
            log.exception("ask failed")
            raise gr.Error(user_message_for(exc)) from exc

    gr.api(ask, api_name="ask", **question_queue(settings))


def question_queue(settings: Settings) -> dict[str, Any]:
    """Gradio's queue for every event that answers a question: one shared id, as many at
    once as the admission gate admits (the gate, not Gradio, turns the excess away)."""
    return {"concurrency_id": "questions", "concurrency_limit": settings.max_concurrent_questions}


def warm_up(assistant: Assistant) -> float:
    """Answer one question before serving: loads the embedding model (seconds on a small
    CPU) and the keyword index, so the first user does not wait for them. Returns seconds."""
    started = time.perf_counter()
    assistant.ask("罗湖区基础教育行动方案的主要目标是什么？")
    return time.perf_counter() - started
