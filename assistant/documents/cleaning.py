"""Remove web boilerplate from scraped pages: navigation, SEO spam, headline tickers, footers.

The rules describe the *shape* of boilerplate on government portals rather than the
lines of any one page:
- navigation: bullet-marked short items and the short lines between them, before the
  first real paragraph;
- run-ons: long lines with almost no punctuation (keyword spam, concatenated headlines);
- footers: once a run-on appears and no real paragraph follows, everything after it;
- provenance headers (`SOURCE: …`) that a crawler put on the first line;
- furniture of any portal (`data/metadata.toml` [furniture]): mastheads, breadcrumbs,
  widgets, page numbers, separator rules;
- menus: runs of short unpunctuated lines, rows of short link-like items, before the first
  paragraph; after the last paragraph only the 落款 (署名, date, 抄送/印发) and tables stay;
- garbled lines (glyphs of a font without a Unicode map), dropped and logged.
"""

from __future__ import annotations

import logging
import re

from assistant.documents.metadata import ends_like_title, is_furniture, is_garbled, parse_dates, rules
from assistant.documents.metadata.issuer import is_organ, suffix_pattern
from assistant.documents.structure import TABLE_CELL
from assistant.grammar.outline import starts_numbered
from assistant.grammar.sentences import (
    CLAUSE_MARKS,
    CLAUSE_PUNCTUATION,
    COLONS,
    ENDS,
    PROSE_MARK,
    PROSE_MARKS,
)

log = logging.getLogger(__name__)

_BULLET = re.compile(r"^\s*[•·▪◦►▶●■◆\-\*]\s*")
_SENTENCE_PUNCT = re.compile(f"[{re.escape(CLAUSE_MARKS + ENDS + COLONS)}]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Words that only ever appear in portal chrome, never in policy text, and the labels of
# article metadata printed by portal CMSs ("作者：… 来源：… 人气：…"): data/metadata.toml.
_CHROME_WORDS = re.compile("|".join(map(re.escape, rules()["furniture"]["chrome_words"])), re.IGNORECASE)
_SOURCE_HEADER = re.compile(r"^SOURCE:", re.IGNORECASE)
_CMS_LABEL = rf"({'|'.join(map(re.escape, rules()['furniture']['cms_labels']))})\s*[{COLONS}]"
_CMS_FIELD = re.compile(_CMS_LABEL)
_CMS_ONLY = re.compile(rf"^[［\[【(（]?\s*{_CMS_LABEL}[^{re.escape(PROSE_MARKS)}]{{0,30}}$")

NAV_ITEM_MAX = 16
RUN_ON_MIN = 60
RUN_ON_MAX_PUNCT_RATE = 0.012  # policy prose has a comma every ~15 chars (rate ≈ 0.07)


def is_nav_item(line: str) -> bool:
    text = _BULLET.sub("", line).strip()
    # "■ 公布新生名单：6月24日。" is content with a bullet, not a menu item.
    bulleted = bool(_BULLET.match(line)) and len(text) <= NAV_ITEM_MAX and not _SENTENCE_PUNCT.search(text)
    # "繁 | En"; a two-column table header ("时间 | 工作内容") has no Latin side.
    switch = bool(re.fullmatch(r"\S{1,4}\s*\|\s*\S{1,8}", text)) and bool(re.search(r"[A-Za-z]", text))
    return bulleted or switch or (len(text) <= NAV_ITEM_MAX and bool(_CHROME_WORDS.search(text)))


def is_run_on(line: str) -> bool:
    text = line.strip()
    if len(text) < RUN_ON_MIN:
        return False
    if "《" in text and len(text) < 200:
        return False  # a citation line such as "…《关于修改〈…〉的决定》第一次修正"
    rate = len(CLAUSE_PUNCTUATION.findall(text)) / len(text)
    return rate < RUN_ON_MAX_PUNCT_RATE


def is_paragraph(line: str) -> bool:
    """Real prose: long enough and punctuated like sentences."""
    text = line.strip()
    if _is_link_row(text):
        return False  # "办事指南 | 学生、家长 | …" is a menu, however long
    return len(text) >= 30 and not is_run_on(text) and bool(_SENTENCE_PUNCT.search(text))


def is_cms_metadata(line: str) -> bool:
    """'［ 作者：超级 管理员 来源：原创 人气：8748 …' or a lone '信息来源：市教育局'."""
    text = line.strip()
    return len(_CMS_FIELD.findall(text)) >= 2 or bool(_CMS_ONLY.match(text))


def is_chrome_row(line: str) -> bool:
    """A footer/link row: several short space-separated items, at least one of them chrome."""
    items = line.split()
    return len(items) >= 3 and all(len(i) <= 12 for i in items) and bool(_CHROME_WORDS.search(line))


def _is_latin_chrome(line: str) -> bool:
    """A line of Latin words and no Chinese ("Branch: master", "© 2016 GitHub, Inc."): in a
    Chinese page, outside its text, the chrome of the site or viewer that showed it."""
    text = line.strip()
    return bool(text) and not _CJK.search(text) and bool(_LATIN_WORD.search(text)) and " | " not in text


def _strip_header(lines: list[str]) -> list[str]:
    """Drop navigation before the first paragraph; keep headings that are not nav-like."""
    first_para = next((i for i, line in enumerate(lines) if is_paragraph(line)), len(lines))
    head = lines[:first_para]
    nav = [is_nav_item(line) for line in head]
    chinese = first_para < len(lines) and bool(_CJK.search(lines[first_para]))
    kept: list[str] = []
    for i, line in enumerate(head):
        if not line.strip():
            kept.append(line)
            continue
        if chinese and _is_latin_chrome(line):
            continue
        near_nav = any(nav[j] for j in (i - 1, i + 1) if 0 <= j < len(head))
        if nav[i] or (near_nav and len(line.strip()) <= NAV_ITEM_MAX):
            continue  # a site title squeezed between menu items is chrome too
        kept.append(line)
    return kept + lines[first_para:]


def _strip_footer(lines: list[str]) -> list[str]:
    """Cut at the first run-on line that no real paragraph follows."""
    for i, line in enumerate(lines):
        if is_run_on(line) and not any(is_paragraph(rest) for rest in lines[i + 1 :]):
            return lines[:i]
    return lines


def clean_web_text(text: str, name: str = "", boilerplate: frozenset[str] = frozenset()) -> str:
    """Return the text without portal boilerplate; paragraphs and blank lines are kept.
    `boilerplate`: lines other pages of the same site repeat (see `repeated_lines`)."""
    lines = text.split("\n")
    if lines and _SOURCE_HEADER.match(lines[0]):
        lines = lines[1:]
    if boilerplate:
        lines = [line for line in lines if line.strip() not in boilerplate]
    garbled = [line for line in lines if is_garbled(line)]
    if garbled:
        log.warning(
            "%s: dropped %d garbled line(s) (font without a Unicode map)", name or "text", len(garbled)
        )
    lines = [line for line in lines if not is_garbled(line) and not _is_ornament(line)]
    lines = [
        line
        for line in lines
        if not is_cms_metadata(line) and not _is_furniture_line(line) and not _is_print_line(line)
    ]
    lines = _strip_menu_runs(lines)
    lines = _strip_header(lines)
    lines = _strip_footer(lines)
    lines = _strip_tail(lines)
    lines = [
        line
        for line in lines
        if not (is_run_on(line) or is_chrome_row(line) or (is_nav_item(line) and not _is_text_item(line)))
    ]
    return _collapse_blank_lines("\n".join(lines)).strip() + "\n"


_LINK_ROW_SPLIT = re.compile(r"\s*[|｜]\s*|\s+")
_MENU_ITEM_MAX = 20
_MENU_RUN_MIN = 3
# A menu entry may end like a title ("政府信息公开指南"); a document's title is longer.
_TITLE_MIN = 10
_PROSE_MIN = 20
# The 落款 date follows the last paragraph within a few lines (署名, 特此通知, the date).
_CLOSING_WINDOW = 5
# Longest line counted as a site's repeated navigation.
_REPEATED_MAX = 40
_CONTACT = re.compile(r"[\w.]+@[\w.]+|https?://|www\.")


def _is_footer(line: str) -> bool:
    text = line.strip()
    return bool(text) and (bool(_CONTACT.search(text)) or is_furniture(text))


_CLOSING = re.compile("^(" + "|".join(map(re.escape, rules()["closing"]["starts"])) + ")")


def _title_like(text: str) -> bool:
    """Shaped like a document's title: "关于…", or ending in the type of a normative
    document (通知, 办法 …); a menu entry may end in 规划 or 标准."""
    return "关于" in text or ends_like_title(text, normative_only=True)


def _is_ornament(line: str) -> bool:
    """A line of symbols alone ("☀☀☀☀…", "※※※", "————"): a divider, no text to retrieve."""
    return bool(line.strip()) and not _WORD_CHARACTER.search(line)


_WORD_CHARACTER = re.compile(r"\w")


def _is_furniture_line(line: str) -> bool:
    """A line of portal or print furniture (never a sentence or an item of the document)."""
    text = line.strip()
    if not text or len(text) > 120 or starts_numbered(text) or CLAUSE_PUNCTUATION.search(text.rstrip("。")):
        return False
    return is_furniture(text)


def _is_menu_item(line: str) -> bool:
    if line.lstrip().startswith("#"):
        return False  # a Markdown heading is the document's own
    text = _BULLET.sub("", line).strip()
    return (
        0 < len(text) <= _MENU_ITEM_MAX
        and not _SENTENCE_PUNCT.search(text.replace("、", ""))
        and not starts_numbered(text)
        and not (_title_like(text) and (len(text) >= _TITLE_MIN or "关于" in text))
        and not parse_dates(text)
        and not re.search(r"\d{2,}", text)
    )


def _is_link_row(line: str) -> bool:
    """'办事指南 | 表格下载 | 网上咨询 …': four or more short items, no digits, no sentence."""
    if line.lstrip().startswith("#") or starts_numbered(line):
        return False
    items = [i for i in _LINK_ROW_SPLIT.split(line.strip()) if i]
    return (
        len(items) >= 4
        and all(2 <= len(i) <= 8 for i in items)
        and not re.search(r"\d", line)
        and not PROSE_MARK.search(line)
    )


def _heads_table(lines: list[str], i: int) -> bool:
    """Whether line `i` ("所属地 | 编号 | 办学机构名称 | …") is the header row of a table: the
    next line is a data row (no link row) with as many cells. A menu is followed by no such row."""
    after = next((line for line in lines[i + 1 :] if line.strip()), "")
    return TABLE_CELL in after and _width(after) == _width(lines[i]) and not _is_link_row(after)


def _width(row: str) -> int:
    """Cells in a table row; an empty last cell ("… | 市公安局 |") counts, its space trimmed."""
    return row.strip().count(TABLE_CELL.strip()) + 1


def _strip_menu_runs(lines: list[str]) -> list[str]:
    """Before the first paragraph, drop link rows and runs of three or more short menu items
    (blank lines between them do not break a run)."""
    first_para = next((i for i, line in enumerate(lines) if is_paragraph(line)), len(lines))
    drop: set[int] = {i for i in range(first_para) if _is_link_row(lines[i]) and not _heads_table(lines, i)}
    run: list[int] = []
    for i in range(first_para + 1):
        line = lines[i] if i < first_para else ""
        if i < first_para and not line.strip():
            continue
        if i < first_para and _is_menu_item(line):
            run.append(i)
            continue
        if len(run) >= _MENU_RUN_MIN:
            drop.update(run)
        run = []
    return [line for i, line in enumerate(lines) if i not in drop]


def _is_prose(line: str) -> bool:
    text = line.strip()
    if len(text) < _PROSE_MIN or not CLAUSE_PUNCTUATION.search(text) or _CHROME_WORDS.search(text):
        return False
    if _CONTACT.search(text) and not starts_numbered(text):
        return False  # a contact or address block, not the document's text
    return not re.search(rules()["furniture"]["footer"], text)


_PRINT_ENDS = tuple(rules()["closing"]["print_ends"])


def _is_print_line(line: str) -> bool:
    """The 版记's print line: the printing office (or nothing), a date, 印发."""
    text = line.strip().replace(" ", "").replace("\u3000", "")
    if not text.endswith(_PRINT_ENDS):
        return False
    dates = parse_dates(text)
    if not dates:
        return False
    _, start, end = dates[-1]
    before, after = text[:start], text[end:]
    return after in _PRINT_ENDS and (not before or is_organ(before))


def _is_closing_line(line: str) -> bool:
    """What may follow a document's last paragraph: the 落款 and its kin, and tables."""
    text = line.strip().replace(" ", "")
    if not text or " | " in line or _CLOSING.match(text) or starts_numbered(text):
        return True
    if parse_dates(text) and len(text) <= 40 and not re.search(r"\d{1,2}:\d{2}", text):
        return True
    organ_end = rf"({suffix_pattern()})([（(](代章|盖章)[)）])?$"  # a 署名
    return len(text) <= 30 and bool(re.search(organ_end, text)) and not CLAUSE_PUNCTUATION.search(text)


def _is_closing_date(line: str) -> bool:
    """The date line of a 落款 ("2016年1月26日", "二〇一六年一月二十六日"), not a time stamp."""
    text = line.strip().replace(" ", "")
    dates = parse_dates(text)
    if not dates or re.search(r"\d{1,2}:\d{2}", text):
        return False
    rest = text[: dates[0][1]] + text[dates[0][2] :]
    rest = re.sub(r"[（(][^）)]{0,12}[)）]$", "", rest)
    return len(rest) <= 30 and not CLAUSE_PUNCTUATION.search(rest)


def _strip_tail(lines: list[str]) -> list[str]:
    """Once the last paragraph is closed by its 落款 date, what follows is the page's
    footer: keep only the 落款's kin (抄送/印发 lines, attachments, tables)."""
    last = max((i for i, line in enumerate(lines) if _is_prose(line)), default=-1)
    if last < 0:
        return lines
    after = [i for i in range(last + 1, len(lines)) if lines[i].strip()][:_CLOSING_WINDOW]
    closing = next((i for i in after if _is_closing_date(lines[i])), None)
    if closing is None:  # no 落款: drop only the footer's own lines
        chinese = bool(_CJK.search(lines[last]))
        return lines[: last + 1] + [
            line
            for line in lines[last + 1 :]
            if not _is_footer(line) and not (chinese and _is_latin_chrome(line))
        ]
    tail = [line for line in lines[closing + 1 :] if not line.strip() or _is_closing_line(line)]
    return lines[: closing + 1] + tail


def repeated_lines(texts: list[str], min_files: int = 2) -> frozenset[str]:
    """Menu-like lines that at least `min_files` pages of one site share: the site's own
    navigation. A line of the documents' own kind (a heading, a date, a 署名, a table row,
    a sentence) is never one, however often a bureau repeats it."""
    counts: dict[str, int] = {}
    for text in texts:
        for line in {line.strip() for line in text.split("\n")}:
            if _is_repeatable_chrome(line):
                counts[line] = counts.get(line, 0) + 1
    return frozenset(line for line, n in counts.items() if n >= min_files)


def _is_repeatable_chrome(line: str) -> bool:
    if not line or len(line) > _REPEATED_MAX or " | " in line or line.startswith("#"):
        return False
    if _SENTENCE_PUNCT.search(line) or starts_numbered(line) or _CLOSING.match(line) or parse_dates(line):
        return False
    return not (_is_closing_line(line) or _title_like(line))


def _is_text_item(line: str) -> bool:
    """Chinese list items ("• 一、…") look like bullets but carry text: keep them."""
    text = _BULLET.sub("", line).strip()
    return len(_CJK.findall(text)) >= 8 and not _CHROME_WORDS.search(text)


def _collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n[ \t\u3000]*(\n[ \t\u3000]*)+", "\n\n", text)
