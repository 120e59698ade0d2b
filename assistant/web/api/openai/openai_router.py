"""`POST /v1/chat/completions` and `GET /v1/models`, OpenAI-compatible, so any OpenAI
client (or a chat front end that speaks that protocol) can use the assistant. This module
is the HTTP side (body limit, request validation, status codes); openai_service.py answers."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.admission import ServerBusyError
from assistant.chain import Assistant
from assistant.errors import user_message_for
from assistant.settings import Settings
from assistant.web.api.openai.openai_service import MODEL_ID, OpenAIService
from assistant.web.api.questions import QuestionError, message_text

log = logging.getLogger(__name__)

# A question is at most max_question_chars; the rest of a request is earlier turns.
MAX_REQUEST_BYTES = 1024 * 1024
THREAD_SPARE = 8  # worker threads beyond the questions' own, for the UI's other calls


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: Any = None


class _ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, …: accepted, ignored
    model: str = MODEL_ID
    messages: list[_Message]
    stream: bool = False


def openai_router(assistant: Assistant, settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/v1")
    service = OpenAIService(assistant, settings)

    @router.get("/models")
    def models() -> dict[str, Any]:
        return service.models()

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
        _enough_threads(settings)
        try:
            raw = await _read_body(request, MAX_REQUEST_BYTES)
        except QuestionError as exc:
            return _error(413, exc.user_message)
        try:
            body = _ChatRequest.model_validate(json.loads(raw))
            question, history = service.question([(m.role, message_text(m.content)) for m in body.messages])
        except QuestionError as exc:
            return _error(400, exc.user_message)
        except (ValidationError, ValueError) as exc:
            return _error(400, f"请求格式不正确：{exc}")
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        try:
            # The turn is taken before the response starts, so a full server says 503.
            ticket = await run_in_threadpool(service.enter)
        except ServerBusyError as exc:
            return _busy(exc)
        if body.stream:
            stream = service.stream(question, history, ticket, completion_id)
            return StreamingResponse(stream, media_type="text/event-stream")
        try:
            completion = await run_in_threadpool(service.complete, question, history, ticket, completion_id)
        except ServerBusyError as exc:
            return _busy(exc)
        except Exception as exc:
            log.exception("chat completion failed")
            return _error(503, user_message_for(exc), "server_error")
        return JSONResponse(completion)

    return router


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status_code=status)


def _busy(exc: ServerBusyError) -> JSONResponse:
    """503 with Retry-After: the client (or the load balancer) may try again shortly."""
    response = _error(503, exc.user_message, "server_busy")
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


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


def _enough_threads(settings: Settings) -> None:
    """Every admitted or waiting question holds a worker thread; anyio's default pool (40)
    would otherwise queue requests, unbounded, before they reach the admission gate."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    wanted = settings.max_concurrent_questions + settings.max_waiting_questions + THREAD_SPARE
    if limiter.total_tokens < wanted:
        limiter.total_tokens = wanted
