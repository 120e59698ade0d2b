"""A tiny OpenAI-compatible HTTP server for tests, on the standard library only.

`POST /v1/chat/completions` answers with a deterministic text (non-streaming JSON, or
server-sent `chat.completion.chunk` events ending in `data: [DONE]` when `stream` is true);
`GET /v1/models` lists the one model. Every request body is recorded in `server.requests`.

A request whose system message is the condense instruction gets `rewrite_reply`; any
other gets `answer_reply`, sent in pieces of `chunk_chars` characters when streaming.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER_REPLY = "STUB-ANSWER：深圳市第十九高级中学新建工程新增学位1200座 [1]，罗外高中新校区为全寄宿制 [1]。"
REWRITE_REPLY = "深圳市第十九高级中学新增多少学位？"
REWRITE_MARKER = "你只负责改写问题"


@dataclass
class StubState:
    model: str = "stub"
    answer_reply: str = ANSWER_REPLY
    rewrite_reply: str = REWRITE_REPLY
    chunk_chars: int = 6
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply_for(self, body: dict[str, Any]) -> str:
        messages = body.get("messages") or []
        system = [str(m.get("content", "")) for m in messages if m.get("role") in {"system", "developer"}]
        if any(REWRITE_MARKER in s for s in system):
            return self.rewrite_reply
        return self.answer_reply

    def clear(self) -> None:
        """Forget the requests received so far."""
        with self.lock:
            self.requests.clear()
            self.paths.clear()
            self.headers.clear()

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r, p in zip(self.requests, self.paths, strict=True) if p.endswith("/chat/completions")]


def _handler(state: StubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            with state.lock:
                state.paths.append(self.path)
                state.requests.append({})
                state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if self.path.rstrip("/").endswith("/v1/models"):
                self._send_json(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": state.model, "object": "model", "created": 0, "owned_by": "stub"}],
                    },
                )
            else:
                self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send_json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
                return
            with state.lock:
                state.paths.append(self.path)
                state.requests.append(body)
                state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                return
            reply = state.reply_for(body)
            model = body.get("model") or state.model
            if body.get("stream"):
                self._stream(reply, model, body)
            else:
                self._send_json(200, _completion(reply, model))

        def _stream(self, reply: str, model: str, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for event in _chunks(reply, model, state.chunk_chars, body):
                self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def _usage(reply: str) -> dict[str, int]:
    return {"prompt_tokens": 10, "completion_tokens": len(reply), "total_tokens": 10 + len(reply)}


def _completion(reply: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": _usage(reply),
    }


def _chunks(reply: str, model: str, size: int, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    yield {
        **base,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
    }
    for start in range(0, len(reply), size):
        piece = reply[start : start + size]
        yield {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(reply)}


class StubServer:
    """The server plus its recorded state; `base_url` ends in /v1."""

    def __init__(self, state: StubState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state or StubState()
        self.httpd = ThreadingHTTPServer((host, port), _handler(self.state))
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="openai-stub", daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@contextmanager
def running_stub(state: StubState | None = None) -> Iterator[StubServer]:
    server = StubServer(state).start()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":  # manual use: python tests/openai_stub_server.py
    with running_stub() as server:
        print(f"OpenAI-compatible stub on {server.base_url} (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
