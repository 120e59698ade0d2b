"""Metadata of a document without a manifest entry, detected from its own text.

What a Chinese government document says about itself, in the order it is trusted:
- title: the page's <title> (site name stripped) when the body repeats it, else the first
  line shaped like a title (ends with 通知/意见/办法/…, possibly wrapped over 2–3 lines);
- issuer: the masthead ("XX市教育委员会文件"), the organ that opens the title ("XX市教育局
  关于…", abbreviations expanded from the text), the 署名 of the 落款, a 发布机构 field;
- date: a 发文日期/成文日期 field, the 落款 date, a 发布时间 field, the in-force date, the
  year of the 文号; the signing date always wins over a page's posting or print date;
- 文号, validity (有效期X年, 有效期至, 失效日期, a plan's 2021—2023 span) and status
  (historical when the validity is over or the rules are for a past year's intake).

The word lists live in `data/metadata.toml`; this module holds only the rules.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "data" / "metadata.toml"

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "〇零○Ｏ一二两三四五六七八九十"
# "2016年1月26日", "2016 年 4 月 13 日", "二〇一六年一月二十六日", "2016-01-27", "2016.4.1", "2016/4/1".
_DATE = re.compile(
    rf"(?P<y>(?:19|20)\d{{2}}|[{_CN_NUM}]{{4}})\s*年\s*(?P<m>\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*月"
    rf"(?:\s*(?P<d>\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*日)?"
    r"|(?P<y2>(?:19|20)\d{2})[-./](?P<m2>\d{1,2})[-./](?P<d2>\d{1,2})(?!\d)"
)
_TIME = re.compile(r"\d{1,2}:\d{2}")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BULLET = re.compile(r"^[\s•·▪◦►▶●■◆□★☆#>\-\*]+")
_CELL_SPLIT = re.compile(r"\s*\|\s*")
_YEARS = re.compile(r"((?:19|20)\d{2})\s*[—–\-~～至到]+\s*((?:19|20)\d{2})\s*年")
_VALID_YEARS = re.compile(rf"(?:有效期|试行期)\s*(?:为|是)?\s*(\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*年")
_FROM_DATE = re.compile(r"自(.{4,20}?)起")
_FROM_ISSUE = re.compile(r"自(发布|印发|发文|公布|下发)之日起")
_LAW_HISTORY = re.compile(r"(通过|修正|修订|公布|颁布)")
_CONGRESS = re.compile(
    r"(全国人民代表大会常务委员会|全国人民代表大会|(?<=届)[\u4e00-\u9fff]{2,8}?人民代表大会常务委员会"
    r"|[\u4e00-\u9fff]{2,6}?[省市]人民代表大会常务委员会)"
)
_GOV_DECIDED = re.compile(r"(市|区|县|省)(人民)?政府(决定|研究决定)")
_ABOUT_ITSELF = re.compile(
    r"(本[\u4e00-\u9fff]{0,4}(办法|通知|意见|规定|通告|公告|方案|细则|决定|条例|规则|指南)|起(施行|实施|执行))"
)
_RESPONSIBLE = re.compile(r"由([\u4e00-\u9fff]{2,20}?)负责解释")


@dataclass(frozen=True)
class DetectedMeta:
    title: str = ""
    issuer: str = ""
    date: str = ""  # ISO date, "YYYY-MM" or "YYYY": as precise as the text says
    doc_number: str = ""
    valid_until: str = ""
    status: str = "current"
    status_reason: str = ""  # short Chinese reason when historical
    detected: tuple[str, ...] = field(default_factory=tuple)  # the fields found in the text


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    with DATA_FILE.open("rb") as fh:
        return tomllib.load(fh)


def _rx(section: str, key: str) -> re.Pattern[str]:
    return _compiled(section, key)


@lru_cache(maxsize=64)
def _compiled(section: str, key: str) -> re.Pattern[str]:
    return re.compile(rules()[section][key])


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --- small helpers ----------------------------------------------------------------------


def cn_number(text: str) -> int | None:
    """'12' → 12, '二十六' → 26, '二〇一六' → 2016 (digit by digit), '十' → 10."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    tens, _, units = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def parse_dates(text: str) -> list[tuple[str, int, int]]:
    """Every date in `text` as (ISO string, start, end); invalid dates are skipped."""
    found: list[tuple[str, int, int]] = []
    for m in _DATE.finditer(text):
        if m.group("y2"):
            parts = [int(m.group("y2")), int(m.group("m2")), int(m.group("d2"))]
        else:
            parts = [cn_number(m.group("y")), cn_number(m.group("m"))]
            if m.group("d"):
                parts.append(cn_number(m.group("d")))
        if any(p is None for p in parts):
            continue
        iso = _iso([int(p) for p in parts if p is not None])
        if iso:
            found.append((iso, m.start(), m.end()))
    return found


def _iso(parts: list[int]) -> str:
    year, month = parts[0], parts[1]
    if not (1949 <= year <= 2100 and 1 <= month <= 12):
        return ""
    if len(parts) == 2:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, parts[2]).isoformat()
    except ValueError:
        return ""


def _as_date(iso: str, end_of_period: bool = False) -> dt.date | None:
    parts = [int(p) for p in iso.split("-") if p]
    if not parts:
        return None
    if len(parts) == 1:
        return dt.date(parts[0], 12, 31) if end_of_period else dt.date(parts[0], 1, 1)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], 28 if end_of_period else 1)
    return dt.date(*parts)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _squeeze(text: str) -> str:
    """Drop the spaces PDFs and web copies put between characters ("2016 年", "各 区")."""
    return _SPACES.sub("", text)


def _line_text(line: str) -> str:
    return _BULLET.sub("", line).strip().strip("|").strip()


_FURNITURE_KEYS = ("masthead", "breadcrumb", "widget", "index_fields", "separator", "page_number")
_FURNITURE_KEYS += ("nav_line", "url_line", "timestamp", "file_link", "footer")


def is_furniture(line: str) -> bool:
    """A masthead, breadcrumb, widget, page number, separator or metadata-field line."""
    text = _line_text(line)
    if not text:
        return True
    # The raw line too: "- 2 -" is a page number before its dashes look like a bullet.
    forms = {text, line.strip()}
    return any(_rx("furniture", key).search(form) for key in _FURNITURE_KEYS for form in forms)


# --- garbled text -----------------------------------------------------------------------

# Scripts a Chinese policy text is written in: CJK, Latin, digits, punctuation, symbols.
_EXPECTED = re.compile(
    r"[\u0000-\u024f\u2000-\u206f\u2100-\u27bf\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2460-\u24ff\u2500-\u25ff]"
)


def is_garbled(line: str) -> bool:
    """A line of glyphs from a font without a Unicode map: mostly characters of scripts a
    Chinese document never uses (Thai, Malayalam, N'Ko … mixed), or private-use/U+FFFD."""
    text = _squeeze(line)
    if len(text) < 3:
        return False
    odd = sum(1 for ch in text if not _EXPECTED.match(ch) or ch == "\ufffd")
    return odd / len(text) >= 0.3


# --- the document's fields ------------------------------------------------------------


def _fields(lines: list[str]) -> dict[str, str]:
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
            pairs.append((_squeeze(label), value.strip()))
        for label, value in pairs:
            if 1 <= len(label) <= 8 and value:
                found.setdefault(label, value)
    return found


def _field(fields: dict[str, str], labels: list[str]) -> str:
    for label in labels:
        if fields.get(label):
            return fields[label]
    return ""


# --- title ------------------------------------------------------------------------------


def _title_ending() -> re.Pattern[str]:
    return _title_ending_compiled(_alternation(rules()["title"]["endings"]))


@lru_cache(maxsize=1)
def _title_ending_compiled(words: str) -> re.Pattern[str]:
    qualifier = r"(?:[（(][^（）()]{1,16}[)）])*"
    return re.compile(rf"(?:{words})》?{qualifier}$")


def _clean_title(text: str) -> str:
    text = _compiled("title", "furniture").sub(" ", _line_text(text)).strip(" |｜-—_")
    text = re.sub(r"(?<=\d)\s+(?=[\u4e00-\u9fff])", "", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\d\u4e00-\u9fff《》“”])", "", text)
    text = re.sub(r"(?<=[《“])\s+|\s+(?=[》”])", "", text)
    if text.startswith("《") and text.endswith("》") and text.count("《") == 1:
        text = text[1:-1]
    return text.strip()


def _title_shaped(text: str) -> bool:
    cfg = rules()["title"]
    if not (5 <= len(text) <= cfg["max_chars"]) or len(_CJK.findall(text)) < 4:
        return False
    if is_furniture(text) or is_garbled(text) or re.search(r"[，。；！？：:]", text.rstrip("：")):
        return False
    return bool(_title_ending().search(text))


def _html_title_candidates(html_title: str) -> list[str]:
    if not html_title:
        return []
    parts = [html_title]
    for sep in rules()["title"]["html_separators"]:
        parts = [piece for part in parts for piece in part.split(sep)]
    site = _rx("title", "site_name")
    return [_clean_title(p) for p in parts if p.strip() and not site.search(p.strip())]


def detect_title(lines: list[str], html_title: str = "") -> str:
    """The document's own title; "" when none is recognisable."""
    head = lines[:120]
    squeezed = _squeeze("".join(head))
    # The page's <title>, when the body repeats it (wrapped or not).
    for candidate in _html_title_candidates(html_title):
        if _title_shaped(candidate) and _squeeze(candidate) in squeezed:
            return candidate
    fields = _fields(head)
    named = _clean_title(_field(fields, ["信息名称", "标题", "名称", "文件名称"]))
    if named and _title_shaped(named):
        return named
    cfg = rules()["title"]
    texts = [_line_text(line) for line in head]
    number = _rx("doc_number", "pattern")
    for i, text in enumerate(texts):
        raw = head[i]
        if not text or is_furniture(raw) or is_garbled(raw) or number.search(_squeeze(text)):
            continue
        # A title wrapped over lines may look complete after its first piece ("…办法" +
        # "指导意见的通知"): the longest title-shaped join within max_lines wins.
        joined, best = text, ""
        for extra in range(cfg["max_lines"]):
            candidate = _clean_title(joined)
            if _title_shaped(candidate):
                best = candidate
            nxt = i + extra + 1
            if nxt >= len(texts) or not texts[nxt] or len(joined) > cfg["max_chars"]:
                break
            if re.search(r"[，。；！？：]", texts[nxt]) or is_furniture(head[nxt]) or is_garbled(head[nxt]):
                break
            if number.search(_squeeze(texts[nxt])) or _DATE.search(texts[nxt]):
                break
            joined += texts[nxt]
        if best:
            return best
    for candidate in _html_title_candidates(html_title):
        if _title_shaped(candidate):
            return candidate
    return ""


# --- issuer -----------------------------------------------------------------------------


def _suffix_pattern() -> str:
    return _alternation(rules()["issuer"]["suffixes"])


def _is_organ(text: str) -> bool:
    cfg = rules()["issuer"]
    text = _squeeze(text)
    if not (3 <= len(text) <= cfg["max_chars"]) or re.search(r"[，。；！？：:、|]", text):
        return False
    if _rx("issuer", "not_issuer").search(text) or _DATE.search(text):
        return False
    return bool(re.search(rf"({_suffix_pattern()})(\(代章\)|（代章）|（盖章）)?$", text))


def _strip_seal(text: str) -> str:
    return re.sub(r"[（(](代章|盖章|印章)[)）]$", "", _squeeze(text))


def _city(text: str) -> str:
    """The most named city/district of the text ("天津市" from "天津市招生委员会…")."""
    for level in "市区县省":  # a city names its bureaus "XX市…"; districts and counties below it
        ahead = rf"(?=[\u4e00-\u9fff]{{0,10}}(?:{_suffix_pattern()}|学校|小学|中学))"
        organ = rf"([\u4e00-\u9fff]{{2,3}}?{level}){ahead}"
        counts = Counter(m.group(1) for m in re.finditer(organ, text))
        for name, _ in counts.most_common():
            if not re.search(rules()["issuer"]["not_place_chars"], name[:-1]):
                return name
    return ""


def _expand(abbrev: str, text: str) -> str:
    """'市教育局' → '武汉市教育局'; '市招委' → '天津市招生委员会' when the text names it."""
    if not re.match(r"^[市区县省]", abbrev):
        return abbrev
    city = _city(text)
    if not city:
        return abbrev
    rest = abbrev[1:]
    organs = set(re.findall(rf"{re.escape(city)}[\u4e00-\u9fff]{{1,12}}?(?:{_suffix_pattern()})", text))
    for organ in sorted(organs, key=len):
        tail = organ[len(city) :]
        if tail == rest or (tail[0] == rest[0] and _subsequence(rest, tail)):
            return organ
    full_suffix = rf"({_alternation([s for s in rules()['issuer']['suffixes'] if len(s) >= 2])})$"
    return city + rest if re.search(full_suffix, rest) else abbrev


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _title_opener(title: str) -> str:
    m = re.match(rf"^(.{{2,30}}?(?:{_suffix_pattern()}))(?:关于|印发|转发)", title)
    if not m:
        return ""
    # "中共中央 国务院关于…" names two organs.
    return re.sub(r"\s+", "、", m.group(1).strip())


# --- the 落款: the 署名 line(s) and the date at a letter's end -------------------------


@dataclass(frozen=True)
class _Closing:
    issuer: str
    date: str
    line: int


def _closings(lines: list[str]) -> list[_Closing]:
    """Every '署名 + date' (or bare date line) that closes a text block."""
    out: list[_Closing] = []
    for i, line in enumerate(lines):
        text = _squeeze(_line_text(line))
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
            if not _is_organ(before):
                continue
            issuer = _strip_seal(before)
        else:
            for j in range(i - 1, max(-1, i - 4), -1):
                prev = _squeeze(_line_text(lines[j]))
                if not prev:
                    continue
                if _is_organ(prev):
                    issuer = _strip_seal(prev)
                break
        if after.endswith("印发"):
            continue  # "XX办公室 2016年4月1日印发": the print office, not the 落款
        out.append(_Closing(issuer=issuer, date=iso, line=i))
    return out


# --- validity and status ----------------------------------------------------------------


def _valid_until(text: str, issued: str, fields: dict[str, str], title: str) -> tuple[str, str]:
    """(ISO end of validity, Chinese reason) or ("", "")."""
    expiry = _field(fields, rules()["date"]["expiry_labels"])
    if expiry and parse_dates(expiry):
        return parse_dates(expiry)[0][0], "失效日期"
    m = re.search(r"有效期至\s*(.{4,16}?日|.{4,8}?年)", _squeeze(text))
    if m and parse_dates(m.group(1) if "月" in m.group(1) else m.group(1) + "12月31日"):
        return parse_dates(m.group(1) if "月" in m.group(1) else m.group(1) + "12月31日")[0][0], "有效期"
    flat = _squeeze(text)
    for m in _VALID_YEARS.finditer(flat):
        years = cn_number(m.group(1))
        if not years:
            continue
        sentence = flat[max(0, flat.rfind("。", 0, m.start()) + 1) : m.end()]
        if not _ABOUT_ITSELF.search(sentence):
            continue  # "持有效期3年以上的居住证" is about a permit, not this document
        start = ""
        frm = _FROM_DATE.search(sentence)
        if frm and parse_dates(frm.group(1)):
            start = parse_dates(frm.group(1))[0][0]
        elif _FROM_ISSUE.search(sentence) or not frm:
            start = issued
        day = _as_date(start) if start else None
        if day:
            return _add_years(day, years).isoformat(), f"有效期{years}年"
    span = _YEARS.search(title)
    if span and int(span.group(2)) >= int(span.group(1)):
        return f"{span.group(2)}-12-31", "规划期"
    return "", ""


def _status(title: str, issuer: str, date: str, valid_until: str, today: dt.date) -> tuple[str, str]:
    if valid_until:
        end = _as_date(valid_until, end_of_period=True)
        if end and end < today:
            return "historical", f"有效期至{end.year}年，已过期"
        return "current", ""
    cfg = rules()["status"]
    year = re.search(rf"((?:19|20)\d{{2}})\s*(?:年|学年|年度|级).*?{cfg['yearly_words']}", title)
    if year and int(year.group(1)) < today.year:
        return "historical", f"{year.group(1)}年招生入学规定，可能已更新"
    guide = re.search(rf"((?:19|20)\d{{2}})\s*(?:年|学年|年度|版)?.*?{cfg['yearly_guides']}", title)
    if guide and int(guide.group(1)) < today.year:
        return "historical", f"{guide.group(1)}年的{guide.group(2)}，可能已更新"
    issued = _as_date(date) if date else None
    local = bool(re.search(r"[省市区县]", issuer)) and not re.search(cfg["national_issuers"], issuer)
    bare = re.sub(r"([（(][^（）()]*[)）])+$", "", title)
    is_law = bool(re.search(r"((?<![办方做])法|条例)$", bare))
    if issued and local and not is_law and (today - issued).days > 365.25 * cfg["normative_max_years"]:
        years = cfg["normative_max_years"]
        return "historical", f"{issued.year}年发布，已超过规范性文件一般{years}年的有效期"
    return "current", ""


# --- putting it together ----------------------------------------------------------------


def detect_metadata(text: str, html_title: str = "", today: dt.date | None = None) -> DetectedMeta:
    """Detect what the text says about itself. `text` is the loaded text before cleaning
    (furniture helps: metadata blocks and mastheads live there)."""
    today = today or dt.date.today()
    lines = [line for line in text.split("\n") if not is_garbled(line)]
    nonblank = [line for line in lines if line.strip()]
    fields = _fields(nonblank)
    detected: list[str] = []

    title = detect_title(nonblank, html_title)
    if title:
        detected.append("title")

    doc_number = _doc_number(nonblank, fields)
    if doc_number:
        detected.append("doc_number")

    closings = _closings(nonblank)
    issuer = _issuer(nonblank, fields, title, closings, text)
    if issuer:
        detected.append("issuer")

    date = _date(nonblank, fields, closings, doc_number, text)
    if date:
        detected.append("date")

    valid_until, _why = _valid_until(text, date, fields, title)
    if valid_until:
        detected.append("valid_until")
    status, reason = _status(title, issuer, date, valid_until, today)
    return DetectedMeta(
        title=title,
        issuer=issuer,
        date=date,
        doc_number=doc_number,
        valid_until=valid_until,
        status=status,
        status_reason=reason,
        detected=tuple(detected),
    )


def _doc_number(lines: list[str], fields: dict[str, str]) -> str:
    pattern = _rx("doc_number", "pattern")
    value = _field(fields, rules()["doc_number"]["field_labels"])
    if value and pattern.search(_squeeze(value)):
        return pattern.search(_squeeze(value)).group(0)  # type: ignore[union-attr]
    # In the header a 文号 stands on a line of its own; in the body it is a citation.
    for line in lines[:40]:
        text = _squeeze(_line_text(line))
        m = pattern.fullmatch(text)
        if m:
            return m.group(0)
    return ""


def _issuer(lines: list[str], fields: dict[str, str], title: str, closings: list[_Closing], text: str) -> str:
    for line in lines[:10]:  # the red masthead: "天津市教育委员会文件"
        head = _squeeze(_line_text(line))
        m = re.fullmatch(r"(\S{3,28}?)文件", head)
        if m and _is_organ(m.group(1)):
            return m.group(1)
    opener = _title_opener(title)
    if opener:
        expanded = _expand(opener, text)
        if not re.match(r"^[市区县省]", expanded):
            return expanded
    signed = [c.issuer for c in closings if c.issuer]
    if signed:
        return signed[0]
    value = _field(fields, rules()["issuer"]["field_labels"])
    if value and _is_organ(value):
        return _squeeze(value)
    if opener:
        return opener
    for line in lines[:20]:
        m = _CONGRESS.search(_squeeze(line))
        if m and _LAW_HISTORY.search(line) and parse_dates(line):
            return m.group(1)
    m = _RESPONSIBLE.search(_squeeze(text))
    if m and _is_organ(m.group(1)):
        expanded = _expand(m.group(1), text)
        if not re.match(r"^[市区县省]", expanded):
            return expanded
    m = _GOV_DECIDED.search(_squeeze(text[:3000]))
    if m:
        named = re.match(r"^(?:关于将?)?([\u4e00-\u9fff]{2,3}[市省区县])", title)
        city = _city(text) or (named.group(1) if named else "")
        if city:
            return f"{city}人民政府"
    return ""


def _date(
    lines: list[str], fields: dict[str, str], closings: list[_Closing], doc_number: str, text: str
) -> str:
    cfg = rules()["date"]
    signed = _field(fields, cfg["signed_labels"])
    if signed and parse_dates(signed):
        return parse_dates(signed)[0][0]
    if closings:
        return closings[0].date
    # A law or regulation: the latest date of its history (通过/修正/修订), so a revised
    # text is dated by its last revision, not by the in-force date of its first version.
    history = [
        parse_dates(line)[0][0]
        for line in lines[:20]
        if _LAW_HISTORY.search(line)
        and parse_dates(line)
        and _rx("date", "history_body").search(_squeeze(line))
    ]
    if history:
        return max(history)
    posted = _field(fields, cfg["posted_labels"])
    posted_iso = parse_dates(posted)[0][0] if posted and parse_dates(posted) else ""
    in_force = ""
    flat = _squeeze(text)
    for m in re.finditer(r"自(.{4,16}?)起(施行|实施|执行)", flat):
        if parse_dates(m.group(1)):
            in_force = parse_dates(m.group(1))[0][0]
            break
    if in_force and (not posted_iso or in_force < posted_iso):
        return in_force  # a page posted years later: the in-force date is nearer the document's own
    if posted_iso:
        return posted_iso
    year = re.search(r"((?:19|20)\d{2})", doc_number)
    return year.group(1) if year else ""
