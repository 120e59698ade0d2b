"""OCR of scanned pages and images: which pages need it, the engine's reading (orientation,
rows, columns), citations that say a passage was read from a scan, the cache, progress,
and bad input (a decompression bomb, a corrupt image, 500 blank pages, a failing page).
Real scans and the ingest/upload path: test_ocr_ingest.py.

Images are drawn with a CJK font (scan_images.py); PDFs with reportlab's STSong-Light CID
font. OCR runs for real, on small images."""

from __future__ import annotations

import io
import socket
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from scan_images import NOTICE, PDF_FONT, SCANNED_SENTENCE, TEXT_LAYER_SENTENCE, png, read_calls, text_image
from scan_images import squeeze as _squeeze
from scan_images import unlisted as _unlisted

from assistant.documents import ocr, scans
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_bytes
from assistant.documents.metadata import is_garbled
from assistant.documents.pipeline import prepare_document
from assistant.question.cite import Citation

__all__ = ["read_calls"]  # the fixture, used by name


def mixed_pdf() -> bytes:
    """Page 1 has a text layer; page 2 is an image of text (a scan); page 3 is blank."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont(PDF_FONT, 12)
    pdf.drawString(60, 760, TEXT_LAYER_SENTENCE)
    pdf.showPage()
    scan = text_image([SCANNED_SENTENCE], size=24, width=700)
    pdf.drawImage(ImageReader(scan), 60, 600, width=scan.width * 0.6, height=scan.height * 0.6)
    pdf.showPage()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- 1. which pages need OCR ---------------------------------------------------------------


def test_only_pages_without_text_layer_are_read_by_ocr_and_blank_ones_skip_it(read_calls: list[int]) -> None:
    data = mixed_pdf()

    assert scans.scanned_pages(data) == [1, 2]
    loaded = load_bytes(data, "mixed.pdf")

    assert TEXT_LAYER_SENTENCE in loaded.text
    assert SCANNED_SENTENCE in _squeeze(loaded.text)
    assert loaded.scan is not None and [n for n, _ in loaded.scan.pages] == [2]
    assert len(read_calls) == 1  # the blank page 3 never reached the engine


def test_text_pdf_is_not_touched_by_ocr(read_calls: list[int]) -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont(PDF_FONT, 12)
    pdf.drawString(60, 760, TEXT_LAYER_SENTENCE)
    pdf.save()

    loaded = load_bytes(buffer.getvalue(), "text.pdf")

    assert loaded.scan is None and loaded.text == TEXT_LAYER_SENTENCE and not read_calls


def test_garbage_text_layer_counts_as_no_text() -> None:
    assert scans._garbage_share("\ue001\ue002\ue003罗湖") >= 0.3
    assert scans._garbage_share("罗湖区教育局关于学位申请的通知") == 0.0


# --- 2. the engine: offline models, orientation, reading order --------------------------------


def test_models_ship_in_the_wheel_and_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR tried to open a network connection")

    monkeypatch.setattr(ocr, "_engine", None)  # a fresh engine: its start-up is checked too
    monkeypatch.setattr(socket.socket, "connect", no_network)
    page = ocr.read_page(text_image([SCANNED_SENTENCE]))

    assert _squeeze(page.text) == SCANNED_SENTENCE
    assert page.angle == 0 and page.confidence > 0.9


def test_photo_at_90_degrees_is_turned_upright() -> None:
    image = text_image([SCANNED_SENTENCE, "网上报名时间为2024年5月6日至5月12日。"])

    page = ocr.read_page(image.rotate(90, expand=True))  # counter-clockwise: lines run upwards

    assert page.angle == 90
    assert _squeeze(page.text).startswith(SCANNED_SENTENCE)


def _line(text: str, x0: float, y0: float, x1: float, y1: float) -> ocr.Line:
    return ocr.Line(text, 0.99, (x0, y0, x1, y1))


def test_table_row_cells_are_kept_as_a_row() -> None:
    lines = [
        _line("学校", 40, 100, 100, 130),
        _line("班数", 400, 101, 460, 131),
        _line("市桥实验小学", 40, 150, 200, 180),
        _line("6", 400, 152, 415, 178),
    ]

    assert ocr.layout(lines, 600) == "学校 | 班数\n市桥实验小学 | 6"


def test_two_columns_are_read_one_after_the_other() -> None:
    left = [_line(f"左栏第{i}行正文内容较长", 40, 100 + 40 * i, 380, 130 + 40 * i) for i in range(5)]
    right = [_line(f"右栏第{i}行正文内容较长", 420, 100 + 40 * i, 760, 130 + 40 * i) for i in range(5)]

    text = ocr.layout(right + left, 800)

    assert text.split("\n") == [ln.text for ln in left] + [ln.text for ln in right]


def test_an_indented_first_line_opens_a_paragraph_and_the_lines_it_wraps_are_joined() -> None:
    """As a scanned notice sets it: body lines from margin to margin, a paragraph's first
    line two characters in, a heading at the same indent that nearly fills the line."""
    rows = [
        ("四、完善服务体系，努力提高随迁子女高考工作服务水平", 300, 1415),
        ("各地、各有关部门要健全工作机制，细化工作措施，切实发", 300, 1437),
        ("挥好服务保障作用，深入细致地做好随迁子女在我省参加高考工", 212, 1437),
        ("作，确保随迁子女在我省参加高考工作平稳实施。要通过多种渠", 214, 1436),
        ("道加强政策宣传。", 214, 600),
        ("二是关于办理居住证的问题。拟2016年在我省报名参加高", 296, 1430),
        ("考的随迁子女，其父亲或母亲在2013年9月1日前已办理居住", 203, 1432),
        ("证，且持有的居住证截止至2016年8月31日属于有效状态的予", 205, 1430),
        ("以认定。", 201, 366),
    ]
    lines = [_line(text, x0, 100 + 70 * i, x1, 148 + 70 * i) for i, (text, x0, x1) in enumerate(rows)]

    text = scans._as_text([ocr.layout(lines, 1655)])

    assert text.split("\n") == [
        "四、完善服务体系，努力提高随迁子女高考工作服务水平",
        "各地、各有关部门要健全工作机制，细化工作措施，切实发挥好服务保障作用，深入细致地做好随迁子女"
        "在我省参加高考工作，确保随迁子女在我省参加高考工作平稳实施。要通过多种渠道加强政策宣传。",
        "二是关于办理居住证的问题。拟2016年在我省报名参加高考的随迁子女，其父亲或母亲在2013年9月1日前"
        "已办理居住证，且持有的居住证截止至2016年8月31日属于有效状态的予以认定。",
    ]


# --- 3. through the document path: metadata, citations with pages ----------------------------


def test_scanned_notice_gets_title_number_date_and_page_marked_passages(tmp_path: Path) -> None:
    path = tmp_path / "notice.png"
    path.write_bytes(png(text_image(NOTICE)))

    prepared = prepare_document(_unlisted(path))

    assert prepared.meta.title == "关于做好学位申请工作的通知"
    assert prepared.meta.doc_number == "罗教〔2024〕5号"
    assert prepared.meta.date == "2024-03-01"
    assert prepared.chunks and all(chunk.ocr_pages == "1" for chunk in prepared.chunks)
    assert prepared.chunks[0].metadata()["ocr_pages"] == "1"


def test_citation_of_ocr_text_says_so_with_its_page() -> None:
    fields = dict(number=1, doc_id="d", title="通知", issuer="", date="", status="current", section="一、",
                  text="…", quote="…", score=1.0, chunk_id="d:0")  # fmt: skip

    scanned = Citation(**fields, ocr_pages="3")
    typed = Citation(**fields)

    assert scanned.label == "《通知》 一、（第3页，本段由扫描件识别，可能有误）"
    assert scanned.to_json()["ocr_note"] == "第3页，本段由扫描件识别，可能有误"
    assert typed.label == "《通知》 一、" and "ocr_note" not in typed.to_json()


# --- 4. never blocks the rest: progress, cache, a failing page ---------------------------------


def _image_pdf(images: list[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for image in images:
        pdf.drawImage(ImageReader(image), 60, 500, width=image.width * 0.6, height=image.height * 0.6)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_progress_per_page_and_cache_by_content(tmp_path: Path, read_calls: list[int]) -> None:
    data = _image_pdf([text_image([SCANNED_SENTENCE]), text_image(["网上报名时间为5月6日至5月12日。"])])
    shown: list[str] = []

    with scans.ocr_context(tmp_path / "cache", lambda fraction, desc: shown.append(desc)):
        first = load_bytes(data, "scan.pdf")
    assert shown == ["识别《scan.pdf》第 1/2 页", "识别《scan.pdf》第 2/2 页"]
    assert len(read_calls) == 2

    with scans.ocr_context(tmp_path / "cache"):
        again = load_bytes(data, "renamed.pdf")
    assert len(read_calls) == 2  # the same bytes: every page from the cache
    assert again.text == first.text


def test_memory_of_a_file_is_given_back_once_its_pages_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.documents.ocr_engine import Engine

    released: list[Engine] = []
    real = Engine.release_memory

    def release(engine: Engine) -> None:
        released.append(engine)
        real(engine)  # the real run that shrinks the shared arena

    monkeypatch.setattr(Engine, "release_memory", release)
    data = _image_pdf([text_image([SCANNED_SENTENCE]), text_image(["网上报名时间为5月6日至5月12日。"])])

    with scans.ocr_context(tmp_path / "cache", pages=2):
        loaded = load_bytes(data, "scan.pdf")
    assert _squeeze(SCANNED_SENTENCE) in _squeeze(loaded.text)
    assert len(released) == 1  # once for the file, not per page
    assert any(released[0] in engines for engines in ocr._idle.values())  # and back to idle

    with scans.ocr_context(tmp_path / "cache", pages=2):
        load_bytes(data, "again.pdf")
    assert len(released) == 1  # every page from the cache: nothing was asked for


def test_a_page_that_fails_is_named_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _image_pdf([text_image([SCANNED_SENTENCE]), text_image(["网上报名时间为5月6日至5月12日。"])])
    real = scans.read_page

    def failing_second(image: Image.Image, threads: int = 0) -> ocr.PageText:
        if failing_second.calls:  # type: ignore[attr-defined]
            raise RuntimeError("engine crashed")
        failing_second.calls += 1  # type: ignore[attr-defined]
        return real(image, threads)

    failing_second.calls = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(scans, "read_page", failing_second)

    loaded = load_bytes(data, "scan.pdf")

    assert SCANNED_SENTENCE in _squeeze(loaded.text)
    assert loaded.scan is not None
    assert loaded.scan.skipped == ((2, "第 2 页未能识别（RuntimeError），已跳过"),)


# --- 5. bad input ----------------------------------------------------------------------------


def _png_claiming(width: int, height: int) -> bytes:
    """A valid few-hundred-byte PNG whose header claims width × height pixels."""
    data = bytearray(png(Image.new("1", (8, 8), 1)))
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(data)


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (9_000, 9_000)])
def test_decompression_bomb_is_refused_from_its_header(width: int, height: int) -> None:
    data = _png_claiming(width, height)  # over PIL's own limit, and over ours only
    assert len(data) < 1_000

    with pytest.raises(DocumentError) as info:
        load_bytes(data, "bomb.png")

    expected = f"图片尺寸过大（{width * height // 10_000} 万像素），上限为 6000 万像素，请缩小后重新上传。"
    assert info.value.user_message == expected


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + bytes(40), png(text_image(["截断的图片"]))[:300]])
def test_corrupt_image_is_refused(data: bytes) -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(data, "photo.png")

    assert info.value.user_message == "图片文件已损坏或格式无法识别，无法读取。"


def test_500_blank_pages_are_found_without_ocr(read_calls: list[int]) -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for _ in range(500):
        pdf.showPage()
    pdf.save()

    with pytest.raises(DocumentError) as info:
        load_bytes(buffer.getvalue(), "blank.pdf")

    assert info.value.user_message == "扫描件共 500 页，均未识别出文字（可能是空白页或图片过于模糊）。"
    assert not read_calls


def test_ocr_switched_off_keeps_the_old_refusal() -> None:
    with scans.ocr_context(None, enabled=False), pytest.raises(DocumentError) as info:
        load_bytes(_image_pdf([text_image([SCANNED_SENTENCE])]), "scan.pdf")

    assert info.value.user_message == "该 PDF 没有文字层（可能是扫描件），需要先进行 OCR 文字识别后再上传。"


def test_tiff_pages_and_a_photo_with_exif_orientation_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = text_image([SCANNED_SENTENCE]), text_image(["网上报名时间为5月6日至5月12日。"])
    tiff = io.BytesIO()
    first.save(tiff, format="TIFF", save_all=True, append_images=[second])
    photo = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned 90° counter-clockwise; viewers turn it back clockwise
    first.rotate(90, expand=True).save(photo, format="JPEG", quality=95, exif=exif)
    given: list[tuple[int, int]] = []
    real = scans.read_page

    def recording(image: Image.Image, threads: int = 0) -> ocr.PageText:
        given.append(image.size)
        return real(image, threads)

    monkeypatch.setattr(scans, "read_page", recording)

    pages = load_bytes(tiff.getvalue(), "scan.tiff")
    turned = load_bytes(photo.getvalue(), "photo.jpg")

    assert pages.scan is not None and [n for n, _ in pages.scan.pages] == [1, 2]
    assert "5月6日至5月12日" in _squeeze(pages.text)
    assert _squeeze(turned.text) == SCANNED_SENTENCE
    assert given[-1] == first.size  # the engine was given the photo upright, as EXIF says


def test_the_frames_of_a_many_page_tiff_are_each_read_whole_when_pages_are_read_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two pages are read at once; a TIFF's frames share one file handle, so each frame must
    # be decoded alone or a page comes out of another page's bytes ("image file is truncated").
    frames = []
    for index in range(16):
        frame = Image.new("L", (900, 1200), 255)
        frame.paste(0, (50, 50, 150 + 20 * index, 1150))  # a dark bar whose width names the page
        frames.append(frame)
    tiff = io.BytesIO()
    frames[0].save(tiff, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")

    def bar_width(image: Image.Image, threads: int = 0) -> ocr.PageText:
        dark = sum(1 for x in range(image.width) if image.getpixel((x, 600))[0] < 128)
        return ocr.PageText(f"宽{dark}", 1.0, 0, len(str(dark)) + 1)

    monkeypatch.setattr(scans, "read_page", bar_width)
    with scans.ocr_context(None, pages=2, threads=1):
        texts, info = scans.read_image_scan(tiff.getvalue(), "many.tiff")

    assert info.skipped == ()
    assert texts == [f"宽{100 + 20 * index}" for index in range(16)]


# --- 1. a text layer with garbled lines: those lines only are read by OCR -------------------


def test_garbled_lines_are_replaced_by_the_ocr_lines_between_their_neighbours() -> None:
    layer = "东教基〔2015〕3 号\n\nܱႿቓݺ໡൧  ୍ၬༀ࢝ტ\nᅱള۽ቔ֥๙ᆩ\n各镇（街）宣教办（局），各义务教育民办学校：\n为规范招生行为，现提出如下意见。"
    read = "东莞市教育局文件\n东教基〔2015〕3号\n关于做好我市2015年义务教育阶段民办学校\n招生工作的通知\n各镇（街）宣教办（局），各义务教育民办学校：\n为规范招生行为，现提出如下意见。"
    spliced = scans.splice_garbled(layer, read)
    assert (
        "东教基〔2015〕3 号\n\n关于做好我市2015年义务教育阶段民办学校\n招生工作的通知\n各镇（街）" in spliced
    )
    assert not any(is_garbled(line) for line in spliced.split("\n"))
    # Lines that cannot be placed (OCR read neither neighbour) are dropped, as before.
    assert "招生工作的通知" not in scans.splice_garbled(layer, "一页别的文字\n毫不相干")
