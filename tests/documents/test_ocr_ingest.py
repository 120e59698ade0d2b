"""OCR on real scans (shared/sources_new/scans beside the repository: a failing test, not
a skipped one, when they are missing) and through the ingest and the admin upload."""

from __future__ import annotations

from pathlib import Path

from scan_images import NOTICE, png, read_calls, text_image
from scan_images import squeeze as _squeeze
from scan_images import unlisted as _unlisted

from assistant.documents import ocr, scans
from assistant.documents.loaders import load_bytes
from assistant.documents.pipeline import prepare_document

__all__ = ["read_calls"]  # the fixture, used by name


SCANS = Path(__file__).resolve().parents[2].parent / "shared" / "sources_new" / "scans"
DONGGUAN = "dongguan_2016_dongshebao21_nonlocal_students_medical_insurance_scan.pdf"
GUANGDONG = "guangdong_2015_yuejiaokao14_migrant_children_gaokao_notice_scan.pdf"


def _real_scan(name: str) -> Path:
    path = SCANS / name
    assert path.is_file(), f"{path} missing: the real scans sit in shared/ beside the repository"
    return path


def test_real_scanned_notice_is_read_with_its_title_number_and_date(tmp_path: Path) -> None:
    from benchmarks.ocr_scans import cer, transcript_pages

    path = _real_scan(DONGGUAN)

    with scans.ocr_context(tmp_path / "cache"):
        loaded = load_bytes(path.read_bytes(), path.name)
        prepared = prepare_document(_unlisted(path))  # its pages from the cache

    assert prepared.meta.doc_number == "东社保〔2016〕21号"
    assert prepared.meta.date == "2016-03-16"
    assert prepared.meta.title.startswith("关于全面推开非本市户籍职工在莞就读子女参加社会基本医疗保险")
    assert {chunk.ocr_pages for chunk in prepared.chunks} <= {"1", "2", "1-2"}
    # Character error rate of page 1 against the hand transcription: at most 2 %.
    assert loaded.scan is not None
    page_one = dict(loaded.scan.pages)[1]
    errors, chars = cer(transcript_pages(path.with_suffix(".transcript.txt"))[1][1], page_one)
    assert errors / chars <= 0.02


def test_real_scan_page_stored_upright_under_a_rotation_is_turned_back() -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(_real_scan(GUANGDONG)))
    page = document[6]  # page 7: /Rotate 270 on an image stored upright
    assert page.get_rotation() == 270
    image = page.render(scale=150 / 72).to_pil()
    assert image.height > image.width  # rendered as /Rotate says: the landscape table lies sideways
    # The page's top third (heading and table head), still lying as rendered: fewer pixels to read.
    upright = image.rotate(-90, expand=True)
    strip = upright.crop((0, 0, upright.width, upright.height // 3)).rotate(90, expand=True)

    read = ocr.read_page(strip)

    assert read.angle == 90 and read.confidence > 0.9
    assert "认定类别" in _squeeze(read.text) or "报名资格" in _squeeze(read.text)


# --- through the ingest: progress, other files unaffected, no second reading ----------------


def test_ingest_reads_a_scan_with_progress_beside_a_bad_image_and_never_twice(
    tmp_path: Path, read_calls: list[int]
) -> None:
    from fakes import HashEmbedder, make_knowledge

    from assistant.index import KnowledgeIndex
    from assistant.settings import Settings

    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "kb",
        embedding_model="hash-test",
        chroma_host=None,
    )
    make_knowledge(settings.knowledge_dir, {"plan": "罗湖区学位建设方案\n\n新增公办学位八千个。"})
    (settings.knowledge_dir / "notice.png").write_bytes(png(text_image(NOTICE)))
    (settings.knowledge_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(64))
    index = KnowledgeIndex(settings, embedder=HashEmbedder())
    shown: list[str] = []

    report = index.ingest(progress=lambda fraction, desc: shown.append(desc))

    assert report.failed == {"broken.jpg": "图片文件已损坏或格式无法识别，无法读取。"}
    assert sorted(report.added) == ["notice", "plan"]
    assert "识别《notice.png》第 1/1 页" in shown
    _, _, metas = index.all_chunks()
    scanned = [m for m in metas if m["doc_id"] == "notice"]
    assert scanned and all(m["ocr_pages"] == "1" for m in scanned)
    assert all("ocr_pages" not in m for m in metas if m["doc_id"] == "plan")
    assert scanned[0]["doc_number"] == "罗教〔2024〕5号"
    # The document list (`docs`, the admin's table) says how surely the scan was read.
    listed = {d.doc_id: d for d in index.documents()}
    assert float(listed["notice"].ocr_confidence) >= 0.9 and listed["plan"].ocr_confidence == ""

    index.ingest(rebuild=True)  # a full rebuild: the scan's pages come from the cache
    assert len(read_calls) == 1


def test_admin_upload_of_a_scan_shows_page_progress_and_what_was_detected(
    tmp_path: Path, read_calls: list[int]
) -> None:
    from fakes import small_assistant

    from assistant.web.admin import Admin, document_rows

    settings, _, assistant = small_assistant(tmp_path, admin_password="pw-1")
    upload = tmp_path / "notice.png"
    upload.write_bytes(png(text_image(NOTICE)))
    shown: list[str] = []

    status, _, _ = Admin(assistant, settings).upload(
        "pw-1",
        str(upload),
        progress=lambda fraction, desc="": shown.append(desc),  # type: ignore[arg-type]
    )

    assert status.startswith("✅ 已上传 notice.png。")
    assert "罗教〔2024〕5号" in status
    assert "识别《notice.png》第 1/1 页" in shown
    assert len(read_calls) == 1  # the upload's check read the page; the ingest took it from the cache
    rows = {row[0]: row for row in document_rows(assistant)}
    assert rows["notice"][4].startswith("现行（扫描件，识别置信度 ")
    assert all(row[4] in ("现行", "历史文件") for doc_id, row in rows.items() if doc_id != "notice")
