"""A value leads an answer only from a sentence about the question's subject, and a
partial answer never quotes the asked value: real code (question/subject.py,
answering/agreement.py) on made-up passages, and the real assistant on the shipped
documents."""

from __future__ import annotations

import pytest

from assistant.answering.agreement import settle
from assistant.answering.base import AnswerContext
from assistant.answering.extractive import ExtractiveAnswerer, rank_sentences
from assistant.chain import Assistant
from assistant.question.cite import Citation
from assistant.question.decide import Decision
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import slot_of
from assistant.question.subject import asked_subject, other_stage
from assistant.question.terms import search_tokens

FEE = "深圳市第十九高级中学的学费是多少钱？"


@pytest.mark.parametrize(
    ("question", "name", "missing"),
    [
        (FEE, "深圳市第十九高级中学", "该校的学费"),
        ("深圳市第十九高级中学什么时候开学？", "深圳市第十九高级中学", "该校开学的具体时间"),
        ("“领航计划”要培养多少名校长？", "领航计划", "该项目校长的具体数字"),
        ("罗湖区教育局的电话是多少？", "罗湖区教育局", "该单位的联系电话"),
        (
            "罗湖区家庭教育指导服务中心的地址和联系电话是什么？",
            "罗湖区家庭教育指导服务中心",
            "该单位的地址和联系电话",
        ),
        # A kind of subject or a place alone names no specific subject.
        ("义务教育学校要新建多少所？", "", "具体数字"),
        ("深圳的幼儿园如果拒不改正，罚款是多少？", "", "具体数字"),
        # A condition ending in 的话 is no "X的Y", and a modal with its verb (会扣, 能积)
        # is no noun: nothing named is missing.
        ("家长近五年有刑事犯罪纪录的话会扣几分？", "", "具体数字"),
        ("东莞积分入学，家长是本科学历能积多少分？", "本科学历", "本科学历的具体数字"),
        # A school's short numbered name is a name; a district the segmenter tags as a
        # person (建邺区) is a place; a place's one-character short form after a verb
        # ("来宁": come to Nanjing) makes no name of the group it stands in.
        ("郑州一中的统招录取分数线是多少分？", "郑州一中", "郑州一中的具体数字"),
        ("南京建邺区2016年外地来宁务工人员的随迁子女是什么时候报名登记？", "", "具体时间"),
        # The noun phrase right after 的 is the thing even when the clause runs on; a
        # final 的 after the asked action is no part of it; a modal glued to a verb (能积)
        # is no thing.
        ("罗湖公办小学的课后服务一个学期要交多少钱？", "罗湖公办小学", "该校的课后服务"),
        ("武汉外国语学校是哪一年创办的？", "武汉外国语学校", "该校创办的具体时间"),
        ("东莞积分入学，父母是本科学历的能积多少分？", "本科学历", "本科学历的具体数字"),
        # A time clause's 的 (报名的时候) makes no "X的Y"; one noun before a running clause
        # (基础|分是) is no thing; a noun after the question form is (多少奖金). A
        # category's letter label (A类) is a name.
        ("娃今年天津高考，报名的时候考务费要交多少钱啊？", "", "具体数字"),
        ("2016年罗湖小一申请，A类的基础分是多少分啊？", "A类", "A类的具体数字"),
        ("评上师德标兵的老师能拿多少奖金？", "师德标兵", "师德标兵奖金的具体数字"),
        # Districts by their short names, whatever their tag, are places, not a name.
        ("泉州鲤城、丰泽2016年小学一年级一个班一般招多少学生？", "", "具体数字"),
        # "在城镇" is in the segmenter's dictionary as a name: 在 + 城镇, a place phrase.
        ("在城镇总体规划里给学校留足建设用地是哪个部门的职责？", "", "负责的部门"),
        # The body a question asks for is the slot's, not part of the asked action
        # (哪个部门审批 → 审批; 部门领 was no thing, and 领 alone is too short for one).
        ("翠竹小学的转学申请由哪个部门审批？", "翠竹小学", "该校审批的负责的部门"),
        ("翠竹小学的学位由谁来分配？", "翠竹小学", "该校分配的负责的部门"),
        ("通过积分拿到公办学位的孩子，入学通知书要去哪个部门领？", "入学通知书", "入学通知书的负责的部门"),
        # A school's name the segmenter does not know (市桥, 笋岗) is a name; a place
        # names a subject only as its start (深圳中学), not before common nouns (罗湖 plans
        # to focus on), nor before a school stage (天津's 小学一年级).
        (
            "番禺区2015学年，市桥实验小学给外来务工人员子女提供几个积分入学学位？",
            "市桥实验小学",
            "该校入学学位的具体数字",
        ),
        ("笋岗小学几点放学？", "笋岗小学", "该校放学的具体日期"),
        ("深圳中学的学费是多少？", "深圳中学", "该校的学费"),
        ("罗湖计划重点打造几所品牌特色学校？", "", "具体数字"),
        ("今年天津小学一年级是几号开始报名？", "", "具体日期"),
    ],
)
def test_the_subject_of_a_value_question_is_read_from_its_grammar(
    question: str, name: str, missing: str
) -> None:
    slot = slot_of(question)
    subject = asked_subject(question, slot)
    assert subject.name == name
    assert subject.missing(slot.label) == missing


def test_a_subject_named_by_its_place_and_a_kind_of_document_is_named_by_that_documents_title() -> None:
    # "罗湖计划…哪一年": the plan of 罗湖, whose title calls itself 行动方案.
    question = "罗湖计划最晚在哪一年基本消除超班额现象？"
    subject = asked_subject(question, slot_of(question))
    assert subject.name == "罗湖计划"
    idf = LexicalIndex(["a", "b"], ["罗湖区行动方案", "计划生育"]).idf
    assert subject.named_in("罗湖区基础教育高质量发展行动方案 至2025年,基本消除超班额现象", idf)
    assert not subject.named_in("福田区行动方案 至2025年,基本消除超班额现象", idf)


def test_a_colloquial_words_document_forms_are_alternatives() -> None:
    # 小升初 is written 初中 or 招生 in documents: either names it.
    question = "东城区小升初特长生考查通过的学生名单由哪个机构在网上公示？"
    subject = asked_subject(question, slot_of(question))
    assert subject.name == "东城区小升初特长生考查"
    idf = LexicalIndex(["a", "b"], ["东城区特长生考查", "区教育招生考试中心"]).idf
    text = "东城区特长生入学工作方案 区教育招生考试中心网上公示考查通过的学生名单"
    assert subject.named_in(text, idf)
    assert not subject.named_in("西城区特长生入学工作方案 区教育招生考试中心网上公示考查通过的学生名单", idf)


def _citations(*texts: str) -> list[Citation]:
    return [
        Citation(i, f"d{i}", "招生文件", "", "2024", "current", "收费", text, text, 1.0, f"c{i}",
                 sentence_dense=((text, 0.7),))
        for i, text in enumerate(texts, start=1)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def lexical() -> LexicalIndex:
    texts = [
        "翠竹小学学费每学期3000元。",
        "红岭中学学费每学期2500元。",
        "翠竹小学位于翠竹路。",
        "学校收费应当公示。",
    ]
    return LexicalIndex([f"c{i}" for i in range(len(texts))], texts)


QUESTION = "翠竹小学的学费是多少钱？"


def _decision(reason: str = "") -> Decision:
    return Decision(bool(reason), reason, 0.9, slot_of(QUESTION))


def _settled(question: str, lexical: LexicalIndex, *texts: str) -> Decision:
    """An answer to `question` from passages `texts`, as the agreement check leaves it."""
    return settle(Decision(False, "", 0.9, slot_of(question)), question, _citations(*texts), lexical)


def _partial_unless(question: str, lexical: LexicalIndex, without: str, stating: str) -> Decision:
    """The partial outcome `question` settles to from a quote `without` the asked value,
    after checking that a quote `stating` it answers."""
    assert not _settled(question, lexical, stating).refuse
    settled = _settled(question, lexical, without)
    assert settled.partial
    return settled


def test_a_value_about_another_subject_makes_the_answer_partial_naming_what_is_missing(
    lexical: LexicalIndex,
) -> None:
    settled = settle(_decision(), QUESTION, _citations("红岭中学学费每学期2500元。"), lexical)
    assert settled.partial and settled.slot.label == "该校的学费"


def test_a_value_about_the_named_subject_is_answered(lexical: LexicalIndex) -> None:
    settled = settle(_decision(), QUESTION, _citations("翠竹小学学费每学期3000元。"), lexical)
    assert not settled.refuse and settled.reason == ""


def test_a_partial_whose_quote_states_the_asked_value_becomes_an_answer(lexical: LexicalIndex) -> None:
    settled = settle(_decision("not_stated"), QUESTION, _citations("翠竹小学学费每学期3000元。"), lexical)
    assert not settled.refuse and settled.reason == ""


def test_a_partial_whose_quote_states_another_subjects_value_stays_partial_and_names_it(
    lexical: LexicalIndex,
) -> None:
    settled = settle(_decision("not_stated"), QUESTION, _citations("红岭中学学费每学期2500元。"), lexical)
    assert settled.partial and settled.slot.label == "该校的学费"


def test_a_value_of_another_school_stage_is_partial_naming_the_stage_asked(lexical: LexicalIndex) -> None:
    # 小学's quota is no answer for 初中; a level covering the stage (义务教育) is.
    question = "初中一年级每班招多少人？"
    decision = Decision(False, "", 0.9, slot_of(question))
    settled = settle(decision, question, _citations("小学一年级每班招生45人。"), lexical)
    assert settled.partial and settled.slot.label.startswith("初中的")
    covered = settle(decision, question, _citations("义务教育学校每班招生45人。"), lexical)
    assert not covered.refuse
    # 小升初 asks about both of its stages; a sentence naming no stage is not judged.
    assert other_stage("小升初每班招多少人？", "小学毕业生每班45人。") == ""
    assert other_stage("初中每班招多少人？", "每班招生45人。") == ""
    # A stage named besides 小升初 is the one asked; 幼升小 is the 小学's enrolment.
    assert other_stage("那二七区的小升初，初中是什么时候报名？", "二七区小学招生详细说明 报名时间") == "初中"
    assert other_stage("北京幼升小报名要带什么材料？", "幼儿园招生 报名时带户口簿") == "小学"
    # A level's word read across a stage's names no level: 高中学业 holds 中学, which
    # would cover 初中 too.
    assert other_stage("上海高中学业水平考试的报名时间？", "报名就读民办初中的学生填报志愿") == "高中"
    # A question about both stages of 小升初 is not answered from a 高中 document.
    assert other_stage("郑州小升初特长生由哪个部门组织？", "郑州市市区普通高中招生工作意见") == "小学、初中"


def test_a_partial_whose_quote_states_a_value_of_another_thing_stays_partial(lexical: LexicalIndex) -> None:
    # 中考分数线 is a word the documents never use: a figure in the quote is not it.
    question = "今年中考录取分数线是多少？"
    decision = Decision(True, "not_stated", 0.5, slot_of(question))
    settled = settle(decision, question, _citations("翠竹小学学费每学期3000元。"), lexical)
    assert settled.partial


def test_an_answer_whose_quote_states_no_value_of_the_asked_form_is_partial(lexical: LexicalIndex) -> None:
    # A date in another passage (a cover letter's) is no answer to "几号开始".
    question = "积分入学网上申请是几号开始？"
    quote = "申请积分入学的随迁子女，父母在本市务工和参加社会保险的年限要满2年。"
    cover = "本通知自2016年3月1日起执行。"
    decision = Decision(False, "", 0.9, slot_of(question))
    settled = settle(decision, question, _citations(quote, cover), lexical)
    assert settled.partial and settled.slot.label == "具体日期"
    assert not settle(decision, question, _citations("网上申请于3月1日开始。", quote), lexical).refuse
    # A phone number is digits: a quote without any states none.
    phone = "这个中心电话多少？"
    founded = "成立区家庭教育指导服务中心，统筹规划指导全区家庭教育工作。"
    called = _settled(phone, lexical, founded, cover)
    assert called.partial and called.slot.label == "联系电话"
    stated = "家庭教育指导服务中心咨询电话：25666324。"
    assert not _settled(phone, lexical, stated).refuse
    # Several values asked clause by clause, each known by its form (an address, a phone
    # number): a quote stating none of them states none of what is asked.
    where = "家庭教育指导服务中心在哪里办公？家长咨询要打什么电话？"
    located = "家庭教育指导服务中心地址：深圳市罗湖区文锦中路1008号，咨询电话：25666324。"
    assert "具体地址" in _partial_unless(where, lexical, founded, located).slot.label
    # What a question asks first, by its written form, is not stated: a later clause a
    # quote may answer does not make the answer whole.
    first = "小学一年级几号开始报名啊，是要带齐资料去学校现场报吗？"
    zoning = "小学一年级报名时，家长须带齐户口簿、房产证等资料到学校现场报名。"
    dated = "小学一年级于4月16日开始报名，家长须带齐资料到学校现场报名。"
    assert _partial_unless(first, lexical, zoning, dated).slot.label == "具体日期"
    # A premise put as a rhetorical question asks nothing: the address asked after it is
    # what a quote must state.
    premise = "罗湖不是说要成立家庭教育指导服务中心吗 它具体在哪个位置啊 电话多少 周末开不开门"
    assert "具体地址" in _partial_unless(premise, lexical, founded, located).slot.label
    # A value asked in a later clause that no quote, for any clause, states.
    ratio = "心理健康教育专职教师要按什么师生比来配？一所学校最少要配几名？"
    staffed = "配齐配足中小学心理健康教育专职教师，加强心理健康教育全员培训。"
    assert _partial_unless(ratio, lexical, staffed, "每所学校至少配备1名专职心理健康教育教师。").partial
    # A phone number is the number of whom it is listed under: the institution the
    # question names, in whichever clause, must be named with it.
    centre = "罗湖区家庭教育指导服务中心在哪里办公 有没有咨询电话"
    office = "罗湖区教育局教育科  电话：25666324"
    listed = "罗湖区家庭教育指导服务中心 地址：罗湖区文锦中路1008号 电话：25666324"
    assert _partial_unless(centre, lexical, office, listed).slot.label == "该单位的联系电话"
    assert not _settled("罗湖区教育局教育科 电话多少", lexical, office).refuse
    # A rule set out area by area, for other areas than the one asked, is no answer.
    zone = "我们住在中山火炬开发区，孩子上一年级现场报名要去哪个学校登记啊"
    sections = _citations("石岐区：中山市博爱小学（石岐区民权路55号）；东区：朗晴小学（东区起湾道）。")
    elsewhere = settle(Decision(False, "", 0.9, slot_of(zone)), zone, sections, lexical)
    assert elsewhere.partial and elsewhere.slot.label.startswith("火炬开发区的")
    own = "我们住在中山石岐区，孩子上一年级现场报名要去哪个学校登记啊"
    assert not settle(Decision(False, "", 0.9, slot_of(own)), own, sections, lexical).refuse
    # So is the time section of a notice whose other sections cited name only other areas.
    town = "我们家在中山小榄镇，小榄镇的小学现场报名是哪天？"
    notice = [
        Citation(n, "notice", "城区小学招生通告", "", "2015", "current", section, text, text, 1.0, f"c{n}",
                 sentence_dense=((text, 0.7),))
        for n, section, text in (
            (1, "三、现场报名 > （一）时间", "（一）时间：5月30日(星期六)，上午8：30-11：30。"),
            (2, "三、现场报名 > （二）地点", "1.石岐区户籍：中山市实验小学；2.东区户籍：朗晴小学；3.南区户籍：南区小学。"),
        )
    ]  # fmt: skip
    timed = settle(Decision(False, "", 0.9, slot_of(town)), town, notice, lexical)
    assert timed.partial and timed.slot.label.startswith("小榄镇的")
    urban = "我们家在中山石岐区，石岐区的小学现场报名是哪天？"
    assert not settle(Decision(False, "", 0.9, slot_of(urban)), urban, notice, lexical).refuse
    # A value of the same thing at another level of government is no answer.
    province = "城乡义务教育公用经费，省财政补助比例是多少？"
    shared = "补助资金除省财政负担的部分外，其余由市财政负担50%，区财政负担50%。"
    leveled = _settled(province, lexical, shared)
    assert leveled.partial and leveled.slot.label.startswith("省财政的")
    assert not _settled(province, lexical, "省财政补助比例为30%，其余由市财政负担。").refuse
    assert not _settled("公用经费补助资金市财政负担多少？", lexical, shared).refuse
    # A body is open vocabulary: a quote naming none the slot knows still answers.
    body = "思政课建设由谁全面领导？"
    led = settle(
        Decision(False, "", 0.9, slot_of(body)), body, _citations("坚持党对思政课建设的全面领导。"), lexical
    )
    assert not led.refuse


def test_a_date_of_another_event_in_the_sentence_naming_the_asked_one_is_partial(
    lexical: LexicalIndex,
) -> None:
    # The sentence names the 毕业考试 asked about, but its date is the 报名审核's: the
    # clause a date stands in, with the next one, says what happens then.
    question = "2016年的小学毕业考试定在几月几号？"
    other = "即从2016年6月20日起，公办小学开始报名审核，公办初中待本区县小学毕业考试后进行报名审核。"
    settled = _settled(question, lexical, other)
    assert settled.partial and settled.slot.label == "小学毕业考试的具体日期"
    for dated in ("小学毕业考试定于6月20日举行。", "6月20日至21日，举行全市小学毕业考试。"):
        assert not _settled(question, lexical, dated).refuse, dated
    # The quote names the asked event in one sentence and dates another thing in the next.
    published = "派位结果大概几号公布？"
    effective = "以电脑派位的方式安排入学，派位结果向社会公布。本意见自发布之日起正式执行，有效期五年。"
    assert _partial_unless(published, lexical, effective, "派位结果于7月10日向社会公布。").slot.label == (
        "派位结果的具体日期"
    )
    # A figure measures a noun named clauses away: only a date is bound to its clause.
    fee = "学位补贴的标准是多少？"
    subsidy = "学位补贴标准按照试行办法执行，即：小学不超过每人每年5000元、初中不超过每人每年6000元。"
    assert not _settled(fee, lexical, subsidy).refuse


def test_a_start_date_does_not_answer_a_deadline_nor_a_deadline_a_start(lexical: LexicalIndex) -> None:
    deadline = "学校每年要在几月几号之前把保费收齐交上去？"
    started = "从2016年3月1日起，在全市范围内全面推开非户籍职工子女参加医疗保险工作。"
    due = "学校应于每年9月30日前将保费收齐上缴。"
    assert _settled(deadline, lexical, started).partial
    assert not _settled(deadline, lexical, due).refuse
    start = "公办小学从哪天开始报名审核？"
    assert _settled(start, lexical, "报名材料须于7月10日前交齐。").partial
    assert not _settled(start, lexical, "即从6月20日起，公办小学开始报名审核。").refuse
    # A question asking both is answered by either; a date that is neither stands.
    both = "网上报名是几号开始、几号截止？"
    assert not _settled(both, lexical, "网上报名须于5月20日前完成。").refuse
    assert not _settled(deadline, lexical, "学校于7月20日将保费上缴。").refuse


def test_a_documents_own_date_answers_only_when_it_was_issued(lexical: LexicalIndex) -> None:
    signed = (
        "《城市轨道沿线地区规划设计导则》可在我部网站下载。附件：城市轨道沿线地区规划设计导则2015年11月18日"
    )

    def settled(question: str, text: str) -> Decision:
        cited = Citation(1, "d1", "关于印发导则的通知", "住房城乡建设部", "2015-11-18", "current", "", text,
                         text, 1.0, "c1", sentence_dense=((text, 0.7),))  # fmt: skip
        return settle(Decision(False, "", 0.9, slot_of(question)), question, [cited], lexical)

    deadline = "要求各地在什么时间之前完成轨道沿线地区规划的编制？"
    assert settled(deadline, signed).partial
    assert not settled(deadline, "各地应于2016年6月30日前完成轨道沿线地区规划的编制。").refuse
    assert not settled("导则是什么时候印发的？", signed).refuse


def test_an_english_question_whose_quote_states_no_value_of_the_asked_form_is_partial(
    lexical: LexicalIndex,
) -> None:
    question = "How many bonus points are added for children of revolutionary martyrs?"
    decision = Decision(False, "", 0.9, slot_of(question))
    rule = "五年制高职的有关录取加分政策按省招考委有关规定执行。"
    settled = settle(decision, question, _citations(rule), lexical, script="en")
    assert settled.partial and settled.slot.label_en == "the figure"
    added = "烈士子女，升学成绩总分加20分参加录取。"
    assert not settle(decision, question, _citations(added), lexical, script="en").refuse


HELP = "学校自己设计课程建设有困难，区里会派谁来协助？"


def test_a_body_question_names_the_deed_of_the_body_it_asks_for() -> None:
    assert asked_subject(HELP, slot_of(HELP)).deed == "协助"
    assert (
        asked_subject(
            "义务教育学校的校长由哪个部门聘任？", slot_of("义务教育学校的校长由哪个部门聘任？")
        ).deed
        == "聘任"
    )
    assert asked_subject(FEE, slot_of(FEE)).deed == ""  # not a body question


def test_a_partial_whose_quote_states_a_body_doing_the_asked_deed_becomes_an_answer(
    lexical: LexicalIndex,
) -> None:
    decision = Decision(True, "not_stated", 0.9, slot_of(HELP))
    quote = "组建课程建设专家团队，开展课程专家进校园活动，协助学校系统设计课程建设。"
    settled = settle(decision, HELP, _citations(quote), lexical)
    assert not settled.refuse and settled.reason == ""
    # a body that does something else is not the one asked for: still partial
    other = settle(decision, HELP, _citations("组建课程建设专家团队，评选学校精品课程。"), lexical)
    assert other.partial


def test_the_lead_line_of_a_body_question_is_not_a_body_the_question_names() -> None:
    quote = "组建课程建设专家团队，开展课程专家进校园活动，协助学校系统设计课程建设。"
    context = AnswerContext(HELP, HELP, "hans", _citations(quote), slot=slot_of(HELP))
    # 学校 is a body word, but the question's own: the team is the answer
    assert ExtractiveAnswerer().answer(context).splitlines()[0] == "组建课程建设专家团队。"


def test_the_lead_line_of_a_body_question_is_the_body_doing_the_asked_deed() -> None:
    # 教育行政部门 and 公安部门 both stand in the quote; the question names 教育部门 and a
    # deed (建立…登记制度, 提供名册) that only the clauses after 公安部门 hold.
    question = "进城务工人员学龄期子女登记制度由哪个部门建立并向教育部门提供人员名册？"
    quote = (
        "各级公安部门要加强对进城务工人员暂住证的管理，建立进城务工人员学龄期子女登记制度，"
        "积极配合各区、县（市）教育行政部门了解相关数据，提供相关人员名册。"
        "各级教育行政部门要根据进城务工人员学龄期子女的实际情况，及时制订进城务工子女入学方案。"
    )
    context = AnswerContext(question, question, "hans", _citations(quote), slot=slot_of(question))
    assert ExtractiveAnswerer().answer(context).splitlines()[0].startswith("各级公安部门")


def test_a_subject_named_with_its_category_is_named_without_it() -> None:
    # A points table lists "大学本科 | 20分" for a parent's "大学本科学历".
    question = "番禺区积分入读公办学校，大学本科学历能积多少分？"
    subject = asked_subject(question, slot_of(question))
    assert subject.name == "大学本科学历"
    idf = LexicalIndex(["a", "b"], ["大学本科 | 20分", "硕士 | 23分"]).idf
    assert subject.named_in("（6）大学本科 | 20分", idf)
    assert not subject.named_in("（4）硕士 | 23分", idf)


def test_a_category_named_by_a_letter_is_named_only_as_written() -> None:
    # "A类" is one name (the segmenter cuts it into A and 类), and 类 alone, as in 类别,
    # does not name it.
    question = "深户自己买房住的属于A类吧？A类的基础分是多少分啊"
    subject = asked_subject(question, slot_of(question))
    assert subject.name == "A类"
    idf = LexicalIndex(["a", "b"], ["类别优先", "A类 | 80分"]).idf
    assert not subject.named_in("（四）采取“类别+积分，类别优先”招生方法 每满1个月积3分", idf)
    assert subject.named_in("A类：深圳户籍，自有住房，基础分80分", idf)
    assert subject.named_in("Ａ类：基础分80分", idf)  # written in full width


@pytest.mark.model
def test_a_named_schools_fee_is_partial_naming_the_school(real_assistant: Assistant) -> None:
    result = real_assistant.ask(FEE)
    assert result.refused and result.reason == "not_stated", result.answer
    assert result.answer.startswith("文件没有写明该校的学费；相关内容："), result.answer
    assert "深圳市第十九高级中学" in result.answer  # the closest sentence is still quoted


@pytest.mark.model
def test_a_named_schools_date_the_documents_do_not_state_is_partial(real_assistant: Assistant) -> None:
    # The plan names the school (新增学位1200座) and states no date for it: no other
    # subject's date may answer.
    result = real_assistant.ask("深圳市第十九高级中学什么时候开学？")
    assert result.refused and result.reason == "not_stated", result.answer
    assert result.answer.startswith("文件没有写明该校开学的具体时间"), result.answer


@pytest.mark.model
def test_a_body_asked_for_by_its_deed_is_answered_with_the_body(real_assistant: Assistant) -> None:
    # The plan's sentence names the expert team that 协助学校系统设计课程建设: not partial.
    result = real_assistant.ask(HELP)
    assert not result.refused, result.answer
    assert result.answer.startswith("组建课程建设专家团队。"), result.answer


def test_a_quote_that_only_refers_to_another_document_makes_the_answer_partial(lexical: LexicalIndex) -> None:
    question = "白云区来穗务工人员的孩子按积分入学申请公办学位，要交哪些材料？"
    pointer = "具体方案见《广州市白云区进城务工人员随迁子女接受义务教育暂行办法》。"
    settled = settle(Decision(False, "", 0.9, slot_of(question)), question, _citations(pointer), lexical)
    assert settled.partial and settled.slot.label == "具体内容"
    stated = "随迁子女申请积分入学，须提交户口簿、居住证和劳动合同。"
    assert not settle(
        Decision(False, "", 0.9, slot_of(question)), question, _citations(stated), lexical
    ).refuse
    # A question asking which rule applies is answered by the sentence that names it.
    which = "东莞非户籍职工的孩子参了医保，看病的待遇标准按什么规定执行？"
    rule = "按《东莞市社会基本医疗保险规定》（东府令第135号）等有关规定执行。"
    assert not settle(Decision(False, "", 0.9, slot_of(which)), which, _citations(rule), lexical).refuse


def test_a_quote_that_leaves_the_asked_detail_to_a_later_text_makes_the_answer_partial(
    lexical: LexicalIndex,
) -> None:
    question = "热点学校空余学额电脑派位，报名参加派位的孩子必须满足什么条件？"
    deferred = "确有较大空余学额的，经批准后按派位计划数招生（《空余学额电脑派位实施办法》另行制定）。"
    settled = settle(Decision(False, "", 0.9, slot_of(question)), question, _citations(deferred), lexical)
    assert settled.partial and settled.slot.label == "具体内容"
    # A sentence that states the asked value answers, whatever it leaves to later.
    when = "热点学校空余学额电脑派位什么时候报名？"
    dated = "空余学额派位于7月10日报名（具体办法另文通知）。"
    assert not settle(Decision(False, "", 0.9, slot_of(when)), when, _citations(dated), lexical).refuse


@pytest.mark.parametrize(
    ("question", "lacking", "label", "stating"),
    [
        # A materials question asks for no value of a kind; the 小学 rules still do not
        # answer a question about 幼儿园 registration. 托幼机构 names the 幼儿园 stage.
        (
            "幼儿园报名要准备什么材料？",
            "适龄儿童报名小学时须携带户口簿和房产证。",
            "幼儿园的相关规定",
            "托幼机构在册儿童报名时须携带户口簿。",
        ),
        # A list of names asked for, answered by the rule that the schools exist.
        (
            "东城区有哪些一般初中可以就近登记入学？请列出学校名单。",
            "一批次为就近登记就读一般初中，全区所有初中学校都可选择填报。",
            "具体名单",
            "就近登记的一般初中为：北京市第五中学分校、北京市第一七一中学、东直门中学。",
        ),
        # The names asked first, whatever the yes/no clause after them.
        (
            "五四学制改革实验具体是哪几所学校在试点啊 我家孩子读的那所算不算",
            "成立学制改革协调小组，探索九年一贯制学校开展“五四”学制改革实验。",
            "具体名单",
            "“五四”学制改革实验在翠竹外国语实验学校、红岭中学试点。",
        ),
    ],
)
def test_an_answer_whose_quote_lacks_the_asked_stage_or_names_is_partial_naming_them(
    lexical: LexicalIndex, question: str, lacking: str, label: str, stating: str
) -> None:
    decision = Decision(False, "", 0.9, slot_of(question))
    settled = settle(decision, question, _citations(lacking), lexical)
    assert settled.partial and settled.slot.label == label
    assert not settle(decision, question, _citations(stating), lexical).refuse


def test_sentences_of_another_school_stage_are_ranked_after_the_others(lexical: LexicalIndex) -> None:
    question = "初一学生的考试次数有规定吗？"
    citations = _citations(
        "小学一年级考试次数每学期不超过一次。", "从严控制考试次数，落实考试成绩等级制评价。"
    )
    ranked = rank_sentences(citations, question, slot_of(question), search_tokens(question), lexical)
    assert ranked[0].sentence.startswith("从严控制考试次数")
    # With nothing else cited, the other stage's sentence is still ranked (and settled
    # as partial by the check above).
    alone = rank_sentences(citations[:1], question, slot_of(question), search_tokens(question), lexical)
    assert alone and alone[0].sentence.startswith("小学一年级")


def test_a_sentence_stating_the_value_of_the_named_subject_leads_however_short(lexical: LexicalIndex) -> None:
    # "3．本科学历，80分；" is short and unlike the question to the dense model; the
    # article's opening sentence reads more like it and states no value.
    question = "东莞积分入学，家长是本科学历能积多少分？"
    citations = _citations(
        "符合申请资格的新莞人子女可以通过积分制方式入读公办学校。",
        "3．本科学历，80分；",
    )
    slot = slot_of(question)
    ranked = rank_sentences(citations, question, slot, search_tokens(question), lexical)
    assert ranked[0].sentence == "3．本科学历，80分；"
    # A partial answer whose quote names the subject and states its value answers.
    settled = settle(Decision(True, "not_stated", 0.9, slot), question, citations, lexical)
    assert not settled.refuse and settled.reason == ""
    # Of two sentences naming the subject and stating a date, the one that speaks of the
    # asked action (创办) leads, not one dating another (录取).
    founded = "武汉外国语学校是哪一年创办的？"
    dated = _citations("武汉外国语学校于7月20日以前完成录取工作。", "武汉外国语学校创办于1964年。")
    ranked = rank_sentences(dated, founded, slot_of(founded), search_tokens(founded), lexical)
    assert ranked[0].sentence == "武汉外国语学校创办于1964年。"


def test_a_rule_whose_condition_the_askers_case_meets_leads_its_alternatives(lexical: LexicalIndex) -> None:
    question = "我们在东莞买的房子都住了快七年了，孩子积分入学能加几分？"
    citations = _citations(
        "1．居所方面：在东莞市拥有产权清晰的自有居所，5年以内的（含5年），30分；5年以上的，40分。"
    )
    ranked = rank_sentences(citations, question, slot_of(question), search_tokens(question), lexical)
    assert ranked[0].sentence == "5年以上的，40分。"
    # With no condition met, nothing is reordered: the rule the case fails may be the
    # one asked about.
    teacher = "我做了三年主班老师，竞聘园长对从业年限有什么要求？"
    rule = _citations("园长应当具有5年以上幼儿园教师工作经历。", "幼儿园园长由举办者任命。")
    ranked = rank_sentences(rule, teacher, slot_of(teacher), search_tokens(teacher), lexical)
    assert ranked[0].sentence.startswith("园长应当具有5年以上")
