"""The targets table on the real knowledge files (through the document pipeline; no
embedding model): the plan's key targets are rows, junk and penalties never are, and the
filters, list-question answers, chart and CLI work on it."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from assistant.answering.table import table_answer
from assistant.documents.manifest import read_manifest
from assistant.documents.pipeline import prepare_document
from assistant.settings import REPO_ROOT, Settings
from assistant.targets.answers import answer_list_question
from assistant.targets.chart import render_timeline
from assistant.targets.cli import register
from assistant.targets.extract import extract_targets, looks_like_junk
from assistant.targets.model import Target, filter_targets
from assistant.targets.store import load_targets

KNOWLEDGE = REPO_ROOT / "knowledge"
RAW_PLAN = KNOWLEDGE / "luohu-basic-education-action-plan.raw.txt"
JSON_KEYS = {
    "what",
    "value",
    "unit",
    "deadline",
    "recurrence",
    "responsible",
    "doc_id",
    "section",
    "sentence",
}
JUNK_MARKERS = ("41.75亿", "3万元", "SEO", "seo", "优化")


@pytest.fixture(scope="module")
def table() -> list[Target]:
    pairs = [
        (chunk.text, chunk.metadata())
        for meta in read_manifest(KNOWLEDGE)
        for chunk in prepare_document(meta).chunks
    ]
    return extract_targets(pairs)


@pytest.fixture(scope="module")
def plan(table: list[Target]) -> list[Target]:
    return [t for t in table if t.doc_id == "luohu-action-plan"]


def one(rows: list[Target], what: str, value: str | None = None, unit: str | None = None) -> Target:
    """The single row whose `what` contains `what` (and with that value and unit)."""
    found = [
        t
        for t in rows
        if what in t.what and (value is None or t.value == value) and (unit is None or t.unit == unit)
    ]
    assert len(found) == 1, (what, value, unit, found)
    return found[0]


def assert_well_formed(rows: list[Target]) -> None:
    for t in rows:
        assert t.what, t
        if t.value:
            assert t.unit, f"quantity without a unit: {t}"
        if not t.unit:
            assert t.deadline or t.recurrence or t.responsible, f"row with nothing to track: {t}"


# --------------------------------------------------------------------- the plan's targets


def test_public_compulsory_seats_and_schools_in_the_14th_plan(plan: list[Target]) -> None:
    seats = one(plan, "公办义务教育学位", "3.3万", "座")
    schools = one(plan, "公办义务教育学校", "34", "所")
    for row in (seats, schools):
        assert row.deadline == "十四五期间(2021-2025)"
        assert row.section == "学位建设攻坚行动 > 保障义务教育学位供给"
        assert "3.3万座" in row.sentence


def test_kindergartens_and_preschool_seats_are_two_rows(plan: list[Target]) -> None:
    kindergartens = one(plan, "幼儿园", "23", "所")
    seats = one(plan, "学位", "0.8万", "座")
    assert kindergartens.sentence == seats.sentence
    assert kindergartens.deadline == seats.deadline == "十四五期间(2021-2025)"


def test_high_school_seats_name_the_school(plan: list[Target]) -> None:
    row = one(plan, "学位", "1200", "座")
    assert "深圳市第十九高级中学" in row.what


def test_deadline_goals_without_a_quantity(plan: list[Target]) -> None:
    class_size = one(plan, "超班额")
    assert (class_size.deadline, class_size.value, class_size.unit) == ("2025", "", "")
    assert class_size.what.startswith("基本消除超班额")
    overall = one(plan, "总体目标")
    assert overall.deadline == "2023"
    assert "基本形成幼有善育、学有优教的基础教育公共服务体系" in overall.what


def test_recurring_requirements(plan: list[Target]) -> None:
    labour = one(plan, "劳动教育必修课程")
    assert (labour.value, labour.unit, labour.recurrence) == ("不少于1", "课时", "每周")
    week = one(plan, "劳动周")
    assert (week.value, week.unit, week.recurrence) == ("1", "周", "每学年")
    pe = one(plan, "体育与健康课")
    assert (pe.value, pe.unit, pe.recurrence) == ("1", "节", "每天")
    assert "义务教育阶段学校" in pe.responsible


def test_ranges_and_named_cohorts(plan: list[Target]) -> None:
    brand = one(plan, "品牌特色学校", "5-8", "所")
    assert brand.section.startswith("学校文化提升行动")
    cohorts = {name: one(plan, name) for name in ("头鹰计划", "雄鹰计划", "雏鹰计划")}
    assert [(c.value, c.unit) for c in cohorts.values()] == [("30", "名"), ("60", "名"), ("60", "名")]
    assert all("领鹰计划" in c.sentence for c in cohorts.values())


def test_responsible_bodies(plan: list[Target]) -> None:
    streets = [t for t in plan if "各街道办" in t.responsible]
    assert len(streets) == 1
    assert "空间资源" in streets[0].what
    assert streets[0].section.endswith("增加学前教育学位供给")
    land = [t for t in plan if t.responsible == ("国土规划部门", "更新整备部门")]
    assert len(land) == 1 and "教育用地" in land[0].what


def test_clear_statutory_quantities_are_kept(table: list[Target]) -> None:
    outdoor = one(table, "室外活动时间")
    assert (outdoor.value, outdoor.unit, outdoor.recurrence) == ("不少于2", "小时", "每天")
    assert outdoor.doc_id == "shenzhen-preschool-regulations-2022"
    weekly_labour = one(table, "中小学劳动教育课")
    assert (weekly_labour.value, weekly_labour.unit, weekly_labour.recurrence) == ("不少于1", "课时", "每周")


def test_penalties_dates_ages_and_citations_are_not_targets(table: list[Target]) -> None:
    assert_well_formed(table)
    for t in table:
        assert "罚款" not in t.sentence and "法律责任" not in t.section, t
        assert t.unit not in ("元", "岁", "条", "号"), t
        assert not t.value.startswith(("2008", "2016", "2022")), t  # publication dates


def test_to_json_has_exactly_the_table_keys() -> None:
    row = Target("x", "1", "所", "2025", "", ["区教育局"], "d", "s", "x1所")
    assert hash(row)  # frozen and hashable even when given a list
    data = row.to_json()
    assert set(data) == JSON_KEYS
    assert data["responsible"] == ["区教育局"]


# --------------------------------------------------------------------- junk never leaks


def test_raw_plan_with_web_junk_gives_no_junk_rows() -> None:
    raw = RAW_PLAN.read_text(encoding="utf-8")
    rows = extract_targets((line, {}) for line in raw.split("\n"))
    rows += extract_targets([(raw, {"doc_id": "raw"})])
    assert any(t.value == "3.3万" for t in rows)  # the real targets are still found
    for t in rows:
        text = f"{t.what}|{t.value}|{t.sentence}"
        assert not any(marker in text for marker in JUNK_MARKERS), t
    assert_well_formed(rows)


def test_looks_like_junk() -> None:
    lines = RAW_PLAN.read_text(encoding="utf-8").split("\n")
    assert any(looks_like_junk(line) and "SEO" in line for line in lines)
    assert not any(looks_like_junk(line) for line in lines if "3.3万座" in line)


# --------------------------------------------------------------------- filters and answers


def test_filter_by_year_action_and_body(table: list[Target]) -> None:
    due_2025 = filter_targets(table, year="2025")
    assert any("超班额" in t.what for t in due_2025)
    assert any(t.value == "3.3万" for t in due_2025)  # the 十四五 period ends in 2025
    assert not any(t.what.startswith("总体目标") for t in due_2025)
    assert any(t.what.startswith("总体目标") for t in filter_targets(table, year="2023"))
    seats = filter_targets(table, action="学位建设")
    assert seats and all("学位建设" in t.section for t in seats)
    streets = filter_targets(table, body="街道办")
    assert any("各街道办" in t.responsible for t in streets)
    assert all(any("街道办" in r for r in t.responsible) for t in streets)


def test_list_questions(table: list[Target]) -> None:
    by_2025 = answer_list_question("2025年前要完成哪些目标？", table)
    assert by_2025 is not None and any("超班额" in t.what for t in by_2025)
    streets = answer_list_question("街道办负责什么？", table)
    assert streets is not None and any("各街道办" in t.responsible for t in streets)
    assert answer_list_question("教科院负责哪些工作？", table) is not None
    periodic = answer_list_question("有哪些每周/每天的要求？", table)
    assert periodic and {t.recurrence for t in periodic} <= {"每周", "每天", "每日"}
    assert any(t.unit == "节" for t in periodic) and any(t.unit == "课时" for t in periodic)
    plan_period = answer_list_question("十四五期间有哪些目标", table)
    assert plan_period and any(t.value == "0.8万" for t in plan_period)
    # 每天 setting the scene of a question about a thing no daily row names: retrieval's.
    assert answer_list_question("孩子每天作业写到很晚，对布置作业提了哪几条总体要求？", table) is None
    # ... nor when the question's nouns are the rows' (教育) but the asked thing is not.
    scene = "各级政府每年给义务教育的财政拨款，在增长幅度上有什么硬性要求？"
    assert answer_list_question(scene, table) is None
    sport = answer_list_question("每天的体育课有哪些要求？", table)
    assert sport and any(t.unit == "节" for t in sport)
    # A place the plan is not of: its rows are no answer, retrieval's.
    assert answer_list_question("2023年罗湖区有哪些目标？", table)
    assert answer_list_question("2023年天津市有哪些目标？", table) is None
    # A year setting the scene of a question about a thing of its own that no row of the
    # year names (暂住证, which the segmenter tags a verb): retrieval's too.
    assert answer_list_question("2025年，暂住证有什么要求？", table) is None
    seats = answer_list_question("2025年前学位建设有哪些目标？", table)
    assert seats and any("学位" in t.what for t in seats)


@pytest.mark.parametrize(
    "question",
    [
        "罗湖区要新增多少公办义务教育学位？",
        "超班额什么时候消除？",
        "2016年小一申请需要提交哪些材料？",
        "劳动教育有什么意义？",
        # 工作 names a document in the scene-setting clause; the list asked is of 类.
        "广州白云区2016年招生工作意见附表里，政策性照顾借读生分成哪几大类？",
    ],
)
def test_single_fact_and_other_questions_are_not_list_questions(table: list[Target], question: str) -> None:
    assert answer_list_question(question, table) is None


# --------------------------------------------------------------------- chart and CLI


def test_timeline_chart_is_a_png(plan: list[Target], tmp_path: Path) -> None:
    path = render_timeline(plan, tmp_path / "charts" / "timeline.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    empty = render_timeline([], tmp_path / "empty.png")
    assert empty.read_bytes()[:4] == b"\x89PNG"


def _run_cli(argv: list[str], tmp_path: Path) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, embedding_model="hash-test")
    return int(args.func(args, settings))


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_cli(["targets", "--json", "--action", "学位建设"], tmp_path) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(set(r) == JSON_KEYS and isinstance(r["responsible"], list) for r in rows)
    assert any(r["value"] == "3.3万" and r["unit"] == "座" for r in rows)


def test_cli_table_and_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "t.png"
    assert _run_cli(["targets", "--year", "2025", "--chart", str(chart)], tmp_path) == 0
    out = capsys.readouterr().out
    assert "3.3万座" in out and "超班额" in out and "总体目标" not in out
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_load_targets_without_an_index_reads_the_files(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, embedding_model="hash-test")
    rows = load_targets(settings)
    assert any(t.value == "3.3万" for t in rows)
    assert load_targets(settings) is rows  # cached


# --------------------------------------------------------------------- the UI tab


def _row(
    what: str, deadline: str, doc_id: str, section: str = "学位建设攻坚行动", recurrence: str = ""
) -> Target:
    return Target(what, "1", "所", deadline, recurrence, ("区教育局",), doc_id, section, what + "。")


def test_timeline_frame_counts_targets_per_deadline_in_year_order() -> None:
    from assistant.web.targets_tab import key_deadlines, timeline_frame

    rows = [
        _row("新建学校", "2025", "plan"),
        _row("新增学位", "2025", "plan"),
        _row("新增幼儿园", "十四五期间(2021-2025)", "plan"),
        _row("消除大班额", "2023", "plan"),
        _row("劳动课", "", "plan", "劳动教育", "每周"),
        _row("报名", "2016-04-01", "guide", "申请时间"),
    ]
    statuses = {"plan": "现行", "guide": "历史（2016年）"}
    frame = timeline_frame(rows, statuses)
    assert list(frame.columns) == ["期限", "目标数", "所属行动", "文件状态"]
    assert list(frame["期限"]) == ["2016", "2023", "2025", "十四五期间(2021-2025)", "每周"]
    assert frame.loc[frame["期限"] == "2025", "目标数"].item() == 2
    assert frame.loc[frame["期限"] == "2016", "文件状态"].item() == "历史（2016年）"
    nodes = key_deadlines(rows, statuses)
    assert "**2025**（2项）" in nodes and "2016" not in nodes  # historical deadlines are no milestones


def test_targets_tab_shows_current_documents_and_historical_ones_on_request() -> None:
    from assistant.web.targets_tab import TargetsView

    class _Doc:
        def __init__(self, doc_id: str, status: str, date: str) -> None:
            self.doc_id, self.status, self.date, self.title = doc_id, status, date, doc_id

    class _View(TargetsView):
        def all(self) -> list[Target]:
            return [_row("报名", "2016-04-01", "guide", "申请时间"), _row("新增学位", "2025", "plan")]

        def _documents(self) -> list[Any]:
            return [_Doc("plan", "current", "2021"), _Doc("guide", "historical", "2016-03-15")]

        def _version(self) -> str:
            return "v1"

    view = _View.__new__(_View)
    view.folder = Path(tempfile.mkdtemp())
    rows, csv_path, frame, _ = view.filter("", "", "")
    assert list(frame["期限"]) == ["2025"]
    assert [r[1] for r in rows] == ["新增学位"] and rows[0][-1] == "现行"
    rows, _, frame, _ = view.filter("", "", "", True)
    assert list(frame["期限"]) == ["2016", "2025"]
    assert [r[1] for r in rows] == ["新增学位", "报名"]  # current first, then historical
    assert rows[1][-1] == "历史（2016年）"
    assert Path(csv_path).read_text(encoding="utf-8-sig").startswith("deadline,")


def test_an_amount_reads_as_written_with_its_unit_before_the_bound() -> None:
    text = "到2020年，城市建成区20%以上的面积达到目标要求；到2030年，城市建成区80%以上的面积达到目标要求。"
    rows = extract_targets([(text, {"doc_id": "sponge-city", "section": "二、工作目标"})])
    assert [(t.deadline, t.quantity) for t in rows] == [("2020", "20%以上"), ("2030", "80%以上")]
    answer, _ = table_answer(rows, lambda _target: None)
    assert "城市建成区 20%以上 （2020）" in answer
    assert "20以上%" not in answer
