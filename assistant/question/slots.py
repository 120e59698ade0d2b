"""The asked-for slot of a question: a figure, a date, a duration, a body, a person, a
yes/no rule, a list or a procedure; and whether a document sentence fills it.

A question asking for a value (figure, date, duration, body) is answered only by a
sentence that states one; when none of the best passages does, the documents cover the
subject but not the value, and the answer says so (`decide.py`, reason "not_stated").
Patterns are data: data/slots.toml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import jieba
import jieba.posseg as pseg

from assistant.documents.chunking import PATH_SEPARATOR
from assistant.grammar.outline import starts_numbered
from assistant.grammar.sentences import PROSE_MARKS, QUESTION_MARKS, split_sentences, strip_final_stops
from assistant.grammar.table_rows import header_of, unit_note, with_declared_unit, with_units
from assistant.question.terms import expansions
from assistant.vocab import compile_pattern, table

_DATA = table("assistant.question", "slots.toml")
_YEAR_IN_QUESTION = compile_pattern(_DATA["holds"]["question_year"])
_CITED_TITLE = compile_pattern(_DATA["holds"]["cited_title"])
_RELATIVE = compile_pattern(_DATA["holds"]["relative"])
_ASKS_CHANGE = compile_pattern(_DATA["holds"]["asks_change"])
_ROLES = {name: compile_pattern(pattern) for name, pattern in _DATA["date_roles"].items()}
START, END = "start", "end"
NAMED = "named"  # the slot kind of a question asking which one (哪个规定, 哪所学校)
PHONE = "phone"  # the slot kind of a question asking a phone number
# How far before a number a verb of change is looked for ("降低 10 分").
_RELATIVE_REACH = 6
_GENERAL_CLASSIFIER = "个"
_INDEFINITE = compile_pattern(_DATA["indefinite"]["form"])
_CHOICE = compile_pattern(_DATA["indefinite"]["choice"])
_GOVERNED = compile_pattern(_DATA["indefinite"]["governed"])
_BOUND = compile_pattern(_DATA["indefinite"]["bound"])
_EMBEDDED = compile_pattern(_DATA["indefinite"]["embedded"])
# Words that name a value, not a thing (数目, 总数).
VALUE_WORD = compile_pattern(_DATA["value_words"]["pattern"])
_CLAUSE_BREAK = re.compile(rf"[{re.escape(PROSE_MARKS)}\s]+(?=\S)")
_CLAUSE_END = re.compile(rf"[{re.escape(PROSE_MARKS)}\n]")


@dataclass(frozen=True)
class _SlotRule:
    kind: str
    ask: re.Pattern[str]
    fill: re.Pattern[str] | None
    label: str
    label_en: str
    names_thing: bool
    value: bool  # the answer is a value a sentence states or does not
    # A form asking a narrower value than its slot's (an amount of time, "多少分钟"; a time
    # of day, "几点") is filled by that value only, not by the slot's other fills (a
    # frequency, "每年"; a date, "6月12日"): `narrow` is (form, fill).
    narrow: tuple[re.Pattern[str], re.Pattern[str]] | None = None


@dataclass(frozen=True)
class _UnitRule:
    ask: re.Pattern[str]
    fill: str
    column: re.Pattern[str] | None  # a column or label naming this unit ("拟招生班数")
    word: str  # the unit a bare number under such a column is read with ("个班")
    level: bool = False  # the unit measures a level (分, 元): a change of it does not answer


_RULES = tuple(
    _SlotRule(
        kind,
        compile_pattern(spec["ask"]),
        compile_pattern(spec["fill"]) if "fill" in spec else None,
        spec.get("label", ""),
        spec.get("label_en", ""),
        bool(spec.get("thing", True)),
        bool(spec.get("value", "fill" in spec)),
        (compile_pattern(spec["narrow"]["ask"]), compile_pattern(spec["narrow"]["fill"]))
        if "narrow" in spec
        else None,
    )
    for kind, spec in _DATA["slots"].items()
)
_YES_NO = next(rule for rule in _RULES if rule.kind == "yesno")
_LIST = next(rule for rule in _RULES if rule.kind == "list")
_QUESTION_MARK = re.compile(f"[{re.escape(QUESTION_MARKS)}]")
# A figure with its unit ("5分", "10个"), as a figure question is filled.
FIGURE = next(rule.fill for rule in _RULES if rule.kind == "figure")
# Slots whose answer is a value a sentence states or does not.
_VALUE_SLOTS = frozenset(rule.kind for rule in _RULES if rule.value)
_UNITS = tuple(
    _UnitRule(
        compile_pattern(u["ask"]),
        u["fill"],
        compile_pattern(u["column"]) if "column" in u else None,
        u.get("word", ""),
        bool(u.get("level", False)),
    )
    for u in _DATA["units"].values()
)
_NUMBER = r"(\d+(\.\d+)?|[一二两三四五六七八九十百千万半]+)\s*(亿|万|千|百)?\s*"


def _clause_around(m: re.Match[str]) -> tuple[int, tuple[int, int]]:
    """Where the clause holding the value found at `m` starts, and where it and the next
    clause end (the text's end when there is none)."""
    text = m.string
    start = max((b.end() for b in _CLAUSE_END.finditer(text, 0, m.start())), default=0)
    ends = [b.start() for b in _CLAUSE_END.finditer(text, m.end())][:2] + [len(text)] * 2
    return start, (ends[0], ends[1])


@dataclass(frozen=True)
class Slot:
    kind: str  # "" when the question asks for nothing the rules know
    label: str = ""  # what the documents do not state, when no sentence fills the slot
    fill: re.Pattern[str] | None = None
    label_en: str = ""
    at: int = -1  # where the question asks for it (the start of the question form)
    until: int = -1  # where that question form ends
    unit: _UnitRule | None = None  # the unit a figure question names (几个班 → 班)
    names_thing: bool = True  # the noun before the question form is the value asked for
    counted: str = ""  # the noun a count by 个 counts ("几个方向" → 方向)
    named: str = ""  # the noun a which-question asks a name of ("哪个系" → 系)

    @property
    def asks_value(self) -> bool:
        return self.kind in _VALUE_SLOTS

    def filled_by(
        self, sentence: str, question: str = "", header: Sequence[str] = ()
    ) -> re.Match[str] | None:
        """Where `sentence` states the asked-for value (None when it does not). Years the
        question itself names ("2016年…什么时候") are not the date it asks for. A table
        row's bare number is read with the unit its column's name (`header`) gives, a
        labelled one ("学位：12") with its label's."""
        return next(self._fills(sentence, question, header), None)

    def _fills(
        self, sentence: str, question: str = "", header: Sequence[str] = ()
    ) -> Iterator[re.Match[str]]:
        """Each place `sentence` (as read: `read`) states the asked-for value, in order."""
        if self.fill is None:
            return
        for year in _YEAR_IN_QUESTION.findall(question):
            sentence = sentence.replace(year, "\x00" * len(year))
        if self.kind != NAMED:
            # A cited title names a document; it is the value only when a name is asked
            # for ("按哪个规定执行" → 《…医疗保险规定》).
            sentence = _CITED_TITLE.sub(lambda m: "\x00" * len(m.group(0)), sentence)
        text = self.read(sentence, header, question)
        yield from (m for m in self.fill.finditer(text) if self._counts(text, m, question))

    def date_roles(self, sentence: str, question: str = "") -> list[str]:
        """For each date `sentence` states, whether it starts (START) or ends (END) what
        happens then, or "" (a day that is neither: "7月20日传市教委")."""
        roles = []
        for m in self._fills(sentence, question):
            before, after = m.string[max(0, m.start() - 4) : m.start()], m.string[m.end() : m.end() + 16]
            if _ROLES["start_before"].search(before) or _ROLES["start_after"].search(after):
                roles.append(START)
            elif _ROLES["end_before"].search(before) or _ROLES["end_after"].search(after):
                roles.append(END)
            else:
                roles.append("")
        return roles

    def value_clauses(self, sentence: str, question: str = "", header: Sequence[str] = ()) -> list[str]:
        """For each value of the asked kind `sentence` states, its clause with the next one:
        what the value is of. "即从6月20日起，公办小学开始报名审核，公办初中待小学毕业考试后
        进行报名审核" dates the 报名审核 of its second clause, not the 毕业考试 of its third."""
        clauses = []
        for m in self._fills(sentence, question, header):
            start, ends = _clause_around(m)
            clauses.append(m.string[start : ends[1]])
        return clauses

    def _counts(self, text: str, m: re.Match[str], question: str) -> bool:
        """Whether the value found at `m` is of the asked thing. "分数线是多少分" is not
        answered by "可在分数线下降低 10 分": that number is a change of the level asked for.
        "设有几个方向" is not answered by "两个专业": the clause of a count by 个 must name the
        noun counted."""
        changes = self.unit is not None and self.unit.level and not _ASKS_CHANGE.search(question)
        if changes and _RELATIVE.search(text, max(0, m.start() - _RELATIVE_REACH), m.start()):
            return False
        if self.counted:
            start, ends = _clause_around(m)
            # A count that closes its clause ("招生数35名，招收…学生") names what it counts in
            # the clause it opens onto, as a predicate does.
            end = ends[1] if not text[m.end() : ends[0]].strip() else ends[0]
            # The noun as the documents name it counts too (孩子: 儿童, 学生; terms.toml).
            forms = (self.counted, *expansions(self.counted, keep_present=True))
            return any(form in text[start:end] for form in forms)
        if self.named:
            return _names_one(m.group(0), self.named, question)
        return True

    def read(self, sentence: str, header: Sequence[str] = (), question: str = "") -> str:
        """`sentence` with the asked unit after each bare number whose column or label
        names it: "西片 | 钟村毓秀小学 | 7" under "拟招生班数" reads "7个班", and so does a
        number under the column the question names ("招生规模上限是多少人" over "招生 规模
        上限 | 12"); a table whose note gives the asked unit ("（单位：人）", passed among
        `header`) reads each bare number with it."""
        unit = self.unit
        if unit is None:
            return sentence
        declared = next((note for name in header if (note := unit_note(name))), "")
        if declared and re.fullmatch(unit.fill, declared):
            sentence = with_declared_unit(sentence, declared)
        if unit.column is None:
            return sentence
        column = unit.column
        asked = re.sub(r"\s+", "", question)

        def word(name: str) -> str:
            own = re.sub(r"\s+", "", name)
            named = len(own) >= COLUMN_NAME_MIN and own in asked
            return unit.word if column.search(name) or named else ""

        return with_units(sentence, header, word)


# A column's name the question uses as its own words is at least this long ("规模上限").
COLUMN_NAME_MIN = 3


def _indefinite(rule: _SlotRule, asked: re.Match[str], question: str) -> bool:
    """A figure question asks nothing when each of its figure forms is indefinite: a 几
    ("想招几个…") in a clause before the last when the last clause asks yes or no or which
    ones ("…在几个重要时段…，具体是哪几个时段？"), or a bare
    noun or 几 after a yes/no form put as a choice ("能不能规定录取比例"): the question asks
    yes or no, not how many. So is any figure form of a question reported before a yes/no
    one ("看看认多少字…这样合法吗"). A 几 bound by a limit or a total (最多几个) always asks."""
    if rule.kind != "figure":
        return False
    choice = _CHOICE.search(question)
    last = max((m.end() for m in _CLAUSE_BREAK.finditer(strip_final_stops(question))), default=0)

    def indefinite(form: re.Match[str]) -> bool:
        if _BOUND.search(question, 0, form.start()):
            return False  # "有没有规定最多能收几个": at most a few is no statement
        if choice is not None and choice.end() <= form.start() and _GOVERNED.search(form.group(0)):
            return True
        if form.end() <= last and _EMBEDDED.search(question, 0, form.start()):
            return bool(_YES_NO.ask.search(question, last))
        if not _INDEFINITE.search(form.group(0)) or form.end() > last:
            return False
        # A which-ones question makes only a statement's 几 indefinite: "能加几分？报哪些学校
        # 才加？" asks both.
        stated = not _QUESTION_MARK.search(question, form.end(), last)
        return bool(_YES_NO.ask.search(question, last)) or (stated and bool(_LIST.ask.search(question, last)))

    return indefinite(asked) and all(indefinite(m) for m in rule.ask.finditer(question, asked.end()))


@lru_cache(maxsize=2048)
def slot_of(question: str) -> Slot:
    """The question's slot: the first rule whose question form occurs in it. A figure
    question that names a unit (多少钱, 几所, 多少分) is filled only by that unit."""
    for rule in _RULES:
        asked = rule.ask.search(question)
        if not asked or _indefinite(rule, asked, question):
            continue
        slot = Slot(
            rule.kind,
            rule.label,
            rule.fill,
            rule.label_en,
            asked.start(),
            asked.end(),
            names_thing=rule.names_thing,
        )
        if rule.narrow is not None and any(
            rule.narrow[0].search(m.group()) for m in rule.ask.finditer(question)
        ):
            # "多长时间啊 多少分钟": the narrower form asks, wherever the question says it.
            slot = replace(slot, fill=rule.narrow[1])
        if rule.kind == NAMED:
            noun = _asked_noun(question[asked.end() :])
            if not noun:
                continue  # "哪个" with no noun after it asks for nothing this slot knows
            kinds = "|".join(map(re.escape, _KINDS.get(noun, (noun,))))
            label = f"{question[asked.start() : asked.end()]}{noun}"  # 文件没有写明哪所学校
            measured = next((u for u in _UNITS if u.column is not None and u.column.match(noun)), None)
            if measured is not None:
                # A noun a unit measures ("哪个年龄段": 年龄, in 岁) is answered by a value in
                # that unit ("6－14周岁"), as a figure question naming it is.
                fill = re.compile(rf"{_NUMBER}(?:{measured.fill})")
                return replace(slot, kind="figure", fill=fill, unit=measured, label=label)
            return replace(slot, fill=re.compile(rf"{_NAME_BEFORE}(?:{kinds})"), named=noun, label=label)
        if rule.kind == "figure":
            unit = next((u for u in _UNITS if u.ask.search(question)), None)
            if unit is not None:
                return replace(slot, fill=re.compile(rf"{_NUMBER}(?:{unit.fill})"), unit=unit)
            counted = _counted_noun(question[asked.start() : asked.end()], question[asked.end() :])
            if counted:
                return replace(slot, counted=counted)
        return slot
    return Slot("")


COUNTED_WORDS = 3


def _counted_noun(form: str, after: str) -> str:
    """The noun a count by the general classifier counts: what follows 几个 / 多少个
    ("几个方向" → 方向); "" when the count has another classifier (几所: 所 says what is
    counted) or no noun follows."""
    if after.startswith(_GENERAL_CLASSIFIER):
        after = after[len(_GENERAL_CLASSIFIER) :]
    elif not form.endswith(_GENERAL_CLASSIFIER):
        return ""
    # The head of the noun phrase after it: "多少个优质高中名额" counts 名额 (a phrase of at
    # most COUNTED_WORDS words: "名额投向其他区" goes on with a verb jieba may tag a noun).
    nouns = _phrase_nouns(pseg.lcut(_CLAUSE_END.split(after, maxsplit=1)[0])[:COUNTED_WORDS])
    return nouns[-1] if nouns and len(nouns[-1]) >= 2 else ""


# A name before the noun of a which-question: the run of letters and digits it ends.
_NAME_BEFORE = r"[\u4e00-\u9fffA-Za-z0-9·]{1,12}[”」』》\"]?"
# The words that answer a which-question for each noun ([kinds]), the noun itself first.
_KINDS: dict[str, tuple[str, ...]] = {noun: tuple(p.split("|")) for noun, p in _DATA.get("kinds", {}).items()}
_NOT_NAME = compile_pattern(_DATA["slots"]["named"]["not_name"])
# Tags of the words of the noun phrase after "哪个" (nouns, place and time words, numerals,
# adjectives, distinguishing words, abbreviations): its last noun is what is asked for.
_PHRASE_TAGS = ("n", "vn", "s", "m", "a", "b", "j", "f", "g")
# A proper name in jieba's dictionary ending in a one-character noun is a common word
# when the dictionary counts it this often (山区 2,809 is tagged a place; the district
# and department names of the documents count 11-61).
_COMMON_WORD_FREQ = 1000
_PROPER_TAGS = ("ns", "nt", "nz", "nr")
# A noun the dictionary counts less often than this is a name of one (经济系 61), not a
# word of the language (关系 32,105).
_RARE_WORD_FREQ = 100


def _phrase_nouns(words: list[pseg.pair]) -> list[str]:
    """The nouns (not a person's name) of the noun phrase `words` open with: the words up to
    the first whose tag is not one of _PHRASE_TAGS."""
    nouns = []
    for w in words:
        if not w.flag.startswith(_PHRASE_TAGS):
            break
        if w.flag.startswith("n") and not w.flag.startswith("nr"):
            nouns.append(str(w.word))
    return nouns


def _asked_noun(after: str) -> str:
    """The noun a which-question asks a name of: the last noun of the phrase that follows
    the form ("哪个国内第一个中心" → 中心, "哪个领域取得…" → 领域), or its first word when the
    segmenter tags none a noun and it is one character ("哪个系的" → 系)."""
    words = pseg.lcut(_CLAUSE_END.split(after, maxsplit=1)[0])
    nouns = _phrase_nouns(words)
    if nouns:
        return nouns[-1]
    first = words[0].word if words else ""
    return str(first) if len(first) == 1 and "\u4e00" <= first <= "\u9fff" else ""


def _names_one(name: str, noun: str, question: str) -> bool:
    """Whether `name` (letters ending in the asked noun or a kind of it) names one the
    question does not already name. After a one-character noun (系, 处, 区) the name's
    last word must be a name: the noun split off a noun before it (财政/系), or a word
    ending in it that the dictionary tags a proper name and does not count as a common
    word, or a rare noun (南山区, 经济系; not 关系, 到处 or 山区)."""
    kind = max((k for k in (noun, *_KINDS.get(noun, ())) if name.endswith(k)), key=len)
    if name in question or _NOT_NAME.search(name[: -len(kind)]):
        return False
    if len(noun) > 1:
        return True
    words = pseg.lcut(name)
    last = words[-1]
    if last.word == noun:
        return len(words) > 1 and words[-2].flag.startswith(("n", "j"))
    count = jieba.get_FREQ(last.word) or 0
    proper = last.flag in _PROPER_TAGS and count < _COMMON_WORD_FREQ
    return proper or (last.flag.startswith("n") and count < _RARE_WORD_FREQ)


_POLARITY = {name: compile_pattern(spec) for name, spec in _DATA["polarity"].items()}


def yes_no(question: str, clause: str) -> str:
    """The lead word of a yes/no answer from the clause that answers it ("不可以。",
    "可以。", "需要。"), or "" when the question asks for a judgement or the clause
    states no modal. Negation is looked for first: 不得 holds 得, 不可以 holds 可以."""
    need = bool(_POLARITY["asks_need"].search(question))
    if not need and not _POLARITY["asks_permission"].search(question):
        return ""
    if _POLARITY["negative"].search(clause):
        return "不需要。" if need else "不可以。"
    if need and _POLARITY["obligatory"].search(clause):
        return "需要。"
    if not need and _POLARITY["permissive"].search(clause):
        return "可以。"
    # A duty (应当) says nothing about whether something else is allowed, and an allowance
    # (可以) nothing about whether it is required: the rule is quoted as it stands.
    return ""


def asked_verb(action: Sequence[str]) -> str:
    """The verb of an asked action: its first word of two or more characters; a shorter
    one before it is a preposition ("到幼儿园任教" → 幼儿园). "" when it has none."""
    return next((word for word in action if len(word) > 1), "")


_FACTS = _DATA["facts"]
_NEGATION = compile_pattern(_FACTS["negation"])
_NEGATION_REACH = int(_FACTS["reach"])
_CASE_NEGATION = compile_pattern(_FACTS["case_negation"])
_CHOICE_FORM = compile_pattern(_FACTS["choice_form"])
_CLAUSE_BREAK = compile_pattern(_FACTS["clause_break"])


def fact_verdict(question: str, slot: Slot, sentence: str, action: Sequence[str]) -> str:
    """The lead word of a yes/no question about a fact ("是否实施…" → "是。"), from a
    sentence that holds every word of the asked `action` (its verb first): yes when the
    sentence has no negation, no when a negation stands right before the verb, else "".
    A question of need or permission is yes_no's, never this."""
    if _POLARITY["asks_need"].search(question) or _POLARITY["asks_permission"].search(question):
        return ""
    form = question[max(0, slot.at) : slot.until]
    found = next(((f, w) for f, w in _FACTS["verdicts"].items() if form.startswith(f)), None)
    if found is None:
        return ""
    asked, words = found
    action = [word for word in action if word not in asked]  # 会不会 holds 不会
    verb = asked_verb(action)
    if not verb or not all(word in sentence for word in action):
        return ""
    at = sentence.find(verb)
    if _NEGATION.search(sentence[max(0, at - _NEGATION_REACH) : at]):
        return str(words[1])
    return "" if _NEGATION.search(sentence) else str(words[0])


def negated_words(text: str, words: Sequence[str]) -> set[str]:
    """The words of `words` that `text` holds only after a negation of its clause that
    describes a case ("配置不均衡的地方", "没有签署…承诺的"), not a rule's modal (不得, 不能:
    the verdict) nor a question's choice form (能不能); a word `text` lacks is in neither."""
    text = _CHOICE_FORM.sub("", text)
    found = set()
    for word in words:
        places = [m.start() for m in re.finditer(re.escape(word), text)]
        if places and all(_negated_at(text, at) for at in places):
            found.add(word)
    return found


def _negated_at(text: str, at: int) -> bool:
    start = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, at)), default=0)
    return bool(_CASE_NEGATION.search(text, start, at))


def polarity_clash(
    question: str, sentence: str, words: Sequence[str], weight: Callable[[str], float]
) -> float:
    """The share of the keyword weight of `words` held by both texts that one holds negated
    and the other not: "教育资源配置比较均衡的地方…" against "在目前教育资源配置不均衡…的地方"
    (the other case of the rule), "我没签…承诺" against "若…签署了服从安排承诺"."""
    shared = [w for w in set(words) if w in question and w in sentence]
    if not shared:
        return 0.0
    clash = negated_words(question, shared) ^ negated_words(sentence, shared)
    total = sum(max(weight(w), 0.1) for w in shared)
    return sum(max(weight(w), 0.1) for w in clash) / total


NO_SLOT = Slot("")


def table_header(text: str, section: str = "") -> list[str]:
    """The column names of the table a passage holds, with its heading path when that
    gives the unit of the table's numbers (`Slot.read`)."""
    header = header_of(text)
    return [*header, section] if unit_note(section) else header


def asking_clause(question: str, slot: Slot) -> str:
    """The clause of `question` that holds its question form ("…，2015年还能不能读小区配套的
    公办小学？" of a question that first tells the family's case); the whole question when
    the slot has no form."""
    if slot.at < 0:
        return question
    start = max((b.end() for b in _CLAUSE_END.finditer(question, 0, slot.at)), default=0)
    end = next((b.start() for b in _CLAUSE_END.finditer(question, slot.until)), len(question))
    return question[start:end]


def asked_roles(question: str) -> frozenset[str]:
    """Whether a date question asks when something starts (几号开始), ends (几号之前,
    截止), both, or neither."""
    asked = {START} if _ROLES["ask_start"].search(question) else set()
    if _ROLES["ask_end"].search(question):
        asked.add(END)
    return frozenset(asked)


# How many of the best passages may hold the asked-for value.
SLOT_PASSAGES = 3
# Slots whose values are known by their written form (a figure, a date, a period), so a
# sentence either states one or does not; a body or a name is open vocabulary.
WRITTEN_FORM_SLOTS = frozenset({"figure", "day", "month", "date", "duration", "extent"})
# Slots whose value places an event in time: the event is what the value's clause says
# happens then (6月20日起，开始报名), where a figure may measure a noun named clauses away.
TIME_SLOTS = frozenset({"day", "month", "date"})


def filling_passage(slot: Slot, question: str, texts: list[str], sections: Sequence[str] = ()) -> int | None:
    """The index of the first text with a sentence that states the asked-for value, or
    None. Only the best passages are given, so the value is one about the question's
    subject; a unit the question names (多少钱 → 元) keeps other figures out. `sections`:
    the texts' heading paths, whose unit note ("（单位：人）") reads a table's numbers."""
    if slot.fill is None:
        return None
    for i, text in enumerate(texts):
        section = sections[i] if i < len(sections) else ""
        header = table_header(text, section)
        if any(slot.filled_by(sentence, question, header) for sentence in split_sentences(text)):
            return i
        # Numbered items under a heading that states their value ("（一）…加20分参加录取" >
        # "1.烈士子女"; the last part may be the first item's own heading).
        if starts_numbered(text) and any(
            slot.filled_by(part, question) for part in section.split(PATH_SEPARATOR)[-2:]
        ):
            return i
    return None
