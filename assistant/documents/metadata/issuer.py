"""The issuer: the masthead ("XX市教育委员会文件"), the organ that opens the title ("XX市
教育局关于…", abbreviations expanded from the text), the 署名 of the 落款, a 发布机构
field, a legislature named in a law's history, the organ that interprets the rules."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.documents.metadata.common import alternation, field, line_text, rules, rx, squeeze
from assistant.grammar import places
from assistant.grammar.dates import DATE, parse_dates
from assistant.grammar.sentences import CLAUSE_MARKS, COLONS, ENDS

_TIME = re.compile(r"\d{1,2}:\d{2}")
LAW_HISTORY = re.compile(r"(通过|修正|修订|公布|颁布)")
_CONGRESS = re.compile(
    r"(全国人民代表大会常务委员会|全国人民代表大会|(?<=届)[\u4e00-\u9fff]{2,8}?人民代表大会常务委员会"
    r"|[\u4e00-\u9fff]{2,6}?[省市]人民代表大会常务委员会)"
)
_GOV_DECIDED = re.compile(r"(市|区|县|省)(人民)?政府(决定|研究决定)")
_RESPONSIBLE = re.compile(r"由([\u4e00-\u9fff]{2,20}?)负责解释")
_SEAL = r"(代章|盖章|印章)"
# An organ's name holds no clause or sentence mark, nor a table's cell separator.
_NOT_IN_NAME = re.compile(f"[{re.escape(CLAUSE_MARKS + ENDS + COLONS)}|]")


def suffix_pattern() -> str:
    """A regex alternation of the endings of organ names (data/metadata.toml [issuer])."""
    return alternation(rules()["issuer"]["suffixes"])


def is_organ(text: str) -> bool:
    cfg = rules()["issuer"]
    text = squeeze(text)
    if not (3 <= len(text) <= cfg["max_chars"]) or _NOT_IN_NAME.search(text):
        return False
    if rx("issuer", "not_issuer").search(text) or DATE.search(text):
        return False
    return bool(re.search(rf"({suffix_pattern()})(\(代章\)|（代章）|（盖章）)?$", text))


def _strip_seal(text: str) -> str:
    return re.sub(rf"[（(]{_SEAL}[)）]$", "", squeeze(text))


def city(text: str) -> str:
    """The most named city/district of the text ("天津市" from "天津市招生委员会…")."""
    for level in places.LEVELS:  # a city names its bureaus "XX市…"; districts and counties below it
        ahead = rf"(?=[\u4e00-\u9fff]{{0,10}}(?:{suffix_pattern()}|学校|小学|中学))"
        organ = rf"([\u4e00-\u9fff]{{2,3}}?{level}){ahead}"
        counts = Counter(m.group(1) for m in re.finditer(organ, text))
        for name, _ in counts.most_common():
            if places.is_place_name(name):
                return name
    return ""


def _expand(abbrev: str, text: str) -> str:
    """'市教育局' → '武汉市教育局'; '市招委' → '天津市招生委员会' when the text names it."""
    if not re.match(r"^[市区县省]", abbrev):
        return abbrev
    place = city(text)
    if not place:
        return abbrev
    rest = abbrev[1:]
    organs = set(re.findall(rf"{re.escape(place)}[\u4e00-\u9fff]{{1,12}}?(?:{suffix_pattern()})", text))
    for organ in sorted(organs, key=len):
        tail = organ[len(place) :]
        if tail == rest or (tail[0] == rest[0] and _subsequence(rest, tail)):
            return organ
    full_suffix = rf"({alternation([s for s in rules()['issuer']['suffixes'] if len(s) >= 2])})$"
    return place + rest if re.search(full_suffix, rest) else abbrev


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _title_opener(title: str) -> str:
    m = re.match(rf"^(.{{2,30}}?(?:{suffix_pattern()}))(?:关于|印发|转发)", title)
    if not m:
        return ""
    # "中共中央 国务院关于…" names two organs.
    return re.sub(r"\s+", "、", m.group(1).strip())


# --- the 落款: the 署名 line(s) and the date at a letter's end -------------------------


@dataclass(frozen=True)
class Closing:
    issuer: str
    date: str
    line: int


def closings(lines: list[str]) -> list[Closing]:
    """Every '署名 + date' (or bare date line) that closes a text block."""
    out: list[Closing] = []
    for i, line in enumerate(lines):
        text = squeeze(line_text(line))
        if not text or _TIME.search(text) or "|" in line:
            continue  # "2015-04-24 17:20:46" is a posting time; a table row is no 落款
        dates = parse_dates(text)
        if not dates:
            continue
        iso, start, end = dates[0]
        before, after = text[:start], text[end:]
        after = re.sub(r"^[（(][^）)]{0,12}[)）]", "", after)  # （此件主动公开）
        if re.sub(r"印发$|发布$|签发$", "", after):
            continue
        issuer = ""
        if before:
            if not is_organ(before):
                continue
            issuer = _strip_seal(before)
        else:
            issuer = _signature_above(lines, i)
        if after.endswith("印发"):
            continue  # "XX办公室 2016年4月1日印发": the print office, not the 落款
        out.append(Closing(issuer=issuer, date=iso, line=i))
    return out


_SIGNATURE_LINES = 8  # a joint signature: seven bodies, two to a line, blank lines between
_SIDE_BY_SIDE = re.compile(r"\s{2,}")  # spaces, ideographic or no-break ones


def _organs(line: str) -> list[str]:
    """The bodies a signature line names: one, or several set side by side."""
    parts = [squeeze(p) for p in _SIDE_BY_SIDE.split(line_text(line).strip()) if p.strip()]
    if len(parts) > 1 and is_organ(parts[0]) and sum(map(is_organ, parts)) * 2 >= len(parts):
        return parts  # 成华区教育局 beside 成华区委编办: a short form the suffixes miss
    whole = squeeze(line_text(line))
    return [whole] if is_organ(whole) else []


def _signature_above(lines: list[str], i: int) -> str:
    """The body that signs above a bare date line. A joint signature lists its bodies
    from the leading one: the first body of the block's first line."""
    first = ""
    for j in range(i - 1, max(-1, i - 1 - _SIGNATURE_LINES), -1):
        if not squeeze(line_text(lines[j])):
            continue
        organs = _organs(lines[j])
        if not organs:
            break
        first = organs[0]
    return _strip_seal(first) if first else ""


def detect_issuer(
    lines: list[str], fields: dict[str, str], title: str, closed: list[Closing], text: str
) -> str:
    for line in lines[:10]:  # the red masthead: "天津市教育委员会文件"
        head = squeeze(line_text(line))
        m = re.fullmatch(r"(\S{3,28}?)文件", head)
        if m and is_organ(m.group(1)):
            return m.group(1)
    opener = _title_opener(title)
    if opener:
        expanded = _expand(opener, text)
        if not re.match(r"^[市区县省]", expanded):
            return expanded
    signed = [c.issuer for c in closed if c.issuer]
    if signed:
        return signed[0]
    value = field(fields, rules()["issuer"]["field_labels"])
    if value and is_organ(value):
        return squeeze(value)
    if opener:
        return opener
    for line in lines[:20]:
        m = _CONGRESS.search(squeeze(line))
        if m and LAW_HISTORY.search(line) and parse_dates(line):
            return m.group(1)
    m = _RESPONSIBLE.search(squeeze(text))
    if m and is_organ(m.group(1)):
        expanded = _expand(m.group(1), text)
        if not re.match(r"^[市区县省]", expanded):
            return expanded
    m = _GOV_DECIDED.search(squeeze(text[:3000]))
    if m:
        named = re.match(r"^(?:关于将?)?([\u4e00-\u9fff]{2,3}[市省区县])", title)
        place = city(text) or (named.group(1) if named else "")
        if place:
            return f"{place}人民政府"
    return ""
