"""Validity and status: 有效期X年, 有效期至, a 失效日期 field, a plan's 2021—2023 span; a
document is historical when its validity is over, when its rules are for a past year's
intake, or when a local normative document is older than the usual five years."""

from __future__ import annotations

import datetime as dt
import re

from assistant.documents.metadata.common import as_date, field, rules, squeeze
from assistant.grammar.dates import RANGE_MARKS, YEAR, parse_dates
from assistant.grammar.numerals import CHARACTERS, to_int

# A year a title names: before 年/学年/年度/级/版 or a Chinese word, or closing the title;
# not followed by 修订/修正/修改 (a law's revision).
_TITLE_YEAR = re.compile(
    rf"(?<!\d)({YEAR})(?!\d)(?!\s*年?\s*(?:修订|修正|修改))(?:\s*(?:年|学年|年度|级|版)|(?=[\u4e00-\u9fff])|\s*[)）]?$)"
)
_LOCAL_TITLE = re.compile(r"^[\u4e00-\u9fff]{1,8}?[省市区县](?!场|民|委)")
_YEARS = re.compile(rf"({YEAR})\s*[{RANGE_MARKS}]+\s*({YEAR})\s*年")
_VALID_YEARS = re.compile(rf"(?:有效期|试行期)\s*(?:为|是)?\s*(\d{{1,2}}|[{CHARACTERS}]{{1,3}})\s*年")
_FROM_DATE = re.compile(r"自(.{4,20}?)起")
_FROM_ISSUE = re.compile(r"自(发布|印发|发文|公布|下发)之日起")
_ABOUT_ITSELF = re.compile(
    r"(本[\u4e00-\u9fff]{0,4}(办法|通知|意见|规定|通告|公告|方案|细则|决定|条例|规则|指南)|起(施行|实施|执行))"
)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def valid_until(text: str, issued: str, fields: dict[str, str], title: str) -> tuple[str, str]:
    """(ISO end of validity, Chinese reason) or ("", "")."""
    expiry = field(fields, rules()["date"]["expiry_labels"])
    if expiry and parse_dates(expiry):
        return parse_dates(expiry)[0][0], "失效日期"
    m = re.search(r"有效期至\s*(.{4,16}?日|.{4,8}?年)", squeeze(text))
    if m and parse_dates(m.group(1) if "月" in m.group(1) else m.group(1) + "12月31日"):
        return parse_dates(m.group(1) if "月" in m.group(1) else m.group(1) + "12月31日")[0][0], "有效期"
    flat = squeeze(text)
    for m in _VALID_YEARS.finditer(flat):
        years = to_int(m.group(1))
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
        day = as_date(start) if start else None
        if day:
            return _add_years(day, years).isoformat(), f"有效期{years}年"
    span = _YEARS.search(title)
    if span and int(span.group(2)) >= int(span.group(1)):
        return f"{span.group(2)}-12-31", "规划期"
    return "", ""


def status(title: str, issuer: str, date: str, until: str, today: dt.date) -> tuple[str, str]:
    if until:
        end = as_date(until, end_of_period=True)
        if end and end < today:
            return "historical", f"有效期至{end.year}年，已过期"
        return "current", ""
    cfg = rules()["status"]
    # The year a title names (before or after its words: "2016重庆…招生方案", "…招生政策
    # 15问2015", "…工作指引（2015年）"), not a law's revision year ("（2013年修订）").
    years = [int(m.group(1)) for m in _TITLE_YEAR.finditer(title)]
    year = years[0] if years else None
    words = re.search(cfg["yearly_words"], title)
    if year and words and year < today.year:
        return "historical", f"{year}年招生入学规定，可能已更新"
    guide = re.search(cfg["yearly_guides"], title)
    if year and guide and year < today.year:
        return "historical", f"{year}年的{guide.group(1)}，可能已更新"
    issued = as_date(date) if date else None
    # A local organ issued it: its issuer names a province, city, district or county, or,
    # with no issuer found, its title opens with such a place ("佛山市…实施办法").
    local = bool(re.search(r"[省市区县]", issuer)) if issuer else bool(_LOCAL_TITLE.match(title))
    local = local and not re.search(cfg["national_issuers"], issuer)
    bare = re.sub(r"([（(][^（）()]*[)）])+$", "", title)
    is_law = bool(re.search(r"((?<![办方做])法|条例)$", bare))
    if issued and local and not is_law and (today - issued).days > 365.25 * cfg["normative_max_years"]:
        years = cfg["normative_max_years"]
        return "historical", f"{issued.year}年发布，已超过规范性文件一般{years}年的有效期"
    return "current", ""
