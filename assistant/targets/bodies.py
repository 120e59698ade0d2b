"""Responsible bodies: the named subject of a clause (区教育局应当…, 各街道办、国土规划部门负责…)."""

from __future__ import annotations

import re

from assistant.grammar.places import leading_place
from assistant.grammar.sentences import COMMAS
from assistant.targets.quantities import pos_tags, strip_fillers
from assistant.targets.vocabulary import (
    ADMIN_WORDS,
    AFTER_SUBJECT,
    BODY_RE,
    BODY_SUFFIXES,
    MODAL,
    NOT_A_SUBJECT_START,
    PERSON_WORDS,
)
from assistant.vocab import alternation, table


def _split_bodies(text: str) -> list[str]:
    """ "国土规划、更新整备部门" → 国土规划部门, 更新整备部门; "市、区教育部门" → 市教育部门,
    区教育部门; "各级人民政府及其有关部门" → 各级人民政府, 有关部门. A part without a body
    suffix before 和 stays joined to what follows (规划和自然资源部门)."""
    pieces = re.split("(及其(?!他)|和|及|与|或者|或)", re.sub("^(?:其中|其)", "", text))
    groups, current = [], pieces[0]
    for sep, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        if current.endswith(BODY_SUFFIXES):
            groups.append(current)
            current = piece
        else:
            current += sep + piece
    groups.append(current)
    bodies: list[str] = []
    for group in groups:
        if group.endswith(BODY_SUFFIXES):
            bodies.extend(_distribute(group))
    return [b for b in bodies if len(b) >= 2]


def _distribute(group: str) -> list[str]:
    parts = [p for p in group.split("、") if p]
    last = parts[-1]
    suffix = next(s for s in BODY_SUFFIXES if last.endswith(s))
    admin = next((a for a in ADMIN_WORDS if last.startswith(a)), "")
    out = []
    for part in parts[:-1]:
        if part.endswith(BODY_SUFFIXES):
            out.append(part)
        elif part in ADMIN_WORDS and admin:
            out.append(part + last[len(admin) :])  # 市、区教育部门 → 市教育部门
        else:
            out.append(part + suffix)
    out.append(last)
    return out


def _name_ok(name: str) -> bool:
    """A body's name is nouns: no verb, no adverb in front, no person (家长…有关部门)."""
    if re.search(f"[的在对向将把为{COMMAS}]", name) or PERSON_WORDS.search(name):
        return False
    words = pos_tags(name)
    return bool(words) and words[0][1] not in ("v", "d", "ad", "p") and all(f != "v" for _, f in words)


def _rest_ok(rest: str) -> bool:
    """What follows a subject starts a predicate, not a noun phrase (学校建设, 幼儿园收取的费用)."""
    words = pos_tags(rest[:12])
    if not words:
        return False
    first, flag = words[0]
    if rest[len(first) :].startswith("的"):
        return False
    # a verbal noun followed by a pause or a noun: 学校建设，… / 幼儿园建设用地…
    follower, follower_flag = words[1] if len(words) > 1 else ("", "x")
    noun_like = follower_flag.startswith("n") or follower_flag == "x" or MODAL.match(follower)
    return not (flag == "vn" and noun_like)


def subject_of(clause: str) -> tuple[list[str], str]:
    """The responsible bodies that are the subject of `clause`, and the rest of it. A body
    after 由 also counts, its topic kept: "校长由县级人民政府教育行政部门依法聘任" →
    县级人民政府教育行政部门, "校长依法聘任"."""
    text = strip_fillers(clause.strip())
    if text.startswith("由"):
        text = text[1:]
    if NOT_A_SUBJECT_START.match(text):
        return [], clause
    for m in BODY_RE.finditer(text[:24]):
        rest = text[m.end() :]
        if not AFTER_SUBJECT.match(rest) or re.match("(?:的|之|和|与|及|或|、)", rest):
            continue
        name, topic = text[: m.end()], ""
        if "由" in name:
            topic, name = name.rsplit("由", 1)
        if not _name_ok(name) or not _rest_ok(rest):
            break
        bodies = _split_bodies(name)
        if bodies:
            return bodies, topic + rest
        break
    return [], clause


_LEADS = re.compile(
    rf"^(?:{alternation(table('assistant.targets', 'vocabulary.toml')['questions']['body_leads'])})"
)


def normalize_body(name: str) -> str:
    """Compare bodies by their core: 各街道办事处 ~ 街道办; question words and place names in
    front are dropped (请问罗湖区的街道办 → 街道办, 深圳市罗湖区教育局 → 教育局)."""
    name = name.strip()
    previous = None
    while previous != name:
        previous = name
        name = _LEADS.sub("", name)
        name = name[len(leading_place(name)) :]
    return name.replace("街道办事处", "街道办")


def body_suffix_pattern() -> str:
    """A regex alternation of the endings that name a responsible body."""
    return "|".join(BODY_SUFFIXES)
