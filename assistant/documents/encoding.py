"""Decode text files whose encoding is unknown, preferring Chinese encodings."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from assistant.documents.errors import DocumentError

# UTF-32 LE must be checked before UTF-16 LE: its BOM starts with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)
# gb18030 is a superset of gbk and gb2312, so it also decodes those files.
_CHINESE_ENCODINGS = ["gb18030", "big5", "utf_16_le", "utf_16_be"]
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Text files never hold C0 controls other than tab/newlines; NULs mean UTF-16 without BOM.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
# Real simplified-Chinese text is almost entirely inside GB2312; Big5 bytes that happen to
# decode as gb18030 land in the rare GBK extension areas (measured ~65% GB2312).
_MIN_GB2312_SHARE = 0.9

UNKNOWN_ENCODING_MESSAGE = "无法识别文件编码，请另存为 UTF-8 后重新上传。"


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) for `data`, or raise DocumentError."""
    decoders = (_decode_bom, _decode_utf8, _decode_gb18030, _decode_detected, _decode_gb18030_any)
    for decoder in decoders:
        result = decoder(data)
        if result is not None:
            return result
    raise DocumentError("could not detect text encoding", UNKNOWN_ENCODING_MESSAGE)


def _decode_bom(data: bytes) -> tuple[str, str] | None:
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), name
            except UnicodeDecodeError:
                return None
    return None


def _decode_utf8(data: bytes) -> tuple[str, str] | None:
    # NULs in "valid UTF-8" are UTF-16 without a BOM; let the detector handle those.
    text = _strict(data, "utf-8")
    return (text, "utf-8") if text is not None and "\x00" not in text else None


def _decode_gb18030(data: bytes) -> tuple[str, str] | None:
    # Tried before charset-normalizer, which misjudges short GBK texts.
    text = _strict(data, "gb18030")
    return (text, "gb18030") if text is not None and _looks_like_simplified_chinese(text) else None


def _decode_gb18030_any(data: bytes) -> tuple[str, str] | None:
    # Last resort for short or unusual texts: any strict gb18030 decoding with Chinese in it.
    text = _strict(data, "gb18030")
    return (text, "gb18030") if text is not None and _is_plausible_chinese(text) else None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _is_plausible_chinese(text: str) -> bool:
    return bool(_CJK.search(text)) and not _CONTROL.search(text)


def _looks_like_simplified_chinese(text: str) -> bool:
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii or not _is_plausible_chinese(text):
        return False
    in_gb2312 = sum(1 for ch in non_ascii if _encodable(ch, "gb2312"))
    return in_gb2312 / len(non_ascii) >= _MIN_GB2312_SHARE


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _decode_detected(data: bytes) -> tuple[str, str] | None:
    best = charset_normalizer.from_bytes(data, cp_isolation=_CHINESE_ENCODINGS).best()
    if best is None or _CONTROL.search(str(best)):
        return None
    return str(best), best.encoding
