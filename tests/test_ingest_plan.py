"""The plan of an ingest (assistant/indexing/plan.py) and the one report made from it and
the prepare step (assistant/indexing/ingest.py): which documents are re-used, prepared,
refused and removed, decided from real files' sizes and content hashes before any
document is read or embedded."""

from __future__ import annotations

from collections.abc import Callable

from fakes import SAMPLE_DOCS, make_knowledge

from assistant.documents.errors import DocumentError
from assistant.documents.manifest import read_manifest
from assistant.indexing.ingest import KEPT_PREVIOUS, Prepared, _stored_hashes, make_report
from assistant.indexing.plan import plan_ingest
from assistant.settings import Settings

FAMILY = "家庭教育促进法\n\n第一条 父母应当承担家庭教育主体责任。"
ALL_IDS = sorted(SAMPLE_DOCS)


def test_a_first_ingest_prepares_every_document(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory()
    metas = read_manifest(make_knowledge(settings.knowledge_dir, SAMPLE_DOCS))
    plan = plan_ingest(metas, {}, settings)
    assert [m.doc_id for m in plan.to_prepare] == [m.doc_id for m in metas]
    assert sorted(plan.hashes) == ALL_IDS
    assert (plan.unchanged, plan.removed, plan.refused) == ([], [], {})


def test_the_plan_reuses_prepares_refuses_and_removes(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(max_upload_mb=1)
    folder = make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    indexed = plan_ingest(read_manifest(folder), {}, settings).hashes
    indexed["old-notice"] = "f" * 16  # indexed once, since deleted from the folder

    make_knowledge(folder, {**SAMPLE_DOCS, "family-education": FAMILY})
    guide = folder / "admission-guide.txt"
    guide.write_text(guide.read_text(encoding="utf-8") + "\n\n第四条 结果于七月公布。", encoding="utf-8")
    (folder / "preschool-law.txt").write_text("学前教育。" * 80_000, encoding="utf-8")  # over 1 MB
    metas = read_manifest(folder)
    (folder / "family-education.txt").unlink()  # gone between listing and hashing

    plan = plan_ingest(metas, indexed, settings)

    assert plan.unchanged == ["labor-education"]
    assert [m.doc_id for m in plan.to_prepare] == ["admission-guide"]
    assert sorted(plan.refused) == ["family-education", "preschool-law"]
    assert "上限为 1 MB" in plan.refused["preschool-law"].user_message
    assert "无法读取" in plan.refused["family-education"].user_message
    assert plan.removed == ["old-notice"]
    assert plan.hashes["labor-education"] == indexed["labor-education"]
    assert plan.hashes["admission-guide"] != indexed["admission-guide"]


def test_the_hash_follows_the_embedding_model(settings_factory: Callable[..., Settings]) -> None:
    """Another embedding model re-embeds everything: no stored vector is re-used."""
    settings = settings_factory()
    metas = read_manifest(make_knowledge(settings.knowledge_dir, SAMPLE_DOCS))
    indexed = plan_ingest(metas, {}, settings).hashes
    other = plan_ingest(metas, indexed, settings_factory(embedding_model="another-model"))
    assert other.unchanged == [] and len(other.to_prepare) == len(metas)


def test_one_report_from_the_plan_and_the_prepare_step(settings_factory: Callable[..., Settings]) -> None:
    """An indexed document that fails keeps its last good version (and hash); a new one
    that fails is left out; unsupported files come first among the failures."""
    settings = settings_factory()
    folder = make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    indexed = plan_ingest(read_manifest(folder), {}, settings).hashes
    indexed.pop("preschool-law")  # so it is new to this ingest
    indexed["old-notice"] = "f" * 16
    for name in ("admission-guide.txt", "labor-education.txt"):
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8") + "\n\n附则。", encoding="utf-8")
    plan = plan_ingest(read_manifest(folder), indexed, settings)
    assert sorted(m.doc_id for m in plan.to_prepare) == ALL_IDS

    broken = DocumentError("cannot parse", "文件已损坏。")
    prepared = Prepared(
        chunks={"admission-guide": []},
        failed={"labor-education": broken, "preschool-law": broken},
        notes={"admission-guide.txt": "第 2 页未能识别"},
    )
    report = make_report(plan, prepared, {"slides.pptx": "不支持该文件类型。"})

    assert list(report.failed) == ["slides.pptx", "labor-education.txt", "preschool-law.txt"]
    assert report.failed["labor-education.txt"] == "文件已损坏。" + KEPT_PREVIOUS
    assert report.failed["preschool-law.txt"] == "文件已损坏。"
    assert (report.added, report.updated) == ([], ["admission-guide"])
    assert report.unchanged == ["labor-education"]
    assert report.removed == ["old-notice"]
    assert report.notes == {"admission-guide.txt": "第 2 页未能识别"}
    assert report.changed
    assert _stored_hashes(plan, prepared) == {
        "admission-guide": plan.hashes["admission-guide"],
        "labor-education": indexed["labor-education"],
    }
