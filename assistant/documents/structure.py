"""Recover a document's outline: plan actions and measures, statute chapters and articles,
the numbered headings of Chinese official texts, annexes and tables.

The result is a flat list of `Section`s, each a piece of body text with the heading path
above it. Chunking then works on sections and never merges two of them.

Headings follow the small grammar of official documents (GB/T 9704), outermost first:
附件 (a bare annex label), plan-style heading blocks, Markdown `#`, 第X编 > 第X章 > 第X节 >
第X条, then 一、 > （一） > 1. > （1） > ①. A heading's level is its style's rank in that
order, so nesting comes from the numbering itself, a style never seen before cannot be
unknown, and a path always runs from outer to inner styles.

Other shapes:
- each 第X条 article is its own section; numbered items inside it stay in it;
- a numbered paragraph led by a short phrase ("（一）重大意义。…") is headed by that phrase;
- a block of one or two short unpunctuated lines is a plan heading block ("行动" name,
  then "措施" title), unless it is document furniture (文号, dates, masthead, signature)
  or a table's caption;
- a block of many very short lines is a wrapped list (a graphic's labels);
- a run of table rows (cells joined by " | " by the loaders) is a section of its own,
  headed by its caption;
- a paragraph before any heading that states a deadline ("到2023年…") is the overall goal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.documents.metadata import rules
from assistant.documents.metadata.issuer import suffix_pattern
from assistant.grammar import outline
from assistant.grammar.dates import DEADLINE_LEAD, DOC_NUMBER_TAIL, YEAR
from assistant.grammar.sentences import COLONS, FULL_STOPS, PUNCTUATION, SENTENCE_END

_MD_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*$")
_STATUTE_STYLES = ("part", "chapter", "section")  # 第X编/章/节 headings; 条 articles apart
_OUTLINE_STYLES = ("cn", "paren_cn", "arabic", "paren_arabic", "circled")
# A statute heading is the numbering alone or followed by its title after a space.
_STATUTE = {style: re.compile(rf"^{outline.STYLES[style]}(\s|$)") for style in _STATUTE_STYLES}
_ARTICLE = re.compile(rf"^({outline.STYLES['article']})(?:\s+|(?=[\u4e00-\u9fff]))")
# An annex starts with its bare label on a line of its own; "附件：1.…" lists annexes.
_ANNEX = re.compile(rf"^({outline.ANNEX})\s*[{outline.NUMERALS}\d]*$")
# Every heading style by rank (outermost first): the numbering's own order, below the
# annex label, plan heading blocks and Markdown headings.
RANKS = {
    style: rank
    for rank, style in enumerate(["annex", "plan", "plan2", *(f"md{n}" for n in range(1, 7)), *outline.ORDER])
}
# The frame of an official document: short lines that are never headings.
_FURNITURE = [
    re.compile(r"文件$"),  # masthead: 天津市教育委员会文件
    DOC_NUMBER_TAIL,  # 文号: 津教委〔2016〕12号
    re.compile(rf"^{YEAR}\s*年\s*\d{{1,2}}\s*月(\s*\d{{1,2}}\s*日)?"),  # date
    re.compile(r"^[（(]此件[^）)]{0,10}[）)]$"),  # （此件主动公开）
    re.compile(r"^[_＿—\-=]{5,}$"),  # the rule under a red header
    re.compile("^(" + "|".join(map(re.escape, rules()["closing"]["frame_starts"])) + ")"),
    re.compile(rf"({suffix_pattern()})$"),  # signature
]
TABLE_CELL = " | "  # how the loaders join the cells of one table row

_STATUTE_NUMBERS = [outline.STYLES[style] for style in _STATUTE_STYLES]
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")

HEADING_MAX = 40
PLAN_HEADING_MAX = 30
WRAPPED_LINE_MAX = 8
LEAD_PHRASE_MAX = 14

_LEAD_PHRASE = re.compile(rf"^(.{{2,{LEAD_PHRASE_MAX + 4}}}?)[{re.escape(FULL_STOPS + COLONS)}]")

GOAL_LABEL = "总体目标"
TASKS_LABEL = "主要任务"
TABLE_LABEL = "表格"  # a table with no caption line above it


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    text: str
    kind: str = "text"  # "text" or "table" (rows of cells joined by TABLE_CELL)


def _squash(title: str) -> str:
    """'第一章 总 则' -> '第一章 总则': spaces inside Chinese words are layout, not content."""
    title = title.strip()
    m = re.match(rf"^({'|'.join(_STATUTE_NUMBERS)})\s*(.*)$", title)
    if m:
        rest = _CJK_SPACE.sub("", m.group(2))
        return f"{m.group(1)} {rest}".strip()
    return _CJK_SPACE.sub("", title)


def _outline_kind(line: str) -> str | None:
    return outline.style_of(line, _OUTLINE_STYLES)


def _statute_kind(line: str) -> str | None:
    return next((kind for kind, pattern in _STATUTE.items() if pattern.match(line)), None)


def is_furniture(line: str) -> bool:
    return any(pattern.search(line.strip()) for pattern in _FURNITURE)


def is_table_row(line: str) -> bool:
    return TABLE_CELL in line


def _is_short_heading(line: str, limit: int) -> bool:
    text = line.strip()
    return (
        0 < len(text) <= limit
        and bool(re.search(r"\w", text))  # a run of control characters is no title
        and not PUNCTUATION.search(text)
        and not re.search(r"\s", text)  # "成立领导小组 设立…" is a list, not a title
    )


def _balanced(line: str) -> bool:
    """A heading closes what it opens; "…《普通高中课程标" is a line a PDF wrapped."""
    return all(line.count(a) <= line.count(b) for a, b in ("《》", "（）", "()", "“”"))


def _is_marked(line: str) -> bool:
    """Numbered or labelled as a heading by the grammar itself."""
    return bool(_outline_kind(line) or _statute_kind(line) or _ANNEX.match(line) or _ARTICLE.match(line))


def _is_caption(line: str) -> bool:
    """A short unnumbered line just above a table names it; a numbered one is a heading."""
    text = line.strip()
    short = 0 < len(text) <= HEADING_MAX and not SENTENCE_END.search(text)
    return short and not is_table_row(text) and not _is_marked(text)


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
    """The open headings, outermost first; a heading closes every open heading of its
    own rank or deeper, so the path always follows the grammar's order."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []  # (rank, title)
        self.in_article = False  # numbered lines after 第X条 are that article's items
        self.line = ""  # the line of the innermost heading, as written

    def push(self, style: str, title: str, line: str = "") -> None:
        self.close(style)
        self.stack.append((RANKS[style], title))
        self.in_article = False
        self.line = line or title

    def close(self, style: str) -> None:
        """Close the open headings of `style`'s rank or deeper."""
        self.stack = [(r, t) for r, t in self.stack if r < RANKS[style]]

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


def _starts_table(block: list[str] | None) -> bool:
    return bool(block) and is_table_row(block[0])  # type: ignore[index]


def parse_sections(text: str, title: str = "") -> list[Section]:
    """Split cleaned document text into sections with heading paths."""
    outline = _Outline()
    sections: list[Section] = []
    seen_heading = False
    caption: str | None = None  # a short line just above a table
    blocks = _blocks(text)
    for at, block in enumerate(blocks):
        following = blocks[at + 1] if at + 1 < len(blocks) else None
        if len(block) == 1 and _starts_table(following) and _is_caption(block[0]):
            caption = block[0]
            continue
        if _is_plan_heading_block(block):
            outline.push("plan", block[0])
            if len(block) == 2:
                outline.push("plan2", block[1])
            seen_heading = True
            continue
        if len(block) >= 4 and all(_is_short_heading(x.replace(",", ""), WRAPPED_LINE_MAX) for x in block):
            items = _group_wrapped(block)
            sections.append(Section((TASKS_LABEL,), "；".join(items) + "。"))
            continue
        rows: list[str] = []
        for i, line in enumerate(block):
            if is_table_row(line):
                rows.append(line)
                continue
            if rows:
                _add_table(sections, outline.path, caption, rows)
                rows, caption = [], None
            if i + 1 < len(block) and is_table_row(block[i + 1]) and _is_caption(line):
                caption = line
                continue
            seen_heading = _consume_line(line, outline, sections, title, seen_heading)
        if rows:
            _add_table(sections, outline.path, caption, rows)
        caption = None
    return [s for s in sections if s.text.strip()]


def _is_plan_heading_block(block: list[str]) -> bool:
    """ "学位建设攻坚行动" / "保障义务教育学位供给": one or two short unpunctuated lines that
    carry no numbering and are not part of the document's frame."""
    if len(block) > 2 or not all(_is_short_heading(x, PLAN_HEADING_MAX) for x in block):
        return False
    return not _is_marked(block[0]) and not any(is_furniture(x) for x in block)


def _add_table(sections: list[Section], path: tuple[str, ...], caption: str | None, rows: list[str]) -> None:
    """A table under its caption; right under a heading, that heading names it."""
    headed = bool(path) and not (sections and sections[-1].path[: len(path)] == path)
    label = () if headed and caption is None else (caption or TABLE_LABEL,)
    sections.append(Section((*path, *label), "\n".join(rows), kind="table"))


def _consume_line(
    line: str, outline: _Outline, sections: list[Section], title: str, seen_heading: bool
) -> bool:
    first = not sections and not outline.stack
    if first and title and line.strip().lstrip("#").strip() == title and not SENTENCE_END.search(line):
        # The document's own title repeated as its first line; a sentence is content even
        # when it is the only line and so also the guessed title.
        return seen_heading
    md = _MD_HEADING.match(line)
    if md:
        heading = _squash(md.group(2))
        if len(md.group(1)) == 1 and (not title or heading in title or title in heading):
            return seen_heading  # the document title itself is not a section
        outline.push(_statute_kind(heading) or f"md{len(md.group(1))}", heading)
        return True
    if _ANNEX.match(line):
        outline.push("annex", line)
        return True
    statute = _statute_kind(line)
    if statute and len(line) <= HEADING_MAX:
        outline.push(statute, _squash(line))
        return True
    article = _ARTICLE.match(line)
    if article:
        outline.close("article")
        sections.append(Section((*outline.path, article.group(1)), line))
        outline.in_article = True
        return True
    kind = None if outline.in_article else _outline_kind(line)
    if kind and len(line) <= HEADING_MAX and not SENTENCE_END.search(line) and _balanced(line):
        outline.push(kind, line.rstrip(COLONS), line)
        return True
    if kind:
        _item_not_heading(kind, outline, sections)
        lead = _LEAD_PHRASE.match(line)
        if lead and not PUNCTUATION.search(lead.group(1)[2:]):
            outline.push(kind, lead.group(1))
            sections.append(Section(outline.path, line))
            return True
        outline.close(kind)  # an untitled item still ends its siblings' headings
    if not seen_heading and not outline.stack and DEADLINE_LEAD.match(line):
        sections.append(Section((GOAL_LABEL,), line))
        return seen_heading
    _append_body(sections, outline.path, line)
    return seen_heading


def _item_not_heading(kind: str, outline: _Outline, sections: list[Section]) -> None:
    """A numbered line read as a heading ("（2）非本市招生对象的：") with nothing under it,
    followed by a sibling item that is a sentence ("（3）…不一致的；"): it was an item of
    that list, and goes back into its text."""
    path = outline.path
    if not outline.stack or outline.stack[-1][0] != RANKS[kind]:
        return
    # What a heading holds is appended after it, under its path: the last section tells.
    if sections and sections[-1].path[: len(path)] == path:
        return
    _append_body(sections, path[:-1], outline.line)


def _append_body(sections: list[Section], path: tuple[str, ...], line: str) -> None:
    """An unmarked line continues the open section under the same heading: an article's
    later paragraphs, or prose under one heading (chunking splits what grows too long)."""
    last = sections[-1] if sections else None
    if last is not None and last.kind == "text" and last.path[: len(path)] == path:
        sections[-1] = Section(last.path, last.text + "\n" + line)
    else:
        sections.append(Section(path, line))
