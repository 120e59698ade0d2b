"""What the OpenAI-compatible routes answer, apart from HTTP: the model list, a
question and its history taken from chat messages, a `chat.completion` object and the
`chat.completion.chunk` events of a streamed one. Every call only reads the knowledge base."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from assistant.admission import Ticket
from assistant.chain import AskResult, Assistant
from assistant.errors import user_message_for
from assistant.question.condense import Turn
from assistant.settings import Settings
from assistant.web.api.questions import QuestionError, check_question, sources_block, turns_from_messages

log = logging.getLogger(__name__)

MODEL_ID = "luohu-assistant"


class OpenAIService:
    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings

    def model_name(self) -> str:
        # Which answerer wrote the text (extractive, openai, llamacpp).
        return f"{MODEL_ID}/{self.assistant.answerer.name}"

    def models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "luohu"}],
        }

    def question(self, messages: Sequence[tuple[str, str]]) -> tuple[str, list[Turn]]:
        """The last user message, checked, and the turns before it (QuestionError if none)."""
        said = [(role, content) for role, content in messages if role in {"user", "assistant"}]
        if not said or said[-1][0] != "user":
            raise QuestionError("messages 的最后一条应为用户（user）的问题。")
        return check_question(said[-1][1], self.settings), turns_from_messages(said[:-1])

    def enter(self) -> Ticket:
        """A turn at the admission gate (ServerBusyError when full); blocks while waiting."""
        return self.assistant.gate.enter()

    def complete(
        self, question: str, history: list[Turn], ticket: Ticket, completion_id: str
    ) -> dict[str, Any]:
        """A `chat.completion` object, with the citations and the refusal beside the text."""
        result = self.assistant.ask(question, history, ticket)
        content = result.answer + sources_block(result)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name(),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(question, content),
            "citations": [c.to_json() for c in result.citations],
            "refused": result.refused,
            "index_version": result.index_version,
            "table_rows": result.extra.get("table_rows", []),
        }

    def stream(self, question: str, history: list[Turn], ticket: Ticket, completion_id: str) -> Iterator[str]:
        """`chat.completion.chunk` events; the last one carries `citations`; then [DONE]."""
        created = int(time.time())
        model = self.model_name()

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            payload = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        result: AskResult | None = None
        try:
            for piece in self.assistant.stream(question, history, ticket=ticket):
                if isinstance(piece, AskResult):
                    result = piece
                elif piece:
                    yield chunk({"content": piece})
        except Exception as exc:  # the status line is already sent: report in the text
            log.exception("streamed chat completion failed")
            yield chunk({"content": user_message_for(exc)})
        if result is not None and result.citations:
            yield chunk({"content": sources_block(result)})
        citations = [c.to_json() for c in result.citations] if result else []
        refused = result.refused if result else True
        rows = result.extra.get("table_rows", []) if result else []
        yield chunk({}, "stop", citations=citations, refused=refused, table_rows=rows)
        yield "data: [DONE]\n\n"


def _usage(prompt: str, completion: str) -> dict[str, int]:
    # No tokenizer in the extractive path: characters are the honest count.
    return {
        "prompt_tokens": len(prompt),
        "completion_tokens": len(completion),
        "total_tokens": len(prompt) + len(completion),
    }
