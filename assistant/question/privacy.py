"""Personal numbers in what users type: masked before anything is logged or stored.

Parents write their mobile number and their child's resident ID number into questions,
with or without spaces, dashes or a +86 prefix; all of those forms are masked.
"""

from __future__ import annotations

import re

_SEP = r"[ \-\u2010-\u2015\u00a0]?"  # one optional space or dash between digit groups
# 18-character resident ID (last may be X), whole or in 6-8-4 groups; the old 15-digit form.
_ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])(?:\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}[\dXx]|\d{{15}})(?![0-9A-Za-z])"
)
# Mainland mobile numbers: 11 digits from 13x–19x, optionally +86 / 0086 / 86, grouped 3-4-4.
_PHONE = re.compile(rf"(?<![\d+])(?:(?:\+|00)?86{_SEP})?(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)")


def _mask_id(match: re.Match[str]) -> str:
    chars = re.sub(r"[^0-9Xx]", "", match.group(0))
    return chars[:4] + "*" * (len(chars) - 8) + chars[-4:]


def mask_personal_numbers(text: str) -> str:
    """138****5678 for mobile numbers, 4403**********123X for ID numbers (first and last
    four kept, so a person can still recognise their own record)."""
    text = _ID_NUMBER.sub(_mask_id, text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
