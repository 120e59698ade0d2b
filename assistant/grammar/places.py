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

import jieba.posseg as pseg
from pypinyin import Style, lazy_pinyin

from assistant.vocab import table

_DATA = table("assistant.grammar", "places.toml")

LEVELS: str = _DATA["levels"]  # 市区县省, the city first
NOT_PLACE_CHARS: str = _DATA["not_place_chars"]  # a regex character class
_LEADING = re.compile(rf"^[\u4e00-\u9fff]{{2,3}}?[{LEVELS}]")


_SUFFIXES: tuple[str, ...] = tuple(_DATA["suffixes"])
_BELOW_COUNTY: tuple[str, ...] = tuple(_DATA["below_county"])
_PLACE_TAGS = frozenset(_DATA["place_tags"])
_ORIGIN: str = _DATA["origin"]  # a regex with {place} for the name
_ZONES = frozenset(_DATA["zones"])
_AREA = re.compile(rf"[\u4e00-\u9fff]{{1,3}}[{_DATA['area_levels']}]")
_AREA_LEVELS = frozenset(_DATA["area_levels"])
_NAME_TAGS = frozenset(_DATA["name_tags"])
_HAN_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
_AREA_ENDING = re.compile(_DATA["area_ending"])
_NAME_WORDS = 3  # a division's full name is at most this many words of the segmenter
_LONGEST_SHORT = 4  # the longest short name read across a segmentation boundary (中山 in 中山东区)


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[str, str], ...]:
    """(name, code) of China's provinces, cities, districts and counties; the code is the
    division's own part of its administrative code (广东省 44, 深圳市 4403, 罗湖区 440303),
    so a division's code starts with the codes of those it lies in. The table is read as a
    file: importing cpca itself would load pandas for nothing."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        return ()
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with path.open(encoding="utf-8", newline="") as rows:
        listed = tuple((row["name"], _own_code(row["adcode"])) for row in csv.DictReader(rows))
    return listed + tuple((name, _own_code(code)) for name, code in _DATA["added"].items())


def _own_code(adcode: str) -> str:
    code = adcode[:6]
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


@lru_cache(maxsize=1)
def divisions() -> frozenset[str]:
    """The names of China's provinces, cities, districts and counties."""
    return frozenset(name for name, _ in _table())


@lru_cache(maxsize=1)
def _codes_by_name() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Full names and short names (without their level word, two characters or more), each
    with the codes of the divisions so called (中山 → 中山市 and 中山区)."""
    full: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}
    for name, code in _table():
        full.setdefault(name, set()).add(code)
        suffix = next((s for s in _SUFFIXES if name.endswith(s)), "")
        if suffix and len(name) - len(suffix) >= 2:
            short.setdefault(name[: -len(suffix)], set()).add(code)
    return (
        {k: frozenset(v) for k, v in full.items()},
        {k: frozenset(v) for k, v in short.items()},
    )


@lru_cache(maxsize=4096)
def named_places(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The divisions `text` names, each as written with its codes: by a full name of three
    characters or more made of whole words ("思明区", "天津市"; not 市中区 inside 城市中区),
    or by a name the segmenter reads as a place ("在重庆渝北" → 重庆, 渝北; not the generic
    城区)."""
    full, short = _codes_by_name()
    words = list(pseg.cut(text))
    found: dict[str, frozenset[str]] = {}
    starts = [0]
    for word, _ in words:
        starts.append(starts[-1] + len(word))
    before: frozenset[str] = frozenset()  # the codes of the place just named
    named_until = 0  # where the last place read as a whole word ends
    for (word, flag), at in zip(words, starts, strict=False):
        codes = short.get(word, frozenset()) | full.get(word, frozenset())
        # A district's short name right after its city ("深圳宝安") is a place, however
        # the segmenter tags it (宝安 reads as a person's name).
        inside = frozenset(c for c in codes if any(c != b and c.startswith(b) for b in before))
        before = codes if flag in _PLACE_TAGS else inside
        if inside and flag not in _PLACE_TAGS:
            found[word] = found.get(word, frozenset()) | inside
            continue
        if flag in _PLACE_TAGS and codes:
            # Read left to right: a name that starts before the word and runs into it is
            # the place written ("中山东区" is 中山 and 东区, not 山东).
            # A place read whole before it is not cut into ("天津南开" is 南开, not 津南).
            earlier = _straddling(text, at, short, named_until)
            if earlier:
                found[earlier] = found.get(earlier, frozenset()) | short[earlier]
                continue
            found[word] = found.get(word, frozenset()) | codes
            named_until = at + len(word)
    for i, start in enumerate(starts):
        for end in starts[i + 1 : i + 1 + _NAME_WORDS]:
            name = text[start:end]
            if len(name) >= 3 and name in full:
                found[name] = found.get(name, frozenset()) | full[name]
    # A heading that is a place and nothing else ("平谷", "密云县" in "北京各区…汇总 > 密云县")
    # names it, by its short name or under a former suffix (县 became 区), whatever the
    # segmenter makes of the word.
    for part in _HEADING_PARTS.split(text):
        part = part.strip()
        stems = (part[: -len(x)] for x in _SUFFIXES if part.endswith(x) and part[: -len(x)] in short)
        stem = next(stems, part)
        if part not in found and stem in short:
            found[part] = short[stem]
    # An English question names a province or city in pinyin ("Shanghai's primary schools").
    english = _english_names()
    for word in _LATIN_WORD.findall(text):
        if word[0].isupper() and (codes := english.get(word.lower())):
            found[word] = found.get(word, frozenset()) | codes
    return tuple((name, codes) for name, codes in found.items() if not _town_named(name, text, full))


def _town_named(name: str, text: str, full: dict[str, frozenset[str]]) -> bool:
    """A short name that `text` writes with a level below a county ("沙湾镇"): the town's."""
    return name not in full and any(f"{name}{level}" in text for level in _BELOW_COUNTY)


def _straddling(text: str, at: int, names: dict[str, frozenset[str]], first: int = 0) -> str:
    """A name of `names` that starts before `at` (not before `first`) and ends after it."""
    for start in range(max(first, at - _LONGEST_SHORT + 1), at):
        for end in range(at + 1, min(len(text), start + _LONGEST_SHORT) + 1):
            if text[start:end] in names:
                return text[start:end]
    return ""


@lru_cache(maxsize=1)
def _english_names() -> dict[str, frozenset[str]]:
    """Provinces and cities by their short name in pinyin ("shanghai", "zhongshan"), as an
    English question writes them; districts are left out, their pinyin too often shared."""
    _, short = _codes_by_name()
    names: dict[str, set[str]] = {}
    for name, codes in short.items():
        wide = {c for c in codes if len(c) <= 4}
        if wide:
            names.setdefault("".join(lazy_pinyin(name, style=Style.NORMAL)), set()).update(wide)
    return {k: frozenset(v) for k, v in names.items()}


_LATIN_WORD = re.compile(r"[A-Za-z]{4,}")
# What parts a heading path into its headings (question/cite.py joins them with " > ").
_HEADING_PARTS = re.compile(r"\s*[>|\n]\s*")


def place_codes(text: str) -> frozenset[str]:
    """The codes of the divisions `text` names (`named_places`)."""
    return frozenset(code for _, codes in named_places(text) for code in codes)


def narrowest(codes: frozenset[str]) -> frozenset[str]:
    """`codes` without those of divisions that contain another of them: "深圳市罗湖区人民政府"
    is of 罗湖区, not of all of 深圳市."""
    return frozenset(c for c in codes if not any(o != c and o.startswith(c) for o in codes))


def asked_places(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The places `text` asks about: those it names other than as someone's origin
    ("香港户籍的孩子", "户口在重庆": data/places.toml `origin`)."""
    return tuple((name, codes) for name, codes in named_places(text) if not is_origin(name, text))


def is_origin(name: str, text: str) -> bool:
    """Whether `text` names the place `name` as someone's origin ("香港户籍的孩子")."""
    return re.search(_ORIGIN.replace("{place}", re.escape(name)), text) is not None


def areas_named(text: str) -> tuple[str, ...]:
    """The areas below a city `text` names by the shape of their names, in or out of the
    table of divisions: a proper name ending in a district's, county's or town's level
    ("石岐区", "南区", "沙湾镇"), or a zone after the name it takes ("火炬开发区")."""
    words = [(w.word, w.flag) for w in pseg.cut(text)]
    found: list[str] = []
    for i, (word, flag) in enumerate(words):
        before = words[i - 1] if i else ("", "")
        # A zone after its name ("火炬|开发区"), or a level the segmenter cut from a name it
        # does not know ("小榄|镇").
        zone = word in _ZONES or word in _AREA_LEVELS
        if zone and before[1] in _NAME_TAGS | {"n"} and _HAN_NAME.fullmatch(before[0]):
            found.append(before[0] + word)
        elif _AREA.fullmatch(word) and flag in _NAME_TAGS:
            found.append(word)
    return tuple(dict.fromkeys(found))


def bare_area(area: str) -> str:
    """An area's name without its level or zone ("火炬开发区" → 火炬, "石岐区" → 石岐), or
    the name itself when that would leave one character (南区)."""
    bare = _AREA_ENDING.sub("", area)
    return bare if len(bare) >= 2 else area


def same_scope(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of division codes share a place: one lies in (or is) the other
    (罗湖区 in 深圳市; 深圳市 in 广东省)."""
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def is_place_name(name: str) -> bool:
    """ "罗湖区", "上海市", "中山市" are; "报市" (报市教育局) and "全区" are not. A division's
    name counts even when it holds a character running text often puts before 市 (上, 中,
    和); a name not in the table counts by its shape."""
    if len(name) < 3 or name[-1] not in LEVELS:
        return False
    return name in divisions() or not re.search(NOT_PLACE_CHARS, name[:-1])


def is_short_division_name(word: str) -> bool:
    """A division's name without its level word ("丰泽" for 丰泽区, "渝北"), as users write it."""
    return word in _codes_by_name()[1]


def leading_place(text: str) -> str:
    """The place name `text` opens with ("深圳市罗湖区教育局" → "深圳市"), or ""."""
    m = _LEADING.match(text)
    return m.group(0) if m and is_place_name(m.group(0)) else ""
