"""Access and privacy: only the admin password changes the knowledge base, no other route
of the app reaches it, the server listens on loopback unless told otherwise, and phone and
ID numbers are masked before they are logged or stored with feedback."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from fakes import small_assistant
from fastapi import FastAPI
from gradio_client import Client, handle_file
from starlette.routing import Mount

from assistant.chain import Assistant
from assistant.index import KnowledgeIndex
from assistant.settings import Settings
from assistant.web.admin import Admin
from assistant.web.chat import Chat
from assistant.web.feedback import FEEDBACK_FILE, FeedbackStore, mask_personal_numbers
from tests.serving import RunningServer, free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "管理员-Access-2024"
WRONG_PASSWORDS = ["", "wrong", PASSWORD + " ", PASSWORD.upper()]
ADMIN_APIS = ["admin_upload", "admin_delete", "admin_reindex"]


# ---------------------------------------------------------------------------- apps


@dataclass
class App:
    settings: Settings
    index: KnowledgeIndex
    assistant: Assistant
    server: RunningServer

    @property
    def fastapi(self) -> FastAPI:
        return self.server.server.config.app  # type: ignore[return-value]

    @property
    def url(self) -> str:
        return self.server.url


def _small_app(root: Path, serve_app: Any, password: str | None) -> App:
    """The app over a small knowledge folder of its own (HashEmbedder): fast, and any
    change a route made would show in files and index."""
    settings, index, assistant = small_assistant(root, admin_password=password, max_upload_mb=1)
    FeedbackStore.for_settings(settings).add("问题", "回答", [], "up")  # a file to try to steal
    return App(settings, index, assistant, serve_app(assistant, settings))


@pytest.fixture(scope="module")
def public_app(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[App]:
    app = _small_app(tmp_path_factory.mktemp("public"), serve_app, password=None)
    yield app
    app.server.stop()


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory, serve_app: Any) -> Iterator[App]:
    app = _small_app(tmp_path_factory.mktemp("admin"), serve_app, password=PASSWORD)
    yield app
    app.server.stop()


def knowledge_state(app: App) -> dict[str, Any]:
    """Everything a change to the knowledge base would touch."""
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(app.settings.knowledge_dir.iterdir())
    }
    ids, documents, _ = app.index.all_chunks()
    uploads = app.settings.data_dir / "uploads"
    return {
        "files": files,
        "active": app.index.active_name(),
        "hashes": app.index.doc_hashes(),
        "chunks": sorted(zip(ids, documents, strict=True)),
        "uploads": sorted(p.name for p in uploads.iterdir()) if uploads.exists() else [],
    }


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(path template, method) of every HTTP route, the mounted Gradio app's included."""
    found: list[tuple[str, str]] = []

    def walk(items: list[Any], prefix: str) -> None:
        for route in items:
            if hasattr(route, "original_router"):  # FastAPI's included router
                walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, Mount):
                walk(route.routes, prefix + route.path.rstrip("/"))
            elif getattr(route, "methods", None):
                found.extend((prefix + route.path, method) for method in sorted(route.methods))

    walk(app.routes, "")
    return found


def gradio_blocks(app: FastAPI) -> gr.Blocks:
    (mount,) = [r for r in app.routes if isinstance(r, Mount)]
    return mount.app.get_blocks()  # type: ignore[attr-defined]


def _values(name: str, app: App) -> list[str]:
    """Values for a path parameter: the ones an attacker would try."""
    if name == "api_name":
        return [*ADMIN_APIS, "ask", "chat"]
    if name in {"path_or_url", "path", "file_name", "url_path"}:
        return [
            str(app.settings.knowledge_dir / "manifest.toml"),
            str(app.settings.data_dir / FEEDBACK_FILE),
            "../../../../etc/passwd",
        ]
    if name in {"component_id", "size", "run"}:
        return ["0"]
    return ["x"]


def _urls(template: str, app: App) -> list[str]:
    urls = [template]
    while True:
        match = re.search(r"\{(\w+)(?::\w+)?\}", urls[0])
        if not match:
            return urls
        urls = [u.replace(match.group(0), v, 1) for u in urls for v in _values(match.group(1), app)]


def _bodies(app: App, template: str, method: str) -> list[dict[str, Any] | None]:
    """Request bodies with admin-looking data: routes that name the handler get it by
    name (in the path); the others once for every event handler of the app."""
    if method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return [None]
    data: list[Any] = ["", "admission-guide"]
    if "{api_name}" in template:
        return [{"data": data, "session_hash": "probe"}]
    count = len(gradio_blocks(app.fastapi).fns)
    return [{"data": data, "fn_index": i, "session_hash": f"probe{i}", "event_id": "x"} for i in range(count)]


def probe_every_route(app: App) -> dict[str, int]:
    """Call every route with hostile parameters and bodies; status (or -1) per request.
    Only status lines are read; transport errors are recorded, not raised."""
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=app.url, timeout=30) as client:
        for template, method in routes(app.fastapi):
            for url in _urls(template, app):
                for body in _bodies(app, template, method):
                    key = f"{method} {url} {body.get('fn_index', '') if body else ''}"
                    try:
                        with client.stream(method, url, json=body) as response:
                            statuses[key] = response.status_code  # streams are not read
                    except httpx.HTTPError:
                        statuses[key] = -1
    return statuses


def _sensitive_reads(statuses: dict[str, int], app: App) -> list[str]:
    secrets = [str(app.settings.data_dir / FEEDBACK_FILE), str(app.settings.knowledge_dir), "etc/passwd"]
    return [
        k for k, v in statuses.items() if v == 200 and k.startswith("GET") and any(s in k for s in secrets)
    ]


def _still_answers(app: App) -> None:
    response = httpx.post(
        f"{app.url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "幼儿园可以教授小学阶段的课程内容吗？"}]},
        timeout=60,
    )
    assert response.status_code == 200 and "[1]" in response.json()["choices"][0]["message"]["content"]


# ---------------------------------------------------------------------------- without a password


def test_without_a_password_no_handler_can_change_the_knowledge_base(public_app: App) -> None:
    blocks = gradio_blocks(public_app.fastapi)
    owners = {type(getattr(fn.fn, "__self__", None)).__name__ for fn in blocks.fns.values()}
    assert "Admin" not in owners and {"Chat", "TargetsView"} <= owners
    assert not any(str(fn.api_name).startswith("admin") for fn in blocks.fns.values())
    info = httpx.get(f"{public_app.url}/gradio_api/info", timeout=30).json()
    assert set(info["named_endpoints"]) == {"/ask", "/chat"}
    api_routes = {path for path, _ in routes(public_app.fastapi) if path.startswith("/v1")}
    assert api_routes == {"/v1/models", "/v1/chat/completions"}


def test_no_route_of_the_public_app_changes_or_reveals_the_knowledge_base(public_app: App) -> None:
    before = knowledge_state(public_app)
    feedback = (public_app.settings.data_dir / FEEDBACK_FILE).read_bytes()

    statuses = probe_every_route(public_app)

    assert len(statuses) > 200  # every route, every hostile value, every handler index
    assert knowledge_state(public_app) == before
    assert (public_app.settings.data_dir / FEEDBACK_FILE).read_bytes() == feedback
    assert _sensitive_reads(statuses, public_app) == []
    _still_answers(public_app)


def test_public_app_accepts_no_uploads(public_app: App) -> None:
    response = httpx.post(
        f"{public_app.url}/gradio_api/upload",
        files=[("files", ("../notice.txt", "罗湖区通知".encode(), "text/plain"))],
        timeout=30,
    )
    assert response.status_code == 404


def test_public_chat_cannot_call_admin_functions_by_name(public_app: App) -> None:
    client = Client(public_app.url, verbose=False)
    for name in ADMIN_APIS:
        with pytest.raises(Exception, match=r"(?i)api_name|endpoint|not found|Cannot find"):
            client.predict(PASSWORD, None, api_name=f"/{name}")


# ---------------------------------------------------------------------------- with a password


def test_admin_endpoints_reject_wrong_or_missing_passwords(admin_app: App, tmp_path: Path) -> None:
    before = knowledge_state(admin_app)
    upload = tmp_path / "通知.txt"
    upload.write_text("罗湖区课后服务通知\n\n一、学校每周开展课后服务五天。", encoding="utf-8")
    client = Client(admin_app.url, verbose=False)
    for password in WRONG_PASSWORDS:
        status, _, _ = client.predict(password, handle_file(str(upload)), api_name="/admin_upload")
        assert status == "❌ 管理密码错误，未做任何更改。", status
        status, _, _ = client.predict(password, "admission-guide", api_name="/admin_delete")
        assert status == "❌ 管理密码错误，未做任何更改。", status
        status, _, _ = client.predict(password, api_name="/admin_reindex")
        assert status == "❌ 管理密码错误，未做任何更改。", status
    assert knowledge_state(admin_app) == before
    # the right password works (so the refusals above are the password check's doing)
    status, _, _ = client.predict(PASSWORD, api_name="/admin_reindex")
    assert status.startswith("✅ 索引已更新") and "未变 3" in status
    assert knowledge_state(admin_app) == before


def test_admin_handlers_check_the_password_themselves(admin_app: App, tmp_path: Path) -> None:
    """Called directly (as any route that reached them would), without the password."""
    admin = Admin(admin_app.assistant, admin_app.settings)
    before = knowledge_state(admin_app)
    upload = tmp_path / "new.txt"
    upload.write_text("罗湖区新文件\n\n第一条 内容。", encoding="utf-8")
    started = time.perf_counter()
    for call in (
        lambda: admin.upload(None, str(upload), progress=lambda *a, **k: None),  # type: ignore[arg-type]
        lambda: admin.delete("", "admission-guide", progress=lambda *a, **k: None),  # type: ignore[arg-type]
        lambda: admin.reindex("guess", progress=lambda *a, **k: None),  # type: ignore[arg-type]
    ):
        status, _, _ = call()
        assert status == "❌ 管理密码错误，未做任何更改。"
    assert time.perf_counter() - started >= 3.0  # each wrong guess costs a second
    assert knowledge_state(admin_app) == before


def test_no_other_route_of_the_admin_app_changes_the_knowledge_base(admin_app: App) -> None:
    before = knowledge_state(admin_app)
    statuses = probe_every_route(admin_app)
    assert len(statuses) > 200
    assert knowledge_state(admin_app) == before
    assert _sensitive_reads(statuses, admin_app) == []
    _still_answers(admin_app)


def test_admin_app_limits_upload_size_at_the_route(admin_app: App) -> None:
    big = b"x" * (admin_app.settings.max_upload_mb * 1024 * 1024 + 1024)
    response = httpx.post(
        f"{admin_app.url}/gradio_api/upload",
        files=[("files", ("big.txt", big, "text/plain"))],
        timeout=60,
    )
    assert response.status_code == 413


# ---------------------------------------------------------------------------- listening address


def _listening(port: int) -> set[str]:
    """Addresses with a socket in LISTEN state on `port`, from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] != "0A" or int(hex_port, 16) != port:
                continue
            if len(address) == 8:
                found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
            else:
                found.add("::" if set(address) == {"0"} else address)
    return found


def _start_app(env_overrides: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_ADMIN_PASSWORD": ""}
    env.pop("ASSISTANT_HOST", None)
    env.update(env_overrides, ASSISTANT_PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not _listening(port):
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "app.py exited")
        assert time.monotonic() < deadline, "app.py did not start listening"
        time.sleep(0.5)
    return proc, port


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    output, _ = proc.communicate(timeout=60)
    return output


@pytest.mark.model
def test_app_listens_on_loopback_by_default_and_logs_no_personal_numbers(
    real_settings: Settings, real_index: object
) -> None:
    proc, port = _start_app({}, real_settings.data_dir)
    try:
        assert _listening(port) == {"127.0.0.1"}
        question = (
            "我的电话是 138-1234-5678，孩子身份证 440303201501011234，罗湖区要新增多少公办义务教育学位？"
        )
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": question}]},
            timeout=120,
        )
        assert response.status_code == 200 and "3.3万" in response.text
    finally:
        output = _stop(proc)
    assert "answered in" in output and "138****5678" in output and "4403**********1234" in output
    for raw in ("138-1234-5678", "13812345678", "440303201501011234"):
        assert raw not in output


@pytest.mark.model
def test_assistant_host_makes_it_listen_elsewhere(real_settings: Settings, real_index: object) -> None:
    proc, port = _start_app({"ASSISTANT_HOST": "0.0.0.0"}, real_settings.data_dir)
    try:
        assert _listening(port) == {"0.0.0.0"}
    finally:
        _stop(proc)


def test_host_defaults_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_HOST", raising=False)
    assert Settings().host == "127.0.0.1"
    monkeypatch.setenv("ASSISTANT_HOST", "0.0.0.0")
    assert Settings().host == "0.0.0.0"


# ---------------------------------------------------------------------------- masking

PHONES = {
    "13812345678": "138****5678",
    "138 1234 5678": "138****5678",
    "138-1234-5678": "138****5678",
    "+86 139 8765 4321": "139****4321",
    "+8615012345678": "150****5678",
    "0086-18612345678": "186****5678",
}
IDS = {
    "44030320150101123X": "4403**********123X",
    "44030320150101123x": "4403**********123x",
    "440303 20150101 1234": "4403**********1234",
    "440303-20150101-1234": "4403**********1234",
    "440303150101123": "4403*******1123",  # the old 15-digit form
}
KEPT = ["0755-12345678", "3.3万座", "2021—2023年", "第十九条", "12345678901234567890123"]


@pytest.mark.parametrize(("raw", "masked"), [*PHONES.items(), *IDS.items()])
def test_mask_personal_numbers(raw: str, masked: str) -> None:
    text = f"家长留言：{raw}，请回电。"
    assert mask_personal_numbers(text) == f"家长留言：{masked}，请回电。"


def test_masking_keeps_other_numbers() -> None:
    for text in KEPT:
        assert mask_personal_numbers(text) == text


def _personal_question(*numbers: str) -> str:
    return "幼儿园可以教授小学阶段的课程内容吗？我的联系方式：" + "，".join(numbers)


def _assert_masked(text: str, pairs: dict[str, str]) -> None:
    for raw, masked in pairs.items():
        assert raw not in text, raw
        assert masked in text, masked


def test_questions_are_logged_masked(admin_app: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    pairs = {**PHONES, **IDS}
    for raw in pairs:
        admin_app.assistant.ask(_personal_question(raw))
    response = httpx.post(
        f"{admin_app.url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": _personal_question(*pairs)}]},
        timeout=60,
    )
    assert response.status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "assistant.chain"]
    assert len(logged) == len(pairs) + 1
    for (raw, masked), message in zip(pairs.items(), logged, strict=False):
        assert message.startswith(("answered in", "refused (")), message
        _assert_masked(message, {raw: masked})
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for raw in pairs:
        assert raw not in everything


def test_feedback_is_stored_masked(admin_app: App, tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / FEEDBACK_FILE)
    chat = Chat(admin_app.assistant, admin_app.settings, store)
    *_, (_, messages, records) = chat.respond(_personal_question(*PHONES, *IDS), [])
    chat.like(records, gr.LikeData(None, {"index": 1, "value": messages[1], "liked": True}))
    (record,) = store.all()
    _assert_masked(record.question, {**PHONES, **IDS})
    with sqlite3.connect(tmp_path / FEEDBACK_FILE) as db:
        dump = repr(db.execute("SELECT * FROM feedback").fetchall())
    for raw in [*PHONES, *IDS]:
        assert raw not in dump
