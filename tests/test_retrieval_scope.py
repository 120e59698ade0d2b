"""A question naming a place is searched in that place's documents too: a district's
notice is found however the question's words rank other cities' rules, and it comes
before them, also when the question names a kind of document another city's title has.
Real embedding model over a small real index."""

from __future__ import annotations

import pytest

from assistant.chain import Assistant
from assistant.index import KnowledgeIndex
from assistant.question.snapshot import keyword_hook
from assistant.settings import Settings
from tests.fakes import make_knowledge

pytestmark = pytest.mark.model

DOCS = {
    "points-measures": (
        "某市义务教育阶段积分入学管理办法\n\n"
        "第一条 积分入学按积分高低排队，积分相同的，按申请时间先后排队。\n\n"
        "第二条 积分排队结果在学校公示，积分相同的孩子按户籍先后排队。\n\n"
        "第三条 区教育行政部门制定统一的积分排队办法，积分由高到低录取。"
    ),
    "seat-rules": (
        "某市公办学校学位分配办法\n\n"
        "第一条 孩子入读公办学校，按积分排队，积分高者优先。\n\n"
        "第二条 两个孩子积分相同的，由学校抽签决定。"
    ),
    "huicheng-notice": (
        "惠城区2015年随迁子女申请积分入读公办学校起始年级公告\n\n"
        "一、申请时间：7月1日至7月5日，家长在网上申报。\n\n"
        "二、材料核实：申请材料由政府相关职能部门分类审核。\n\n"
        "三、录取原则：按总积分由高到低录取。如果总积分相同，则看居住证项目的积分，"
        "此项高分者排名在前。"
    ),
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("scope")
    # Two candidates from each side: the district's notice is not among them by its words.
    settings = Settings(
        data_dir=root / "data",
        knowledge_dir=root / "knowledge",
        chroma_host=None,
        dense_candidates=2,
        lexical_candidates=2,
    )
    make_knowledge(settings.knowledge_dir, DOCS)
    index = KnowledgeIndex(settings, before_switch=keyword_hook(settings))
    assert not index.ingest().failed
    return Assistant(settings, index)


def test_the_named_places_documents_are_searched_and_come_first(assistant: Assistant) -> None:
    question = "惠城区靠积分排队进公办学校的办法里，两个孩子积分相同的按什么排队？"
    passages = assistant.searcher.search(question).passages
    assert passages[0].doc_id == "huicheng-notice"
    assert any("居住证项目的积分" in p.text for p in passages if p.doc_id == "huicheng-notice")


def test_without_a_place_the_ranking_stands(assistant: Assistant) -> None:
    passages = assistant.searcher.search("两个孩子积分相同的按什么排队？").passages
    assert passages[0].doc_id != "huicheng-notice"
