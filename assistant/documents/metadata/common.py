"""What every field's detection shares: the word lists of `data/metadata.toml`, the
'label：value' fields of a metadata block, and lines that are furniture or garbled."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.grammar.pages import is_page_number

DATA_FILE = Path(__file__).parent.parent / "data" / "metadata.toml"

_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_BULLET = re.compile(r"^[\s•·▪◦►▶●■◆□★☆#>\-\*]+")
_CELL_SPLIT = re.compile(r"\s*\|\s*")
CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    with DATA_FILE.open("rb") as fh:
        return tomllib.load(fh)


def rx(section: str, key: str) -> re.Pattern[str]:
    return _compiled(section, key)


@lru_cache(maxsize=64)
def _compiled(section: str, key: str) -> re.Pattern[str]:
    return re.compile(rules()[section][key])


def alternation(words: list[str]) -> str:
    """Longest first, so a word never loses to its own prefix."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def squeeze(text: str) -> str:
    """Drop the spaces PDFs and web copies put between characters ("2016 年", "各 区")."""
    return _SPACES.sub("", text)


def line_text(line: str) -> str:
    return _BULLET.sub("", line).strip().strip("|").strip()


def as_date(iso: str, end_of_period: bool = False) -> dt.date | None:
    parts = [int(p) for p in iso.split("-") if p]
    if not parts:
        return None
    if len(parts) == 1:
        return dt.date(parts[0], 12, 31) if end_of_period else dt.date(parts[0], 1, 1)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], 28 if end_of_period else 1)
    return dt.date(*parts)


_FURNITURE_KEYS = ("masthead", "breadcrumb", "widget", "index_fields", "separator")
_FURNITURE_KEYS += ("nav_line", "url_line", "timestamp", "listed_link", "file_link", "footer")


def is_furniture(line: str) -> bool:
    """A masthead, breadcrumb, widget, page number, separator or metadata-field line."""
    text = line_text(line)
    if not text:
        return True
    # The raw line too: "- 2 -" is a page number before its dashes look like a bullet.
    forms = {text, line.strip()}
    if any(is_page_number(form) for form in forms):
        return True
    return any(rx("furniture", key).search(form) for key in _FURNITURE_KEYS for form in forms)


# Scripts a Chinese policy text is written in: CJK, Latin, digits, punctuation, symbols.
_EXPECTED = re.compile(
    r"[\u0000-\u024f\u2000-\u206f\u2100-\u27bf\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2460-\u24ff\u2500-\u25ff]"
)


def is_garbled(line: str) -> bool:
    """A line of glyphs from a font without a Unicode map: mostly characters of scripts a
    Chinese document never uses (Thai, Malayalam, N'Ko … mixed), or private-use/U+FFFD."""
    text = squeeze(line)
    if len(text) < 3:
        return False
    odd = sum(1 for ch in text if not _EXPECTED.match(ch) or ch == "\ufffd")
    return odd / len(text) >= 0.3


def fields(lines: list[str]) -> dict[str, str]:
    """'label：value' pairs of metadata blocks, also inside table rows ('发文字号： | 教基…')."""
    found: dict[str, str] = {}
    for line in lines[:80]:
        cells = [c for c in _CELL_SPLIT.split(line.strip()) if c]
        pairs: list[tuple[str, str]] = []
        for i, cell in enumerate(cells):
            label, sep, value = cell.partition("：") if "：" in cell else cell.partition(":")
            if not sep:
                continue
            value = value.strip()
            if not value and i + 1 < len(cells):
                value = cells[i + 1]
            pairs.append((squeeze(label), value.strip()))
        for label, value in pairs:
            if 1 <= len(label) <= 8 and value:
                found.setdefault(label, value)
    return found


def field(found: dict[str, str], labels: list[str]) -> str:
    for label in labels:
        if found.get(label):
            return found[label]
    return ""
