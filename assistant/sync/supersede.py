"""Which documents a newer one replaces, read from the texts and titles.

Two sources of supersession:
- a notice's own words: "原《…》同时废止", "《…》（文号）停止执行", "…以本通知为准" name the
  replaced document by title or 文号 (patterns in data/sync.toml);
- versions: two documents with the same title once years and bracketed qualifiers are set
  aside (the next year's 招生工作方案 of the same area, a law's 修正 text beside its older
  one) and the same issuer: the later one replaces the earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.grammar.dates import DOC_NUMBER, RANGE_MARKS, YEAR, norm_doc_number
from assistant.grammar.sentences import FULL_STOPS, split_sentences
from assistant.sync.links import rules

_SPACES = re.compile(r"[\s\u3000\xa0]+")
# A date and what follows it within the same sentence.
_DATED_CLAUSE = rf"\d{{4}}年\d{{1,2}}月\d{{1,2}}日[^{FULL_STOPS}]{{0,60}}?"
_QUALIFIER = re.compile(r"[（(][^（）()]{0,20}[)）]")
# A year or a span of years with what names a school year ("2021—2023年", "2016学年").
_YEAR = re.compile(rf"{YEAR}(?:\s*[{RANGE_MARKS}]\s*(?:19|20)?\d{{2,4}})?\s*(?:学?年度?|级)?")
_WRAPPER = re.compile(r"^.{0,30}?关于(?:印发|转发|发布)《?(?P<inner>.+?)》?的通知$")
_CITED = re.compile(r"《(?P<title>[^《》]+)》(?:[（(](?P<number>[^（）()]+?号)[)）])?")


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    title: str
    issuer: str = ""
    date: str = ""
    doc_number: str = ""
    url: str = ""
    revised: bool = False  # its text carries a revision history (修订/修正/修改)


@dataclass(frozen=True)
class Claim:
    """A sentence of a document that names an earlier document as replaced."""

    title: str  # the cited title ("" when only a 文号 is cited)
    number: str  # the cited 文号, normalised
    sentence: str


@dataclass(frozen=True)
class Supersession:
    old: str  # doc_id
    new: str  # doc_id
    reason: str  # Chinese, shown with the old document and in answers
    evidence: str = ""  # the sentence, or "版本" for a newer version


@lru_cache(maxsize=1)
def _patterns() -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    cfg = rules()["supersede"]
    numbered = [re.compile(p.replace("{doc_number}", DOC_NUMBER.pattern)) for p in cfg["repeal_number"]]
    return [re.compile(p) for p in cfg["repeal"]], numbered


def squeeze(text: str) -> str:
    return _SPACES.sub("", text)


def norm_number(number: str) -> str:
    """'深教〔2015〕12号' and '深教[2015]12号' compare equal."""
    return norm_doc_number(number)


def core_title(title: str) -> str:
    """A title without spaces, brackets' qualifiers, the 印发…的通知 wrapper and 《》."""
    text = squeeze(title)
    wrapped = _WRAPPER.match(text)
    if wrapped:
        text = wrapped.group("inner")
    text = _QUALIFIER.sub("", text).strip("《》")
    return text


def series_key(title: str) -> str:
    """The title with its years masked: one key for every year's version."""
    return _YEAR.sub("#", core_title(title))


def claims(text: str) -> list[Claim]:
    """Sentences of `text` that repeal or replace a named document."""
    titled, numbered = _patterns()
    found: list[Claim] = []
    for sentence in split_sentences(squeeze(text)):
        for rx in titled:
            for m in rx.finditer(sentence):
                for cited in _CITED.finditer(m.group("list")):
                    number = cited.group("number") or ""
                    found.append(Claim(cited.group("title"), norm_number(number), sentence))
        for rx in numbered:
            for m in rx.finditer(sentence):
                found.append(Claim("", norm_number(m.group("number")), sentence))
    unique: dict[tuple[str, str], Claim] = {}
    for claim in found:
        unique.setdefault((core_title(claim.title), claim.number), claim)
    return list(unique.values())


def matches(claim: Claim, doc: DocInfo) -> bool:
    if claim.number and doc.doc_number and norm_number(doc.doc_number) == claim.number:
        return True
    if not claim.title:
        return False
    cited, own = core_title(claim.title), core_title(doc.title)
    return bool(cited) and (cited == own or f"《{cited}》" in squeeze(doc.title))


def _label(doc: DocInfo) -> str:
    extra = "，".join(x for x in (doc.doc_number, doc.date) if x)
    return f"《{doc.title}》" + (f"（{extra}）" if extra else "")


def from_claims(new: DocInfo, text: str, docs: list[DocInfo]) -> list[Supersession]:
    """The documents `new`'s text says it repeals or replaces."""
    out: list[Supersession] = []
    for claim in claims(text):
        for doc in docs:
            if doc.doc_id == new.doc_id or not matches(claim, doc):
                continue
            if doc.date and new.date and doc.date[:10] > new.date[:10]:
                continue  # a document cannot be repealed by an older one
            verb = "以其为准" if "为准" in claim.sentence else "废止"
            reason = f"已被{_label(new)}{verb}" + (f"，见 {new.url}" if new.url else "")
            out.append(Supersession(doc.doc_id, new.doc_id, reason, claim.sentence[:200]))
    return out


def from_versions(docs: list[DocInfo]) -> list[Supersession]:
    """Earlier versions of the same rules: same title once years and qualifiers are set
    aside, same issuer (when both are known); the latest date wins. A title without a
    year must be a revised text (修订/修正/修改) to replace a namesake; a yearly series
    (招生工作方案, 入学通知 …) replaces last year's by its year."""
    yearly = re.compile(rules()["supersede"]["yearly_title"])
    groups: dict[str, list[DocInfo]] = {}
    for doc in docs:
        if doc.title and doc.date:
            groups.setdefault(series_key(doc.title), []).append(doc)
    out: list[Supersession] = []
    for key, members in groups.items():
        if len(members) < 2 or len(key) < 6:
            continue
        members = sorted(members, key=lambda d: d.date)
        latest = members[-1]
        with_year = "#" in key
        for doc in members[:-1]:
            if doc.issuer and latest.issuer and squeeze(doc.issuer) != squeeze(latest.issuer):
                continue
            if doc.date[:4] == latest.date[:4] and with_year:
                continue  # the same year's document posted twice is a duplicate, not a version
            if with_year and not yearly.search(key):
                continue
            if not with_year and not latest.revised:
                continue
            what = "新的年度版本" if with_year else "修订后的版本"
            reason = f"已被{what}{_label(latest)}取代" + (f"，见 {latest.url}" if latest.url else "")
            out.append(Supersession(doc.doc_id, latest.doc_id, reason, "版本"))
    return out


def is_revised(text: str) -> bool:
    """A text whose opening history says it was revised or amended."""
    head = squeeze(text[:1500])
    return bool(re.search(_DATED_CLAUSE + rules()["supersede"]["revision_words"], head))
