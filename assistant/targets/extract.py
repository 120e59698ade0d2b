"""The targets table: quantified targets, deadlines, recurring requirements and who is
responsible, pulled out of the policy texts by rules.

Precision over recall: a quantity becomes a row only with a unit and a target cue (a
qualifier such as 不少于, a recurrence such as 每周, a deadline, or a target verb such as
新增/打造/培养); a row without a quantity needs a deadline, a recurrence or an explicit
responsible body that is the subject of its clause. Dates, article numbers, citation
numbers, phone numbers, ages, money and everything in legal-liability clauses are never
targets. Text that looks like scraped web junk (long runs without punctuation) is skipped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.documents.cleaning import is_run_on
from assistant.settings import Settings

# ---------------------------------------------------------------------------- the row


@dataclass(frozen=True)
class Target:
    what: str
    value: str
    unit: str
    deadline: str  # "2025", "2008-05-10", "十四五期间(2021-2025)" or ""
    recurrence: str  # "每周", "每学年", … or ""
    responsible: tuple[str, ...]
    doc_id: str
    section: str
    sentence: str

    def __post_init__(self) -> None:
        # Accept a list for convenience; keep a tuple so the frozen row stays hashable.
        object.__setattr__(self, "responsible", tuple(self.responsible))

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "value": self.value,
            "unit": self.unit,
            "deadline": self.deadline,
            "recurrence": self.recurrence,
            "responsible": list(self.responsible),
            "doc_id": self.doc_id,
            "section": self.section,
            "sentence": self.sentence,
        }

    @property
    def quantity(self) -> str:
        return f"{self.value}{self.unit}"


# ---------------------------------------------------------------------------- vocabulary

_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_NUM = f"[{_CN_DIGITS}十百千]+"
_AR_NUM = r"\d+(?:\.\d+)?"
_NUM = rf"(?:{_AR_NUM}|{_CN_NUM})"
# Counting units only: money (元), points (分), years and months are rules or fees, not
# targets, in this corpus; ages (岁) are eligibility, not goals.
_UNITS = (
    "课时",
    "学时",
    "小时",
    "分钟",
    "所",
    "座",
    "名",
    "人",
    "个",
    "项",
    "节",
    "天",
    "周",
    "次",
    "门",
    "支",
    "家",
    "%",
    "％",
)
_QUALIFIERS = ("不得超过", "不少于", "不低于", "不超过", "不多于", "不高于", "至少", "最多", "超过")
_QTY = re.compile(
    rf"(?P<num>{_NUM})(?:\s*(?P<sep>[-—–~～至到])\s*(?P<num2>{_NUM}))?(?P<mult>万|千)?\s*"
    rf"(?P<unit>{'|'.join(map(re.escape, _UNITS))})(?P<tail>以上|以下)?"
)
# The qualifier nearest the number, at most four characters before it (至少拥有2项).
_QUALIFIER_BEFORE = re.compile(
    rf"({'|'.join(_QUALIFIERS)})(?:(?!{'|'.join(_QUALIFIERS)})[\u4e00-\u9fff]){{0,4}}$"
)
_RECURRENCE = re.compile(r"每(?:学年|学期|季度|周|星期|天|日|年|月)")
# Verbs that mark a quantity as something to build, reach or provide.
_CUE_VERBS = re.compile(
    "新增|新建|改扩建|扩建|建设|建成|打造|培养|培育|引进|开办|创建|设立|设置|开设|组建|增加|"
    "增设|达到|实现|拥有|掌握|学会|提供|进行|配备|配齐|招收|举办|开展|完成|覆盖|普及|力争|确保"
)
# Words that, leading a noun phrase, are the action rather than the thing counted.
_LEAD_VERBS = (
    "力争实现",
    "力争",
    "确保",
    "实现",
    "新改扩建",
    "改扩建",
    "扩建",
    "新增",
    "新建",
    "建设",
    "建成",
    "打造",
    "培养",
    "培育",
    "引进",
    "开办",
    "创建",
    "设立",
    "设置",
    "开设",
    "组建",
    "增加",
    "增设",
    "达到",
    "拥有",
    "掌握",
    "学会",
    "提供",
    "进行",
    "配备",
    "配齐",
    "招收",
    "举办",
    "开展",
    "完成",
    "采取",
    "实施",
    "激励",
    "保证",
    "安排",
    "加快",
    "推进",
    "推动",
)
_FILLERS = (
    "其中",
    "并且",
    "并",
    "且",
    "、",
    "一般",
    "原则上",
    "平均",
    "最多",
    "最少",
    "每个",
    "先",
)
_TRAILING_ADVERBS = re.compile("(?:一般|原则上|平均|最多|最少)$")

# Responsible bodies: names ending in one of these, as the subject of a clause.
_BODY_SUFFIXES = (
    "领导小组办公室",
    "领导小组",
    "街道办事处",
    "街道办",
    "管委会",
    "教育局",
    "教科院",
    "人民政府",
    "政府",
    "部门",
    "办公室",
    "委员会",
    "学校",
    "幼儿园",
    "国务院",
)
_BODY_RE = re.compile("|".join(_BODY_SUFFIXES))
# What may follow a subject: a modal, a preposition or a verb.
_AFTER_SUBJECT = re.compile(
    "应当|应|要|须|必须|负责|可以|可|不得|会同|按照|根据|依法|依照|对|在|向|将|把|每|全面|"
    "优先|积极|统筹|加强|建立|组织|拓展|制定|做好|落实|及时|定期|切实|共同|协助|配合|指导|审核|"
    "核定|划定|确定|保障|提供|设立|设置|确保|严格|先|分别|予以|采取|支持|引导|鼓励|督促|监督|"
    "研究|提高|促进|结合|开展|推进|推动|加快|完善|发放|视|举办|承担|履行|做到|实行|实施|编制|"
    "开办|新建|建设|组建|成立|设置|配备|落实|公开|公布|报送|收取|办理|接受|核准|退还|申请|审批"
)
# A clause that starts with one of these is an action, not a named subject.
_NOT_A_SUBJECT_START = re.compile(
    "^(?:确保|推动|推进|加快|建立|建设|加强|完善|实施|开展|组织|支持|鼓励|引导|指导|健全|构建|明确|形成|要求|督促|"
    "探索|落实|提高|提升|发挥|坚持|深化|优化|打造|成立|设立|组建|新增|新建|配齐|配备|采取|按照|"
    "根据|结合|依托|对|在|以|为|将|把|由于|凡|对于|关于|如|若|除|同时|另外|重点|聚焦|全力|积极)"
)
_ADMIN_WORDS = ("设区的市", "自治区", "直辖市", "乡镇", "省", "市", "区", "县", "乡", "镇")
_PERSON_WORDS = re.compile("家长|父母|监护人|家庭|学生|儿童|少年|教师|个人|公民|务必|亲自")
_MODAL = re.compile("^(?:应当|应该|应|要|须|必须|负责)")
_PERMISSIVE = re.compile("^(?:可以|可(?!持续|视|靠|行|能))")
_NOUN_PHRASE_WHAT = re.compile("的(?:机构|部门|单位|人员|体制)$")
# A clause whose subject is some other body: "家长委员会可以…", "区教育局应当…".
_OTHER_SUBJECT = re.compile(
    rf"^[\u4e00-\u9fff、]{{0,12}}?(?:{'|'.join(_BODY_SUFFIXES)}|委员会)"
    "(?:应当|应|要|须|必须|可以|可|负责|不得)"
)
_ADVERBIAL = re.compile("^(?:根据|按照|依照|依据|在|结合|围绕|针对|通过|为了|为|以|从|对照|除|会同)")
# How a clause that is only an adverbial ends (根据办学理念, 在…的基础上, 按照国家有关规定).
_ADVERBIAL_END = re.compile(
    "(?:基础上|下|中|时|情况|需要|规定|要求|理念|要素|因素|类别|状况|原则|特点|实际|趋势|方式|标准|结果|为主|为基础|"
    "为指导|为重点|为导向|为载体|为依托|外)$"
)
# Verbs that make a clause an action even after a leading 根据/在/为 phrase.
_ACTION_VERBS = re.compile(
    "明确|配备|设置|设立|制定|制订|建立|建设|提供|负责|完善|实行|实施|开展|组织|落实|保障|纳入|确定|"
    "划定|公示|报送|确认|安排|拨付|申请|执行|核准|退还|构建|推进|推动"
)
_NOT_MAIN_VERBS = {"需要", "需求", "相关", "有关", "结合", "学前", "招生", "适应"}
_PERIODIC_VERBS = re.compile(
    "设立|设置|开展|组织|举办|进行|安排|评选|检查|报告|报送|公布|公示|召开|评估|发布|培训|更新"
)
_PERIODIC_EVENT = re.compile(r"(?:设立|设置|举办|安排)?([\u4e00-\u9fff]{1,8}[周月节])")

# Deadlines.
_DEADLINE = re.compile(
    r"(?P<pre>到|至|在|于)?(?P<y>(?:19|20)\d{2})\s*年(?:(?P<m>\d{1,2})\s*月(?:(?P<d>\d{1,2})\s*日"
    r"|(?P<part>上旬|中旬|下旬|底|末))?)?(?P<yend>底|末)?\s*(?P<post>前|以前|之前)?"
)
_MONTH_DEADLINE = re.compile(
    r"(?<![\d年])(?P<m>\d{1,2})\s*月(?:(?P<d>\d{1,2})\s*日|(?P<part>上旬|中旬|下旬|底|末))?"
    r"\s*(?P<post>前|以前|之前)"
)
_PLAN_PERIOD = re.compile(r"[“\"]?(?P<n>[一二三四五六七八九十]+)五[”\"]?(?:期间|时期|末)")
_CN_ORDINALS = {"十": 10, "十一": 11, "十二": 12, "十三": 13, "十四": 14, "十五": 15, "十六": 16}
_DEADLINE_PREFIX = re.compile(r"^(?:力争在|力争|争取|确保|计划|预计|要|并|在|于)")
_CONDITION_AFTER_DEADLINE = re.compile(r"^\s*(?:未|不|没|出生|以后|之后|起|后)")

# Sentences and clauses.
_SENTENCE_SPLIT = re.compile(r"(?<=[。；;！？!?])|\n+")
_CLAUSE_SPLIT = re.compile(r"[，,：:]")
_NUMBERING = re.compile(
    r"^(?:\s|第[零〇一二三四五六七八九十百千\d]+[章节条款]\s*|[（(][一二三四五六七八九十\d]+[)）]|"
    r"\d+\s*[、.．](?!\d)|[①-⑳●•·◆■—]+)+"
)
_PUNCT = '，,。；;、：:！？!?（）()“”《》"'
_JUNK_RUN = re.compile(rf"[^{_PUNCT}\n]{{80,}}")
_SKIP_SENTENCE = re.compile(
    "罚款|罚金|处分|追究|吊销|责令|违反|没收|拘留|是指|系指|所称|会议通过|会议修订|修正|起施行"
)
_SKIP_SECTION = re.compile("法律责任|罚则|附则")
_WHAT_MAX = 30
_POST_MAX = 24

# ---------------------------------------------------------------------------- helpers


def _cn_to_int(text: str) -> int | None:
    """Chinese numerals up to the thousands: 两 → 2, 九十 → 90, 一百二十 → 120."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    total, current = 0, 0
    for ch in text:
        if ch in digits:
            current = digits[ch]
        elif ch in "十百千":
            scale = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * scale
            current = 0
        else:
            return None
    return total + current


def _arabic(num: str) -> str:
    if re.fullmatch(_AR_NUM, num):
        return num
    value = _cn_to_int(num)
    return str(value) if value is not None else num


def _is_chinese(num: str) -> bool:
    return not num[0].isdigit()


def _quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Names in quotes or book-title marks (“十四五”, 《…十项准则》) are not quantities."""
    return [m.span() for m in re.finditer(r"“[^”]*”|《[^》]*》|\"[^\"]*\"", sentence)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < pos < end for start, end in spans)


def looks_like_junk(text: str) -> bool:
    """Scraped web junk (SEO spam, headline lists) runs on without punctuation."""
    return bool(_JUNK_RUN.search(text)) or is_run_on(text)


def _split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the comma/colon-separated clauses of a sentence."""
    spans, start = [], 0
    for m in _CLAUSE_SPLIT.finditer(sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


def _strip_fillers(text: str) -> str:
    changed = True
    while changed:
        changed = False
        text = text.strip(" \t、，,（(")
        for word in _FILLERS:
            if text.startswith(word):
                text, changed = text[len(word) :], True
    return text


def _strip_lead_verbs(text: str) -> str:
    changed = True
    while changed:
        changed = False
        text = _strip_fillers(text)
        for verb in _LEAD_VERBS:
            if text.startswith(verb) and len(text) > len(verb):
                text, changed = text[len(verb) :], True
    return text


def _ends_with_verb(text: str) -> bool:
    return any(text.endswith(v) for v in _LEAD_VERBS) or bool(
        re.search("(拥有|掌握|学会|提供|进行|设立|设置|开设|安排|达到|增加|新增|组建)$", text)
    )


def _shorten(text: str, limit: int = _WHAT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class _Deadline:
    start: int
    end: int
    label: str


def plan_period_years(n: str) -> tuple[int, int] | None:
    """The years of the n-th five-year plan, n in Chinese ("十四" → 2021–2025)."""
    number = _CN_ORDINALS.get(n)
    if number is None:
        return None
    first = 1956 + 5 * (number - 1)  # the 3rd plan began in 1966, each plan since is 5 years
    return first, first + 4


def _plan_period(n: str) -> str:
    span = plan_period_years(n)
    return f"{n}五期间({span[0]}-{span[1]})" if span else ""


def _find_deadlines(sentence: str, context_year: str) -> list[_Deadline]:
    """Deadline phrases: 到/至 2025年, 2025年底前, 2008年5月10日前, “十四五”期间, and a
    month-only 7月底前 when the paragraph named its year earlier."""
    found: list[_Deadline] = []
    for m in _DEADLINE.finditer(sentence):
        if not (m.group("pre") in ("到", "至") or m.group("post") or m.group("yend")):
            continue  # a bare "2016年" is a date, not a deadline
        if m.group("pre") in ("在", "于") and not m.group("post"):
            continue
        if _CONDITION_AFTER_DEADLINE.match(sentence[m.end() :]):
            continue
        label = m.group("y")
        if m.group("m"):
            label += f"-{int(m.group('m')):02d}"
            if m.group("d"):
                label += f"-{int(m.group('d')):02d}"
        found.append(_Deadline(m.start(), m.end(), label))
    if context_year:
        for m in _MONTH_DEADLINE.finditer(sentence):
            if any(d.start <= m.start() < d.end for d in found):
                continue
            if _CONDITION_AFTER_DEADLINE.match(sentence[m.end() :]):
                continue
            label = f"{context_year}-{int(m.group('m')):02d}"
            if m.group("d"):
                label += f"-{int(m.group('d')):02d}"
            found.append(_Deadline(m.start(), m.end(), label))
    for m in _PLAN_PERIOD.finditer(sentence):
        label = _plan_period(m.group("n"))
        if label:
            found.append(_Deadline(m.start(), m.end(), label))
    return sorted(found, key=lambda d: d.start)


def _years_in(text: str) -> list[str]:
    return re.findall(r"(?:19|20)\d{2}", text)


# ---------------------------------------------------------------------------- bodies


def _split_bodies(text: str) -> list[str]:
    """ "国土规划、更新整备部门" → 国土规划部门, 更新整备部门; "市、区教育部门" → 市教育部门,
    区教育部门; "各级人民政府及其有关部门" → 各级人民政府, 有关部门. A part without a body
    suffix before 和 stays joined to what follows (规划和自然资源部门)."""
    pieces = re.split("(及其(?!他)|和|及|与|或者|或)", re.sub("^(?:其中|其)", "", text))
    groups, current = [], pieces[0]
    for sep, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        if current.endswith(_BODY_SUFFIXES):
            groups.append(current)
            current = piece
        else:
            current += sep + piece
    groups.append(current)
    bodies: list[str] = []
    for group in groups:
        if group.endswith(_BODY_SUFFIXES):
            bodies.extend(_distribute(group))
    return [b for b in bodies if len(b) >= 2]


def _distribute(group: str) -> list[str]:
    parts = [p for p in group.split("、") if p]
    last = parts[-1]
    suffix = next(s for s in _BODY_SUFFIXES if last.endswith(s))
    admin = next((a for a in _ADMIN_WORDS if last.startswith(a)), "")
    out = []
    for part in parts[:-1]:
        if part.endswith(_BODY_SUFFIXES):
            out.append(part)
        elif part in _ADMIN_WORDS and admin:
            out.append(part + last[len(admin) :])  # 市、区教育部门 → 市教育部门
        else:
            out.append(part + suffix)
    out.append(last)
    return out


def _name_ok(name: str) -> bool:
    """A body's name is nouns: no verb, no adverb in front, no person (家长…有关部门)."""
    if re.search("[的在对向将把为，,]", name) or _PERSON_WORDS.search(name):
        return False
    words = _pos(name)
    return bool(words) and words[0][1] not in ("v", "d", "ad", "p") and all(f != "v" for _, f in words)


def _rest_ok(rest: str) -> bool:
    """What follows a subject starts a predicate, not a noun phrase (学校建设, 幼儿园收取的费用)."""
    words = _pos(rest[:12])
    if not words:
        return False
    first, flag = words[0]
    if rest[len(first) :].startswith("的"):
        return False
    # a verbal noun followed by a pause or a noun: 学校建设，… / 幼儿园建设用地…
    follower, follower_flag = words[1] if len(words) > 1 else ("", "x")
    noun_like = follower_flag.startswith("n") or follower_flag == "x" or _MODAL.match(follower)
    return not (flag == "vn" and noun_like)


def _subject(clause: str) -> tuple[list[str], str]:
    """The responsible bodies that are the subject of `clause`, and the rest of it. A body
    after 由 also counts, its topic kept: "校长由县级人民政府教育行政部门依法聘任" →
    县级人民政府教育行政部门, "校长依法聘任"."""
    text = _strip_fillers(clause.strip())
    if text.startswith("由"):
        text = text[1:]
    if _NOT_A_SUBJECT_START.match(text):
        return [], clause
    for m in _BODY_RE.finditer(text[:24]):
        rest = text[m.end() :]
        if not _AFTER_SUBJECT.match(rest) or re.match("(?:的|之|和|与|及|或|、)", rest):
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


# ---------------------------------------------------------------------------- quantities


@dataclass
class _Quantity:
    start: int  # where the qualifier (or the number) starts
    end: int
    value: str
    unit: str
    qualified: bool


def _find_quantities(sentence: str) -> list[_Quantity]:
    quoted = _quoted_spans(sentence)
    found: list[_Quantity] = []
    for m in _QTY.finditer(sentence):
        start = m.start()
        before = sentence[:start]
        after = sentence[m.end() :]
        if _inside(start, quoted) or re.search(r"(第|[A-Za-z]|前|后|每|同|〔)$", before):
            continue
        if m.group("unit") == "个" and re.match("(月|工作日|星期|学期|年)", after):
            continue  # "3个月", "15个工作日内": durations, not counts
        if re.match(r"\s*(?:内|以内|之内|前|后|起|日|月|年|岁)", after):
            continue  # relative times ("3天内") and dates
        if re.fullmatch(r"\d{5,}", m.group("num")):
            continue  # phone numbers and other codes
        num = m.group("num")
        if _is_chinese(num) and not _chinese_allowed(before, found, start):
            continue
        value = _arabic(num) + (f"-{_arabic(m.group('num2'))}" if m.group("num2") else "")
        value += m.group("mult") or ""
        qualifier = _QUALIFIER_BEFORE.search(_clause_head(sentence, start))
        qualified = bool(qualifier or m.group("tail"))
        if qualifier:
            value = qualifier.group(1) + value
            if qualifier.end() - qualifier.start() == len(qualifier.group(1)):
                start -= len(qualifier.group(1))  # adjacent: "不少于1课时"
        elif m.group("tail"):
            value += m.group("tail")
        unit = "%" if m.group("unit") == "％" else m.group("unit")
        found.append(_Quantity(start, m.end(), value, unit, qualified))
    return found


def _clause_head(sentence: str, pos: int) -> str:
    """Text from the start of the clause holding `pos` up to `pos`."""
    head = sentence[:pos]
    cut = max(head.rfind(c) for c in "，,：:；;。（(")
    return head[cut + 1 :]


def _chinese_allowed(before: str, found: list[_Quantity], start: int) -> bool:
    """Chinese numerals hide in words (统一, 一体, 同一个); count them only right after a
    qualifier, a target verb, or as the next item of an enumeration."""
    if (
        found
        and re.search(r"(?:和|及|与|、)\s*$", before)
        and not re.search(f"[{_PUNCT}]", before[found[-1].end :])
    ):
        return True  # "开办一所…中学和一所…学校"
    head = before[-6:]
    return bool(re.search(rf"({'|'.join(_QUALIFIERS)}|{_CUE_VERBS.pattern})$", head))


# ---------------------------------------------------------------------------- what


_INSTITUTION_END = ("高级中学", "中学", "小学", "学校", "幼儿园")
_NAME_FLAGS = ("ns", "nr", "nz", "nt", "m")
_GENERIC_WHAT = {"学位", "学校", "学生", "班", "人数"}


def _named_institution(sentence: str) -> str:
    """A proper school name in the sentence (深圳市第十九高级中学): an institution word
    preceded by place names, personal-name-like words or ordinals."""
    words = _pos(sentence)
    for i, (word, _) in enumerate(words):
        if not word.endswith(_INSTITUTION_END):
            continue
        j = i
        while j > 0 and (words[j - 1][1] in _NAME_FLAGS or words[j - 1][0].endswith(("市", "区"))):
            j -= 1
        if j < i:
            return "".join(w for w, _ in words[j : i + 1])
    return ""


@lru_cache(maxsize=8192)
def _pos(text: str) -> tuple[tuple[str, str], ...]:
    """jieba part-of-speech tags (cached: the same clauses are tagged many times)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return tuple((w.word, w.flag) for w in jieba.posseg.cut(text))


def _what_before(sentence: str, start: int, floor: int, remove: list[tuple[int, int]]) -> str:
    text = "".join(
        ch
        for i, ch in enumerate(sentence[floor:start], start=floor)
        if not any(a <= i < b for a, b in remove)
    )
    text = _RECURRENCE.sub("", text)
    text = re.sub(rf"({'|'.join(_QUALIFIERS)})$", "", text)
    text = re.sub('[“”"]', "", text)
    return _TRAILING_ADVERBS.sub("", _strip_fillers(text))


def _what_after(sentence: str, end: int) -> str:
    rest = sentence[end:]
    rest = re.sub(r"^(?:以上|以下)?的?", "", rest)
    stop = re.search(rf"[{_PUNCT.replace('、', '')}]|(?:和|及|与|、)(?={_NUM})", rest)
    text = rest[: stop.start()] if stop else rest
    return text.strip() if len(text) <= _POST_MAX else ""


# ---------------------------------------------------------------------------- rows


@dataclass
class _Context:
    doc_id: str
    section: str
    year: str = ""  # the last full year named in the paragraph, for "7月底前"
    paragraph_deadline: str = ""
    rows: list[Target] = field(default_factory=list)


def _section_leaf(section: str) -> str:
    return section.split(" > ")[-1].strip() if section else ""


def _make(ctx: _Context, sentence: str, **fields: Any) -> Target:
    defaults: dict[str, Any] = {"value": "", "unit": "", "deadline": "", "recurrence": ""}
    defaults["responsible"] = ()
    defaults.update(fields)
    return Target(doc_id=ctx.doc_id, section=ctx.section, sentence=sentence, **defaults)


def _quantity_rows(sentence: str, ctx: _Context, deadlines: list[_Deadline]) -> list[Target]:
    rows: list[Target] = []
    quantities = _find_quantities(sentence)
    clauses = _clauses(sentence)
    dl_spans = [(d.start, d.end) for d in deadlines]
    first_subject, _ = _subject(_NUMBERING.sub("", sentence[clauses[0][0] : clauses[0][1]]))
    previous: _Quantity | None = None
    previous_what, previous_post = "", ""
    for q in quantities:
        c_start, c_end = next((a, b) for a, b in clauses if a <= q.start <= b)
        clause = sentence[c_start:c_end]
        recurrence = _RECURRENCE.search(sentence[c_start : q.start])
        deadline = _deadline_for(q.start, deadlines) or ctx.paragraph_deadline
        if not (q.qualified or recurrence or deadline or _CUE_VERBS.search(clause)):
            continue
        floor = c_start
        if previous and previous.end > c_start:
            floor = previous.end
        paren = max(sentence.rfind("(", floor, q.start), sentence.rfind("（", floor, q.start))
        floor = max(floor, paren + 1)
        before = _what_before(sentence, q.start, floor, dl_spans)
        before = _NUMBERING.sub("", before)
        if previous_post and before.startswith(previous_post):
            # "…23所幼儿园和0.8万座学位": the text between is the previous row's noun
            before = _strip_fillers(re.sub("^(?:和|及|与)", "", before[len(previous_post) :]))
        body_in_clause, after_body = _subject(before)
        if body_in_clause:
            before = _strip_fillers(after_body)
        post = ""
        if before and not _ends_with_verb(before):
            what = _strip_lead_verbs(before)
        else:
            what = post = _what_after(sentence, q.end)
        if not what and previous and previous.unit == q.unit:
            what = previous_what  # "最多不得超过50人" continues "每班一般45人以下"
        what = _strip_fillers(what)
        if not what or len(what) < 2:
            continue
        if what in _GENERIC_WHAT or len(what) <= 2:
            school = _named_institution(sentence)
            if school:
                what = f"{school}{what}"
        responsible = body_in_clause or _subject(clause)[0] or first_subject
        rows.append(
            _make(
                ctx,
                sentence,
                what=_shorten(what),
                value=q.value,
                unit=q.unit,
                deadline=deadline,
                recurrence=recurrence.group(0) if recurrence else "",
                responsible=responsible,
            )
        )
        previous, previous_what, previous_post = q, what, post
    return rows


def _deadline_for(pos: int, deadlines: list[_Deadline]) -> str:
    """The nearest deadline phrase before `pos`, else the first one in the sentence."""
    before = [d for d in deadlines if d.end <= pos]
    if before:
        return before[-1].label
    return deadlines[0].label if deadlines else ""


def _clause_rows(sentence: str, ctx: _Context, deadlines: list[_Deadline]) -> list[Target]:
    """Rows without a quantity: a goal after a deadline phrase, a recurring duty, or a
    duty of a named body."""
    rows: list[Target] = []
    clauses = _clauses(sentence)
    quantity_spans = [(q.start, q.end) for q in _find_quantities(sentence)]
    pending_deadline = sentence_deadline = ""
    sentence_subject: list[str] = []
    for index, (c_start, c_end) in enumerate(clauses):
        raw = sentence[c_start:c_end]
        clause = _NUMBERING.sub("", raw) if index == 0 else raw.strip()
        offset = c_start + (len(raw) - len(clause))
        deadline, rest = _leading_deadline(clause, offset, deadlines)
        if index == 0 and not rest.rstrip().endswith("的"):
            sentence_deadline = deadline  # "6月10日前，完成…，市、区教育部门…" covers both
        if deadline and not rest.strip():
            pending_deadline = deadline  # "至2025年," — the goal is the next clause
            continue
        deadline = deadline or pending_deadline
        pending_deadline = ""
        if any(c_start <= a < c_end for a, _ in quantity_spans):
            continue  # the quantity rows cover this clause
        bodies, rest = _subject(rest)
        if index == 0:
            sentence_subject = bodies
        rest = _strip_modal(rest)
        if _PERMISSIVE.match(rest):
            continue  # "可以…": an option, not a duty
        recurrence, rest = _leading_recurrence(rest)
        if not (deadline or recurrence or bodies):
            continue
        if not bodies and recurrence:
            bodies = sentence_subject  # "幼儿园应当…，每周向家长公示…": same subject
        core = _strip_fillers(_strip_modal(rest).rstrip("。；;"))
        if _NOUN_PHRASE_WHAT.search(core):
            continue  # "县级以上人民政府负责妇女儿童工作的机构": a name, not a duty
        periodic = _PERIODIC_EVENT.fullmatch(core) if recurrence else None
        if periodic:  # "每学年设立劳动周": one labour week each school year
            what, value, unit = periodic.group(1), "1", periodic.group(1)[-1]
        else:
            what = _goal_text(core, sentence, clauses[index + 1 :], quantity_spans, deadlines)
            value = unit = ""
        if not what or what.endswith("的") or _CONDITION_AFTER_DEADLINE.match(what):
            continue  # "…前能入伙的": a condition, not a goal
        if _NOUN_PHRASE_WHAT.search(what):
            continue  # "…，县级人民政府为主管理的体制": describes a system, not a duty
        leaf = _section_leaf(ctx.section)
        if deadline and leaf.endswith("目标") and not what.startswith(leaf):
            what = f"{leaf}：{what}"
        rows.append(
            _make(
                ctx,
                sentence,
                what=what,
                value=value,
                unit=unit,
                deadline=deadline or _inherited_deadline(ctx, sentence_deadline, recurrence, bodies),
                recurrence=recurrence,
                responsible=bodies,
            )
        )
    return rows


def _inherited_deadline(ctx: _Context, sentence_deadline: str, recurrence: str, bodies: list[str]) -> str:
    """A duty with no deadline of its own takes the one opening its sentence or paragraph."""
    if not (recurrence or bodies):
        return ""
    return sentence_deadline or ctx.paragraph_deadline


def _strip_modal(text: str) -> str:
    return _MODAL.sub("", text.strip())


def _leading_deadline(clause: str, offset: int, deadlines: list[_Deadline]) -> tuple[str, str]:
    """A deadline phrase at the very start of the clause, and the text after it."""
    prefix = _DEADLINE_PREFIX.match(clause)
    skip = prefix.end() if prefix else 0
    for d in deadlines:
        if offset <= d.start <= offset + skip:
            return d.label, clause[d.end - offset :]
    return "", clause


def _leading_recurrence(text: str) -> tuple[str, str]:
    """ "每学年设立劳动周" → ("每学年", "设立劳动周"): a recurrence that governs an action."""
    m = _RECURRENCE.search(text[:8])
    if not m:
        return "", text
    rest = _strip_modal(text[m.end() :])
    verb = _PERIODIC_VERBS.search(rest)
    if not verb or verb.start() > 12:
        return "", text
    return m.group(0), rest[verb.start() :]


def _is_adverbial(clause: str) -> bool:
    """A clause that is only a prepositional phrase (根据办学理念, 以游戏为基本活动) — it
    starts with a preposition and ends like one, or has no main verb."""
    if not _ADVERBIAL.match(clause):
        return False
    if re.fullmatch(r"以[^，,]{1,20}为[^，,]{1,12}", clause):
        return True  # 以游戏为基本活动
    return bool(_ADVERBIAL_END.search(clause)) or not _has_main_verb(clause[2:])


def _has_main_verb(text: str) -> bool:
    """A verb that is not a modifier ("提交的材料" does not count)."""
    for m in _ACTION_VERBS.finditer(text):
        if not text[m.end() :].startswith("的"):
            return True
    position = 0
    for word, flag in _pos(text):
        position += len(word)
        if flag == "v" and word not in _NOT_MAIN_VERBS and not text[position:].startswith("的"):
            return True
    return False


def _goal_text(
    core: str,
    sentence: str,
    following: list[tuple[int, int]],
    quantity_spans: list[tuple[int, int]],
    deadlines: list[_Deadline],
) -> str:
    """The duty or goal: its clause, past leading adverbials (根据…, 在…基础上), plus short
    follow-on clauses that share its subject."""
    what = core
    queue = list(following)

    def blocked(start: int, end: int) -> bool:
        # a clause with its own quantity or deadline is a row of its own
        spans = quantity_spans + [(d.start, d.end) for d in deadlines]
        return any(start <= a < end for a, _ in spans)

    while _is_adverbial(what) and queue and not blocked(*queue[0]):
        c_start, c_end = queue.pop(0)
        what = _strip_modal(sentence[c_start:c_end].strip().rstrip("。；;"))
    for c_start, c_end in queue:
        nxt = sentence[c_start:c_end].strip().rstrip("。；;")
        if blocked(c_start, c_end) or _subject(nxt)[0] or _OTHER_SUBJECT.match(nxt):
            break  # another row's clause, or another body's duty (家长委员会可以…)
        if _is_adverbial(nxt):
            continue  # "编制预算，除…外，应当均衡安排…": skip the aside, keep the duty
        nxt = _strip_modal(nxt)
        if _PERMISSIVE.match(nxt):
            break
        limit = 50 if len(what) < 10 else _WHAT_MAX  # a very short duty needs its sequel
        if len(what) + 1 + len(nxt) > limit:
            break
        what = f"{what}，{nxt}"
    return _shorten(what, 50) if len(what) >= 3 else ""


# ---------------------------------------------------------------------------- driver


def _sentence_rows(sentence: str, ctx: _Context) -> list[Target]:
    deadlines = _find_deadlines(sentence, ctx.year)
    return _quantity_rows(sentence, ctx, deadlines) + _clause_rows(sentence, ctx, deadlines)


def _chunk_rows(text: str, metadata: Mapping[str, Any]) -> list[Target]:
    ctx = _Context(doc_id=str(metadata.get("doc_id", "")), section=str(metadata.get("section", "")))
    if _SKIP_SECTION.search(ctx.section):
        return []
    rows: list[Target] = []
    for line in text.split("\n"):
        if looks_like_junk(line):
            continue
        for index, sentence in enumerate(_split_sentences(line)):
            if _SKIP_SENTENCE.search(sentence) or looks_like_junk(sentence):
                continue
            years = _years_in(sentence)
            if years:
                ctx.year = years[0]
            sentence_rows = _sentence_rows(sentence, ctx)
            if index == 0 and not ctx.paragraph_deadline:
                # "到2023年,基本形成…" opening a paragraph governs the whole paragraph.
                lead = _find_deadlines(sentence, "")
                body = _NUMBERING.sub("", sentence)
                if lead and body.startswith(sentence[lead[0].start : lead[0].end].strip()):
                    ctx.paragraph_deadline = lead[0].label
            rows.extend(sentence_rows)
    return rows


def extract_targets(chunks: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Target]:
    """Targets from (text, metadata) pairs, in order, without duplicates."""
    rows: list[Target] = []
    seen: set[tuple[str, ...]] = set()
    for text, metadata in chunks:
        for row in _chunk_rows(text, metadata or {}):
            key = (row.doc_id, row.what, row.value, row.unit, row.deadline, row.recurrence)
            if key in seen:
                continue  # chunk overlap repeats sentences
            seen.add(key)
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------- loading

_CACHE: dict[str, list[Target]] = {}


def _pipeline_chunks(knowledge_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    from assistant.documents.errors import DocumentError
    from assistant.documents.manifest import read_manifest
    from assistant.documents.pipeline import prepare_document

    pairs: list[tuple[str, dict[str, Any]]] = []
    for meta in read_manifest(knowledge_dir):
        try:
            chunks = prepare_document(meta).chunks
        except DocumentError:
            continue
        pairs.extend((c.text, c.metadata()) for c in chunks)
    return pairs


def _knowledge_key(knowledge_dir: Path) -> str:
    stamps = sorted(
        f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in knowledge_dir.iterdir() if p.is_file()
    )
    return f"pipeline:{knowledge_dir.resolve()}:{hash(tuple(stamps))}"


def load_targets(settings: Settings) -> list[Target]:
    """The table over the active index if it is ready (cached by collection name), else over
    the knowledge folder through the document pipeline."""
    pairs: list[tuple[str, dict[str, Any]]] | None = None
    key = ""
    try:
        from assistant.index import KnowledgeIndex

        index = KnowledgeIndex(settings)
        name = index.active_name()
        if name and name in _CACHE:
            return _CACHE[name]
        if name and index.is_ready():
            _, texts, metas = index.all_chunks()
            order = sorted(range(len(texts)), key=lambda i: (metas[i]["doc_id"], metas[i]["position"]))
            pairs = [(texts[i], metas[i]) for i in order]
            key = name
    except Exception:  # no index yet, or the server is down: read the files instead
        pairs = None
    if pairs is None:
        key = _knowledge_key(settings.knowledge_dir)
        if key in _CACHE:
            return _CACHE[key]
        pairs = _pipeline_chunks(settings.knowledge_dir)
    _CACHE[key] = extract_targets(pairs)
    return _CACHE[key]


# ---------------------------------------------------------------------------- filtering


def deadline_years(deadline: str) -> tuple[int, int] | None:
    """(first, last) year a deadline covers: "2025" → (2025, 2025), a period → its span."""
    years = [int(y) for y in _years_in(deadline)]
    if not years:
        return None
    if "期间" in deadline and len(years) >= 2:
        return years[0], years[-1]
    return years[0], years[0]


def filter_targets(
    targets: Iterable[Target],
    year: str | None = None,
    action: str | None = None,
    body: str | None = None,
) -> list[Target]:
    """year: rows due in that year — a deadline in that year or a period ending then (so
    --year 2025 gives 至2025年 and the 十四五 period, not the 2023 goals); action: part of
    the section path; body: part of a responsible body's name."""
    rows = list(targets)
    if year:
        wanted = int(year)
        rows = [t for t in rows if (span := deadline_years(t.deadline)) and span[1] == wanted]
    if action:
        rows = [t for t in rows if action in t.section]
    if body:
        key = normalize_body(body)
        rows = [t for t in rows if any(key in normalize_body(r) for r in t.responsible)]
    return rows


def normalize_body(name: str) -> str:
    """Compare bodies by their core: 各街道办事处 ~ 街道办; question words and place names in
    front are dropped (请问罗湖区的街道办 → 街道办)."""
    name = name.strip()
    previous = None
    while previous != name:
        previous = name
        name = re.sub("^(?:请问|问|罗湖区|深圳市|我区|全区|全市|本市|区里|各|的)", "", name)
    return name.replace("街道办事处", "街道办")


def body_suffix_pattern() -> str:
    """A regex alternation of the endings that name a responsible body."""
    return "|".join(_BODY_SUFFIXES)
