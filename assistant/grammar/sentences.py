"""Sentences of Chinese text: their end marks and the splitting that citations quote
and target rows come from. The marks are data (`data/sentences.toml`)."""

from __future__ import annotations

import re

from assistant.vocab import table

_DATA = table("assistant.grammar", "sentences.toml")

FULL_STOPS: str = _DATA["full_stops"]  # 。！？!?
QUESTION_MARKS: str = _DATA["question_marks"]  # ？?
ENDS: str = FULL_STOPS + _DATA["semicolons"]  # 。！？!?；;
LATIN_FULL_STOP: str = _DATA["latin_full_stop"]  # .
CLOSING_QUOTES: str = _DATA["closing_quotes"]  # ”’」』
CLOSING_BRACKETS: str = _DATA["closing_brackets"]  # ）)
CLOSERS = CLOSING_QUOTES + CLOSING_BRACKETS
COLONS: str = _DATA["colons"]  # ：:
COMMAS: str = _DATA["commas"]  # ，,
CLAUSE_MARKS: str = COMMAS + _DATA["enumeration_comma"]  # ，,、
SEMICOLONS: str = _DATA["semicolons"]  # ；;
ENUMERATION_COMMA: str = _DATA["enumeration_comma"]  # 、
QUOTATION_MARKS: str = _DATA["quotation_marks"]
TITLE_MARKS: str = _DATA["title_marks"]  # 《》
OPENING_BRACKETS: str = _DATA["opening_brackets"]  # （(【[
BRACKETS: str = OPENING_BRACKETS + CLOSING_BRACKETS + _DATA["closing_square_brackets"]
# Every mark of clause, sentence, quotation, title or bracket: what is not a word.
ALL_MARKS = CLAUSE_MARKS + ENDS + COLONS + QUOTATION_MARKS + TITLE_MARKS + BRACKETS
# What a line that does not run on into the next ends with: a sentence end, a colon that
# leads a list, a closing quote.
LINE_ENDS = ENDS + COLONS + CLOSING_QUOTES

_ENDS_CLASS = re.escape(ENDS)
_CLOSERS_CLASS = re.escape(CLOSERS)
# A sentence end, or any punctuation that a heading or a title never holds.
SENTENCE_END = re.compile(f"[{_ENDS_CLASS}]")
PUNCTUATION = re.compile(f"[{re.escape(ENDS + COLONS + COMMAS)}]")
# A mark of running prose, a comma or a sentence end: menu items, labels and CMS fields
# hold none.
PROSE_MARKS = COMMAS + ENDS
PROSE_MARK = re.compile(f"[{re.escape(PROSE_MARKS)}]")
# Any clause or sentence mark: how densely a line holds them tells prose from run-on junk.
CLAUSE_PUNCTUATION = re.compile(f"[{re.escape(ENDS + CLAUSE_MARKS)}]")
# A clause: the text between commas, colons and sentence ends (the enumeration comma
# joins the items of one clause). A comma or colon between digits is part of a number or
# a time of day ("1,000", "18：30"), not a clause mark.
_INNER_MARKS = re.escape(COMMAS + COLONS)
_CLAUSE_MARK = re.compile(rf"[{re.escape(ENDS)}]|(?<!\d)(?<!\d )[{_INNER_MARKS}]|[{_INNER_MARKS}](?! ?\d)")
# What closes a question or a reply's opening sentence, Chinese or English.
_FINAL_STOPS = re.escape(FULL_STOPS + LATIN_FULL_STOP)
_TRAILING_STOPS = re.compile(rf"[{_FINAL_STOPS}\s]+$")
_FIRST_SENTENCE = re.compile(rf"^[^{_FINAL_STOPS}\n]*")
# Split after an end mark (and the closing quotes that follow it), and at line breaks;
# list-like lines ("成立领导小组 设立…") stay whole.
_SPLIT = re.compile(rf"(?<=[{_ENDS_CLASS}])(?![{_CLOSERS_CLASS}])|(?<=[{_ENDS_CLASS}][{_CLOSERS_CLASS}])|\n+")


# A round bracket left open holds its sentence together: "具备“三证”（户口簿和身份证；劳动
# 合同；暂住证。下同）即符合报名条件。" is one sentence, not three.
_ROUND_OPEN = re.compile(r"[（(]")
_ROUND_CLOSE = re.compile(r"[）)]")
BRACKETED_MAX = 300  # an opening bracket never closed (a typo) holds no more than this


def _in_round_brackets(held: str) -> bool:
    """`held` ends inside a round bracket it opened (an unclosed one holds at most
    BRACKETED_MAX characters): a mark there ends nothing."""
    depth = len(_ROUND_OPEN.findall(held)) - len(_ROUND_CLOSE.findall(held))
    return depth > 0 and len(held) < BRACKETED_MAX


def char_pairs(text: str) -> set[str]:
    """Every two adjacent characters of `text`: how titles, captions and questions are
    compared without a word segmenter."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped, in order; empty pieces are dropped. An end mark
    inside round brackets ends no sentence."""
    out: list[str] = []
    for line in text.split("\n"):
        held = ""
        for piece in _SPLIT.split(line):
            if not piece:
                continue
            held += piece
            if _in_round_brackets(held):
                continue
            out.append(held)
            held = ""
        if held:
            out.append(held)
    return [s.strip() for s in out if s.strip()]


def clauses(sentence: str) -> list[str]:
    """The clauses of `sentence`, as written (unstripped), in order. A mark inside round
    brackets ends no clause: "区教育行政部门(含光明新区社会事务办，下同)应当划定…" is one."""
    out: list[str] = []
    held, start = "", 0
    for mark in _CLAUSE_MARK.finditer(sentence):
        held += sentence[start : mark.start()]
        start = mark.end()
        if _in_round_brackets(held):
            held += mark.group()
            continue
        if held:
            out.append(held)
        held = ""
    held += sentence[start:]
    return [*out, held] if held else out


_ROUND_REMARK = re.compile(r"[（(][^（()）]*[）)]")


def without_remarks(text: str) -> str:
    """`text` without its round-bracketed remarks ("（以…为准。公告见…）", "(含…，下同)")."""
    while (shorter := _ROUND_REMARK.sub("", text)) != text:
        text = shorter
    return text


def opening_clauses(sentence: str, limit: int) -> str:
    """The longest run of `sentence`'s opening clauses (as written, without the mark after
    the last) within `limit` characters; its first clause when even that is longer."""
    ends = [m.start() for m in _CLAUSE_MARK.finditer(sentence)] + [len(sentence)]
    within = [end for end in ends if end <= limit]
    return sentence[: within[-1] if within else ends[0]]


def strip_final_stops(text: str) -> str:
    """`text` without the full stops, question marks and spaces it ends with."""
    return _TRAILING_STOPS.sub("", text)


def first_sentence(text: str) -> str:
    """The text before the first full stop, question mark or line break (Chinese or Latin)."""
    match = _FIRST_SENTENCE.match(text)
    return match.group(0) if match else ""


def ends_line(line: str, brackets: bool = False) -> bool:
    """The line ends a sentence, a list's lead or a quote: the next line does not continue
    it. `brackets`: a closing bracket ends it too (the last line of a page)."""
    text = line.rstrip()
    return bool(text) and text[-1] in LINE_ENDS + (CLOSING_BRACKETS if brackets else "")
