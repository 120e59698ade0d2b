"""Remove web boilerplate from scraped pages: navigation, SEO spam, headline tickers, footers.

The rules describe the *shape* of boilerplate on government portals rather than the
lines of any one page:
- navigation: bullet-marked short items and the short lines between them, before the
  first real paragraph;
- run-ons: long lines with almost no punctuation (keyword spam, concatenated headlines);
- footers: once a run-on appears and no real paragraph follows, everything after it;
- provenance headers (`SOURCE: …`) that a crawler put on the first line.
"""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*[•·▪◦►▶●■◆\-\*]\s*")
_SENTENCE_PUNCT = re.compile(r"[，。；：！？、,;:!?]")
_CLAUSE_PUNCT = re.compile(r"[，。；！？、,;!?]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Words that only ever appear in portal chrome, never in policy text.
_CHROME_WORDS = re.compile(
    r"(网站地图|XML地图|TXT地图|版权所有|ICP备|公网安备|网站标识码|主办单位|承办单位|技术支持|"
    r"无障碍|关怀版|移动版|繁体版|简体版|English|智能机器人|联系我们|网站优化|SEO)",
    re.IGNORECASE,
)
_SOURCE_HEADER = re.compile(r"^SOURCE:", re.IGNORECASE)
# Article metadata printed by portal CMSs ("作者：… 来源：… 人气：…", "信息提供日期：…").
_CMS_LABEL = (
    r"(作者|来源|信息来源|人气|评论|推荐等级|录入者|创建时间|发布时间|发布日期|更新时间|"
    r"信息提供日期|浏览次数|点击数|阅读次数|字号|关键字|关键词|责任编辑|编辑)\s*[：:]"
)
_CMS_FIELD = re.compile(_CMS_LABEL)
_CMS_ONLY = re.compile(rf"^[［\[【(（]?\s*{_CMS_LABEL}[^，。；]{{0,30}}$")

NAV_ITEM_MAX = 16
RUN_ON_MIN = 60
RUN_ON_MAX_PUNCT_RATE = 0.012  # policy prose has a comma every ~15 chars (rate ≈ 0.07)


def is_nav_item(line: str) -> bool:
    text = _BULLET.sub("", line).strip()
    # "■ 公布新生名单：6月24日。" is content with a bullet, not a menu item.
    bulleted = bool(_BULLET.match(line)) and len(text) <= NAV_ITEM_MAX and not _SENTENCE_PUNCT.search(text)
    switch = bool(re.fullmatch(r"\S{1,4}\s*\|\s*\S{1,8}", text))  # "繁 | En"
    return bulleted or switch or (len(text) <= NAV_ITEM_MAX and bool(_CHROME_WORDS.search(text)))


def is_run_on(line: str) -> bool:
    text = line.strip()
    if len(text) < RUN_ON_MIN:
        return False
    if "《" in text and len(text) < 200:
        return False  # a citation line such as "…《关于修改〈…〉的决定》第一次修正"
    rate = len(_CLAUSE_PUNCT.findall(text)) / len(text)
    return rate < RUN_ON_MAX_PUNCT_RATE


def is_paragraph(line: str) -> bool:
    """Real prose: long enough and punctuated like sentences."""
    text = line.strip()
    return len(text) >= 30 and not is_run_on(text) and bool(_SENTENCE_PUNCT.search(text))


def is_cms_metadata(line: str) -> bool:
    """'［ 作者：超级 管理员 来源：原创 人气：8748 …' or a lone '信息来源：市教育局'."""
    text = line.strip()
    return len(_CMS_FIELD.findall(text)) >= 2 or bool(_CMS_ONLY.match(text))


def is_chrome_row(line: str) -> bool:
    """A footer/link row: several short space-separated items, at least one of them chrome."""
    items = line.split()
    return len(items) >= 3 and all(len(i) <= 12 for i in items) and bool(_CHROME_WORDS.search(line))


def _strip_header(lines: list[str]) -> list[str]:
    """Drop navigation before the first paragraph; keep headings that are not nav-like."""
    first_para = next((i for i, line in enumerate(lines) if is_paragraph(line)), len(lines))
    head = lines[:first_para]
    nav = [is_nav_item(line) for line in head]
    kept: list[str] = []
    for i, line in enumerate(head):
        if not line.strip():
            kept.append(line)
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


def clean_web_text(text: str) -> str:
    """Return the text without portal boilerplate; paragraphs and blank lines are kept."""
    lines = text.split("\n")
    if lines and _SOURCE_HEADER.match(lines[0]):
        lines = lines[1:]
    lines = [line for line in lines if not is_cms_metadata(line)]
    lines = _strip_header(lines)
    lines = _strip_footer(lines)
    lines = [
        line
        for line in lines
        if not (is_run_on(line) or is_chrome_row(line) or (is_nav_item(line) and not _is_text_item(line)))
    ]
    return _collapse_blank_lines("\n".join(lines)).strip() + "\n"


def _is_text_item(line: str) -> bool:
    """Chinese list items ("• 一、…") look like bullets but carry text: keep them."""
    text = _BULLET.sub("", line).strip()
    return len(_CJK.findall(text)) >= 8 and not _CHROME_WORDS.search(text)


def _collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n[ \t\u3000]*(\n[ \t\u3000]*)+", "\n\n", text)
