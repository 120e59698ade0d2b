"""The heading grammar of official documents, on random outlines (seeded, stdlib random)
and on the shapes that used to stop an ingest: nesting follows the numbering, no heading
sequence raises, and tables are sections of their own under their caption."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.documents.chunking import MAX_CHUNK_CHARS, chunk_sections
from assistant.documents.manifest import DocumentMeta
from assistant.documents.structure import RANKS, TABLE_LABEL, parse_sections

CN = "一二三四五六七八九十"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
META = DocumentMeta("grammar", Path("grammar.txt"), "测试文件", "测试", "测试单位", "2024", "current")


def numbered(style: str, n: int, words: str) -> str:
    """A heading of `style` numbered `n` (1-based)."""
    return {
        "cn": f"{CN[n - 1]}、{words}",
        "paren_cn": f"（{CN[n - 1]}）{words}",
        "arabic": f"{n}.{words}",
        "paren_arabic": f"（{n}）{words}",
        "circled": f"{CIRCLED[n - 1]}{words}",
        "chapter": f"第{CN[n - 1]}章 {words}",
        "section": f"第{CN[n - 1]}节 {words}",
    }[style]


@dataclass
class Outline:
    """A random document and, for each body sentence, the path it must end up under."""

    blocks: list[str] = field(default_factory=list)
    expected: dict[str, tuple[str, ...]] = field(default_factory=dict)
    headings: dict[str, str] = field(default_factory=dict)  # title -> style
    stack: list[tuple[int, str]] = field(default_factory=list)
    article: str | None = None
    fresh: bool = False  # a heading was opened and nothing is under it yet
    serial: int = 0

    def next(self) -> int:
        self.serial += 1
        return self.serial

    def push(self, style: str, title: str) -> None:
        self.stack = [(r, t) for r, t in self.stack if r < RANKS[style]]
        self.stack.append((RANKS[style], title))
        self.headings[title] = style
        self.article = None
        self.fresh = True

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.stack)

    def body(self) -> None:
        sentence = f"第{self.next()}项工作要按期完成，并接受督导检查。"
        self.blocks.append(sentence)
        self.expected[sentence] = (*self.path, self.article) if self.article else self.path
        self.fresh = False


def random_outline(rng: random.Random) -> Outline:
    doc = Outline()
    counters: dict[str, int] = {}
    styles = ["cn", "paren_cn", "arabic", "paren_arabic", "circled", "chapter", "section"]
    for _ in range(rng.randint(1, 40)):
        event = rng.choice([*styles, "article", "lead", "plan", "annex", "table", "body", "body"])
        if event in styles and doc.article is None:
            counters[event] = counters.get(event, 0) % 10 + 1
            title = numbered(event, counters[event], f"工作要求{doc.next()}")
            doc.blocks.append(title)
            doc.push(event, title)
        elif event == "lead" and doc.article is None:
            style = rng.choice(styles[:5])
            counters[style] = counters.get(style, 0) % 10 + 1
            lead = numbered(style, counters[style], f"重点任务{doc.next()}")
            doc.push(style, lead)
            line = f"{lead}。各单位要抓好落实，确保取得实效{doc.next()}。"
            doc.blocks.append(line)
            doc.expected[line] = doc.path
            doc.fresh = False
        elif event == "article":
            doc.stack = [(r, t) for r, t in doc.stack if r < RANKS["article"]]
            label = f"第{CN[rng.randrange(10)]}十{CN[rng.randrange(9)]}条"
            line = f"{label} 本条规定的事项{doc.next()}，依照本办法执行。"
            doc.article, doc.fresh = label, False
            doc.blocks.append(line)
            doc.expected[line] = (*doc.path, label)
            if rng.random() < 0.5:  # an item of the article stays in the article
                item = numbered(rng.choice(styles[:4]), 1, f"应当具备的条件{doc.next()}。")
                doc.blocks.append(item)
                doc.expected[item] = (*doc.path, label)
        elif event == "plan":
            block = [f"攻坚行动{doc.next()}"] + ([f"保障学位供给{doc.next()}"] if rng.random() < 0.5 else [])
            doc.blocks.append("\n".join(block))
            doc.push("plan", block[0])
            if len(block) == 2:
                doc.push("plan2", block[1])
        elif event == "annex":
            label = f"附件{doc.next()}"
            doc.blocks.append(label)
            doc.push("annex", label)
        elif event == "table" and doc.article is None:
            caption = rng.choice([f"工作日程安排表{doc.next()}", None])
            if doc.path and doc.blocks[-1:] == [doc.path[-1]] and doc.headings[doc.blocks[-1]] == "plan":
                caption = f"工作日程安排表{doc.next()}"  # a lone short line above a table is its caption
            rows = [f"时间{doc.next()} | 工作项目{i} | 备注" for i in range(rng.randint(1, 4))]
            doc.blocks += [caption, "\n".join(rows)] if caption else ["\n".join(rows)]
            label = () if doc.fresh and not caption else (caption or TABLE_LABEL,)
            doc.expected["\n".join(rows)] = (*doc.path, *label)  # right under a heading: named by it
            doc.fresh = False
        else:
            doc.body()
    return doc


@pytest.mark.parametrize("seed", range(400))
def test_random_outlines_nest_by_their_numbering(seed: int) -> None:
    doc = random_outline(random.Random(seed))
    text = "\n\n".join(doc.blocks)
    sections = parse_sections(text)
    found: dict[str, tuple[str, ...]] = {}
    for section in sections:
        for line in section.text.split("\n") if section.kind == "text" else [section.text]:
            found[line] = section.path
        # The path is a chain of headings of the text, outer styles before inner ones.
        ranks = [RANKS[doc.headings[t]] for t in section.path if t in doc.headings]
        assert ranks == sorted(set(ranks)), (seed, section.path)
        at = -1
        for heading in (t for t in section.path if t != TABLE_LABEL):  # found in this order
            at = text.find(heading, at + 1)
            assert at >= 0, (seed, section.path)
    assert {line: found.get(line) for line in doc.expected} == doc.expected, seed
    chunks = chunk_sections(META, sections)
    assert all(len(c.text) <= MAX_CHUNK_CHARS for c in chunks)
    assert {c.section for c in chunks} == {" > ".join(s.path) for s in sections}


def test_any_style_may_follow_a_plan_block() -> None:
    """The crash of the issue: a short block, then a numbered heading, then deeper ones."""
    text = "重庆市教育委员会文件\n\n渝教基发〔2016〕22号\n\n2016年义务教育招生入学工作意见\n\n" + (
        "一、指导思想\n\n深入贯彻落实党的教育方针，促进教育公平。\n\n（一）依法入学原则。凡年满6周岁儿童应当入学。\n\n"
        "1.房屋产权有效证件。\n\n（1）户口簿原件，并提供复印件。\n\n①预防接种证明，由接种门诊出具。\n\n重庆市教育委员会\n\n2016年4月8日"
    )
    paths = [s.path for s in parse_sections(text)]
    title = "2016年义务教育招生入学工作意见"
    assert paths[0] == ()  # masthead and 文号 are the frame, not headings
    assert paths[1:] == [
        (title, "一、指导思想"),
        (title, "一、指导思想", "（一）依法入学原则"),
        (title, "一、指导思想", "（一）依法入学原则", "1.房屋产权有效证件"),
    ]
    assert parse_sections(text)[-1].text.endswith("重庆市教育委员会\n2016年4月8日")  # signature stays text


def test_sibling_numbering_closes_deeper_headings() -> None:
    text = "四、学位安排\n\n（四）积分方法。按类别给予基础分。\n\n2、积分方法\n\n（1）深圳户籍儿童：按居住时间加分。\n\n（五）全区统筹学位安排。区教育局统筹。"
    assert [s.path for s in parse_sections(text)] == [
        ("四、学位安排", "（四）积分方法"),
        ("四、学位安排", "（四）积分方法", "2、积分方法", "（1）深圳户籍儿童"),
        ("四、学位安排", "（五）全区统筹学位安排"),
    ]


def test_article_items_stay_in_their_article() -> None:
    text = "第一章 总则\n\n第四条 处理未成年人事项，应当符合下列要求：\n（一）给予特殊保护；\n（六）保护与教育相结合。\n\n第五条 国家保障未成年人的权利。"
    sections = parse_sections(text)
    assert [s.path for s in sections] == [("第一章 总则", "第四条"), ("第一章 总则", "第五条")]
    assert sections[0].text.endswith("（六）保护与教育相结合。")


def test_a_table_is_its_own_chunk_under_its_caption() -> None:
    header = "时间 | 工作项目 | 备注"
    rows = [
        f"{m}月{d}日 | 各区办理第{m}{d}批新生入学登记手续并公布结果 | 报市教育局备案"
        for m in (5, 6, 7)
        for d in range(1, 11)
    ]
    text = (
        "一、工作安排\n\n各区按日程安排开展工作。\n\n附件\n\n工作日程安排\n\n"
        + "\n".join([header, *rows])
        + "\n\n本日程由市教育局负责解释。"
    )
    sections = parse_sections(text)
    table = next(s for s in sections if s.kind == "table")
    assert table.path == ("附件", "工作日程安排")
    chunks = [c for c in chunk_sections(META, sections) if c.section == "附件 > 工作日程安排"]
    assert len(chunks) > 1 and all(len(c.text) <= MAX_CHUNK_CHARS for c in chunks)
    assert all(c.text.startswith(header + "\n") for c in chunks)  # each piece names its columns
    assert [r for c in chunks for r in c.text.split("\n")[1:]] == rows  # whole rows, in order
    assert sections[-1].path == ("附件",) and sections[-1].text == "本日程由市教育局负责解释。"


def test_a_table_without_caption_is_labelled() -> None:
    text = "三、积分标准\n\n积分按下表计算。\n\n项目 | 分值\n独生子女 | 10分"
    assert [s.path for s in parse_sections(text)] == [("三、积分标准",), ("三、积分标准", TABLE_LABEL)]
    assert [s.path for s in parse_sections("三、积分标准\n\n项目 | 分值")] == [("三、积分标准",)]


def test_listing_of_annexes_is_text_and_a_wrapped_line_is_no_heading() -> None:
    text = "附件：1.证明材料一览表\n\n2．高考各科目考试均以教育部制定的《普通高中课程标\n准（实验）》为主要考核内容；"
    assert [s.path for s in parse_sections(text)] == [()]
