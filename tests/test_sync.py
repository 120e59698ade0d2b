"""Website sync against a real saved column served on loopback (tests/sync_site.py).

Three syncs of one site: the first ingests everything, the second finds nothing changed,
and before the third a repealing notice is added, a page edited, one removed, one made to
answer 500 and one to time out. The index, the metadata, answers and each report are
checked after each sync.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.chain import Assistant
from assistant.index import KnowledgeIndex
from assistant.settings import Settings
from assistant.sync.run import render_report, run_sync
from assistant.sync.state import read_sources
from tests.fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge
from tests.sync_site import (
    EDU_COLUMN,
    NOTICES,
    PLAN_COLUMN,
    REPEALING_NOTICE,
    build_site,
    serve,
    touch_later,
    write_edu_lists,
    write_notice,
)

PLAN = "xxgk/zcfg/fgk/csghl"
EDITED = f"/{PLAN}/201505/t20150507_106704.htm"
REMOVED = f"/{PLAN}/201608/t20160825_262168.htm"
FAILING = f"/{PLAN}/201604/t20160414_162252.htm"
SLOW = f"/{PLAN}/201405/t20140521_95429.htm"
DUPLICATE = f"/{PLAN}/201405/t20140522_95469.htm"
TIANJIN_DOCX = "/jyj/tzgg/201604/tianjin_2016_primary_school_admission_guidance.docx"
TIANJIN_NOTICE = "/jyj/tzgg/201604/t20160405_1.html"
MATERIALS = "/jyj/tzgg/201605/materials.txt"


def _docs(index: KnowledgeIndex) -> dict[str, Any]:
    """Indexed documents by path of their URL."""
    from urllib.parse import urlsplit

    return {urlsplit(d.url).path: d for d in index.documents() if d.url}


def _texts(index: KnowledgeIndex, url_path: str) -> str:
    _ids, texts, metas = index.all_chunks()
    return "\n".join(t for t, m in zip(texts, metas, strict=True) if str(m.get("url", "")).endswith(url_path))


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("sync")
    root = build_site(tmp / "www")
    settings = Settings(
        data_dir=tmp / "data",
        knowledge_dir=tmp / "knowledge",
        embedding_model="hash-test",
        chroma_host=None,
        sync_allow_private=True,
        sync_delay_seconds=0.0,
        sync_timeout_seconds=1.0,
    )
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)
    assert not index.ingest().failed
    state: dict[str, Any] = {"settings": settings, "index": index, "root": root}
    with serve(root, slow_seconds=3.0) as server:
        state["base"] = server.base
        embedder.reset()
        state["first"] = run_sync(
            settings, add=[server.base + PLAN_COLUMN, server.base + EDU_COLUMN], index=index
        )
        state["first_docs"] = _docs(index)
        state["first_embedded"] = len(embedder.embedded)
        state["first_edited_text"] = _texts(index, EDITED)

        embedder.reset()
        before = server.page_requests()
        state["second"] = run_sync(settings, index=index)
        state["second_requests"] = server.page_requests() - before
        state["second_embedded"] = len(embedder.embedded)
        state["second_collection"] = index.active_name()

        # The changes between the second and the third sync.
        write_notice(root, REPEALING_NOTICE)
        write_edu_lists(root, [REPEALING_NOTICE, *NOTICES])
        touch_later(root / EDU_COLUMN.strip("/") / "index.html")
        edited = root / EDITED.lstrip("/")
        old, new = "城区常住人口1000万以上的城市为超大城市", "城区常住人口1200万以上的城市为超大城市"
        edited.write_bytes(edited.read_bytes().replace(old.encode("gb18030"), new.encode("gb18030")))
        touch_later(edited)
        (root / REMOVED.lstrip("/")).unlink()
        server.fail_500.add(FAILING)
        server.slow.add(SLOW)
        embedder.reset()
        state["third"] = run_sync(settings, index=index)
        state["third_embedded"] = len(embedder.embedded)
        state["third_docs"] = _docs(index)
    return state


# --- 1. sources -------------------------------------------------------------------------


def test_urls_given_to_sync_are_added_to_the_sources_file(synced: Any) -> None:
    settings, base = synced["settings"], synced["base"]
    assert read_sources(settings) == [base + PLAN_COLUMN, base + EDU_COLUMN]
    assert synced["third"]["sources"] == read_sources(settings)
    assert (settings.sync_dir / "reports" / "last.json").is_file()


# --- 2. crawling ------------------------------------------------------------------------


def test_first_sync_follows_pagination_attachments_and_robots(synced: Any) -> None:
    report, docs = synced["first"], synced["first_docs"]
    paths = set(docs)
    # The saved column: 5 distinct notices (two URLs carry the same one).
    assert {p for p in paths if p.startswith(f"/{PLAN}/")} == {
        EDITED,
        REMOVED,
        FAILING,
        SLOW,
        f"/{PLAN}/201608/t20160825_262170.htm",
    }
    assert [d["url"] for d in report["duplicates"]] == [synced["base"] + DUPLICATE]
    # The education column: page 2 of the list was followed, and every attachment fetched.
    assert MATERIALS in paths and "/jyj/tzgg/201605/t20160520_4.html" in paths
    assert {TIANJIN_DOCX, TIANJIN_NOTICE} <= paths
    assert any(p.endswith(".pdf") for p in paths)
    assert len(report["new"]) == len(docs)  # every document once
    # robots.txt disallows /jyj/tzgg/internal/; the never-saved attachment and the 161
    # links of the saved list without a page are 404s.
    assert any("robots.txt" in s["reason"] for s in report["skipped"])
    not_found = [f for f in report["failed"] if "404" in f["reason"]]
    assert len(not_found) == 162
    assert any(f["url"].endswith("P020160825412945730284.pdf") for f in not_found)
    assert synced["first_embedded"] > 0


def test_second_sync_without_changes_costs_one_request_per_page_and_no_embedding(synced: Any) -> None:
    report = synced["second"]
    assert report["new"] == [] and report["changed"] == [] and report["removed"] == []
    assert report["superseded"] == []
    # One request per URL known (lists, pages, attachments, 404s) and nothing re-embedded.
    urls = len(json.loads((synced["settings"].sync_dir / "state.json").read_text())["urls"])
    assert synced["second_requests"] <= urls
    assert synced["second_embedded"] == 0
    assert report["ingest"]["added"] == [] and report["ingest"]["updated"] == []


# --- 3. the same document path ------------------------------------------------------------


def test_documents_carry_source_url_fetch_date_and_attachments_inherit_their_notice(synced: Any) -> None:
    docs = synced["first_docs"]
    base = synced["base"]
    docx = docs[TIANJIN_DOCX]
    assert docx.url == base + TIANJIN_DOCX
    assert docx.doc_number == "津教委〔2016〕12号"  # detected in the file itself
    materials = docs[MATERIALS]
    # A file with neither title nor 文号 takes its notice's.
    assert materials.title.startswith("罗湖区教育局关于公布2016年小学学位申请材料清单的通知")
    assert materials.doc_number == "罗教〔2016〕9号"
    # The list's date (成文) wins over the page's later posting date.
    assert docs[f"/{PLAN}/201608/t20160825_262170.htm"].date == "2015-11-18"
    manifest = (synced["settings"].synced_dir / "manifest.toml").read_text(encoding="utf-8")
    assert f'url = "{base + TIANJIN_DOCX}"' in manifest and "fetched = " in manifest


def test_citations_show_the_url(synced: Any) -> None:
    settings, index = synced["settings"], synced["index"]
    result = Assistant(settings, index).ask("2016年天津市小学招生入学报名时间是哪天？")
    cited = [c for c in result.citations if c.url.endswith(TIANJIN_DOCX)]
    assert cited and cited[0].to_json()["url"] == synced["base"] + TIANJIN_DOCX
    assert synced["base"] + TIANJIN_DOCX in result.render()


# --- 4. supersession ----------------------------------------------------------------------


def test_repealing_notice_marks_the_earlier_documents_historical_with_reason_and_link(synced: Any) -> None:
    docs, report, base = synced["third_docs"], synced["third"], synced["base"]
    repealing = base + "/jyj/tzgg/" + REPEALING_NOTICE[0]
    assert [n["url"] for n in report["new"]] == [repealing]
    assert docs["/jyj/tzgg/" + REPEALING_NOTICE[0]].status == "current"
    for path in (TIANJIN_DOCX, TIANJIN_NOTICE):  # the file and the notice that published it
        doc = docs[path]
        assert doc.status == "historical"
        assert doc.superseded_by == repealing
        assert REPEALING_NOTICE[1] in doc.status_reason and "废止" in doc.status_reason
    assert {s["by"] for s in report["superseded"]} == {repealing}
    assert len(report["superseded"]) == 2
    assert "被取代" in render_report(report)


def test_answer_about_the_repealed_rule_names_the_replacing_document(synced: Any) -> None:
    settings, index = synced["settings"], synced["index"]
    assistant = Assistant(settings, index)
    old = assistant.ask("2016年天津市小学招生入学报名时间是哪天？")
    assert "2016年5月21日" in old.answer
    assert REPEALING_NOTICE[1] in old.answer and "废止" in old.answer
    current = assistant.ask("天津市小学招生入学网上登记时间是什么时候？")
    assert current.citations[0].status == "current"
    assert "5月10日至5月20日" in current.answer


def test_page_removed_from_the_site_stays_indexed_and_is_marked(synced: Any) -> None:
    doc = synced["third_docs"][REMOVED]
    assert doc.status == "historical" and doc.status_reason.startswith("已从网站撤下（")
    assert [r["url"] for r in synced["third"]["removed"]] == [synced["base"] + REMOVED]
    assert "海绵城市" in _texts(synced["index"], REMOVED)


def test_status_changes_reuse_stored_vectors(synced: Any) -> None:
    # Superseded and withdrawn documents change metadata only: just the new notice and
    # the edited page are embedded.
    ingest = synced["third"]["ingest"]
    assert set(ingest["updated"]) >= {synced["third_docs"][p].doc_id for p in (TIANJIN_DOCX, REMOVED, EDITED)}
    assert 0 < synced["third_embedded"] <= 4


# --- 5. nothing lost on failure -----------------------------------------------------------


def test_edited_page_is_reindexed(synced: Any) -> None:
    assert "1000万以上的城市为超大城市" in synced["first_edited_text"]
    assert "1200万以上的城市为超大城市" in _texts(synced["index"], EDITED)
    assert [c["url"] for c in synced["third"]["changed"]] == [synced["base"] + EDITED]


def test_error_and_timeout_change_nothing_indexed(synced: Any) -> None:
    failed = {f["url"]: f["reason"] for f in synced["third"]["failed"]}
    base = synced["base"]
    assert "500" in failed[base + FAILING]
    assert "超时" in failed[base + SLOW]
    before, after = synced["first_docs"], synced["third_docs"]
    for path in (FAILING, SLOW):
        assert after[path].doc_id == before[path].doc_id
        assert after[path].status == before[path].status and after[path].chunks == before[path].chunks
    text = render_report(synced["third"])
    assert "网站服务器错误（500）" in text and "请求超时" in text


def test_failed_ingest_leaves_the_previous_index_answering(tmp_path: Path) -> None:
    root = build_site(tmp_path / "www")
    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "knowledge",
        embedding_model="hash-test",
        sync_allow_private=True,
        sync_delay_seconds=0.0,
    )
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, embedder=HashEmbedder(fail_on_call=2))
    assert not index.ingest().failed
    active = index.active_name()
    with serve(root) as server:
        report = run_sync(settings, add=[server.base + EDU_COLUMN], index=index)
    assert report["new"] and report["ingest_error"]
    assert index.active_name() == active  # the previous collection still answers
    assert "索引未更新" in render_report(report)


# --- 6. safety ----------------------------------------------------------------------------


def test_redirect_to_another_host_is_not_followed(synced: Any) -> None:
    failed = {f["url"]: f["reason"] for f in synced["first"]["failed"]}
    assert "重定向到其他网站" in failed[synced["base"] + "/jyj/tzgg/away.html"]


def test_interrupted_crawl_leaves_the_index_and_the_next_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.sync import run as sync_run

    root = build_site(tmp_path / "www")
    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "knowledge",
        embedding_model="hash-test",
        sync_allow_private=True,
        sync_delay_seconds=0.0,
    )
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, embedder=HashEmbedder())
    assert not index.ingest().failed
    active, before = index.active_name(), [d.doc_id for d in index.documents()]
    calls = {"n": 0}
    original = sync_run.SyncRun._attachment

    def breaks_on_the_second(self: Any, *args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process stopped half-way through the column
        original(self, *args)

    monkeypatch.setattr(sync_run.SyncRun, "_attachment", breaks_on_the_second)
    with serve(root) as server:
        with pytest.raises(KeyboardInterrupt):
            run_sync(settings, add=[server.base + EDU_COLUMN], index=index)
        assert index.active_name() == active and [d.doc_id for d in index.documents()] == before
        # A file written before the stop but not in the manifest is not indexed by others.
        (settings.synced_dir / "web-orphan-000000.txt").write_text("罗湖区通知：孤立文件。", encoding="utf-8")
        monkeypatch.setattr(sync_run.SyncRun, "_attachment", original)
        report = run_sync(settings, index=index)
    # What the stopped run fetched (2 notices, 1 file) was kept: fetched once, indexed now.
    assert report["ingest_error"] == "" and len(report["new"]) == 5
    assert len(report["ingest"]["added"]) == 8
    assert not any(d.doc_id == "web-orphan-000000" for d in index.documents())


def test_citation_link_is_escaped() -> None:
    from assistant.web.render import render_citation

    shown = render_citation({"number": 1, "title": "t", "url": 'http://x/"><script>alert(1)</script>'})
    assert "<script>" not in shown and 'href="http://x/&quot;&gt;&lt;script&gt;' in shown
    assert "luohu-url" not in render_citation({"number": 1, "title": "t", "url": "javascript:alert(1)"})


def test_a_fifty_notice_column_is_ingested_once_and_resynced_for_one_request_a_page(tmp_path: Path) -> None:
    from tests.sync_site import list_html, notice_html

    column = tmp_path / "www" / "tzgg"
    column.mkdir(parents=True)
    items = []
    for i in range(50):
        name = f"t2025{i:04d}.html"
        title = f"深圳市罗湖区教育局关于第{i + 1}批学校开放日安排的通知"
        body = [f"各学校：第{i + 1}批学校开放日定于{i % 12 + 1}月{i % 28 + 1}日举行，请做好接待工作。"]
        (column / name).write_text(notice_html(title, "2025-03-01", body, None), encoding="utf-8")
        items.append((name, title, "2025-03-01"))
    pages = [items[:20], items[20:40], items[40:]]  # three list pages joined by 下一页
    for n, chunk in enumerate(pages):
        nxt = f"index_{n + 1}.html" if n + 1 < len(pages) else None
        (column / ("index.html" if n == 0 else f"index_{n}.html")).write_text(
            list_html(chunk, nxt), encoding="utf-8"
        )
    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "knowledge",
        embedding_model="hash-test",
        sync_allow_private=True,
        sync_delay_seconds=0.0,
    )
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)
    index.ingest()
    with serve(tmp_path / "www") as server:
        first = run_sync(settings, add=[server.base + "/tzgg/"], index=index)
        synced = [d for d in index.documents() if d.url]
        assert len(first["new"]) == 50 and len(synced) == 50
        assert len({d.title for d in synced}) == 50  # each notice once
        embedder.reset()
        before = server.page_requests()
        second = run_sync(settings, index=index)
        requests = server.page_requests() - before
    # One request a URL: 3 list pages, 50 notices, and the list's two other links (a page
    # the site does not have, a redirect to another host); robots.txt is read once a run.
    assert requests == 3 + 50 + 2 and second["unchanged"] == 53
    assert embedder.embedded == [] and second["ingest"]["updated"] == []
