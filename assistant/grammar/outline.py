"""Outline numbering of Chinese official documents: 第X编 > 第X章 > 第X节 > 第X条, then
一、 > （一） > 1. > （1） > ①, and annex labels (附件, 附表).

The styles and their rank order are data (`data/outline.toml`). A style's rank is its
place in that order, outermost first, so nesting follows from the numbering itself.
"""

from __future__ import annotations

import re

from assistant.vocab import table

_DATA = table("assistant.grammar", "outline.toml")

# The numeral class of headings, for patterns built on it ("第[{NUMERALS}\d]+条").
NUMERALS: str = _DATA["numerals"]


def _expand(source: str) -> str:
    return source.replace("{n}", NUMERALS)


# Style name → the regex of its numbering (no anchor), outermost first.
STYLES: dict[str, str] = {style["name"]: _expand(style["marker"]) for style in _DATA["styles"]}
ORDER: tuple[str, ...] = tuple(STYLES)
# 第X followed by any ordinal unit (第一章, 第十二条, 第二部分).
ORDINAL = rf"第[{NUMERALS}\d]+(?:{'|'.join(_DATA['ordinal_units'])})"
ANNEX: str = _DATA["annex"]
# Any numbering that can open a line: an ordinal or one of the styles.
MARKER = "|".join([ORDINAL, *STYLES.values()])
# The numbering of items below the statute's articles: 一、 （一） 1. （1） ①.
ITEM = "|".join(STYLES[style] for style in ORDER[ORDER.index("article") + 1 :])

# An annex label alone on its line ("附件", "附件1", "附表二："), the line above an annex's title.
_ANNEX_LABEL_RX = re.compile(rf"^\s*(?:{ANNEX})\s*[{NUMERALS}\d]*\s*[:：]?\s*$")

_STYLE_RX = {name: re.compile(rf"^(?:{source})") for name, source in STYLES.items()}
_MARKER_RX = re.compile(rf"^\s*(?:{MARKER})")
# The numbering that opens a list item at a line's or sentence's start.
ITEM_START = re.compile(rf"^\s*(?:{ITEM})")


def starts_numbered(line: str) -> bool:
    """The line opens with outline numbering (leading spaces allowed)."""
    return bool(_MARKER_RX.match(line))


def is_annex_label(line: str) -> bool:
    """The line is an annex label and nothing else."""
    return bool(_ANNEX_LABEL_RX.match(line))


def style_of(line: str, styles: tuple[str, ...] = ORDER) -> str | None:
    """The numbering style the line opens with, among `styles` (first match in rank order)."""
    return next((name for name in styles if _STYLE_RX[name].match(line)), None)


def rank(style: str) -> int:
    """0 for the outermost style; deeper styles have larger ranks."""
    return ORDER.index(style)
