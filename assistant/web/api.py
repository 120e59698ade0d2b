"""The assistant over HTTP, on the same server as the web UI:

- `/ask`, a named Gradio endpoint: (question, history_json) → the `ask --json` object;
- `POST /v1/chat/completions` and `GET /v1/models`, OpenAI-compatible, so any OpenAI client
  (or a chat front end that speaks that protocol) can use the assistant.

Every route only reads the knowledge base; changing it is the admin UI's job.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import anyio
import anyio.to_thread
import gradio as gr
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.admission import ServerBusyError, Ticket
from assistant.chain import AskResult, Assistant
from assistant.errors import user_message_for
from assistant.question.condense import Turn
from assistant.question.normalize import clean_input
from assistant.settings import Settings

log = logging.getLogger(__name__)

MODEL_ID = "luohu-assistant"
# A question is at most max_question_chars; the rest of a request is earlier turns.
MAX_REQUEST_BYTES = 1024 * 1024
SOURCES_HEADING = "来源："
THREAD_SPARE = 8  # worker threads beyond the questions' own, for the UI's other calls
# The sources block this module appends to answers; stripped again when an answer comes
# back as conversation history, so it is not condensed into the next question.
_SOURCES_BLOCK = re.compile(rf"\n+{SOURCES_HEADING}\n(?:\[\d+\][^\n]*(?:\n|$))+\s*$")


# ---------------------------------------------------------------------------- questions


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
        return turns_from_messages([(str(m.get("role", "")), _text(m.get("content"))) for m in data])
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


def _text(content: Any) -> str:
    """OpenAI message content: a string or a list of parts ({type: text, text})."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


# ---------------------------------------------------------------------------- Gradio /ask


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


# ---------------------------------------------------------------------------- OpenAI routes


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: Any = None


class _ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, …: accepted, ignored
    model: str = MODEL_ID
    messages: list[_Message]
    stream: bool = False


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status_code=status)


def _busy(exc: ServerBusyError) -> JSONResponse:
    """503 with Retry-After: the client (or the load balancer) may try again shortly."""
    response = _error(503, exc.user_message, "server_busy")
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _split_messages(request: _ChatRequest) -> tuple[str, list[Turn]]:
    messages = [(m.role, _text(m.content)) for m in request.messages if m.role in {"user", "assistant"}]
    if not messages or messages[-1][0] != "user":
        raise QuestionError("messages 的最后一条应为用户（user）的问题。")
    return messages[-1][1], turns_from_messages(messages[:-1])


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (QuestionError) as soon as it passes `limit` bytes: a
    pasted book is not read into memory before it is turned away."""
    declared = request.headers.get("content-length", "")
    too_big = QuestionError(f"请求内容太大（上限 {limit // 1024} KB），请缩短问题或对话记录后再试。")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise too_big
        parts.append(part)
    return b"".join(parts)


def openai_router(assistant: Assistant, settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/v1")

    def model_name() -> str:
        # Which answerer wrote the text (extractive, openai, llamacpp).
        return f"{MODEL_ID}/{assistant.answerer.name}"

    @router.get("/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "luohu"}],
        }

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
        _enough_threads(settings)
        try:
            raw = await _read_body(request, MAX_REQUEST_BYTES)
        except QuestionError as exc:
            return _error(413, exc.user_message)
        try:
            body = _ChatRequest.model_validate(json.loads(raw))
            question, history = _split_messages(body)
            question = check_question(question, settings)
        except QuestionError as exc:
            return _error(400, exc.user_message)
        except (ValidationError, ValueError) as exc:
            return _error(400, f"请求格式不正确：{exc}")
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        try:
            # The turn is taken before the response starts, so a full server says 503.
            ticket = await run_in_threadpool(assistant.gate.enter)
        except ServerBusyError as exc:
            return _busy(exc)
        if body.stream:
            stream = _sse(assistant, question, history, completion_id, model_name(), ticket)
            return StreamingResponse(stream, media_type="text/event-stream")
        try:
            result = await run_in_threadpool(assistant.ask, question, history, ticket)
        except ServerBusyError as exc:
            return _busy(exc)
        except Exception as exc:
            log.exception("chat completion failed")
            return _error(503, user_message_for(exc), "server_error")
        content = result.answer + sources_block(result)
        return JSONResponse(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model_name(),
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
        )

    return router


def _enough_threads(settings: Settings) -> None:
    """Every admitted or waiting question holds a worker thread; anyio's default pool (40)
    would otherwise queue requests, unbounded, before they reach the admission gate."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    wanted = settings.max_concurrent_questions + settings.max_waiting_questions + THREAD_SPARE
    if limiter.total_tokens < wanted:
        limiter.total_tokens = wanted


def _usage(prompt: str, completion: str) -> dict[str, int]:
    # No tokenizer in the extractive path: characters are the honest count.
    return {
        "prompt_tokens": len(prompt),
        "completion_tokens": len(completion),
        "total_tokens": len(prompt) + len(completion),
    }


def _sse(
    assistant: Assistant, question: str, history: list[Turn], completion_id: str, model: str, ticket: Ticket
) -> Iterator[str]:
    """`chat.completion.chunk` events; the last one carries `citations`; then [DONE]."""
    created = int(time.time())

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
        for piece in assistant.stream(question, history, ticket=ticket):
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


# ---------------------------------------------------------------------------- serving


def warm_up(assistant: Assistant) -> float:
    """Answer one question before serving: loads the embedding model (seconds on a small
    CPU) and the keyword index, so the first user does not wait for them. Returns seconds."""
    started = time.perf_counter()
    assistant.ask("罗湖区基础教育行动方案的主要目标是什么？")
    return time.perf_counter() - started
