"""Word files of earlier years: the binary .doc of Word 97–2003 (and WPS), and the two
things bureau sites often serve under a .doc name, an RTF file and a page saved from the
browser. A binary .doc is converted to .docx by msdoc2docx (pure Python, bounded parsers),
so its tables, numbering and paragraphs are read by the .docx path like any Word file."""

from __future__ import annotations

import codecs
import re
import tempfile
from pathlib import Path

from assistant.documents.errors import DocumentError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RTF_MAGIC = b"{\\rtf"
# A page saved by a browser or by Word as "网页" starts with markup, maybe after a BOM.
_PAGE_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype|html|head|meta|body|\?xml)", re.I)
# RTF names its code page (\ansicpg936) and the character set of each font (\fcharset134
# is GB2312, 136 Big5); the Chinese ones win over an ANSI code page a Mac writer declares.
_RTF_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
_RTF_CHARSETS = {b"134": "gb18030", b"136": "big5"}
_RTF_CHARSET = re.compile(rb"\\fcharset(\d+)")


def sniff(data: bytes) -> str | None:
    """What a file named .doc really holds: "doc" (binary Word), "rtf", "html" or None."""
    if data.startswith(OLE_MAGIC):
        return "doc"
    if data.lstrip().startswith(RTF_MAGIC):
        return "rtf"
    if _PAGE_START.match(data[:1024]):
        return "html"
    return None


def doc_as_docx(data: bytes, filename: str) -> bytes:
    """The .docx a binary Word file converts to."""
    from doc2docx import convert
    from doc2docx.errors import Doc2DocxError, EncryptedDocumentError

    with tempfile.TemporaryDirectory(prefix="doc-") as folder:
        source, target = Path(folder, "in.doc"), Path(folder, "out.docx")
        source.write_bytes(data)
        try:
            convert(source, target)
        except EncryptedDocumentError as exc:
            raise DocumentError(
                f"{filename}: password-protected .doc",
                f"Word 文件《{filename}》设有密码，请在 Word 中取消密码后重新上传。",
            ) from exc
        except Doc2DocxError as exc:
            raise DocumentError(
                f"{filename}: unreadable .doc: {exc}",
                f"旧版 Word 文件《{filename}》已损坏或无法读取，请在 Word 中另存为 .docx 后重新上传。",
            ) from exc
        return target.read_bytes()


def rtf_text(data: bytes) -> tuple[str, str]:
    """The text of an RTF file and the code page its escaped bytes were read in."""
    from striprtf.striprtf import rtf_to_text

    head = data[:8192]
    charsets = {_RTF_CHARSETS[c] for c in _RTF_CHARSET.findall(head) if c in _RTF_CHARSETS}
    codepage = _RTF_CODEPAGE.search(head)
    if charsets:
        encoding = "gb18030" if "gb18030" in charsets else charsets.pop()
    elif codepage and codepage.group(1) in (b"936", b"54936"):
        encoding = "gb18030"
    elif codepage:
        encoding = f"cp{codepage.group(1).decode()}"
    else:
        encoding = "cp1252"
    try:
        codecs.lookup(encoding)
    except LookupError:  # a code page Python has no codec for: its ASCII still reads
        encoding = "cp1252"
    return rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace"), encoding
