"""Recover a document's outline: plan actions and measures, statute chapters and articles,
and the numbered headings of ordinary Chinese official texts.

The result is a flat list of `Section`s, each a piece of body text with the heading path
above it. Chunking then works on sections and never merges two of them.

Shapes recognised:
- Markdown headings (`#`, `##`).
- Statutes: 第X编/章/节 headings; each 第X条 article is its own section.
- Official outlines: 一、 > （一） > 1、/1. > （1）; a paragraph led by "（一）重大意义。" is
  a section named by its lead phrase.
- Plans laid out as web pages: a block of one or two short unpunctuated lines is a
  heading block ("行动" name, then "措施" title); a block of many very short lines is a
  wrapped list (a graphic's labels); a paragraph before any heading that states a
  deadline ("到2023年…") is the overall goal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_NUM = "一二三四五六七八九十百零〇两"
_MD_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*$")
_PART = re.compile(rf"^第[{_CN_NUM}\d]+[编章](\s|$)")
_SECTION = re.compile(rf"^第[{_CN_NUM}\d]+节(\s|$)")
_ARTICLE = re.compile(rf"^(第[{_CN_NUM}\d]+条)(?:\s+|(?=[\u4e00-\u9fff]))")
_OUTLINE = [
    ("cn", re.compile(rf"^[{_CN_NUM}]+、")),
    ("paren_cn", re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    ("arabic", re.compile(r"^\d{1,2}[、.．](?!\d)")),
    ("paren_arabic", re.compile(r"^[（(]\d{1,2}[）)]")),
]
_SENTENCE_END = re.compile(r"[。；！？;!?]")
_ANY_PUNCT = re.compile(r"[，。；：！？,;:!?]")
_DEADLINE_LEAD = re.compile(r"^(到|至|力争到|计划到)\s*\d{4}\s*年")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")

HEADING_MAX = 40
PLAN_HEADING_MAX = 30
WRAPPED_LINE_MAX = 8
LEAD_PHRASE_MAX = 14

_LEAD_PHRASE = re.compile(rf"^(.{{2,{LEAD_PHRASE_MAX + 4}}}?)[。：:]")

GOAL_LABEL = "总体目标"
TASKS_LABEL = "主要任务"


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    text: str


def _squash(title: str) -> str:
    """'第一章 总 则' -> '第一章 总则': spaces inside Chinese words are layout, not content."""
    title = title.strip()
    m = re.match(rf"^(第[{_CN_NUM}\d]+[编章节])\s*(.*)$", title)
    if m:
        rest = _CJK_SPACE.sub("", m.group(2))
        return f"{m.group(1)} {rest}".strip()
    return _CJK_SPACE.sub("", title)


def _outline_kind(line: str) -> str | None:
    for kind, pattern in _OUTLINE:
        if pattern.match(line):
            return kind
    return None


def _is_short_heading(line: str, limit: int) -> bool:
    text = line.strip()
    return (
        0 < len(text) <= limit
        and not _ANY_PUNCT.search(text)
        and not re.search(r"\s", text)  # "成立领导小组 设立…" is a list, not a title
    )


def _group_wrapped(lines: list[str]) -> list[str]:
    """Rejoin labels a graphic wrapped over several lines.

    Labels laid out in a grid wrap the same way, so the smallest group size whose groups
    all share one line-length pattern is taken; otherwise each line is its own label.
    """
    n = len(lines)
    for size in range(2, n // 2 + 1):
        if n % size:
            continue
        groups = [lines[i : i + size] for i in range(0, n, size)]
        patterns = {tuple(len(x) for x in g) for g in groups}
        if len(patterns) == 1:
            return ["".join(g) for g in groups]
    return lines


class _Outline:
    """A heading stack where each heading style gets its level the first time it is seen."""

    def __init__(self) -> None:
        self.levels: list[str] = []  # heading styles, outermost first
        self.stack: list[tuple[str, str]] = []  # (style, title)

    def push(self, style: str, title: str) -> None:
        if style not in self.levels:
            self.levels.append(style)
        level = self.levels.index(style)
        self.stack = [(s, t) for s, t in self.stack if self.levels.index(s) < level]
        self.stack.append((style, title))

    def reset(self, title: str | None = None) -> None:
        self.stack = [("plan", title)] if title else []

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.stack)


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def parse_sections(text: str, title: str = "") -> list[Section]:
    """Split cleaned document text into sections with heading paths."""
    outline = _Outline()
    sections: list[Section] = []
    seen_heading = False
    for block in _blocks(text):
        # Plan-style heading block: "学位建设攻坚行动" / "保障义务教育学位供给".
        marked = len(block) == 1 and bool(_outline_kind(block[0]) or _PART.match(block[0]))
        if len(block) <= 2 and all(_is_short_heading(x, PLAN_HEADING_MAX) for x in block) and not marked:
            outline.stack = [("plan", x) for x in block]
            seen_heading = True
            continue
        if len(block) >= 4 and all(_is_short_heading(x.replace(",", ""), WRAPPED_LINE_MAX) for x in block):
            items = _group_wrapped(block)
            sections.append(Section((TASKS_LABEL,), "；".join(items) + "。"))
            continue
        for line in block:
            seen_heading = _consume_line(line, outline, sections, title, seen_heading)
    return [s for s in sections if s.text.strip()]


def _consume_line(
    line: str, outline: _Outline, sections: list[Section], title: str, seen_heading: bool
) -> bool:
    first = not sections and not outline.stack
    if first and title and line.strip().lstrip("#").strip() == title and not _SENTENCE_END.search(line):
        # The document's own title repeated as its first line; a sentence is content even
        # when it is the only line and so also the guessed title.
        return seen_heading
    md = _MD_HEADING.match(line)
    if md:
        heading = _squash(md.group(2))
        if len(md.group(1)) == 1 and (not title or heading in title or title in heading):
            return seen_heading  # the document title itself is not a section
        if _PART.match(heading) or _SECTION.match(heading):
            outline.push("section" if _SECTION.match(heading) else "part", heading)
        else:
            outline.push("md" + md.group(1), heading)
        return True
    if _PART.match(line) and len(line) <= HEADING_MAX:
        outline.push("part", _squash(line))
        return True
    if _SECTION.match(line) and len(line) <= HEADING_MAX:
        outline.push("section", _squash(line))
        return True
    article = _ARTICLE.match(line)
    if article:
        sections.append(Section((*outline.path, article.group(1)), line))
        return True
    kind = _outline_kind(line)
    if kind and len(line) <= HEADING_MAX and not _SENTENCE_END.search(line):
        outline.push(kind, line.rstrip("：:"))
        return True
    if kind:
        lead = _LEAD_PHRASE.match(line)
        if lead and not _ANY_PUNCT.search(lead.group(1)[2:]):
            sections.append(Section((*outline.path, lead.group(1)), line))
            return True
    if not seen_heading and not outline.stack and _DEADLINE_LEAD.match(line):
        sections.append(Section((GOAL_LABEL,), line))
        return seen_heading
    _append_body(sections, outline.path, line)
    return seen_heading


def _append_body(sections: list[Section], path: tuple[str, ...], line: str) -> None:
    """An unmarked line continues the open section under the same heading: an article's
    later paragraphs, or prose under one heading (chunking splits what grows too long)."""
    if sections and sections[-1].path[: len(path)] == path:
        last = sections[-1]
        sections[-1] = Section(last.path, last.text + "\n" + line)
    else:
        sections.append(Section(path, line))
