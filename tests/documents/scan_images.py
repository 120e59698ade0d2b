"""Page images drawn for the OCR tests: Chinese text in a CJK font (fonts-wqy-microhei,
installed by `make test`), as PNG bytes, and a counter of the pages given to the engine."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from assistant.documents import ocr, scans
from assistant.documents.manifest import DocumentMeta, doc_id_for

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PDF_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))

NOTICE = [
    "罗湖区教育局文件",
    "罗教〔2024〕5号",
    "关于做好学位申请工作的通知",
    "各中小学：",
    "学位申请网上报名时间为2024年5月6日至5月12日。",
    "罗湖区教育局",
    "2024年3月1日",
]
TEXT_LAYER_SENTENCE = "本页有文字层，由PDF阅读器直接读取，不经文字识别。"
SCANNED_SENTENCE = "公办学校学位按积分由高到低排序录取。"


def _font(size: int) -> ImageFont.FreeTypeFont:
    assert FONT_FILE.is_file(), f"{FONT_FILE} missing: `make test` installs fonts-wqy-microhei"
    return ImageFont.truetype(str(FONT_FILE), size)


def text_image(lines: list[str], size: int = 28, width: int = 900) -> Image.Image:
    """A white page with black lines of text, as a scanner would give it."""
    font = _font(size)
    image = Image.new("RGB", (width, 60 + int(size * 1.9) * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((40, 30 + int(size * 1.9) * number), line, fill="black", font=font)
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def read_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pages actually given to the engine."""
    calls: list[int] = []
    real = scans.read_page

    def counting(image: Image.Image, threads: int = 0) -> ocr.PageText:
        calls.append(1)
        return real(image, threads)

    monkeypatch.setattr(scans, "read_page", counting)
    return calls


def squeeze(text: str) -> str:
    return "".join(text.split())


def unlisted(path: Path) -> DocumentMeta:
    return DocumentMeta(
        doc_id=doc_id_for(path), path=path, title=path.stem, short_title=path.stem,
        issuer="", date="", status="current", kind="document", source="", in_manifest=False,
    )  # fmt: skip
