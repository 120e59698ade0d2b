"""Pages saved as one file (.mht / .mhtml) and .shtml pages, made from real pages of other
bureaus (`shared/sources_extra` beside the repository) the way browsers save them, and read
to the same text, title and cleaning as the saved .html itself."""

from __future__ import annotations

import base64
import os
import quopri
from pathlib import Path

import pytest

from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_bytes, load_document

REPO = Path(__file__).resolve().parents[2]
SOURCES_EXTRA = Path(os.environ.get("ASSISTANT_SOURCES_EXTRA", REPO.parent / "shared" / "sources_extra"))
# Declares <meta charset=gb2312> and is stored in that encoding.
ZHONGSHAN = "zhongshan_2015_urban_primary_school_admission_notice.html"
BOUNDARY = "----MultipartBoundary--saved-page"
PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()


def _page(name: str) -> Path:
    path = SOURCES_EXTRA / name
    assert path.is_file(), f"the real page {path} is missing (shared/ must sit beside the repository)"
    return path


def _archive(html_part: str) -> bytes:
    """A web archive as browsers write one: the page first, then an image it shows."""
    return "\r\n".join(
        [
            "From: <Saved by a browser>",
            "Snapshot-Content-Location: http://www.zsedu.cn/tzgg/201505/t20150520_1.html",
            "Subject: saved page",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/related; type="text/html"; boundary="{BOUNDARY}"',
            "",
            f"--{BOUNDARY}",
            html_part,
            f"--{BOUNDARY}",
            "Content-Type: image/png",
            "Content-Transfer-Encoding: base64",
            "Content-Location: http://www.zsedu.cn/images/logo.png",
            "",
            PIXEL,
            f"--{BOUNDARY}--",
            "",
        ]
    ).encode("ascii")


def test_a_page_saved_as_one_file_reads_as_the_saved_html() -> None:
    path = _page(ZHONGSHAN)
    original = path.read_bytes()
    html = load_document(path)
    # As Chrome saves: the page as UTF-8, quoted-printable, its <meta charset=gb2312> kept:
    # the archive's charset is the one that holds.
    utf8 = original.decode("gb18030").encode("utf-8")
    chrome = "\r\n".join(
        [
            'Content-Type: text/html; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "Content-Location: http://www.zsedu.cn/tzgg/201505/t20150520_1.html",
            "",
            quopri.encodestring(utf8).decode("ascii"),
        ]
    )
    # As Internet Explorer saves (.mht): the page's own bytes in base64, its charset named.
    explorer = "\r\n".join(
        [
            'Content-Type: text/html; charset="gb2312"',
            "Content-Transfer-Encoding: base64",
            "",
            base64.encodebytes(original).decode("ascii"),
        ]
    )
    for name, part in (("page.mhtml", chrome), ("page.mht", explorer)):
        loaded = load_bytes(_archive(part), name)
        assert loaded.text == html.text and loaded.title == html.title == "2015学年中山市城区小学招生通告"
        assert loaded.format == "html"  # cleaned as a page: its menus and footer go
    assert "家长携带适龄子女" in html.text


def test_an_shtml_page_is_a_page() -> None:
    path = _page(ZHONGSHAN)
    assert load_bytes(path.read_bytes(), "t20150520_1.shtml") == load_document(path)


def test_an_archive_without_a_page_is_refused_with_a_reason() -> None:
    image_only = _archive("Content-Type: text/plain\r\n\r\nnothing to see")
    with pytest.raises(DocumentError) as refused:
        load_bytes(image_only, "saved.mht")
    assert (
        refused.value.user_message
        == "网页存档《saved.mht》中没有网页正文，请在浏览器中将网页另存为 .html 后重新上传。"
    )
