"""Text normalisation and repair for Chinese documents.

- `normalize_width` is safe for display: it only touches characters whose width variant
  carries no meaning (full-width letters/digits, ideographic space, zero-width marks).
- `fold_punctuation` is for matching only (search keys, string comparison). It rewrites
  punctuation and must never be shown to users as a quote of the source.
- `repair_pdf_text` undoes artefacts of PDF text extraction (radical look-alikes,
  justification spaces, hard line wraps).
"""

from __future__ import annotations

import re
import unicodedata

from assistant.documents.structure import TABLE_CELL
from assistant.grammar import outline
from assistant.grammar.sentences import ends_line

# Full-width ASCII letters and digits are U+FEE0 above their half-width forms.
_WIDTH_TABLE: dict[int, str] = {
    cp: chr(cp - 0xFEE0)
    for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for cp in range(start, end + 1)
}
_WIDTH_TABLE[0x3000] = " "
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff]")
_LINE_BREAKS = re.compile(r"\r\n?")

# Ideographs, CJK symbols/punctuation (minus U+3000), kana, compatibility ideographs and
# full-width punctuation: the characters between which a space is never meaningful.
_CJK_CLASS = "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"

_FOLD_TABLE = str.maketrans(
    {
        ",": "，",
        ":": "：",
        ";": "；",
        "(": "（",
        ")": "）",
        "!": "！",
        "?": "？",
        "\uff61": "。",  # half-width ideographic full stop
        "．": ".",  # full-width period: decided below like "."
    }
)
# A period is a sentence end only after a CJK character and before a CJK character,
# whitespace or the end; "0.8万" and "1.5" keep their decimal point.
_SENTENCE_PERIOD = re.compile(rf"(?<=[{_CJK_CLASS}])\.(?=[{_CJK_CLASS}]|\s|$)")

# CJK Radicals Supplement forms that PDF fonts emit for ordinary simplified characters.
# Only radicals that are a complete, unambiguous character are mapped (not ⻈ 讠 etc.).
_RADICAL_SUPPLEMENT: dict[int, str] = {
    0x2E9F: "母",
    0x2EA0: "民",
    0x2EC4: "西",
    0x2EC5: "见",
    0x2EC6: "角",
    0x2EC9: "贝",
    0x2ECB: "车",
    0x2ED3: "长",
    0x2ED4: "门",
    0x2ED8: "青",
    0x2ED9: "韦",
    0x2EDA: "页",
    0x2EDB: "风",
    0x2EDC: "飞",
    0x2EDD: "食",
    0x2EE2: "马",
    0x2EE3: "骨",
    0x2EE4: "鬼",
    0x2EE5: "鱼",
    0x2EE6: "鸟",
    0x2EE7: "卤",
    0x2EE8: "麦",
    0x2EE9: "黄",
    0x2EEC: "齐",
    0x2EEE: "齿",
    0x2EF0: "龙",
    0x2EF3: "龟",
}
_KANGXI_RADICALS = re.compile("[\u2f00-\u2fdf]")

_CJK_SPACE = re.compile(rf"(?<=[{_CJK_CLASS}])[ \t\u3000]+(?=[{_CJK_CLASS}])")
# One space between a figure and an ideograph ("2015 年 4 月 30日", "80 分") is the PDF
# writer's spacing of mixed-script runs; a wider gap may separate table columns.
_FIGURE_SPACE = re.compile(rf"(?<=[0-9])[ \t](?=[{_CJK_CLASS}])|(?<=[{_CJK_CLASS}])[ \t](?=[0-9])")
# Keep the conventional space after an article marker: "第一条 为了…".
_ARTICLE_MARKER = re.compile(rf"^\s*{outline.ORDINAL}[ \t\u3000]+")
# A line opening with numbering or an annex label starts anew: never part of a wrap.
_HEADING = re.compile(rf"^\s*(?:{outline.MARKER}|{outline.ANNEX})")
_JOINABLE_EDGE = re.compile(rf"[{_CJK_CLASS}A-Za-z0-9“‘’]")
_CJK_CHAR = re.compile(rf"[{_CJK_CLASS}]")
# A wrapped line fills the text width; a line clearly shorter than the full width ended
# its paragraph (or is a heading/table cell). The full width is the document's usual one
# (the 90th percentile of its line widths: a table row run together into one long line
# must not make every prose line look short), or a block's longest line when shorter (a
# portrait page beside landscape annex pages); a block of a few lines (a masthead above
# its 文号) has no width of its own.
_FULL_LINE_SHARE = 0.75
_FULL_LINE_QUANTILE = 0.9
_BLOCK_MIN_LINES = 4


def normalize_width(text: str) -> str:
    """Half-width letters/digits/space, no zero-width marks, `\\n` line breaks.

    Punctuation is left exactly as written so the result can still be quoted.
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _ZERO_WIDTH.sub("", text)
    return text.translate(_WIDTH_TABLE)


def fold_punctuation(text: str) -> str:
    """Matching-only form: `, . : ; ( ) ! ?` in either width become `，。：；（）！？`.

    Not for display: it rewrites the source's punctuation. A period becomes `。` only after
    an ideograph (and before an ideograph, whitespace or the end), so decimals such as
    `0.8万` and `1.5` are unchanged. Not length-preserving (see `normalize_width`).
    """
    text = normalize_width(text).translate(_FOLD_TABLE)
    return _SENTENCE_PERIOD.sub("。", text)


def repair_pdf_text(text: str) -> str:
    """Repair radical look-alikes, justification spaces and hard line wraps."""
    text = normalize_width(text)
    text = repair_radicals(text)
    text = "\n".join(_remove_cjk_spaces(line) for line in text.split("\n"))
    return join_wrapped_lines(text)


def repair_radicals(text: str) -> str:
    """Map Kangxi / CJK-supplement radicals (e.g. ⼈, ⺠) to the ordinary ideographs."""
    text = _KANGXI_RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text.translate(_RADICAL_SUPPLEMENT)


def _remove_cjk_spaces(line: str) -> str:
    marker = _ARTICLE_MARKER.match(line)
    if marker:
        head = marker.group().rstrip(" \t\u3000")
        return head + " " + _tight(line[marker.end() :])
    return _tight(line)


def _tight(text: str) -> str:
    return _FIGURE_SPACE.sub("", _CJK_SPACE.sub("", text))


def join_wrapped_lines(text: str) -> str:
    """Join lines that a PDF wrapped mid-sentence; blank lines (paragraphs) stay."""
    blocks = re.split(r"\n[ \t]*\n", text)
    document = _full_width(_prose_widths(text.split("\n")))
    return "\n\n".join(_join_block(block, document) for block in blocks)


def _prose_widths(lines: list[str]) -> list[int]:
    """Widths of the lines that may wrap: a table row read from a page ("a | b | c") is as
    wide as its cells' text, not as the page, so it says nothing of the line width."""
    return [_display_width(line.strip()) for line in lines if line.strip() and TABLE_CELL not in line]


def _join_block(block: str, document_width: float) -> str:
    lines = block.split("\n")
    widths = _prose_widths(lines)
    full_width = min(max(widths), document_width) if len(widths) >= _BLOCK_MIN_LINES else document_width
    out: list[str] = []
    previous = ""  # the last physical line, not the joined one: fullness is per line
    for line in lines:
        if out and _is_wrap(previous, line, full_width):
            out[-1] = out[-1].rstrip() + line.lstrip()
        else:
            out.append(line)
        previous = line
    return "\n".join(out)


def _is_wrap(previous: str, line: str, full_width: float) -> bool:
    prev, nxt = previous.rstrip(), line.lstrip()
    if not prev or not nxt or ends_line(prev) or _HEADING.match(nxt) or _INDENTED.match(line):
        return False
    if _split_year(prev, nxt):
        return True  # "统计至20" / "15年5月31日": a narrow table cell wrapped a year
    if TABLE_CELL in prev or TABLE_CELL in nxt:
        return False  # a table row read whole is a line of its own
    if _display_width(prev.strip()) < _FULL_LINE_SHARE * full_width:
        return False
    last, first = prev[-1], nxt[0]
    edges_ok = bool(_JOINABLE_EDGE.match(last) and _JOINABLE_EDGE.match(first))
    return edges_ok and bool(_CJK_CHAR.match(last) or _CJK_CHAR.match(first))


# A line set in by two spaces (a Chinese paragraph's "　　", which normalize_width makes
# two spaces) opens a paragraph: it continues no line.
PARAGRAPH_INDENT = "\u3000\u3000"
_INDENTED = re.compile(r"^[ \u3000]{2,}(?=\S)")
_TRAILING_DIGITS = re.compile(r"(?<!\d)(\d{1,3})$")
_LEADING_YEAR_END = re.compile(r"^(\d{1,3})年")


def _split_year(previous: str, line: str) -> bool:
    """A year cut in two by a line break: its digits before and after make 19xx or 20xx."""
    head, tail = _TRAILING_DIGITS.search(previous), _LEADING_YEAR_END.match(line)
    if not head or not tail:
        return False
    year = head.group(1) + tail.group(1)
    return len(year) == 4 and year[:2] in ("19", "20")


def _full_width(widths: list[int]) -> float:
    if not widths:
        return 0.0
    ordered = sorted(widths)
    return ordered[min(len(ordered) - 1, int(_FULL_LINE_QUANTILE * len(ordered)))]


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
