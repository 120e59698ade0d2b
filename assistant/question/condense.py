"""Rewrite a follow-up ("那幼儿园呢？", "它的学位有多少？") into a standalone question.

By rules when no LLM is configured: a follow-up is short, opens with a lead (那, 具体,
要是), compares (也一样吗) or leans on a pronoun. Its new topic replaces the earlier
question's topic of the same kind (a school stage for a school stage, 公办 for 民办), a
pronoun is replaced by the earlier topic, and a follow-up that asks something new
("具体由哪个部门牵头？") keeps the earlier subject and asks its own question. With an LLM,
the condense prompt in prompts/ does the rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import jieba.posseg as pseg

from assistant.grammar.places import asked_places, same_scope
from assistant.grammar.sentences import CLAUSE_MARKS, COMMAS, strip_final_stops
from assistant.vocab import compile_pattern, table

Turn = tuple[str, str]  # (question, answer)

_VOCAB = table("assistant.question", "follow_ups.toml")
_FOLLOW_UP_LEAD = compile_pattern(_VOCAB["patterns"]["lead"])
_FOLLOW_UP_TAIL = compile_pattern(_VOCAB["patterns"]["tail"])
_PRONOUN = compile_pattern(_VOCAB["patterns"]["pronoun"])
_INSTITUTION = compile_pattern(_VOCAB["patterns"]["institution"])
_SAME = compile_pattern(_VOCAB["patterns"]["same"])
_ASKS = compile_pattern(_VOCAB["patterns"]["asks"])
# The tail of a follow-up with a "的话" before it ("那高中的话呢"): what is left names the topic.
_TOPIC_TAIL = re.compile(rf"(的话)?(?:{_FOLLOW_UP_TAIL.pattern})")

# Interchangeable topics: a follow-up naming one swaps out its sibling in the earlier question.
TOPIC_GROUPS: tuple[tuple[str, ...], ...] = tuple(tuple(group) for group in _VOCAB["topics"]["groups"])
# Kinds of document ("…法", "…条例"): a follow-up naming a document ("那学前教育法呢？")
# puts it in place of the one the earlier question named.
_KINDS = "|".join(
    sorted(table("assistant.question", "intents.toml")["document"]["kinds"], key=len, reverse=True)
)
_DOCUMENT = re.compile(f"《[^》]{{2,40}}》|[\u4e00-\u9fff]{{2,20}}?(?:{_KINDS})(?![律规人定院治])")
_NAMES_DOCUMENT = re.compile(f"^[\u4e00-\u9fff]{{2,20}}(?:{_KINDS})$")
SHORT_FOLLOW_UP = 10


def is_follow_up(question: str) -> bool:
    q = question.strip()
    core = strip_final_stops(q)
    return bool(
        _FOLLOW_UP_LEAD.search(core)
        or ((_FOLLOW_UP_TAIL.search(q) or _SAME.search(q)) and len(core) <= SHORT_FOLLOW_UP + 4)
        or (_PRONOUN.search(core) and len(core) <= 20)
        or len(core) <= 4
    )


def _new_topic(question: str) -> str:
    """The follow-up without its lead and its tail: '那高中呢？' → '高中'."""
    core = strip_final_stops(question.strip())
    core = _FOLLOW_UP_LEAD.sub("", core)
    core = _SAME.sub("", core)
    core = _TOPIC_TAIL.sub("", core)
    return core.strip(" " + COMMAS)


def _subject(question: str) -> str:
    """A question without the words that ask: '户外活动要多长时间' → '户外活动'."""
    return _ASKS.sub("", question).strip(" " + CLAUSE_MARKS + "的")


def _group_of(term: str) -> tuple[str, ...] | None:
    for group in TOPIC_GROUPS:
        if any(member in term or term in member for member in group):
            return group
    return None


def _scene(question: str) -> str:
    """The opening clause of a question that asks in a later clause ("武汉有孩子因病需要缓学，
    家长要提供什么证明" → "武汉有孩子因病需要缓学"), or ""."""
    clauses = [c for c in re.split(f"[{COMMAS}]", question) if c.strip()]
    if len(clauses) < 2 or _ASKS.search(clauses[0]) or not any(_ASKS.search(c) for c in clauses[1:]):
        return ""
    return clauses[0].strip()


def _main_topic(question: str) -> str:
    """What a pronoun most likely refers to: a named institution, else the longest noun."""
    institutions = [m.group(0) for m in _INSTITUTION.finditer(question)]
    if institutions:
        return max(institutions, key=len)
    nouns = [w.word for w in pseg.cut(question) if w.flag.startswith(("n", "j")) and len(w.word) >= 2]
    return max(nouns, key=len) if nouns else ""


_YEAR = re.compile(r"(19|20)\d{2}\s*年(度)?|[今明去前后]年")


def condense_by_rules(question: str, history: Sequence[Turn]) -> str:
    if not history or not is_follow_up(question):
        return question
    previous = strip_final_stops(history[-1][0])
    core = strip_final_stops(question.strip())
    if _PRONOUN.search(core) and not _FOLLOW_UP_TAIL.search(question):
        scene = _scene(previous)
        if scene and not _INSTITUTION.search(previous):
            # "这个由谁批准？" after "武汉有孩子因病需要缓学，家长要提供什么证明？": 这个 is
            # what the earlier question's opening clause tells of, not one of its nouns.
            return f"{scene}，{core}？"
        topic = _main_topic(previous)
        if topic:
            return _PRONOUN.sub(topic + "的", core, count=1).replace("的的", "的") + "？"
    topic = _new_topic(question)
    if not topic:
        return previous + "？"
    asks = _ASKS.search(topic)
    # The part naming what the follow-up is about, before the words that ask.
    named = topic[: asks.start()].strip(" " + COMMAS + "的") if asks else topic
    swapped = _swap_topic(named, previous) if named else None
    if not asks:
        # Only a topic: the earlier question asked again about it.
        return (swapped or f"{topic}：{previous}") + "？"
    if _names_a_thing(named):
        # A question of its own about a thing it names ("那入学通知书什么时候领？"): the
        # earlier question lends its setting (place, year, school stage), not its predicate,
        # so that the earlier ask does not steer the answer. When the earlier question named
        # a thing of the same kind ("中小学劳动教育课…" before "那劳动周…"), its setting
        # is what came before that thing.
        # The setting ends at the first of its bounds: the 的-phrase of whom the earlier
        # question asked about, or a topic of the kind the follow-up names anew.
        thing = _setting(named) or named
        setting = min(
            _setting(_before_same_kind(thing, previous)),
            _setting(_before_same_kind(thing, previous, named)),
            key=len,
        )
        if setting and _YEAR.search(topic):
            setting = _YEAR.sub("", setting)  # "那今年2026年的面谈…": the year asked is its own
        if setting:
            return f"{setting}{topic}？"
    # A question of its own: the earlier subject (its topic swapped) and the new question.
    subject = _subject(swapped or previous)
    return f"{subject}，{topic}？" if subject else f"{topic}？"


# Parts of speech (jieba) of words that name a thing or set a scene: nouns, places, times,
# numbers, the attributive 一年级 and verbal nouns (劳动 in 劳动周).
_NAMING_FLAGS = ("n", "vn", "s", "t", "m", "b", "j", "l")
# Of these, the words of a place, a time or a number (罗湖区, 2016年, 明年).
_SCENE_FLAGS = ("ns", "t", "m")


def _names_a_thing(named: str) -> bool:
    """Whether a follow-up's part before its question words opens with a noun (入学通知书,
    一年级每个班), not a preposition or a verb (由…, 碰上…)."""
    words = [w for w in pseg.cut(named) if w.word.strip()]
    return bool(words) and words[0].flag.startswith(_NAMING_FLAGS) and words[0].flag != "m"


def _setting(question: str) -> str:
    """The words naming a question's setting before its first verb, preposition or question
    word: "重庆2016年公办小学从哪天开始报名" → "重庆2016年公办小学", "中山2015年城区小学现场
    报名是哪天" → "中山2015年城区小学"."""
    setting: list[str] = []
    scene = 0  # words up to the last place, time or number
    for w in pseg.cut(question):
        if w.flag == "uj" and setting:
            # "…2016年本区户籍的孩子": a 的-phrase names whom the question is about, not
            # where or when; the setting ends with the place or time before it.
            setting = setting[:scene]
            break
        if not w.flag.startswith(_NAMING_FLAGS):
            if w.flag.startswith("v") and len(setting) > 1:
                setting.pop()  # a noun right before the verb is the verb's own (现场报名)
            break
        setting.append(w.word)
        if w.flag.startswith(_SCENE_FLAGS):
            scene = len(setting)
    return "".join(setting).rstrip("的")


def _before_same_kind(thing: str, previous: str, named: str = "") -> str:
    """`previous` up to its topic of the same kind as `thing`, or as a topic `named` holds
    ("那二七区的小升初，初中…" after "郑州二七区2015年小学…": up to 小学), or all of it."""
    groups = [group for group in (_group_of(thing),) if group]
    groups += [group for group in TOPIC_GROUPS if any(member in named for member in group)]
    for group in groups:
        for member in sorted(group, key=len, reverse=True):
            if member in previous and member not in thing and member not in named:
                return previous[: previous.index(member)]
    return previous


def _swap_topic(named: str, previous: str) -> str | None:
    """`previous` with its topic of the same kind as `named` replaced by it, if it has one."""
    document = re.sub("(里面|里|当中|中)$", "", named.strip("《》"))
    if _NAMES_DOCUMENT.match(document) and (earlier := _DOCUMENT.search(previous)):
        # One document for another ("那学前教育法呢？" after "《家庭教育促进法》是从哪天起施行的？").
        return previous[: earlier.start()] + document + previous[earlier.end() :]
    places = asked_places(named)
    if places and "".join(name for name, _ in places) == named:
        # One place for another of the same level ("那怀柔区呢？" after "北京顺义区…"): the
        # earlier place that the new one does not lie in or hold is replaced.
        codes = places[-1][1]
        for name, earlier in asked_places(previous):
            if not same_scope(codes, earlier) and len(next(iter(earlier))) == len(next(iter(codes))):
                return previous.replace(name, named, 1)
    group = _group_of(named)
    if not group:
        return None
    members = sorted(group, key=len, reverse=True)
    # Of the earlier topics of the kind, the last one named is the one asked about
    # ("…义务教育实施办法…小学每生…" before "那初中呢？": 小学, not 义务教育 in the title).
    found = [m for m in re.finditer("|".join(map(re.escape, members)), previous) if m.group(0) not in named]
    if found:
        last = found[-1]
        return previous[: last.start()] + named + previous[last.end() :]
    core = named.rstrip("的")
    for member in members:
        if member in previous and member in core and core not in previous:
            # "那非户籍的呢？" after "户籍儿童…": the earlier topic is part of the new one.
            return previous.replace(member, core, 1)
    return None


def condense(
    question: str,
    history: Sequence[Turn],
    llm_rewrite: Callable[[str, Sequence[Turn]], str] | None = None,
) -> str:
    """The standalone form of `question`; unchanged when it does not depend on history."""
    if not history:
        return question
    if llm_rewrite is not None:
        rewritten = llm_rewrite(question, history).strip()
        return rewritten or question
    return condense_by_rules(question, history)
