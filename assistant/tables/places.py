"""Places in zoning and address cells: names of compounds, streets, towns and roads, and
house-number ranges ("人民路1-99号（单号）", "以东" kept as a condition)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.grammar.sentences import BRACKETS, CLAUSE_MARKS, COLONS, PROSE_MARKS, SEMICOLONS
from assistant.tables.model import vocabulary

# Cell separators of a flattened table row ("a | b", "a/b") split names too.
_SEPARATORS = re.compile(rf"[\s{re.escape(CLAUSE_MARKS + SEMICOLONS + COLONS + BRACKETS)}/|]+")
_NAME_BREAK = re.compile(rf"[\s{re.escape(CLAUSE_MARKS + SEMICOLONS + COLONS + BRACKETS)}]")
_CLAUSE_END = re.compile(f"[{re.escape(CLAUSE_MARKS + SEMICOLONS)}]")
_BREAKS = frozenset(PROSE_MARKS + COLONS + " \t\n")


@dataclass(frozen=True)
class HouseRange:
    road: str
    low: int
    high: int
    parity: str = ""  # "odd", "even" or ""
    condition: str = ""  # "以东" …

    def holds(self, number: int) -> bool:
        if not self.low <= number <= self.high:
            return False
        if self.parity == "odd":
            return number % 2 == 1
        if self.parity == "even":
            return number % 2 == 0
        return True

    def describe(self) -> str:
        parity = {"odd": "单号", "even": "双号"}.get(self.parity, "")
        extra = "，".join(x for x in (parity, self.condition) if x)
        return f"{self.road}{self.low}-{self.high}号" + (f"（{extra}）" if extra else "")


@lru_cache(maxsize=1)
def _suffixes() -> tuple[str, ...]:
    return tuple(sorted(vocabulary()["places"]["suffixes"], key=len, reverse=True))


def place_words(text: str) -> list[str]:
    """Split a run of place names written without separators ("市桥街东环街", "钟村街祈福
    新邨内", "和平县连平县") after each place suffix that another suffix does not continue
    ("南村镇": not after 村)."""
    one, two = _suffix_sets()
    words: list[str] = []
    start = 0
    for i, char in enumerate(text):
        if char in _BREAKS:
            start = i + 1  # no name runs across a clause's punctuation ("小升初，进城")
            continue
        ending = 2 if text[i - 1 : i + 1] in two and i >= 1 else 1 if char in one else 0
        if not ending or i + 1 - start <= ending:
            continue
        if text[i + 1 : i + 2] in one or text[i + 1 : i + 3] in two:
            continue  # "村" of "南村镇": the name goes on
        words.append(text[start : i + 1])
        start = i + 1
    return words


@lru_cache(maxsize=1)
def _suffix_sets() -> tuple[frozenset[str], frozenset[str]]:
    suffixes = _suffixes()
    assert all(len(x) <= 2 for x in suffixes), "place suffixes are one or two characters"
    return frozenset(x for x in suffixes if len(x) == 1), frozenset(x for x in suffixes if len(x) == 2)


def _coarse(word: str) -> bool:
    return any(word.endswith(s) for s in vocabulary()["places"]["coarse"])


_BRACKETED = re.compile(r"[（(【\[]([^）)】\]]*)[）)】\]]")


def area_parts(cell: str) -> list[str]:
    """The places an area cell lists outside brackets ("钟村街 石壁街 （西片教育指导中心）"
    → 钟村街, 石壁街)."""
    return [part for part in _SEPARATORS.split(_BRACKETED.sub(" ", cell)) if len(part) >= 2]


def place_keys(cell: str, name: bool = False) -> set[str]:
    """Names a row can be looked up by from one cell: the cell itself (when short), each
    part between separators, each run ending in a place suffix, and a town or street
    without its suffix ("南村镇" → "南村"). Text in brackets gives only places (a service
    area "（石碁镇、大龙街）", not "（最高得分 25 分）"). Whole districts (县/市/区) are
    keys only in a name column (a table of counties)."""
    keys: set[str] = set()
    cell = cell.strip()
    if 2 <= len(cell) <= 20 and not re.search(r"\d", cell):
        keys.add(cell)
    inside = " ".join(_BRACKETED.findall(cell))
    outside = _BRACKETED.sub(" ", cell)
    for text, inner in ((outside, False), (inside, True)):
        for part in _SEPARATORS.split(text):
            if inner and re.search(r"\d", part):
                continue  # "（最高得分 25 分）" is no name
            part = re.sub(r"\d+.*$", "", part)  # "建业路139号" → "建业路"
            if len(part) < 2:
                continue
            if len(part) <= 12 and (len(part) >= 3 or not inner):
                keys.add(part)
            words = place_words(part)
            # A district (县/市/区) is a key only where the cell is a list of places.
            only_places = name and "".join(words) == part
            for word in words:
                if len(word) < 2 or (_coarse(word) and not only_places):
                    continue
                keys.add(word)
                for suffix in vocabulary()["places"]["stemmed"]:
                    # A street inside an address ("教育街") keeps its suffix; a listed
                    # sub-district ("大龙街") is also called without it.
                    if suffix == "街" and word != part:
                        continue
                    if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                        keys.add(word[: -len(suffix)])
                        break
    return keys


_HOUSE_NUMBER = re.compile(r"(\d{1,5})(?:\s*[-－—~～至到]\s*(\d{1,5}))?\s*号")


def _road_endings() -> tuple[str, ...]:
    return tuple(vocabulary()["places"]["roads"])


def _road_before(text: str) -> str:
    words = place_words(_NAME_BREAK.split(text)[-1])
    return words[-1] if words and words[-1].endswith(_road_endings()) else ""


def house_ranges(cell: str) -> list[HouseRange]:
    """Roads with house-number ranges in a zoning cell, with 单号/双号 and 以东… noted."""
    words = vocabulary()["places"]
    found: list[HouseRange] = []
    for match in _HOUSE_NUMBER.finditer(cell):
        road = _road_before(cell[: match.start()])
        if not road:
            continue
        tail = _CLAUSE_END.split(cell[match.end() : match.end() + 8])[0]
        parity = "odd" if any(w in tail for w in words["odd"]) else ""
        parity = parity or ("even" if any(w in tail for w in words["even"]) else "")
        side = next((w for w in words["sides"] if w in tail), "")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        found.append(HouseRange(road, min(low, high), max(low, high), parity, side))
    return found


def house_number(question: str) -> tuple[str, int] | None:
    """The road and house number a question names ("我家住人民路37号" → 人民路, 37)."""
    for match in _HOUSE_NUMBER.finditer(question):
        if match.group(2):
            continue
        text = question[: match.start()]
        ending = next((e for e in _road_endings() if text.endswith(e)), "")
        if ending:
            return text, int(match.group(1))  # the caller matches the known road at its end
    return None


def place_spans(question: str) -> list[str]:
    """Place-like words of a question, each with its shorter endings ("住在翠竹苑" gives
    "翠竹苑" too), for suggestions when nothing matches."""
    spans: list[str] = []
    leads = tuple(vocabulary()["places"]["leads"])
    for word in place_words(question):
        if word.endswith(tuple(vocabulary()["places"]["coarse"])):
            continue
        # A name starts after the last word in front of a place ("…打工的住铁路以东" → 铁路).
        word = word[max(word.rfind(lead) + len(lead) for lead in leads) :]
        spans.extend(word[-n:] for n in range(3, min(len(word), 8) + 1))
    return list(dict.fromkeys(spans))
