"""The web UI, served for real (uvicorn on a loopback port) and driven with gradio_client;
the chat handler, feedback store and upload checks also as plain functions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import small_assistant
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from assistant.chain import Assistant
from assistant.documents.errors import DocumentError
from assistant.settings import Settings
from assistant.web.admin import safe_filename
from assistant.web.chat import Chat
from assistant.web.feedback import FeedbackStore, mask_personal_numbers
from assistant.web.render import render_messages
from assistant.web.ui import build_app
from tests.serving import RunningServer

pytestmark = pytest.mark.model

QUESTION = "罗湖区要新增多少公办义务教育学位？"
XSS = "<img src=x onerror=alert(1)>学位够吗？"
PASSWORD = "test-admin-密码"


@pytest.fixture(scope="module")
def ui_settings(public_settings: Settings) -> Settings:
    """The settings the module's `server` runs with (real knowledge base, no password)."""
    return public_settings


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Client:
    return Client(server.url, verbose=False)


# ---------------------------------------------------------------------------- /ask


def test_ask_endpoint_returns_the_contract(client: Client) -> None:
    result = client.predict(QUESTION, "[]", api_name="/ask")
    assert list(result)[:4] == ["question", "answer", "refused", "citations"]
    assert result["question"] == QUESTION
    assert result["refused"] is False
    assert "3.3万" in result["answer"]
    first = result["citations"][0]
    assert {"doc_id", "title", "section", "text", "score", "number", "quote"} <= set(first)
    assert first["doc_id"] == "luohu-action-plan"
    assert "3.3万" in first["text"]


def test_ask_endpoint_takes_history(client: Client) -> None:
    first = client.predict(QUESTION, "[]", api_name="/ask")
    history = json.dumps([[QUESTION, first["answer"]]], ensure_ascii=False)
    follow_up = client.predict("那幼儿园学位呢？", history, api_name="/ask")
    assert follow_up["standalone_question"] != "那幼儿园学位呢？"
    assert "幼儿园" in follow_up["standalone_question"]
    assert follow_up["citations"]


def test_ask_endpoint_rejects_an_empty_question_in_chinese(client: Client) -> None:
    with pytest.raises(AppError, match="请输入您的问题"):
        client.predict("   ", "[]", api_name="/ask")


# ---------------------------------------------------------------------------- chat


def test_chat_endpoint_streams_the_answer_with_citations(client: Client) -> None:
    job = client.submit(QUESTION, api_name="/chat")
    job.result(timeout=300)
    updates = job.outputs()
    assert len(updates) >= 3, "expected the question, partial answers, then the final answer"
    _, messages = updates[-1]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    answer = _text(messages[-1])
    assert "3.3万" in answer
    assert '<details class="luohu-cite">' in answer
    assert "<mark>" in answer
    partial = _text(updates[1][1][-1])
    assert len(partial) < len(answer)


def _text(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def test_chat_handler_escapes_questions_and_keeps_history(
    real_assistant: Assistant, ui_settings: Settings, tmp_path: Path
) -> None:
    chat = Chat(real_assistant, ui_settings, FeedbackStore(tmp_path / "fb.sqlite3"))
    *_, (box, messages, records) = chat.respond(XSS, [])
    assert box == ""
    assert "<img" not in messages[0]["content"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in messages[0]["content"]
    assert records[0]["question"] == XSS  # raw text kept for history and feedback
    *_, (_, messages, records) = chat.respond(QUESTION, records)
    assert len(messages) == 4 and len(records) == 2
    assert Chat.history(records)[1][0] == QUESTION
    for message in messages:
        assert "<img" not in message["content"]


def test_chat_handler_answers_empty_and_too_long_questions_kindly(
    real_assistant: Assistant, ui_settings: Settings, tmp_path: Path
) -> None:
    chat = Chat(real_assistant, ui_settings, FeedbackStore(tmp_path / "fb.sqlite3"))
    *_, (_, messages, records) = chat.respond("   ", [])
    assert "请输入您的问题" in messages[-1]["content"]
    too_long = "学" * (ui_settings.max_question_chars + 1)
    *_, (_, messages, records) = chat.respond(too_long, records)
    assert "超过了" in messages[-1]["content"] and "请精简后再问" in messages[-1]["content"]
    assert Chat.history(records) == []  # notices are not conversation turns


def test_rendered_citation_escapes_document_text() -> None:
    record = {
        "question": "q",
        "answer": "答 <script>alert(1)</script> [1]",
        "citations": [
            {
                "number": 1,
                "title": "<b>标题</b>",
                "issuer": "罗湖区",
                "date": "2016-03-15",
                "status": "historical",
                "section": "一 > 二",
                "text": "前文<i>。新增学位3.3万座。后文",
                "quote": "新增学位3.3万座。",
            }
        ],
    }
    html = render_messages([record])[1]["content"]
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "<mark>新增学位3.3万座。</mark>" in html
    assert "历史文件" in html and "2016-03-15" in html and "一 &gt; 二" in html
    assert "\n\n" not in html.split("\n\n", 1)[1]  # the HTML block has no blank line


# ---------------------------------------------------------------------------- feedback


def test_mask_personal_numbers() -> None:
    text = "电话13812345678，身份证44030319900101123X，另一个440303199001011234。座机0755-12345678"
    masked = mask_personal_numbers(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "44030319900101123X" not in masked and "4403**********123X" in masked
    assert "440303199001011234" not in masked
    assert "0755-12345678" in masked  # not a mobile number


def test_feedback_store_masks_before_writing(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    citations = [{"number": 1, "title": "《方案》", "text": "咨询 13912345678"}]
    store.add("我的电话13812345678，孩子身份证440303201501011234", "回答", citations, "up")
    raw = sqlite3.connect(tmp_path / "fb.sqlite3").execute("SELECT * FROM feedback").fetchall()
    dump = json.dumps(raw, ensure_ascii=False)
    assert "13812345678" not in dump and "440303201501011234" not in dump and "13912345678" not in dump
    (record,) = store.all()
    assert record.vote == "up" and "138****5678" in record.question
    assert record.citations[0]["title"] == "《方案》" and record.created_at


def _write_feedback(path: str, replica: int, count: int) -> None:
    store = FeedbackStore(Path(path))
    for i in range(count):
        store.add(f"副本{replica}的问题{i}", "回答", [], "up")


def test_feedback_from_two_processes_sharing_one_file_is_all_kept(tmp_path: Path) -> None:
    """Replicas on one host share the data dir's feedback file."""
    import multiprocessing

    path = tmp_path / "fb.sqlite3"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_feedback, args=(str(path), n, 40)) for n in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    questions = [r.question for r in FeedbackStore(path).all()]
    assert sorted(questions) == sorted(f"副本{n}的问题{i}" for n in range(2) for i in range(40))
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_like_event_stores_the_liked_answer(
    real_assistant: Assistant, ui_settings: Settings, tmp_path: Path
) -> None:
    import gradio as gr

    store = FeedbackStore(tmp_path / "fb.sqlite3")
    chat = Chat(real_assistant, ui_settings, store)
    *_, (_, messages, records) = chat.respond("我是13812345678的家长，" + QUESTION, [])
    chat.like(records, gr.LikeData(None, {"index": 1, "value": messages[1], "liked": False}))
    (record,) = store.all()
    assert record.vote == "down"
    assert "138****5678" in record.question and "13812345678" not in record.question
    assert "3.3万" in record.answer and record.citations


# ---------------------------------------------------------------------------- admin


def test_admin_ui_is_absent_without_a_password(client: Client, server: RunningServer) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/ask" in endpoints and "/chat" in endpoints
    assert not any(name.startswith("/admin") for name in endpoints)
    config = httpx.get(f"{server.url}/config", timeout=30).json()
    ids = [c.get("props", {}).get("elem_id") or "" for c in config["components"]]
    assert "docs-table" in ids
    assert not any(i.startswith("admin") for i in ids)
    assert all(c.get("props", {}).get("type") != "password" for c in config["components"])


@pytest.fixture(scope="module")
def admin_setup(
    tmp_path_factory: pytest.TempPathFactory, serve_app: Any
) -> Iterator[tuple[Settings, RunningServer]]:
    """A password-protected app over a small knowledge folder of its own (HashEmbedder), so
    uploads and deletions never touch the real knowledge base or the shared index."""
    settings, _, assistant = small_assistant(tmp_path_factory.mktemp("admin"), admin_password=PASSWORD)
    running = serve_app(assistant, settings)
    yield settings, running
    running.stop()


def test_admin_ui_is_present_with_a_password(admin_setup: tuple[Settings, RunningServer]) -> None:
    _, running = admin_setup
    endpoints = Client(running.url, verbose=False).view_api(print_info=False, return_format="dict")
    assert {"/admin_upload", "/admin_delete", "/admin_reindex"} <= set(endpoints["named_endpoints"])


def test_wrong_password_is_rejected(admin_setup: tuple[Settings, RunningServer], tmp_path: Path) -> None:
    settings, running = admin_setup
    before = sorted(p.name for p in settings.knowledge_dir.iterdir())
    upload = tmp_path / "note.txt"
    upload.write_text("罗湖区测试通知：本文件不应被保存。", encoding="utf-8")
    client = Client(running.url, verbose=False)
    status, _, _ = client.predict("wrong", handle_file(str(upload)), api_name="/admin_upload")
    assert "密码错误" in status
    status, _, _ = client.predict("", api_name="/admin_reindex")
    assert "密码错误" in status
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == before


def test_upload_with_a_traversal_name_stays_inside_the_knowledge_dir(
    admin_setup: tuple[Settings, RunningServer],
) -> None:
    settings, running = admin_setup
    body = "罗湖区课后服务测试通知\n\n一、学校每周开展课后托管服务五天，家长自愿参加。".encode()
    # Upload through Gradio's own route under a hostile name, then hand the file to /admin_upload.
    response = httpx.post(
        f"{running.url}/gradio_api/upload", files=[("files", ("../evil.txt", body, "text/plain"))], timeout=30
    )
    response.raise_for_status()
    (server_path,) = response.json()
    file_data = {"path": server_path, "orig_name": "../evil.txt", "meta": {"_type": "gradio.FileData"}}
    client = Client(running.url, verbose=False)
    status, docs, _ = client.predict(PASSWORD, file_data, api_name="/admin_upload")
    assert "✅" in status, status
    saved = settings.knowledge_dir / "evil.txt"
    assert saved.read_bytes() == body
    assert not (settings.knowledge_dir.parent / "evil.txt").exists()
    assert (settings.data_dir / "uploads" / "evil.txt").exists()
    assert "evil" in json.dumps(docs, ensure_ascii=False)

    status, docs, _ = client.predict(PASSWORD, "evil", api_name="/admin_delete")
    assert "✅" in status and not saved.exists()
    assert "evil" not in json.dumps(docs, ensure_ascii=False)


def test_upload_replaces_a_document_of_the_same_name(
    admin_setup: tuple[Settings, RunningServer], tmp_path: Path
) -> None:
    settings, running = admin_setup
    new_version = tmp_path / "admission-guide.txt"
    new_version.write_text(
        "罗湖区小学一年级入学申请指南（修订）\n\n一、网上申请时间为每年五月。", encoding="utf-8"
    )
    client = Client(running.url, verbose=False)
    status, _, _ = client.predict(PASSWORD, handle_file(str(new_version)), api_name="/admin_upload")
    assert "已替换" in status and "更新 1" in status, status
    assert (settings.knowledge_dir / "admission-guide.txt").read_text(encoding="utf-8").endswith("每年五月。")
    status, _, _ = client.predict(PASSWORD, api_name="/admin_reindex")
    assert "✅" in status and "未变" in status


def test_upload_rejects_unsupported_and_disguised_files(
    admin_setup: tuple[Settings, RunningServer], tmp_path: Path
) -> None:
    settings, running = admin_setup
    client = Client(running.url, verbose=False)
    script = tmp_path / "run.sh"
    script.write_text("rm -rf /", encoding="utf-8")
    status, _, _ = client.predict(PASSWORD, handle_file(str(script)), api_name="/admin_upload")
    assert "不支持的文件类型" in status
    fake_pdf = tmp_path / "通知.pdf"
    fake_pdf.write_text("这不是 PDF", encoding="utf-8")
    status, _, _ = client.predict(PASSWORD, handle_file(str(fake_pdf)), api_name="/admin_upload")
    assert "不符" in status
    assert (
        not (settings.knowledge_dir / "run.sh").exists()
        and not (settings.knowledge_dir / "通知.pdf").exists()
    )


def test_safe_filename() -> None:
    assert safe_filename("../evil.txt") == "evil.txt"
    assert safe_filename("..\\..\\windows\\通知 2024.DOCX") == "通知_2024.docx"
    assert safe_filename("/etc/.hidden.md") == "hidden.md"
    assert safe_filename("...txt") == "upload.txt"
    for bad in ("/etc/passwd", "manifest.toml", "x.txt.exe"):
        with pytest.raises(DocumentError):
            safe_filename(bad)


def test_build_app_without_password_has_no_admin_blocks(
    real_assistant: Assistant, ui_settings: Settings
) -> None:
    demo = build_app(real_assistant, ui_settings)
    names = {dep.get("api_name") for dep in demo.config["dependencies"]}
    assert "ask" in names and not any(str(n).startswith("admin") for n in names)


def test_a_refusal_lists_the_nearest_passages_once_with_their_sentence() -> None:
    from assistant.web.render import render_answer

    record = {
        "question": "明天会下雨吗？",
        "answer": "抱歉，现有的政策文件中没有能回答这个问题的内容。\n与问题最接近的相关内容，供参考：\n[1] 《罗湖区行动方案》 提高学生健康素质",
        "refused": True,
        "reason": "no_support",
        "citations": [
            {
                "number": 1,
                "title": "罗湖区行动方案",
                "section": "提高学生健康素质",
                "text": "义务教育阶段学校设置每天1节体育与健康课。开展阳光体育活动。",
                "quote": "义务教育阶段学校设置每天1节体育与健康课。",
                "status": "current",
            }
        ],
    }
    html_text = render_answer(record)
    assert html_text.count("《罗湖区行动方案》") == 1  # not once in the text and again in the cards
    assert "供参考" not in html_text
    summary = html_text.split("<summary>", 1)[1].split("</summary>", 1)[0]
    assert "义务教育阶段学校设置每天1节体育与健康课" in summary  # visible without a click


def test_a_partial_answer_keeps_its_quote_and_sources() -> None:
    from assistant.web.render import render_answer

    record = {
        "question": "保育费每月多少钱？",
        "answer": "文件没有写明具体数字。最接近的规定：\n收费标准应当向家长公示。 [1]",
        "refused": True,
        "reason": "not_stated",
        "citations": [
            {"number": 1, "title": "条例", "section": "第二十条", "text": "收费标准应当向家长公示。"}
        ],
    }
    html_text = render_answer(record)
    assert html_text.startswith("文件没有写明具体数字")
    assert "收费标准应当向家长公示。 \\[1\\]" in html_text
