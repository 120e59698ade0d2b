"""Chinese numerals → integers: "二十六" → 26, "一百二十" → 120, "两" → 2, "三万三千" → 33000,
"二〇一六" → 2016 (digit by digit, as years are written).

Parsing is cn2an's ("normal" mode); this module only handles what cn2an gets wrong:
the zero look-alikes it does not know (○, Ｏ), a bare 百 or 千 ("百名" is 100, cn2an
refuses it; a bare 十 it reads), and its errors, which become None. Ordinals and names built on a
numeral (第十七条, “十四五”) are the outline and plan-period grammars' business.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

import cn2an

from assistant.vocab import table

_DATA = table("assistant.grammar", "numerals.toml")

# The characters of a Chinese integer numeral, for character classes ("[{CHARACTERS}]+").
CHARACTERS: str = _DATA["characters"]
ZERO_LOOKALIKES: str = _DATA["zero_lookalikes"]
_ZERO = str.maketrans(dict.fromkeys(ZERO_LOOKALIKES, "〇"))
_BARE_UNITS = "百千"


@lru_cache(maxsize=4096)
def to_int(text: str) -> int | None:
    """The integer a numeral (Chinese or Arabic digits) writes, or None when it is none."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text:
        return None
    if text[0] in _BARE_UNITS:
        text = "一" + text
    try:
        value = cn2an.cn2an(text.translate(_ZERO), "normal")
    except (ValueError, KeyError, IndexError):  # not a numeral cn2an can read
        return None
    return int(value) if float(value).is_integer() else None


_ANY_NUMERAL = re.compile(f"[{CHARACTERS}{ZERO_LOOKALIKES}]")


@lru_cache(maxsize=16384)
def with_digits(text: str) -> str:
    """`text` with its Chinese numerals written in digits ("每满一个月" → "每满1个月"), for
    matching a question's words with a document's however either writes its numbers. The
    rewriting is cn2an's and blind to words built on a numeral (统一 → 统1): the same on
    both sides, it still matches them."""
    if not _ANY_NUMERAL.search(text):
        return text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns of every numeral it cannot read
        try:
            return str(cn2an.transform(text, "cn2an"))
        except (ValueError, KeyError, IndexError):
            return text
