"""The OpenAI-compatible routes, served for real and called with the official `openai`
client (and raw httpx where the wire format itself is the point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from openai import BadRequestError, OpenAI

from assistant.chain import Assistant
from assistant.settings import Settings
from assistant.web.api import MODEL_ID, strip_sources
from tests.serving import RunningServer, free_port

pytestmark = pytest.mark.model

QUESTION = "罗湖区要新增多少公办义务教育学位？"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def openai_client(server: RunningServer) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0, timeout=300)


def test_models_lists_the_assistant(openai_client: OpenAI) -> None:
    assert [m.id for m in openai_client.models.list()] == [MODEL_ID]


def test_chat_completion(openai_client: OpenAI) -> None:
    response = openai_client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": QUESTION}]
    )
    assert response.object == "chat.completion"
    assert response.model.startswith(MODEL_ID)
    choice = response.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    assert "3.3万" in content
    assert "\n来源：\n[1] 《罗湖区基础教育高质量发展行动方案（2021—2023年）》" in content
    citations = (response.model_extra or {})["citations"]
    assert citations[0]["doc_id"] == "luohu-action-plan" and citations[0]["number"] == 1
    assert "3.3万" in citations[0]["text"]


def test_streamed_chat_completion(openai_client: OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "3.3万" in content and "[1]" in content and "来源：" in content
    assert len([c for c in chunks if c.choices[0].delta.content]) >= 2
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"][0]["doc_id"] == "luohu-action-plan"


def test_stream_wire_format_ends_with_done(server: RunningServer) -> None:
    body = {"model": MODEL_ID, "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream("POST", f"{server.url}/v1/chat/completions", json=body, timeout=300) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    last = json.loads(events[-2][len("data: ") :])
    assert last["choices"][0]["finish_reason"] == "stop" and last["citations"]


def test_follow_up_through_message_history(openai_client: OpenAI) -> None:
    first = openai_client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": QUESTION}]
    )
    follow_up = openai_client.chat.completions.create(
        model=MODEL_ID,
        messages=[
            {"role": "system", "content": "你是政策助手。"},
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": "那幼儿园学位呢？"},
        ],
    )
    content = follow_up.choices[0].message.content or ""
    assert "幼儿园" in content and "[1]" in content
    citations = (follow_up.model_extra or {})["citations"]
    assert any("幼儿园" in c["text"] for c in citations)


def test_bad_requests_get_openai_style_errors(openai_client: OpenAI, server: RunningServer) -> None:
    with pytest.raises(BadRequestError, match="user"):
        openai_client.chat.completions.create(
            model=MODEL_ID, messages=[{"role": "assistant", "content": "你好"}]
        )
    with pytest.raises(BadRequestError, match="请输入您的问题"):
        openai_client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": " "}])
    response = httpx.post(f"{server.url}/v1/chat/completions", content=b"not json", timeout=30)
    assert response.status_code == 400 and "error" in response.json()


def test_routes_cannot_change_the_knowledge_base(server: RunningServer, real_assistant: Assistant) -> None:
    before = real_assistant.index.doc_hashes()
    for method, path in (
        ("POST", "/v1/files"),
        ("DELETE", "/v1/models/luohu-assistant"),
        ("POST", "/v1/embeddings"),
        ("PUT", "/v1/chat/completions"),
    ):
        response = httpx.request(method, f"{server.url}{path}", json={}, timeout=30)
        assert response.status_code in {404, 405}, (method, path, response.status_code)
    assert real_assistant.index.doc_hashes() == before


def test_strip_sources_removes_only_the_appended_block() -> None:
    answer = "新增学位3.3万座 [1]。\n\n来源：\n[1] 《方案》 学位建设\n[2] 《法》 第一条"
    assert strip_sources(answer) == "新增学位3.3万座 [1]。"
    assert strip_sources("来源：网络") == "来源：网络"


def test_app_py_serves_ui_and_api_on_one_port(real_settings: Settings, real_index: object) -> None:
    """The launcher as users run it: index check, model warm-up, then one server."""
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(real_settings.data_dir), "ASSISTANT_ADMIN_PASSWORD": ""}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx.get(url + "/", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "app.py did not start serving"
            time.sleep(1)
        assert httpx.get(url + "/v1/models", timeout=10).json()["data"][0]["id"] == MODEL_ID
        response = httpx.post(
            url + "/v1/chat/completions",
            json={"model": MODEL_ID, "messages": [{"role": "user", "content": QUESTION}]},
            timeout=120,
        )
        assert "3.3万" in response.json()["choices"][0]["message"]["content"]
        config = httpx.get(url + "/config", timeout=10).json()
        assert any(d.get("api_name") == "ask" for d in config["dependencies"])
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "索引就绪" in output and "未变 9" in output
