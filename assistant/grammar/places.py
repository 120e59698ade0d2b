"""Administrative place names by their shape ("深圳市", "罗湖区"): two or three characters
and a level (市/区/县/省), none of them a character no place name holds. The levels and
characters are data (`data/places.toml`)."""

from __future__ import annotations

import re

from assistant.vocab import table

_DATA = table("assistant.grammar", "places.toml")

LEVELS: str = _DATA["levels"]  # 市区县省, the city first
NOT_PLACE_CHARS: str = _DATA["not_place_chars"]  # a regex character class
_LEADING = re.compile(rf"^[\u4e00-\u9fff]{{2,3}}?[{LEVELS}]")


def is_place_name(name: str) -> bool:
    """ "罗湖区" is one; "报市" (报市教育局) and "全区" are not."""
    return len(name) >= 3 and name[-1] in LEVELS and not re.search(NOT_PLACE_CHARS, name[:-1])


def leading_place(text: str) -> str:
    """The place name `text` opens with ("深圳市罗湖区教育局" → "深圳市"), or ""."""
    m = _LEADING.match(text)
    return m.group(0) if m and is_place_name(m.group(0)) else ""
