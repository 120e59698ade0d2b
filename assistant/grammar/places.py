"""Administrative place names ("深圳市", "罗湖区"): a name of the national table of
administrative divisions, or, for a name not in it, the shape of one: two or three
characters and a level (市/区/县/省), none of them a character no place name holds. The
levels and characters are data (`data/places.toml`); the division names come from the
registry package cpca (its `adcodes.csv`)."""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from assistant.vocab import table

_DATA = table("assistant.grammar", "places.toml")

LEVELS: str = _DATA["levels"]  # 市区县省, the city first
NOT_PLACE_CHARS: str = _DATA["not_place_chars"]  # a regex character class
_LEADING = re.compile(rf"^[\u4e00-\u9fff]{{2,3}}?[{LEVELS}]")


@lru_cache(maxsize=1)
def divisions() -> frozenset[str]:
    """The names of China's provinces, cities, districts and counties. The table is read as
    a file: importing cpca itself would load pandas for nothing."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8", newline="") as rows:
        return frozenset(row["name"] for row in csv.DictReader(rows))


def is_place_name(name: str) -> bool:
    """ "罗湖区", "上海市", "中山市" are; "报市" (报市教育局) and "全区" are not. A division's
    name counts even when it holds a character running text often puts before 市 (上, 中,
    和); a name not in the table counts by its shape."""
    if len(name) < 3 or name[-1] not in LEVELS:
        return False
    return name in divisions() or not re.search(NOT_PLACE_CHARS, name[:-1])


def leading_place(text: str) -> str:
    """The place name `text` opens with ("深圳市罗湖区教育局" → "深圳市"), or ""."""
    m = _LEADING.match(text)
    return m.group(0) if m and is_place_name(m.group(0)) else ""
