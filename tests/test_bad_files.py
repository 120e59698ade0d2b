"""Bad and unusual files, through an ingest of the knowledge folder and through the admin
upload: each is indexed (and can be found) or refused with a specific Chinese message,
and a refused file leaves every other chunk of the index exactly as it was."""

from __future__ import annotations

import io
import json
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge, nearest_chunks, small_assistant
from gradio_client import Client, handle_file
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from assistant.chain import Assistant
from assistant.documents.manifest import doc_id_for
from assistant.index import KnowledgeIndex
from assistant.settings import Settings
from assistant.web.admin import Admin
from assistant.web.render import escape_text
from tests.serving import RunningServer

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
PASSWORD = "文件管理-Files-1"
LIMIT_MB = 1

PDF_SENTENCE = "罗湖区新建公办幼儿园十二所，新增学前教育学位三千六百个。"
GBK_SENTENCE = "罗湖区教育局通知：各中小学每学期开展两次消防安全疏散演练。"
UTF16_SENTENCE = "罗湖区各学校每天安排学生校园体育活动不少于一小时。"
DOCX_ROW = "新增公办学位 | 0.8万个 | 2025年"
CHINESE_NAME_SENTENCE = "罗湖区中小学午餐配送实行食品安全责任追究制度。"

MESSAGES = {
    "corrupt.pdf": "PDF 文件已损坏或格式不正确，无法读取。",
    "encrypted.pdf": "PDF 文件已加密，无法读取，请提供未加密的版本。",
    "scanned.pdf": "扫描件共 1 页，均未识别出文字（可能是空白页或图片过于模糊）。",
    "empty.txt": "文件为空（0 字节），请检查后重新上传。",
    "huge.txt": "文件太大（1.5 MB），上限为 1 MB。",
    "setup.exe": "不支持的文件类型 .exe，支持：.txt .md .html .mht .pdf .docx .doc .rtf .xlsx .xls .png .jpg .jpeg .tif .tiff",
    "report.pdf.txt": "文件内容与扩展名 .txt 不符。",
    "letter.docx": "旧版 Word 文件《letter.docx》已损坏或无法读取，请在 Word 中另存为 .docx 后重新上传。",
    "binary.txt": "无法识别文件编码，请另存为 UTF-8 后重新上传。",
}
GOOD = {
    "plan.pdf": PDF_SENTENCE,
    "notice-gbk.txt": GBK_SENTENCE,
    "sport-utf16.txt": UTF16_SENTENCE,
    "targets.docx": DOCX_ROW,
    "午餐配送通知.txt": CHINESE_NAME_SENTENCE,
}


# ---------------------------------------------------------------------------- the files


def _pdf(lines: list[str], **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, **kwargs)
    pdf.setFont(FONT, 12)
    for number, line in enumerate(lines):
        pdf.drawString(60, 760 - 20 * number, line)
    pdf.save()
    return buffer.getvalue()


def _image_only_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for row in range(20):  # a "scanned page": shapes, no text
        pdf.rect(60, 760 - 30 * row, 400 - 10 * row, 12, fill=1)
    pdf.save()
    return buffer.getvalue()


def _docx_with_table() -> bytes:
    document = docx.Document()
    document.add_heading("罗湖区学位建设目标表", level=1)
    document.add_paragraph("一、总体目标：扩大公办学位供给。")
    table = document.add_table(rows=2, cols=3)
    for column, text in enumerate(["指标", "目标值", "完成时间"]):
        table.cell(0, column).text = text
    for column, text in enumerate(["新增公办学位", "0.8万个", "2025年"]):
        table.cell(1, column).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bad_files() -> dict[str, bytes]:
    good_pdf = _pdf(["罗湖区教育局关于学位建设的通知", PDF_SENTENCE])
    return {
        "corrupt.pdf": good_pdf[: len(good_pdf) // 2],
        "encrypted.pdf": _pdf(["加密的文件内容，不能被读取。"] * 3, encrypt="secret"),
        "scanned.pdf": _image_only_pdf(),
        "empty.txt": b"",
        "huge.txt": ("罗湖区" * 200 + "\n").encode() * 874,  # 1.5 MB of real text
        "setup.exe": b"MZ\x90\x00" + bytes(200),
        "report.pdf.txt": good_pdf,  # a PDF with a .txt name
        "letter.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),  # a damaged old .doc, renamed
        "binary.txt": bytes(range(256)) * 8,
    }


def good_files() -> dict[str, bytes]:
    return {
        "plan.pdf": _pdf(["罗湖区教育局关于学位建设的通知", PDF_SENTENCE]),
        "notice-gbk.txt": ("罗湖区教育局通知\n\n" + GBK_SENTENCE).encode("gbk"),
        "sport-utf16.txt": ("罗湖区学校体育通知\r\n\r\n" + UTF16_SENTENCE).encode("utf-16"),
        "targets.docx": _docx_with_table(),
        "午餐配送通知.txt": ("罗湖区学校午餐配送通知\n\n" + CHINESE_NAME_SENTENCE).encode(),
    }


def test_the_bad_files_are_what_they_claim() -> None:
    files = bad_files()
    assert len(files["huge.txt"]) / (1024 * 1024) == pytest.approx(1.5, abs=0.05)
    assert files["encrypted.pdf"].startswith(b"%PDF") and b"/Encrypt" in files["encrypted.pdf"]
    assert files["scanned.pdf"].startswith(b"%PDF") and files["report.pdf.txt"].startswith(b"%PDF")
    assert set(files) == set(MESSAGES)


# ---------------------------------------------------------------------------- helpers


def index_state(index: KnowledgeIndex, exclude: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    """(chunk id, text, metadata) of every chunk, except those of the `exclude` documents."""
    ids, documents, metas = index.all_chunks()
    rows = zip(ids, documents, metas, strict=True)
    return sorted((i, d, json.dumps(m, sort_keys=True)) for i, d, m in rows if m["doc_id"] not in exclude)


def nearest_doc(index: KnowledgeIndex, sentence: str) -> tuple[str, str]:
    """doc_id and text of the chunk nearest to `sentence`."""
    (chunk_id, _), *_ = nearest_chunks(index, HashEmbedder().embed_query(sentence).tolist(), 1)
    ids, documents, metas = index.all_chunks()
    at = ids.index(chunk_id)
    return str(metas[at]["doc_id"]), documents[at]


@pytest.fixture
def kb(settings_factory: Callable[..., Settings]) -> tuple[Settings, KnowledgeIndex]:
    settings = settings_factory(max_upload_mb=LIMIT_MB, admin_password=PASSWORD)
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, embedder=HashEmbedder())
    assert not index.ingest().failed
    return settings, index


# ---------------------------------------------------------------------------- ingest


def test_ingest_refuses_each_bad_file_with_its_message_and_keeps_the_rest(
    kb: tuple[Settings, KnowledgeIndex],
) -> None:
    settings, index = kb
    before = index_state(index)
    active = index.active_name()
    for name, data in bad_files().items():
        (settings.knowledge_dir / name).write_bytes(data)

    report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()

    assert report.failed == MESSAGES
    assert not report.changed and report.unchanged == sorted(SAMPLE_DOCS)
    assert index.active_name() == active
    assert index_state(index) == before


def test_ingest_reads_good_unusual_files_next_to_bad_ones(kb: tuple[Settings, KnowledgeIndex]) -> None:
    settings, index = kb
    before = index_state(index)
    for name, data in {**bad_files(), **good_files()}.items():
        (settings.knowledge_dir / name).write_bytes(data)

    report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()

    assert report.failed == MESSAGES
    added = {doc_id_for(Path(name)) for name in GOOD}
    assert sorted(report.added) == sorted(added)
    assert index_state(index, exclude=added) == before  # the others, byte for byte
    for name, sentence in GOOD.items():
        doc_id, text = nearest_doc(index, sentence)
        assert doc_id == doc_id_for(Path(name)), name
        assert sentence in text, (name, text)
    titles = {d.doc_id: d.title for d in index.documents()}
    assert titles[doc_id_for(Path("午餐配送通知.txt"))] == "罗湖区学校午餐配送通知"


def test_a_file_that_goes_bad_keeps_its_last_good_version(kb: tuple[Settings, KnowledgeIndex]) -> None:
    settings, index = kb
    before = index_state(index)
    target = settings.knowledge_dir / "labor-education.txt"
    for damage in (b"", bad_files()["huge.txt"], bad_files()["binary.txt"]):
        target.write_bytes(damage)
        report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()
        assert list(report.failed) == ["labor-education.txt"]
        assert "labor-education" in report.unchanged
        assert index_state(index) == before


# A stage raising on one file: that file fails, with its stage named; the rest is indexed.
BROKEN_MARK = "本文件触发解析故障"
STAGE_ERRORS = {
    "load": ("load_document", ValueError("'plan' is not in list")),
    "clean": ("clean_web_text", IndexError("list index out of range")),
    "structure": ("parse_sections", ValueError("'plan' is not in list")),
    "chunk": ("chunk_sections", KeyError("section")),
}


def _raising_on_mark(real: Callable[..., Any], stage: str, error: Exception) -> Callable[..., Any]:
    """`real`, except that it raises `error` for the files that carry BROKEN_MARK."""

    def step(*args: Any, **kwargs: Any) -> Any:
        subject = args[-1] if stage == "chunk" else args[0]  # chunk_sections(meta, sections)
        if stage == "load":
            subject = Path(subject).read_bytes().decode("utf-8", errors="replace")
        elif stage == "chunk":
            subject = "".join(s.text for s in subject)
        if BROKEN_MARK in subject:
            raise error
        return real(*args, **kwargs)

    return step


@pytest.mark.parametrize("stage", list(STAGE_ERRORS))
def test_a_stage_that_raises_fails_only_its_file(
    kb: tuple[Settings, KnowledgeIndex], monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    import assistant.documents.pipeline as pipeline

    settings, index = kb
    before = index_state(index, exclude={"admission-guide"})
    name, error = STAGE_ERRORS[stage]
    monkeypatch.setattr(pipeline, name, _raising_on_mark(getattr(pipeline, name), stage, error))
    folder = settings.knowledge_dir
    # An indexed file that now breaks, a new file that breaks, and two good changes.
    labor = folder / "labor-education.txt"
    labor.write_text(labor.read_text(encoding="utf-8") + f"\n\n四、{BROKEN_MARK}。", encoding="utf-8")
    (folder / "broken-new.txt").write_text(f"罗湖区测试通知\n\n{BROKEN_MARK}。", encoding="utf-8")
    (folder / "notice-gbk.txt").write_bytes(good_files()["notice-gbk.txt"])
    guide = folder / "admission-guide.txt"
    guide.write_text(
        guide.read_text(encoding="utf-8") + "\n\n第四条 学位申请结果于七月公布。", encoding="utf-8"
    )

    report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()

    verb = pipeline.STAGES[stage][1]
    assert report.failed == {
        "labor-education.txt": f"文件《labor-education.txt》{verb}时出错（{type(error).__name__}），"
        "未能收录；其他文件不受影响。已保留上次收录的版本。",
        "broken-new.txt": f"文件《broken-new.txt》{verb}时出错（{type(error).__name__}），未能收录；其他文件不受影响。",
    }
    assert report.added == ["notice-gbk"] and report.updated == ["admission-guide"]
    assert "labor-education" in report.unchanged
    assert index_state(index, exclude={"admission-guide", "notice-gbk"}) == before  # old labor kept
    assert nearest_doc(index, GBK_SENTENCE)[0] == "notice-gbk"
    assert any("七月公布" in text for text in index.all_chunks()[1])
    assert all(BROKEN_MARK not in text for text in index.all_chunks()[1])


def test_an_unreadable_file_fails_alone(
    kb: tuple[Settings, KnowledgeIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.indexing.plan as plan_module

    settings, index = kb
    before = index_state(index)
    real_hash = plan_module.content_hash

    def content_hash(meta: Any, embedder: str) -> str:
        if meta.path.name == "labor-education.txt":
            raise PermissionError(13, "Permission denied")
        return real_hash(meta, embedder)

    monkeypatch.setattr(plan_module, "content_hash", content_hash)
    report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()
    assert list(report.failed) == ["labor-education.txt"]
    assert "无法读取" in report.failed["labor-education.txt"]
    assert "labor-education" in report.unchanged
    assert index_state(index) == before


def test_manifest_cannot_point_outside_the_knowledge_folder(kb: tuple[Settings, KnowledgeIndex]) -> None:
    settings, index = kb
    outside = settings.knowledge_dir.parent / "secret.txt"
    outside.write_text("机密文件：不应进入知识库。", encoding="utf-8")
    with (settings.knowledge_dir / "manifest.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[documents.secret]\nfile = "../secret.txt"\ntitle = "机密"\n')
    report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()
    assert not report.changed and report.failed == {}
    assert all("机密" not in text for text in index.all_chunks()[1])


# ---------------------------------------------------------------------------- admin upload


@dataclass
class Uploader:
    settings: Settings
    index: KnowledgeIndex
    admin: Admin
    folder: Path

    def upload(self, name: str, data: bytes) -> str:
        path = self.folder / name
        path.write_bytes(data)
        status, _, _ = self.admin.upload(PASSWORD, str(path), progress=lambda *a, **k: None)  # type: ignore[arg-type]
        return status

    def knowledge_files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.settings.knowledge_dir.iterdir())}


@pytest.fixture
def uploader(kb: tuple[Settings, KnowledgeIndex], tmp_path: Path) -> Uploader:
    settings, index = kb
    folder = tmp_path / "incoming"
    folder.mkdir()
    return Uploader(settings, index, Admin(Assistant(settings, index), settings), folder)


@pytest.mark.parametrize("name", list(MESSAGES))
def test_upload_refuses_each_bad_file_with_its_message(uploader: Uploader, name: str) -> None:
    before, files = index_state(uploader.index), uploader.knowledge_files()
    status = uploader.upload(name, bad_files()[name])
    assert status == f"❌ 未上传：{MESSAGES[name]}"
    assert index_state(uploader.index) == before
    assert uploader.knowledge_files() == files
    assert not (uploader.settings.data_dir / "uploads").exists()


@pytest.mark.parametrize("name", list(GOOD))
def test_upload_indexes_each_good_unusual_file(uploader: Uploader, name: str) -> None:
    before = index_state(uploader.index)
    data = good_files()[name]  # PDFs carry a creation time: made once
    status = uploader.upload(name, data)
    assert status.startswith(f"✅ 已上传 {name}。索引已更新：新增 1，更新 0，删除 0，未变 3"), status
    doc_id = doc_id_for(Path(name))
    assert index_state(uploader.index, exclude={doc_id}) == before
    assert nearest_doc(uploader.index, GOOD[name])[0] == doc_id
    assert (uploader.settings.knowledge_dir / name).read_bytes() == data
    assert (uploader.settings.data_dir / "uploads" / name).read_bytes() == data


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("..\\..\\evil.txt", "evil.txt"),  # a backslash path is a legal file name here
        ("...txt", "upload.txt"),
        ("通知 (2024)；终稿.txt", "通知_(2024)_终稿.txt"),
    ],
)
def test_upload_names_cannot_leave_the_knowledge_folder(uploader: Uploader, name: str, saved: str) -> None:
    status = uploader.upload(name, "罗湖区测试通知\n\n一、本通知用于检验文件名。".encode())
    assert status.startswith(f"✅ 已上传 {escape_text(saved)}。"), status
    assert (uploader.settings.knowledge_dir / saved).is_file()
    root = uploader.settings.knowledge_dir.parent
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == []  # nothing beside the folder


# ---------------------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def admin_server(
    tmp_path_factory: pytest.TempPathFactory, serve_app: Any
) -> Iterator[tuple[Settings, RunningServer]]:
    settings, _, assistant = small_assistant(
        tmp_path_factory.mktemp("files-admin"), admin_password=PASSWORD, max_upload_mb=LIMIT_MB
    )
    running = serve_app(assistant, settings)
    yield settings, running
    running.stop()


def test_upload_over_http_refuses_and_accepts(
    admin_server: tuple[Settings, RunningServer], tmp_path: Path
) -> None:
    settings, running = admin_server
    client = Client(running.url, verbose=False)
    for name in ("scanned.pdf", "encrypted.pdf", "setup.exe"):
        path = tmp_path / name
        path.write_bytes(bad_files()[name])
        status, _, _ = client.predict(PASSWORD, handle_file(str(path)), api_name="/admin_upload")
        assert status == f"❌ 未上传：{MESSAGES[name]}"
    path = tmp_path / "notice-gbk.txt"
    path.write_bytes(good_files()["notice-gbk.txt"])
    status, docs, _ = client.predict(PASSWORD, handle_file(str(path)), api_name="/admin_upload")
    assert status.startswith("✅ 已上传 notice-gbk.txt"), status
    assert "罗湖区教育局通知" in json.dumps(docs, ensure_ascii=False)
    # a file over the limit never reaches the handler: Gradio's upload route refuses it
    response = httpx.post(
        f"{running.url}/gradio_api/upload",
        files=[("files", ("huge.txt", bad_files()["huge.txt"], "text/plain"))],
        timeout=60,
    )
    assert response.status_code == 413
    assert not (settings.knowledge_dir / "huge.txt").exists()


def test_a_one_sentence_notice_is_indexed(kb: tuple[Settings, KnowledgeIndex]) -> None:
    """A notice of one short sentence is its own title and its whole text: it is kept."""
    settings, index = kb
    sentence = "罗湖区某测试学校每周开设三节书法课。"
    (settings.knowledge_dir / "calligraphy.txt").write_text(sentence, encoding="utf-8")
    report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()
    assert report.failed == {} and report.added == ["calligraphy"]
    assert nearest_doc(index, sentence) == ("calligraphy", sentence)


# ---------------------------------------------------------------------------- metadata correction

NOTICE = (
    "罗湖区教育局关于做好2019年小学一年级招生工作的通知\n\n"
    "各学校：\n\n一、网上报名时间为4月1日至4月13日。\n\n罗湖区教育局\n2019年3月15日\n"
).encode()


def _correct(uploader: Uploader, doc_id: str, password: str = PASSWORD, **fields: str) -> str:
    values = {
        "title": "",
        "issuer": "",
        "date": "",
        "doc_number": "",
        "status": "current",
        "status_reason": "",
    }
    values.update(fields)
    status, _, _ = uploader.admin.correct(password, doc_id, **values, progress=lambda *a, **k: None)  # type: ignore[arg-type]
    return status


def test_upload_shows_the_metadata_detected_from_the_text(uploader: Uploader) -> None:
    status = uploader.upload("notice2019.txt", NOTICE)
    assert status.startswith("✅ 已上传 notice2019.txt。"), status
    assert "识别到的文件信息" in status
    assert "罗湖区教育局关于做好2019年小学一年级招生工作的通知" in status
    assert "2019-03-15" in status and "历史文件" in status  # a past intake's rules


def test_admin_correction_is_stored_in_the_manifest_and_wins_over_detection(uploader: Uploader) -> None:
    uploader.upload("notice2019.txt", NOTICE)
    doc_id = doc_id_for(Path("notice2019.txt"))
    detected = uploader.admin.detected(doc_id)
    assert detected["issuer"] == "罗湖区教育局"
    status = _correct(
        uploader,
        doc_id,
        title="2019年小一招生通知",
        issuer="深圳市罗湖区教育局",
        date="2019-03-15",
        status="current",
        status_reason="",
    )
    assert status.startswith("✅ 已更正《2019年小一招生通知》的文件信息。"), status
    documents = {d.doc_id: d for d in uploader.index.documents()}
    assert documents[doc_id].title == "2019年小一招生通知"
    assert documents[doc_id].issuer == "深圳市罗湖区教育局"
    assert documents[doc_id].status == "current"
    manifest = tomllib.loads((uploader.settings.knowledge_dir / "manifest.toml").read_text(encoding="utf-8"))
    assert manifest["documents"][doc_id]["file"] == "notice2019.txt"
    assert manifest["documents"][doc_id]["title"] == "2019年小一招生通知"
    assert len(manifest["documents"]) >= 2  # the other entries are kept


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "通知", "date": "2019年3月"}, "日期格式应为"),
        ({"title": "   "}, "标题不能为空"),
        ({"title": "通知", "status": "expired"}, "状态只能是"),
    ],
)
def test_a_bad_correction_changes_nothing_and_says_why(
    uploader: Uploader, fields: dict[str, str], message: str
) -> None:
    uploader.upload("notice2019.txt", NOTICE)
    doc_id = doc_id_for(Path("notice2019.txt"))
    manifest = uploader.settings.knowledge_dir / "manifest.toml"
    before_manifest = manifest.read_bytes() if manifest.exists() else None
    before = index_state(uploader.index)
    status = _correct(uploader, doc_id, **fields)
    assert status.startswith("❌ 未保存：") and message in status, status
    assert (manifest.read_bytes() if manifest.exists() else None) == before_manifest
    assert index_state(uploader.index) == before


def test_a_correction_with_the_wrong_password_changes_nothing(uploader: Uploader) -> None:
    uploader.upload("notice2019.txt", NOTICE)
    doc_id = doc_id_for(Path("notice2019.txt"))
    before = index_state(uploader.index)
    assert _correct(uploader, doc_id, password="wrong", title="改名") == "❌ 管理密码错误，未做任何更改。"
    assert index_state(uploader.index) == before
