"""What every route takes in: a question checked as the assistant will read it, earlier
turns parsed from either history format, and the sources block of an answer stripped
again when the answer comes back as history."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from assistant.chain import AskResult
from assistant.question.condense import Turn
from assistant.question.normalize import clean_input
from assistant.settings import Settings

SOURCES_HEADING = "来源："
# The sources block the OpenAI routes append to answers; stripped again when an answer comes
# back as conversation history, so it is not condensed into the next question.
_SOURCES_BLOCK = re.compile(rf"\n+{SOURCES_HEADING}\n(?:\[\d+\][^\n]*(?:\n|$))+\s*$")


class QuestionError(ValueError):
    """A question the assistant will not take; `user_message` is Chinese."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


def check_question(question: str | None, settings: Settings) -> str:
    """The question as the assistant will read it (control and zero-width characters
    removed, whitespace collapsed), or QuestionError with the message to show."""
    text = clean_input(question or "")
    if not text:
        raise QuestionError("请输入您的问题，例如：罗湖区要新增多少公办义务教育学位？")
    if len(text) > settings.max_question_chars:
        raise QuestionError(
            f"问题有 {len(text)} 字，超过了 {settings.max_question_chars} 字的上限，请精简后再问。"
        )
    return text


def parse_history(history_json: str | None) -> list[Turn]:
    """Earlier turns as `[[question, answer], …]` or OpenAI-style `[{role, content}, …]`."""
    if not history_json or not history_json.strip():
        return []
    try:
        data = json.loads(history_json)
    except json.JSONDecodeError as exc:
        raise QuestionError("history_json 不是有效的 JSON。") from exc
    if not isinstance(data, list):
        raise QuestionError("history_json 应为列表：[[问题, 回答], …]。")
    if all(isinstance(item, dict) for item in data):
        return turns_from_messages([(str(m.get("role", "")), message_text(m.get("content"))) for m in data])
    turns: list[Turn] = []
    for item in data:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise QuestionError("history_json 的每一项应为 [问题, 回答]。")
        turns.append((str(item[0]), strip_sources(str(item[1]))))
    return turns


def turns_from_messages(messages: Sequence[tuple[str, str]]) -> list[Turn]:
    """(question, answer) pairs: each user message with the assistant reply that follows it."""
    turns: list[Turn] = []
    pending: str | None = None
    for role, content in messages:
        if role == "user":
            pending = content
        elif role == "assistant" and pending is not None:
            turns.append((pending, strip_sources(content)))
            pending = None
    return turns


def strip_sources(answer: str) -> str:
    return _SOURCES_BLOCK.sub("", answer).rstrip()


def sources_block(result: AskResult) -> str:
    """'来源：\\n[1] 《title》 section' lines, appended to OpenAI answers."""
    if not result.citations:
        return ""
    lines = [f"[{c.number}] {c.label}" for c in result.citations]
    return "\n\n" + SOURCES_HEADING + "\n" + "\n".join(lines)


def message_text(content: Any) -> str:
    """OpenAI message content: a string or a list of parts ({type: text, text})."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)
