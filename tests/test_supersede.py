"""Supersession without a website: what a text says it repeals, newer versions of the same
rules in one knowledge folder, and a revised regulation dated by its latest revision."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.documents.loaders import load_document
from assistant.documents.manifest import read_manifest
from assistant.documents.metadata import detect_metadata
from assistant.index import KnowledgeIndex
from assistant.settings import REPO_ROOT, Settings
from assistant.sync.catalog import index_metas, supersessions
from assistant.sync.supersede import DocInfo, claims, from_claims, from_versions
from tests.fakes import HashEmbedder
from tests.sync_site import SHARED

REGULATION = REPO_ROOT / "knowledge" / "shenzhen_sez_preschool_education_regulations_2022.txt"
ADOPTED = "2022年6月23日 深圳市第七届人民代表大会常务委员会第十次会议通过"
AMENDED = (
    "2024年10月30日 深圳市第七届人民代表大会常务委员会第三十三次会议"
    "《关于修改〈深圳经济特区学前教育条例〉的决定》修正"
)


def _revised_text() -> str:
    text = REGULATION.read_text(encoding="utf-8")
    assert ADOPTED in text
    return text.replace(ADOPTED, f"{ADOPTED}\n\n{AMENDED}")


def test_each_form_of_repeal_names_its_target() -> None:
    text = (
        "本通知自2025年3月1日起施行，原《罗湖区义务教育阶段学位申请办法》同时废止。"
        "《关于规范民办学校收费的通知》（深教〔2019〕12号）停止执行。"
        "此前印发的《学位申请指南》与本通知不一致的，以本通知为准。"
        "原《罗湖区积分入学实施细则》不再执行。"
        "深教〔2018〕3号文同时废止。"
        "学校应当按照《中华人民共和国义务教育法》招生。"
    )
    found = {(c.title, c.number) for c in claims(text)}
    assert found == {
        ("罗湖区义务教育阶段学位申请办法", ""),
        ("关于规范民办学校收费的通知", "深教〔2019〕12号"),
        ("学位申请指南", ""),
        ("罗湖区积分入学实施细则", ""),
        ("", "深教〔2018〕3号"),
    }


def test_a_claim_matches_by_title_inside_the_publishing_notice_or_by_number() -> None:
    new = DocInfo(
        "new", "罗湖区教育局关于印发2025年学位申请办法的通知", date="2025-03-01", url="http://x/new.html"
    )
    published = DocInfo(
        "old-notice", "罗湖区教育局关于印发《罗湖区义务教育阶段学位申请办法》的通知", date="2019-03-01"
    )
    numbered = DocInfo("old-fee", "收费通知", date="2019-05-01", doc_number="深教[2019]12号")
    unrelated = DocInfo("law", "中华人民共和国义务教育法", date="2018-12-29")
    later = DocInfo("later", "罗湖区积分入学实施细则", date="2026-01-01")
    text = (
        "原《罗湖区义务教育阶段学位申请办法》同时废止。《关于规范民办学校收费的通知》（深教〔2019〕12号）停止执行。"
        "原《罗湖区积分入学实施细则》不再执行。"
    )
    found = {s.old: s for s in from_claims(new, text, [new, published, numbered, unrelated, later])}
    assert set(found) == {"old-notice", "old-fee"}  # never a newer document
    assert found["old-notice"].reason.startswith("已被《罗湖区教育局关于印发2025年学位申请办法的通知》")
    assert "http://x/new.html" in found["old-notice"].reason


def test_next_years_plan_replaces_last_years_of_the_same_issuer() -> None:
    docs = [
        DocInfo("p2024", "罗湖区2024年义务教育招生工作方案", issuer="深圳市罗湖区教育局", date="2024-04-01"),
        DocInfo("p2025", "罗湖区2025年义务教育招生工作方案", issuer="深圳市罗湖区教育局", date="2025-04-02"),
        DocInfo("f2025", "福田区2025年义务教育招生工作方案", issuer="深圳市福田区教育局", date="2025-04-03"),
        DocInfo("plan", "罗湖区基础教育高质量发展行动方案（2021—2023年）", date="2021"),
    ]
    found = from_versions(docs)
    assert [(s.old, s.new) for s in found] == [("p2024", "p2025")]
    assert "新的年度版本" in found[0].reason


def test_same_title_needs_a_revised_text_to_replace_a_namesake() -> None:
    original = DocInfo("a", "深圳经济特区学前教育条例", date="2022-06-23")
    revised = DocInfo("b", "深圳经济特区学前教育条例", date="2024-10-30", revised=True)
    assert [(s.old, s.new) for s in from_versions([original, revised])] == [("a", "b")]
    copy = DocInfo("c", "深圳经济特区学前教育条例", date="2024-10-30")
    assert from_versions([original, copy]) == []  # a later copy alone is no revision


def test_regulations_are_dated_by_their_latest_revision_not_their_first_in_force_date() -> None:
    # The history line of a local congress ("深圳市第七届人民代表大会常务委员会") used to be
    # missed, so both versions were dated by the original 本条例自2022年9月1日起施行.
    original = detect_metadata(load_document(REGULATION).text)
    assert original.date == "2022-06-23"
    assert detect_metadata(_revised_text()).date == "2024-10-30"


def test_two_versions_in_a_knowledge_folder_make_the_earlier_historical(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copyfile(REGULATION, knowledge / "sez_preschool_2022.txt")
    (knowledge / "sez_preschool_2024_amended.txt").write_text(_revised_text(), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, embedding_model="hash-test")
    metas = {m.doc_id: m for m in index_metas(settings)}
    assert metas["sez_preschool_2022"].superseded_by == "sez_preschool_2024_amended"
    index = KnowledgeIndex(settings, embedder=HashEmbedder())
    assert not index.ingest().failed
    docs = {d.doc_id: d for d in index.documents()}
    old, new = docs["sez_preschool_2022"], docs["sez_preschool_2024_amended"]
    assert (old.status, old.date) == ("historical", "2022-06-23")
    assert (
        "修订后的版本《深圳经济特区学前教育条例》" in old.status_reason and "2024-10-30" in old.status_reason
    )
    assert (new.status, new.date) == ("current", "2024-10-30")
    # Without the newer version the older one is current again.
    (knowledge / "sez_preschool_2024_amended.txt").unlink()
    index.ingest()
    assert {d.doc_id: d.status for d in index.documents()} == {"sez_preschool_2022": "current"}


def test_the_shipped_knowledge_base_has_no_supersession() -> None:
    # Answers on the shipped documents must not change: none replaces another.
    assert supersessions(read_manifest(REPO_ROOT / "knowledge")) == []


def test_real_repeal_sentences_of_the_extra_files() -> None:
    # The two repeal sentences of the ten real files of other bureaus: a list of two
    # documents "即行废止", and one "同时废止"; their other 为准/废止 sentences claim nothing.
    extra = SHARED / "sources_extra"
    shenzhen = load_document(extra / "shenzhen_2010_children_and_students_medical_insurance_notice.pdf").text
    assert {(c.title, c.number) for c in claims(shenzhen)} == {
        ("深圳市少年儿童住院及大病门诊医疗保险试行办法", "深府〔2007〕164号"),
        ("关于将大学生纳入城镇居民基本医疗保险的通知", "深府〔2009〕33号"),
    }
    xiamen = load_document(extra / "xiamen_2016_migrant_children_primary_points_admission.htm").text
    assert [c.number for c in claims(xiamen)] == ["厦教综〔2014〕4号"]
    for name in (
        "foshan_2012_non_hukou_children_public_school_admission_measures.html",
        "wuhan_2016_compulsory_education_new_student_admission_notice.docx",
    ):
        assert claims(load_document(extra / name).text) == []
    for path in (REPO_ROOT / "knowledge").glob("*.txt"):
        assert claims(path.read_text(encoding="utf-8")) == [], path.name


def test_llm_context_carries_the_reason_a_document_was_replaced() -> None:
    from assistant.answering.llm import format_context
    from assistant.question.cite import Citation

    old = Citation(1, "d", "旧办法", "", "2016-01-01", "historical", "", "正文。", "正文。", 1.0, "d:0")
    replaced = Citation(
        2,
        "e",
        "旧通知",
        "",
        "2016-01-01",
        "historical",
        "",
        "正文。",
        "正文。",
        1.0,
        "e:0",
        status_reason="已被《新通知》（津教委〔2026〕7号）废止",
    )
    text = format_context([old, replaced])
    assert "《旧办法》（历史文件，2016年） " in text
    assert "《旧通知》（历史文件，2016年；已被《新通知》（津教委〔2026〕7号）废止）" in text
