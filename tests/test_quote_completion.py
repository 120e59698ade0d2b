"""Whole answers: the quote holds the whole written sentence of a rule split at ；, the items
a sentence announces wherever its announcement ends, and (for a question asking two things)
a sentence for each asking clause. Constructed texts test the mechanism; the real files of
knowledge/ (through the real loader) test that it carries over to documents as written."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from assistant.answering.base import AnswerContext
from assistant.answering.extractive import Candidate, ExtractiveAnswerer, rank_sentences
from assistant.answering.quote import (
    LIST_MAX,
    SENTENCE_MAX,
    announces_list,
    announcing_heading,
    clause_quotes,
    continuation,
    enacting,
    list_items,
    quoted_sentences,
    sibling_items,
    written_sentence,
)
from assistant.documents.chunking import Chunk
from assistant.documents.manifest import read_manifest
from assistant.documents.pipeline import prepare_document
from assistant.grammar.sentences import split_sentences
from assistant.question.cite import Citation
from assistant.question.clauses import asking_clauses
from assistant.question.coverage import coverage
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import filling_passage, slot_of
from assistant.question.terms import search_tokens

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
# Real files of other bureaus, beside the repository as in CI.
EXTRA = Path(__file__).resolve().parents[2] / "shared" / "sources_extra"

# --- constructed text ---------------------------------------------------------------------

RULE = (
    "第九条 甲单位违反本办法第三条规定的，由乙部门责令限期改正；",
    "逾期未改正的，处一万元以上三万元以下罚款。",
    "第十条 本办法自公布之日起施行。",
)
ANNOUNCED_IN_A_CLAUSE = (
    "第十二条 学校有下列行为之一的，由主管部门责令改正；",
    "情节严重的，依法给予处分：",
    "（一）擅自收费的；",
    "（二）组织考试选拔学生的。",
    "第十三条 另一条的内容。",
)


def _citation(text: str, number: int = 1, section: str = "第七章 法律责任") -> Citation:
    return Citation(number, "d", "办法", "", "2024", "current", section, text, text, 1.0, f"d:{number:04d}:x")


def _candidate(sentences: tuple[str, ...], at: int) -> Candidate:
    return Candidate(_citation("".join(sentences)), sentences, at, 1.0, 0.0, 0.0, False)


def _quote(sentences: tuple[str, ...], at: int, question: str) -> list[str]:
    lexical = LexicalIndex(["a"], ["".join(sentences)])
    return quoted_sentences(
        _candidate(sentences, at), slot_of(question), question, search_tokens(question), lexical
    )


def test_a_rule_split_at_a_semicolon_is_quoted_to_its_full_stop() -> None:
    quote = _quote(RULE, 0, "甲单位违反第三条规定会受到什么处理？")
    assert quote[:2] == list(RULE[:2])  # the penalty when not corrected comes with the rule
    assert RULE[2] not in quote


def test_the_later_clause_brings_the_condition_before_it() -> None:
    quote = _quote(RULE, 1, "逾期未改正的怎么处罚？")
    assert quote[:2] == list(RULE[:2])


def test_a_clause_stating_the_asked_value_stands_alone() -> None:
    question = "逾期未改正的罚款是多少元？"
    assert written_sentence(RULE, 1, slot_of(question), question) == (1, 1)
    assert written_sentence(RULE, 1, slot_of("怎么处罚？"), "怎么处罚？") == (0, 1)


def test_a_clause_answering_a_question_that_asks_more_comes_with_its_sentence() -> None:
    one = "甲单位违反第三条规定，由哪个部门处理？"
    assert written_sentence(RULE, 0, slot_of(one), one) == (0, 0)
    two = "甲单位违反第三条规定，由哪个部门处理？怎么处理？"
    assert written_sentence(RULE, 0, slot_of(two), two) == (0, 1)
    # The body leads, judged by the whole written sentence it governs, not the rarer
    # institution a later clause names ("吊销幼儿园办学许可证").
    rule = (
        "第九条 民办幼儿园举办者违反本办法第三条规定的，由乙部门责令限期退出；",
        "逾期不退出的，吊销幼儿园办学许可证。",
    )
    asked = "民办幼儿园举办者违反第三条规定，由哪个部门处理？怎么处理？"
    others = [f"第{n}条 各部门按照职责分工负责本办法的实施。" for n in range(5)]
    lexical = LexicalIndex(["d:0001:x", *map(str, range(5))], ["".join(rule), *others])
    citation = _citation("\n".join(rule))
    context = AnswerContext(asked, asked, "hans", [citation], slot=slot_of(asked), lexical=lexical)
    answer = ExtractiveAnswerer().answer(context)
    assert answer.startswith("由乙部门责令限期退出。"), answer
    assert "吊销幼儿园办学许可证" in answer


def test_a_list_item_and_a_sentence_past_the_limit_are_not_joined() -> None:
    items = ("有下列情形之一的：", "（一）擅自收费的；", "（二）组织考试的。")
    assert written_sentence(items, 1, slot_of("怎么办？"), "怎么办？") == (1, 1)
    long = ("甲" * (SENTENCE_MAX - 10) + "；", "乙" * 20 + "。")
    assert written_sentence(long, 0, slot_of("怎么办？"), "怎么办？") == (0, 0)


def test_an_announcement_ending_in_a_semicolon_brings_its_items() -> None:
    quote = _quote(ANNOUNCED_IN_A_CLAUSE, 0, "学校有哪些行为会被主管部门责令改正？")
    assert quote == list(ANNOUNCED_IN_A_CLAUSE[:4])  # the whole announcement, then (一), (二)


STEPS = (
    "（一）家长携带户口簿、预防接种证等原件到报名点登记。",
    "（二）没有网上预报名的家长，须填写报名表一份。",
    "（三）非本市户籍儿童还需交验以下证明材料：",
    "1.居住证；",
    "2.就业证明。",
    "（四）报名点对材料进行审核。",
    "二、其他事项",
)


def test_a_list_question_answered_by_one_item_gets_the_whole_list() -> None:
    quote = _quote(STEPS, 2, "报名登记要带哪些材料？")
    assert quote == list(STEPS[:6])  # from (一) to (四), sub-items kept, the next heading not
    # Another question about the item alone keeps its own list.
    assert _quote(STEPS, 2, "非本市户籍儿童要交验什么证明？")[:3] == list(STEPS[2:5])


def test_an_item_with_no_sibling_is_no_list() -> None:
    assert sibling_items(("（一）只有一项。", "正文。"), 0) == []
    assert sibling_items(("没有编号的句子。", "（一）一项。", "（二）另一项。"), 0) == []


def test_a_long_list_of_items_names_every_item_and_keeps_the_asked_one_whole() -> None:
    items = (*(f"（{n}）{'甲' * 150}。" for n in "一二三四五"), "（六）报名要带户口簿。")
    kept = sibling_items(items, 0, relevance=lambda item: float("户口簿" in item))
    assert [k[:3] for k in kept] == [i[:3] for i in items]  # every item, in order
    assert kept[-1] == items[-1] and sum(map(len, kept)) <= LIST_MAX
    cut = [k for k in kept if k not in items]
    assert cut and all(k.endswith("……") and items[kept.index(k)].startswith(k[:-2]) for k in cut)


FAQ = (
    "4. 学院的办学理念、办学愿景是什么？",
    "办学理念：",
    "高水平、有特色、国际性。",
    "办学愿景：",
    "打造中外合作办学新高地。",
)


def test_a_label_brings_its_value_and_a_faq_question_never_answers() -> None:
    assert _quote(FAQ, 1, "学院的办学理念是什么？") == list(FAQ[1:3])
    lexical = LexicalIndex(["a"], ["".join(FAQ)])
    question = "学院的办学理念是什么？"
    citation = Citation(1, "d", "办法", "", "2024", "current", "", "\n".join(FAQ), "", 1.0, "d:0001:x")
    context = AnswerContext(question, question, "hans", [citation], slot=slot_of(question), lexical=lexical)
    answer = ExtractiveAnswerer().answer(context)
    # The value under its label leads, not the FAQ's own question.
    assert answer.startswith("办学理念：高水平、有特色、国际性。"), answer


def test_a_question_asking_two_things_has_two_asking_clauses() -> None:
    assert asking_clauses("录取通知书几号发？没按时报到会怎样？") == [
        "录取通知书几号发？",
        "没按时报到会怎样？",
    ]
    assert len(asking_clauses("幼儿园每天户外活动多长时间，还有午睡要多久？")) == 2
    assert len(asking_clauses("罗湖区要新增多少公办学位？")) == 1
    assert len(asking_clauses("学位够吗？为什么？")) == 1  # "为什么" asks nothing of its own
    # Typed on a phone: a space or a particle's comma where a question mark would go.
    assert asking_clauses("娃是少数民族 在天津考高考能加几分啊 报外地的大学也给加吗") == [
        "在天津考高考能加几分啊",
        "报外地的大学也给加吗",
    ]
    assert asking_clauses("报名要的随行卡去哪里办啊，要不要钱") == ["报名要的随行卡去哪里办啊", "要不要钱"]
    # Asked of two things in turn (分别, 各): once for each.
    assert asking_clauses("学校接收随迁子女以后，在编班和学籍上分别要怎么做？") == [
        "学校接收随迁子女以后，在编班上分别要怎么做？",
        "学校接收随迁子女以后，在学籍上分别要怎么做？",
    ]
    assert len(asking_clauses("天津高考语文、数学、外语每科各多少分？")) == 3
    assert len(asking_clauses("各区要新建多少学校？")) == 1  # 各区 is one word: no things in turn
    # A comma between the parts of one question does not split it.
    assert len(asking_clauses("经批准招特长生的初中，特长生最多能占多大比例？")) == 1
    # Nor does one before which nothing is asked yet: it sets the scene.
    assert asking_clauses("低保家庭的小孩参加住院医疗保险，保费由谁承担？") == [
        "低保家庭的小孩参加住院医疗保险，保费由谁承担？"
    ]
    # A premise put as a rhetorical question beside another question asks nothing; alone,
    # it asks whether the premise holds.
    assert asking_clauses("罗湖不是说要成立家庭教育指导服务中心吗 它具体在哪个位置啊 周末开不开门") == [
        "它具体在哪个位置啊",
        "周末开不开门",
    ]
    assert asking_clauses("少儿医保不是每年9月统一办参保嘛，那到底9月几号截止啊") == ["那到底9月几号截止啊"]
    assert asking_clauses("不是说要新建23所幼儿园吗？") == ["不是说要新建23所幼儿园吗？"]
    # A comma after which another thing is asked, once something is asked before it, does.
    assert asking_clauses("2016年小一网上报名是几号到几号，材料啥时候去学校交呀") == [
        "2016年小一网上报名是几号到几号",
        "材料啥时候去学校交呀",
    ]
    assert len(asking_clauses("Can a school charge fees for after-school care?")) == 1
    # 多大 and 几 ask as 多少 does.
    assert asking_clauses("游戏几点以后不能玩了？还有娃要开直播，多大才让注册啊") == [
        "游戏几点以后不能玩了？",
        "还有娃要开直播，多大才让注册啊",
    ]


def test_each_asking_clause_gets_the_sentence_that_answers_it() -> None:
    question = "录取通知书几号发放？没按时报到会怎样处理？"
    first = ("录取通知书于7月10日发放。", "新生凭通知书到校报到。")
    second = ("未按时报到的新生，视为放弃学位。",)
    citations = [
        _citation("".join(first), 1, "五、发放通知书"),
        _citation("".join(second), 2, "六、报到"),
    ]
    ranked = [
        Candidate(citations[0], first, 0, 1.0, 0.8, 0.5, True),
        Candidate(citations[0], first, 1, 0.9, 0.6, 0.4, False),
        Candidate(citations[1], second, 0, 0.8, 0.5, 0.3, False),
    ]
    lexical = LexicalIndex(["a", "b"], ["".join(first), "".join(second)])
    assert clause_quotes(ranked, [first[0]], question, lexical) == [(citations[1], second[0])]
    # A question asking one thing, or a quote already answering the clause, adds nothing.
    assert clause_quotes(ranked, [first[0]], "录取通知书几号发放？", lexical) == []
    assert clause_quotes(ranked, [first[0], second[0]], question, lexical) == []
    answer = ExtractiveAnswerer().answer(
        AnswerContext(question, question, "hans", citations, slot=slot_of(question), lexical=lexical)
    )
    assert answer.index("7月10日") < answer.index("视为放弃学位。 [2]")  # the first clause leads


def test_a_second_ask_answered_next_to_the_first_is_found_in_the_quoted_passage() -> None:
    """The sentence after the quote answers the second clause but ranks below the best
    sentences for the whole question (real order from the Foshan measures)."""
    question = "拟安排入读公办的名单要公示多久？公示期间有人提异议怎么处理？"
    passage = (
        "对拟安排入读公办学校的对象进行公示，公示时间不少于5个工作日。",
        "公示期间有异议的，应进行复核。",
    )
    other = tuple(f"第{n}项：借读生按积分从高到低安排入读公办学校。" for n in range(1, 10))
    quoted, elsewhere = (
        _citation("".join(passage), 1, "三、组织实施"),
        _citation("".join(other), 2, "二、入读安排"),
    )
    ranked = [Candidate(quoted, passage, 0, 1.0, 0.6, 0.6, True)]
    ranked += [Candidate(elsewhere, other, i, 0.9 - i / 100, 0.5, 0.4, False) for i in range(9)]
    ranked += [Candidate(quoted, passage, 1, 0.1, 0.3, 0.2, False)]
    lexical = LexicalIndex(["a", "b"], ["".join(passage), "".join(other)])
    assert clause_quotes(ranked, [passage[0]], question, lexical) == [(quoted, passage[1])]


def test_a_value_a_clause_asks_is_taken_from_the_sentence_beside_the_quote() -> None:
    """ "哪天考？考多长时间？": the quote states the duration; the date is two sentences on in
    the same paragraph and shares no keyword of the clause but 考 (the Shanghai 2016
    opinions, as written)."""
    question = "中考的思想品德是哪天考的？考多长时间？"
    passage = (
        "3.思想品德科目考试采用开卷形式，考试时间为70分钟。",
        "考试成绩按“优秀、良好、合格、不合格”评定。",
        "考试定于2016年5月28日（星期六）举行。",
        "4.另有一项安排。",
    )
    quoted = _citation("".join(passage), 1, "二、考试评价工作")
    ranked = [Candidate(quoted, passage, i, 1.0 - i / 10, 0.5, 0.3, False) for i in range(len(passage))]
    lexical = LexicalIndex(["a"], ["".join(passage)])
    assert clause_quotes(ranked, list(passage[:2]), question, lexical) == [(quoted, passage[2])]
    # A quote that states the date already needs nothing beside it.
    assert clause_quotes(ranked, list(passage[:3]), question, lexical) == []


def test_a_clause_is_covered_by_its_meant_words_a_made_up_segment_weighs_nothing() -> None:
    """ "入学前要签什么": 前要 is the segmenter's guess and can be covered by nothing; 签, a
    single character the documents use only inside 签订, still counts (real wording of the
    Wuhan notice)."""
    question = "择校以后还能享受分配生名额吗？入学前要签什么？"
    sentences = ("择校生不得享受“分配生”资格。", "凡择校入学的学生，在入学前必须签订承诺书。")
    cited = _citation("".join(sentences), 1, "一、做好新生入学工作")
    ranked = [Candidate(cited, sentences, i, 1.0 - i / 10, 0.5, 0.5, i == 0) for i in range(2)]
    lexical = LexicalIndex(["a"], ["".join(sentences)])
    assert clause_quotes(ranked, [sentences[0]], question, lexical) == [(cited, sentences[1])]


def test_a_clause_whose_words_no_sentence_shares_gets_the_sentence_closest_in_meaning() -> None:
    """ "对学生掌握运动项目有没有数量上的指标" shares one word with "激励每个学生至少拥有2项
    以上体育特长": the clause's own query vector finds it (cosines as retrieval gives them)."""
    question = "体育课每天得排几节？对学生掌握运动项目有没有数量上的指标？"
    first, second = asking_clauses(question)
    # The answering sentence stands apart from the quote: one beside it would be taken
    # for what it states (test_a_value_a_clause_asks_is_taken_from_the_sentence_beside_the_quote).
    sentences = (
        "义务教育阶段学校设置每天1节体育与健康课。",
        "办好校园体育节。",
        "开展校园足球活动。",
        "推进学校体育场馆开放。",
        "激励每个学生至少拥有2项以上体育特长。",
    )

    def citation(meaning: dict[str, float]) -> Citation:
        cited = _citation("".join(sentences), 1, "提高学生健康素质")
        pairs = {
            first: ((sentences[0], 0.55), (sentences[4], 0.47), (sentences[1], 0.38)),
            second: tuple(meaning.items()),
        }
        return replace(cited, clause_dense=tuple(pairs.items()))

    lexical = LexicalIndex(["a"], ["".join(sentences)])
    order = (0, 4, 1, 2, 3)  # ranked as retrieval would rank them for the whole question
    close = citation({sentences[0]: 0.40, sentences[4]: 0.475, sentences[1]: 0.41})
    ranked = [Candidate(close, sentences, i, 1.0 - r / 10, 0.5, 0.5, i == 0) for r, i in enumerate(order)]
    assert clause_quotes(ranked, [sentences[0]], question, lexical) == [(close, sentences[4])]
    # Not closer than the quote by the margin, or stating no figure the clause asks for: none.
    near = citation({sentences[0]: 0.46, sentences[4]: 0.475, sentences[1]: 0.41})
    ranked = [Candidate(near, sentences, i, 1.0 - r / 10, 0.5, 0.5, i == 0) for r, i in enumerate(order)]
    assert clause_quotes(ranked, [sentences[0]], question, lexical) == []
    figureless = citation({sentences[0]: 0.40, sentences[4]: 0.41, sentences[1]: 0.50})
    ranked = [
        Candidate(figureless, sentences, i, 1.0 - r / 10, 0.5, 0.5, i == 0) for r, i in enumerate(order)
    ]
    assert clause_quotes(ranked, [sentences[0]], question, lexical) == []


def test_each_neighbour_that_covers_the_question_joins() -> None:
    sentences = (
        "英语听力考试单独组织实施。",
        "考生须参加两套听力试卷的考试。",
        "英语听力两套试卷分别记分，算较高的分数。",
    )
    quote = _quote(sentences, 1, "英语听力考两套试卷，算哪套的分数？")
    assert quote == list(sentences)  # the one before and the one after both cover it


def test_a_list_too_long_for_the_limit_keeps_the_items_the_question_asks_about() -> None:
    filler = "学校应当按照规定的程序和要求办理有关的手续并报主管部门备案"
    items = (*(f"{i}. {filler}{i}；" for i in range(1, 21)), "21. 父母一方是本市户籍的适龄子女。")
    sentences = ("符合下列条件之一的适龄子女属政策性借读生：", *items)
    question = "父母一方是本市户籍的孩子算政策性借读生吗？"
    tokens, lexical = search_tokens(question), LexicalIndex(["a"], ["".join(sentences)])
    kept = list_items(sentences, 0, relevance=lambda item: coverage(tokens, item, lexical.idf))
    # Every item named by its opening, in document order; the asked one whole.
    assert [k.split(".")[0] for k in kept] == [str(i) for i in range(1, 22)]
    assert all(
        k == item or (k.endswith("……") and item.startswith(k[:-2]))
        for k, item in zip(kept, items, strict=True)
    )
    assert items[-1] in kept and sum(map(len, (sentences[0], *kept))) <= LIST_MAX
    # Many more items than fit even cut short: the most relevant whole, "……" for the others.
    many = (
        "符合下列条件之一的适龄子女属政策性借读生：",
        *(f"{i}. {filler}{i}；" for i in range(1, 60)),
        items[-1],
    )
    chosen = list_items(many, 0, relevance=lambda item: coverage(tokens, item, lexical.idf))
    assert items[-1] in chosen and "……" in chosen
    assert sum(len(s) for s in (many[0], *chosen) if s != "……") <= LIST_MAX
    blind = list_items(many, 0)  # without the question: the first items, then ……
    assert blind[-1] == "……" and items[-1] not in blind


# --- the real files of knowledge/, through the real loader -------------------------------


@lru_cache(maxsize=4)
def _chunks(file_name: str) -> tuple[Chunk, ...]:
    folder = KNOWLEDGE if (KNOWLEDGE / file_name).exists() else EXTRA
    meta = next(m for m in read_manifest(folder) if m.path.name == file_name)
    return tuple(prepare_document(meta).chunks)


def _answer_from(file_name: str, article: str, question: str, *more: str) -> str:
    """The extractive answer when retrieval ranks `article`'s chunk first, then the chunks
    of the articles `more` (else the document's first two); no sentence vectors: the
    ranking is by keyword coverage and slot fit."""
    chunks = _chunks(file_name)
    lexical = LexicalIndex([c.id for c in chunks], [c.text for c in chunks])
    # `article`: a heading, or a heading and a phrase of its chunk ("四、考试|两套试卷").
    heading, _, phrase = article.partition("|")
    first = next(c for c in chunks if c.section.endswith(heading) and phrase in c.text)
    others = [next(c for c in chunks if c.section.endswith(a)) for a in more]
    others = others or [c for c in chunks if c is not first][:2]
    citations = [
        Citation(n, c.doc_id, c.title, c.issuer, c.date, c.status, c.section, c.text, c.text, 1.0, c.id)
        for n, c in enumerate([first, *others], start=1)
    ]
    context = AnswerContext(question, question, "hans", citations, slot=slot_of(question), lexical=lexical)
    return ExtractiveAnswerer().answer(context)


def test_a_regulations_penalty_clause_comes_with_its_rule() -> None:
    answer = _answer_from(
        "shenzhen_sez_preschool_education_regulations_2022.txt",
        "第六十九条",
        "配套幼儿园的建设单位违反第二十条规定不移交，会受到什么处理？",
    )
    assert "由住房建设部门责令限期改正" in answer
    assert "一倍以上三倍以下罚款" in answer  # the next clause of the same sentence


def test_a_regulations_list_announced_before_its_penalties_comes_with_its_items() -> None:
    answer = _answer_from(
        "shenzhen_sez_preschool_education_regulations_2022.txt",
        "第七十四条",
        "幼儿园违反条例的哪些行为会被教育部门责令改正？",
    )
    lines = answer.splitlines()
    assert lines[0].startswith("第七十四条") and lines[0].endswith("依法追究刑事责任：")
    assert lines[1].startswith("（一）") and any(line.startswith("（十）违规收取费用") for line in lines)
    assert "第七十五条" not in answer


def test_a_regulations_answer_to_two_questions_quotes_an_article_for_each() -> None:
    answer = _answer_from(
        "shenzhen_sez_preschool_education_regulations_2022.txt",
        "第三十一条",
        "在深圳当幼儿园园长要什么学历？这部条例从哪天起施行？",
        "第七十六条",
    )
    lines = answer.splitlines()
    assert "本科以上学历" in lines[0]  # the first clause leads
    # The second clause's article is quoted and cited as a source, not listed as related.
    at = lines.index("第七十六条 本条例自2022年9月1日起施行。 [2]")
    assert lines[at + 1].startswith("——出自") and lines[at + 1].endswith("第七十六条”")


def test_a_rules_sentences_on_both_sides_join_when_they_cover_the_question() -> None:
    answer = _answer_from(
        "tianjin_2016_college_entrance_exam_admission_rules.pdf",
        "四、考试|两套试卷",
        "天津高考英语听力是单独组织考试、要考两套试卷的吗？",
    )
    quote = answer.split("[1]")[0]  # the quote, with the rest of its measure after it
    assert "单独组织实施" in quote and "取较高的分数" in quote, answer  # before and after


def test_a_long_list_read_on_across_chunks_keeps_the_asked_item() -> None:
    chunks = _chunks("foshan_2012_non_hukou_children_public_school_admission_measures.html")
    start = next(i for i, c in enumerate(chunks) if "符合下列条件之一" in c.text)
    own = tuple(split_sentences(chunks[start].text))
    at = next(i for i, s in enumerate(own) if "符合下列条件之一" in s)
    # The list runs on into the next chunks, which open with the last sentences of the one
    # before: read on as the answerer does.
    best = Candidate(_citation(chunks[start].text), own, at, 1.0, 0.0, 0.0, False)
    after = continuation(
        best, lambda *_: [c.text for c in chunks[start + 1 : start + 4]], slot_of("哪些"), ""
    )
    sentences = own + after
    question = "佛山父母有一方是佛山户籍的孩子，能按政策性借读生入学吗？"
    tokens = search_tokens(question)
    lexical = LexicalIndex([c.id for c in chunks], [c.text for c in chunks])
    kept = list_items(sentences, at, relevance=lambda item: coverage(tokens, item, lexical.idf))
    assert "15.父母一方是佛山市户籍人士的适龄子女。" in kept
    # All sixteen items, each once (the chunks overlap), and not the next part "（二）…".
    assert [s.split(".")[0] for s in kept] == [str(i) for i in range(1, 17)]
    assert not any(s.startswith("（二）") for s in list_items(sentences, at))


def test_a_notices_materials_list_is_quoted_from_its_first_item() -> None:
    answer = _answer_from(
        "zhongshan_2015_urban_primary_school_admission_notice.html",
        "四、报名登记手续",
        "中山城区小学报名登记时要交验哪些证件和材料？",
    )
    lines = answer.splitlines()
    assert lines[0].startswith("(一)家长携带适龄子女") and "户口簿" in lines[0], answer
    assert any(line.startswith("(三)居住在城区的非中山户籍适龄儿童") for line in lines)


def test_a_related_rule_split_at_a_semicolon_is_shown_with_its_outcome() -> None:
    answer = _answer_from(
        "shenzhen_sez_preschool_education_regulations_2022.txt",
        "第二十三条",
        "没有取得办学许可证就擅自举办民办幼儿园，会怎么处理？",
        "第七十条",
    )
    related = next(line for line in answer.splitlines() if "第七十条" in line and line.startswith("- "))
    assert "由街道办事处责令限期改正；" in related, answer
    assert "没收违法所得" in related, answer  # the outcome, in the next clause of its sentence


def test_a_documents_basis_and_a_cover_letters_forwarding_sentence_enact_it() -> None:
    # Tianjin's 2016 primary-admission guidance: its opening and its cover letter.
    basis = (
        "根据《中华人民共和国义务教育法》《中华人民共和国民办教育促进法》等法律、法规和规范性文件，"
        "为规范招生入学工作，市教委制定了2016年我市小学招生入学工作指导意见。"
    )
    cover = "为全面推进依法治教，规范招生入学工作，市教委制定了《2016年天津市小学招生入学工作指导意见》，现印发给你们，请认真遵照执行。"
    assert enacting(basis, "报名是哪天？") and enacting(cover, "报名是哪天？")
    assert not enacting(basis, "这个意见是根据什么制定的？")  # asked about its basis: it answers
    # Asked how the document was passed, the cover letter saying so answers.
    passed = (
        "《厦门市进城务工人员随迁子女小学积分入学办法指导意见》已经市政府专题会议审议通过，现印发给你们。"
    )
    assert enacting(passed, "积分入学怎么派位？")
    assert not enacting(passed, "这个指导意见印发前经过什么会议审议通过？")
    # A rule that a body makes a plan is no enacting sentence.
    assert not enacting("根据《义务教育法》，各区制定招生方案。", "谁制定招生方案？")
    assert not enacting("根据学位情况，学校制定招生方案。", "谁制定招生方案？")
    # Xiamen's 2016 opinion opens by proposing itself (提出如下意见), not by a rule.
    opening = (
        "为贯彻落实《厦门市人民政府关于进一步做好进城务工人员随迁子女义务教育工作的通知》（厦府〔2014〕65号），"
        "现就进城务工人员随迁子女（以下简称随迁子女）积分入学办法提出如下意见。"
    )
    assert enacting(opening, "积分入学办法要坚持哪几条工作原则？")
    assert not enacting("学校应当提出整改意见。", "学校要提出什么意见？")


def test_the_opening_of_a_guiding_thought_enacts_its_document() -> None:
    # 滨海新区's 2016 plan opens its 指导思想 with what it carries out: no date of enrolment.
    opening = "深入贯彻落实《2016年天津市小学招生入学工作指导意见》（津教委〔2016〕12号）的精神，坚持以国家和天津市有关法律法规为依据。"
    assert enacting(opening, "天津滨海新区2016年小学招生入学定在哪几天？")
    assert not enacting(opening, "滨海新区的方案是依据什么制定的？")
    # Carrying out a document's spirit with a rule of its own is a rule.
    assert not enacting("认真贯彻落实市教委文件精神，各学校不得提前招生。", "能提前招生吗？")


def test_a_list_questions_best_sentence_is_the_one_announcing_the_list() -> None:
    # By meaning the last item ("6.入学安排承诺书。") is closest to "要交哪些材料"; the sentence
    # announcing the materials holds the answer and leads, its items quoted with it.
    question = "渝北区随迁子女申请上学要交哪些材料？"
    sentences = (
        "随迁子女申请入学时，由其法定监护人持以下证明材料的原件和复印件，向居住地区教育行政部门报名登记。",
        "1.适龄儿童少年与法定监护人的户口簿；",
        "2.法定监护人的合法工作证明；",
        "3.入学安排承诺书。",
    )
    text = "".join(sentences)
    dense = tuple(zip(sentences, (0.56, 0.60, 0.62, 0.74), strict=True))
    citation = Citation(1, "d", "招生方案", "", "2016", "current", "流动人口随迁子女入学", text, text, 1.0, "d:0001:x",
                        sentence_dense=dense)  # fmt: skip
    lexical = LexicalIndex(["d:0001:x"], [text])
    slot = slot_of(question)
    ranked = rank_sentences([citation], question, slot, search_tokens(question), lexical)
    assert ranked[0].sentence == sentences[0] and ranked[0].holds
    answer = ExtractiveAnswerer(lexical).answer(
        AnswerContext(question, question, "hans", [citation], slot=slot)
    )
    assert all(item.rstrip("；。") in answer for item in sentences[1:])


BONUSES = (
    (
        "六、政策性优录 > （一）符合下列条件之一的考生，升学成绩总分加20分参加录取 > 1.烈士子女",
        "1.烈士子女。",
    ),
    (
        "六、政策性优录 > （二）符合下列条件之一的考生，升学成绩总分加10分参加录取 > 3.因公牺牲军人子女",
        "3.因公牺牲军人子女。",
    ),
    (
        "六、政策性优录 > （三）符合下列条件之一的考生，升学成绩总分加5分参加录取",
        "1.农村应届毕业年级女生。2.华侨子女、归侨子女和少数民族子女。",
    ),
)


def test_a_list_items_value_is_its_announcing_headings() -> None:
    # "1.烈士子女。" states no value; the heading announcing its list does (加20分). The item
    # that names whom the question asks about leads its list's items, and is quoted with
    # the heading, which gives the lead line.
    citations = [_citation(text, i, section) for i, (section, text) in enumerate(BONUSES, start=1)]
    lexical = LexicalIndex([c.chunk_id for c in citations], [f"{c.section} {c.text}" for c in citations])
    for question, heading, item in (
        ("武汉中考烈士子女能加多少分？", BONUSES[0][0].split(" > ")[1], "1.烈士子女。"),
        ("武汉中考华侨子女能加几分？", BONUSES[2][0].split(" > ")[1], "2.华侨子女、归侨子女和少数民族子女。"),
    ):
        slot, tokens = slot_of(question), search_tokens(question)
        ranked = rank_sentences(citations, question, slot, tokens, lexical)
        assert ranked[0].sentence == item
        assert quoted_sentences(ranked[0], slot, question, tokens, lexical) == [heading, item]
        context = AnswerContext(question, question, "hans", citations, slot=slot, lexical=lexical)
        assert ExtractiveAnswerer().answer(context).startswith(heading.split("，")[1]), question
    # An item under a heading that announces no list, or a numbered line that is no item
    # of it, takes no value from it.
    plain = _citation("1.烈士子女。", 1, "六、政策性优录 > （一）升学成绩总分加20分")
    assert announcing_heading(plain, "1.烈士子女。") == ""
    assert announcing_heading(citations[0], "烈士子女可以加分。") == ""


def test_a_chunk_of_items_under_a_heading_stating_the_value_fills_the_slot() -> None:
    question = "武汉中考烈士子女能加多少分？"
    section, text = BONUSES[0]
    assert filling_passage(slot_of(question), question, [text], [section]) == 0
    assert filling_passage(slot_of(question), question, [text], ["六、政策性优录"]) is None


def test_items_numbered_with_one_character_marks_are_items_of_the_list() -> None:
    # ⑴ and ⒈ are single characters of the （1） and 1. styles (Word's automatic numbering).
    materials = (
        "随迁子女到我区公办初中就读，同时提供以下材料原件及复印件：⑴家庭户口簿和父母身份证；",
        "⑵居住满一年的居住证或暂住证；",
        "⑶监护人相对稳定工作证明；",
        "⑷就读本区小学的学籍卡。",
        "6.其他事项。",
    )
    quote = _quote(materials, 0, "随迁子女上公办初中要准备哪些材料？")
    assert quote == list(materials[:4])
    dotted = ("须提交下列材料：", "⒈户口簿；", "⒉房产证。", "二、其他")
    assert _quote(dotted, 0, "要提交哪些材料？") == list(dotted[:3])


def test_an_item_of_a_list_its_heading_announces_holds_the_asked_list() -> None:
    # The heading "三、…须提供以下材料的原件和复印件" announces the list its items make up:
    # for a question asking which papers, each item holds the asked value.
    items = "（一）家庭户籍本和父母身份证；（二）在杭的有效暂住证；（三）适龄儿童的预防接种证。"
    listed = _citation(items, 1, "三、进城务工人员子女入学时，须提供以下材料的原件和复印件")
    prose = _citation("符合条件的子女在杭就学，应提前1个月向实际居住地学校提出申请。", 2, "四、办理手续")
    question = "务工人员子女入学要提供哪些材料的原件和复印件？"
    lexical = LexicalIndex(["a", "b"], [listed.text, prose.text])
    ranked = rank_sentences([listed, prose], question, slot_of(question), search_tokens(question), lexical)
    assert {c.sentence: c.holds for c in ranked} == {
        "（一）家庭户籍本和父母身份证；": True,
        "（二）在杭的有效暂住证；": True,
        "（三）适龄儿童的预防接种证。": True,
        "符合条件的子女在杭就学，应提前1个月向实际居住地学校提出申请。": False,
    }


def test_items_written_on_after_the_colon_are_an_announced_list() -> None:
    inline = (
        "所需印证材料：①监护人及儿童户口簿；",
        "②身份证；",
        "③居住证；",
        "④免疫接种卡。",
        "三、其他事项。",
    )
    assert announces_list(inline[0])
    assert _quote(inline, 0, "申请积分入学要准备哪些印证材料？") == list(inline[:4])
    # A colon followed by prose announces no list of its own.
    assert not announces_list("报名时间：6月25日至26日。")


def test_a_list_question_naming_a_value_is_answered_by_every_item_stating_it() -> None:
    """ "哪些考生可以加10分": the items of the list that state 10分, each as written, not the
    announcement of another list nor an item stating 3分."""
    text = "\n".join(
        (
            "1．凡有下列情形之一的考生，录取时将在统考成绩总分的基础上加分投档：",
            "（1）自主就业的退役士兵，录取时可加5分投档。",
            "（2）烈士子女，录取时可加10分投档。",
            "（3）少数民族考生，报考省属高校，录取时可加3分投档。",
            "（4）归侨子女和台湾省籍考生，录取时可加10分投档。",
            "2．凡符合下列规定之一的应届考生，可在统考成绩总分的基础上加分投档：",
            "（1）必修科目成绩均达到A级的，加5分计入统考成绩。",
        )
    )
    citation = _citation(text, section="十一、录取 > （七）照顾政策")
    question = "哪些考生录取时可以加10分投档？"
    lexical = LexicalIndex(["d"], [text])
    context = AnswerContext(question, question, "hans", [citation], slot=slot_of(question), lexical=lexical)
    answer = ExtractiveAnswerer().answer(context)
    quote = answer.split(" [1]")[0]
    assert quote.splitlines() == [
        "（2）烈士子女，录取时可加10分投档。",
        "（4）归侨子女和台湾省籍考生，录取时可加10分投档。",
    ]
    # Rows of a table stating the value are quoted each on a line of its own.
    rows = "编号 | 考生条件 | 降分幅度\n4 | 归侨子女 | 降5分 录取\n5 | 少数民族学生 | 降5分 录取\n6 | 烈士子女 | 降10分 录取"
    row_citation = _citation(rows, section="政策性照顾项目一览表")
    question = "哪些考生可以降5分录取？"
    context = AnswerContext(
        question,
        question,
        "hans",
        [row_citation],
        slot=slot_of(question),
        lexical=LexicalIndex(["d"], [rows]),
    )
    quote = ExtractiveAnswerer().answer(context).split(" [1]")[0]
    assert quote.splitlines() == ["4 | 归侨子女 | 降5分 录取", "5 | 少数民族学生 | 降5分 录取"]


def test_a_question_asking_for_no_value_is_answered_by_the_whole_measure() -> None:
    article = (
        "第十一条 义务教育阶段学校应当公示招生政策、招生计划、招生地段、新生名单。\n"
        "义务教育阶段学校应当与教育主管部门签订招生工作承诺书，并接受社会监督。\n"
        "报名时间为每年5月10日至12日。"
    )
    citation = _citation(article, section="第十一条")
    lexical = LexicalIndex(["d:0001:x"], [article])

    def answer(question: str) -> str:
        context = AnswerContext(
            question, question, "hans", [citation], slot=slot_of(question), lexical=lexical
        )
        return ExtractiveAnswerer().answer(context)

    # The best sentence by its words is the second; the requirement asked is in the first.
    requirement = answer("学校接受社会监督时要签订什么，还要公示哪些内容？")
    first_line = requirement.splitlines()[0]
    assert "招生工作承诺书" in first_line and "新生名单" in first_line, requirement
    # A value is answered by the sentence that states it, not the whole article.
    date = answer("每年报名时间是几月几号？")
    assert "5月10日" in date and "新生名单" not in date, date


def test_a_regulations_body_leads_an_answer_to_who_and_what_next() -> None:
    answer = _answer_from(
        "shenzhen_sez_preschool_education_regulations_2022.txt",
        "第七十一条",
        "在深圳，民办幼儿园的举办者或者实际控制人被查出有犯罪记录、虐待儿童记录这类不得举办幼儿园的情形，由哪个部门处理？怎么处理？",
    )
    # The body, judged by the whole written sentence it governs, not the institution a
    # later clause names ("吊销幼儿园办学许可证"); that clause is quoted with it.
    assert answer.startswith("由教育部门责令其限期退出。"), answer
    assert "逾期不退出的，吊销幼儿园办学许可证" in answer
