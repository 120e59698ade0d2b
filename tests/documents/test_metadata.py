"""Metadata detected from a document's own text: dates, titles, issuers, 文号, validity, status."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from assistant.documents.manifest import read_manifest
from assistant.documents.metadata import (
    detect_metadata,
    detect_title,
    is_furniture,
    is_garbled,
    rules,
)
from assistant.documents.metadata.validity import status
from assistant.documents.pipeline import prepare_document

TODAY = dt.date(2026, 12, 1)
FIXTURES = Path(__file__).parent.parent / "fixtures" / "real_formats"

TITLES = [
    "教育部办公厅关于做好2016年城市义务教育招生入学工作的通知",
    "厦门市教育局关于印发厦门市进城务工人员随迁子女小学积分入学办法指导意见的通知",
    "重庆市教育委员会关于做好2016年义务教育招生入学工作的意见",
    "佛山市非户籍常住人口子女入读义务教育公办学校实施办法",
    "某区基础教育高质量发展行动方案（2021—2023年）",
]
FURNITURE = [
    "Skip to content",
    "移动客户端",
    "当前位置：首页 > 信息公开 > 政策法规",
    "天津市教育委员会文件",
    "索引号：XM00104-02-01-2016-001",
    "฿ࣃ൧ᅱള຾ჴ߶໓ࡱ",
    "- 2 -",
    "_______________________________",
]


def test_seeded_titles_wrapped_over_lines_behind_furniture_are_found() -> None:
    rng = random.Random(2016)
    for _ in range(200):
        title = rng.choice(TITLES)
        cuts = sorted(rng.sample(range(6, len(title) - 4), rng.choice([0, 1, 2])))
        pieces = [title[a:b] for a, b in zip([0, *cuts], [*cuts, len(title)], strict=True)]
        head = rng.sample(FURNITURE, rng.randrange(0, len(FURNITURE)))
        lines = [*head, *pieces, "各区教育局：", "为进一步规范招生入学工作，现通知如下。"]
        assert detect_title(lines) == title, lines


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_is_never_a_title(line: str) -> None:
    assert is_furniture(line) or is_garbled(line)
    assert detect_title([line, "关于做好招生工作的通知", "各学校：现通知如下。"]) == "关于做好招生工作的通知"


def test_html_title_loses_the_site_name_and_a_site_name_alone_is_no_title() -> None:
    lines = ["厦门市教育局关于印发积分入学办法指导意见的通知", "各区教育局："]
    assert (
        detect_title(lines, "厦门市教育局关于印发积分入学办法指导意见的通知-教育类规范性文件-厦门教育局")
        == "厦门市教育局关于印发积分入学办法指导意见的通知"
    )
    body = ["佛山市非户籍常住人口子女入读义务教育公办学校实施办法", "为进一步规范入学管理，制定本办法。"]
    assert detect_title(body, "佛山教育政务网") == "佛山市非户籍常住人口子女入读义务教育公办学校实施办法"


def test_garbled_masthead_is_detected_and_prose_is_not() -> None:
    assert is_garbled("฿ࣃ൧ᅱള຾ჴ߶໓ࡱ")
    assert not is_garbled("2016 年天津市普通高校招生考试工作，要深入贯彻党的十八届三中、四中全会精神")
    assert not is_garbled("Article 1 of the Law (2024), 第一条")


def test_letter_with_masthead_closing_and_number() -> None:
    text = (FIXTURES / "letter_with_closing_and_number.txt").read_text(encoding="utf-8")
    meta = detect_metadata(text, today=TODAY)
    assert meta.title == "市教委关于印发2016年某市小学招生入学工作指导意见的通知"
    assert meta.issuer == "某市教育委员会"  # the masthead, not the 印发 office
    assert meta.date == "2016-04-01"  # the 落款 in Chinese numerals
    assert meta.doc_number == "某教委〔2016〕12号"
    assert meta.status == "historical"
    assert "2016" in meta.status_reason
    assert set(meta.detected) >= {"title", "issuer", "date", "doc_number"}


def test_signing_date_wins_over_posting_and_print_dates() -> None:
    text = "\n".join(
        [
            "发布时间：2013-10-15",
            "关于调整某市学生医疗保险的通知",
            "各区人民政府：",
            "为保障在校学生的身体健康，现将有关事项通知如下。",
            "某市人民政府",
            "2010年8月20日",
            "第1页 共2页 2015年11月13日 11:48",
        ]
    )
    meta = detect_metadata(text, today=TODAY)
    assert meta.date == "2010-08-20"
    assert meta.issuer == "某市人民政府"


def test_a_joint_signature_is_led_by_its_first_body() -> None:
    # Seven bodies sign, two to a line: the issuer is the first, not the one above the date.
    text = (
        "关于印发《某区随迁子女接受义务教育工作的实施细则》的通知\n各街道办事处、派出所，中小学校：\n"
        "经区政府同意，现将实施细则印发你们，请遵照执行。\n"
        "某市某区教育局\u00a0\u00a0\u00a0\u00a0 某市某区委编办\n\n"
        "某市某区公安分局        某市某区财政局\n\n某市某工商行政管理局\n\n2015年12月30日\n"
    )
    meta = detect_metadata(text, today=TODAY)
    assert meta.issuer == "某市某区教育局"
    assert meta.date == "2015-12-30"


def test_validity_from_an_in_force_date_expires() -> None:
    text = "关于调整某市学生医疗保险的通知\n各区：\n一、具体事项如下。\n十五、本通告自2010年9月1日起实施，有效期3年。\n"
    expired = detect_metadata(text, today=TODAY)
    assert expired.valid_until == "2013-09-01"
    assert (expired.status, expired.status_reason) == ("historical", "有效期至2013年，已过期")
    assert detect_metadata(text, today=dt.date(2012, 1, 1)).status == "current"


def test_validity_about_a_permit_is_not_the_documents() -> None:
    text = "某市实施办法\n一、持有效期3年及以上《居住证》的人员子女可以申请。\n本办法自发文之日起实施。"
    assert detect_metadata(text, today=TODAY).valid_until == ""


def test_validity_counted_from_the_issue_date_in_chinese_numerals() -> None:
    text = (
        "发文日期：2016年01月11日\n某市教育局关于印发积分入学办法的通知\n各区教育局：\n"
        "九、本意见自发布之日起正式执行，有效期五年。\n"
    )
    meta = detect_metadata(text, today=TODAY)
    assert (meta.date, meta.valid_until, meta.status) == ("2016-01-11", "2021-01-11", "historical")


def test_a_plan_span_sets_its_end() -> None:
    text = "某区基础教育高质量发展行动方案（2021—2023年）\n为推动教育发展，制定本方案。"
    assert detect_metadata(text, today=TODAY).valid_until == "2023-12-31"
    assert detect_metadata(text, today=dt.date(2022, 6, 1)).status == "current"


@pytest.mark.parametrize(
    "title",
    [
        "2015学年中山市城区小学招生通告",
        "罗湖区2016年小学一年级申请指南",
        "关于做好2016年义务教育招生入学工作的意见",
        # The year before a place with no 年, or after the title's words.
        "2016重庆江津区普通高中招生政策方案",
        "番禺区义务教育阶段招生入学工作指引（2015年）",
    ],
)
def test_rules_for_a_past_intake_are_historical(title: str) -> None:
    meta = detect_metadata(f"{title}\n各学校：\n现将有关事项通知如下。", today=TODAY)
    assert meta.status == "historical"
    assert meta.status_reason.endswith("可能已更新")


@pytest.mark.parametrize(
    ("page_title", "first_line"),
    [
        ("欢迎访问某市教育网！关于做好招生工作的通知", "欢迎访问某市教育网！关于做好招生工作的通知"),
        ("关于做好招生工作的通知 共128行 (45.6 KB)", "关于做好招生工作的通知 共128行 (45.6 KB)"),
        ("关于做好招生工作的通知 | 预览 | 下载", "关于做好招生工作的通知"),
        (
            "269 lines (135 sloc) 12.3 KB 关于做好招生工作的通知",
            "269 lines (135 sloc)   关于做好招生工作的通知",
        ),
    ],
)
def test_portal_banner_and_file_viewer_furniture_leave_the_title(page_title: str, first_line: str) -> None:
    lines = [first_line, "各学校：", "现将有关事项通知如下。"]
    assert detect_title(lines, page_title) == "关于做好招生工作的通知"


def test_a_title_written_twice_is_read_once() -> None:
    title = "越秀区关于进城务工人员随迁子女义务教育入学工作的实施细则"
    lines = [title, title, "第一条 为进一步做好进城务工人员随迁子女义务教育工作，制定本实施细则。"]
    assert detect_title(lines) == title


def test_a_manual_for_a_past_year_is_historical() -> None:
    meta = detect_metadata("2023年某区智慧教育平台用户操作手册\n一、登录\n打开浏览器。", today=TODAY)
    assert meta.status == "historical"
    assert meta.status_reason == "2023年的手册，可能已更新"
    undated = detect_metadata("某区智慧教育平台用户操作手册\n一、登录\n打开浏览器。", today=TODAY)
    assert undated.status == "current"


def test_a_revision_year_is_no_intake_year_and_a_title_naming_a_city_is_a_local_organs() -> None:
    # "（2019年修订）" dates a revision: a regulation on exams is not one year's rules.
    revised = detect_metadata("某省普通高校招生考试条例（2019年修订）\n第一条 为了规范招生。", today=TODAY)
    assert revised.status == "current"
    # No issuer found, but the title opens with a city: a local normative document, aged
    # out after five years like one whose issuer is found.
    local = status("佛山市免费义务教育实施办法（2013年修订）", "", "2014-08-27", "", TODAY)
    assert local == ("historical", "2014年发布，已超过规范性文件一般5年的有效期")
    assert status("中华人民共和国义务教育法（2018年修正）", "", "2018-12-29", "", TODAY) == ("current", "")
    # A year closing a title ("…招生政策15问2015", a file's name) names its intake too.
    assert status("广州市义务教育阶段学校招生政策15问2015", "", "", "", TODAY)[0] == "historical"


def test_a_current_law_stays_current() -> None:
    text = (
        "# 中华人民共和国未成年人保护法\n\n"
        "1991年9月4日 第七届全国人民代表大会常务委员会第二十一次会议通过\n\n"
        "2024年4月26日 第十四届全国人民代表大会常务委员会第九次会议修正\n\n"
        "## 第一章 总 则\n\n第一条 为了保护未成年人身心健康，制定本法。\n"
    )
    meta = detect_metadata(text, today=TODAY)
    assert (meta.title, meta.issuer, meta.date, meta.status) == (
        "中华人民共和国未成年人保护法",
        "全国人民代表大会常务委员会",
        "2024-04-26",
        "current",
    )


def test_abbreviated_issuer_is_expanded_from_the_text() -> None:
    text = (
        "市教育局关于进一步规范2016年义务教育阶段新生入学管理工作的通知\n武教基〔2016〕16号\n"
        "各区教育局：\n武汉市体育学校、武汉市艺术学校面向全市招生，现通知如下。\n"
    )
    meta = detect_metadata(text, today=TODAY)
    assert meta.issuer == "武汉市教育局"
    assert meta.date == "2016"  # only the year of the 文号 is known
    assert meta.doc_number == "武教基〔2016〕16号"


def test_an_abbreviated_issuer_is_expanded_with_a_city_whose_name_holds_a_common_character() -> None:
    # 上 and 中 often stand before 市 in running text, yet 上海市 and 中山市 are cities.
    for city_name in ("上海市", "中山市"):
        text = (
            f"市教育局关于做好2016年义务教育阶段学校招生入学工作的通知\n"
            f"各区教育局：\n{city_name}实验学校、{city_name}外国语学校面向全市招生，现通知如下。\n"
        )
        assert detect_metadata(text, today=TODAY).issuer == f"{city_name}教育局"


def test_word_lists_come_from_the_data_file() -> None:
    data = rules()
    assert "通知" in data["title"]["endings"]
    assert "教育局" in data["issuer"]["suffixes"]
    assert "发文日期" in data["date"]["signed_labels"]


def test_manifest_overrides_and_unlisted_files_are_detected(tmp_path: Path) -> None:
    letter = (FIXTURES / "letter_with_closing_and_number.txt").read_text(encoding="utf-8")
    (tmp_path / "listed.txt").write_text(letter, encoding="utf-8")
    (tmp_path / "unlisted.txt").write_text(letter, encoding="utf-8")
    (tmp_path / "manifest.toml").write_text(
        '[documents.listed]\nfile = "listed.txt"\ntitle = "手工标题"\nissuer = "手工单位"\n'
        'date = "2020-01-01"\nstatus = "current"\n',
        encoding="utf-8",
    )
    metas = {m.doc_id: m for m in read_manifest(tmp_path)}
    listed = prepare_document(metas["listed"], today=TODAY).meta
    assert (listed.title, listed.issuer, listed.date, listed.status) == (
        "手工标题",
        "手工单位",
        "2020-01-01",
        "current",
    )
    assert listed.detected == ""
    unlisted = prepare_document(metas["unlisted"], today=TODAY)
    assert unlisted.meta.title == "市教委关于印发2016年某市小学招生入学工作指导意见的通知"
    assert unlisted.meta.status == "historical"
    chunk_meta = unlisted.chunks[0].metadata()
    assert chunk_meta["doc_number"] == "某教委〔2016〕12号"
    assert chunk_meta["status_reason"] == unlisted.meta.status_reason != ""


def test_bureau_file_names_of_one_year_get_their_own_ids(tmp_path: Path) -> None:
    names = [
        "2016年滨海新区小学招生入学工作方案.docx",
        "2016年南京市建邺区小学入学工作实施办法.docx",
        "2016年上海黄浦区小升初初中阶段招生工作实施意见.docx",
        "北京非京籍儿童入学手册.pdf",
        "plan-2016.txt",
    ]
    for name in names:
        (tmp_path / name).write_text("罗湖区教育局通知", encoding="utf-8")
    (tmp_path / "._2016年滨海新区小学招生入学工作方案.docx").write_bytes(b"\x00\x05\x16\x07")  # a Mac's fork

    metas = read_manifest(tmp_path)

    ids = sorted(m.doc_id for m in metas)
    assert len(ids) == len(set(ids)) == len(names)  # the hidden fork is no document
    assert "plan-2016" in ids  # ASCII names keep their readable id
    assert sum(i.startswith("2016-") for i in ids) == 3
    assert all(len(i) <= 64 and i.isascii() for i in ids)


@pytest.mark.parametrize(
    ("name", "title", "status"),
    [
        # The year in the name dates the year's admission rules, as a title's would.
        ("二七区2015年小学招生详细说明.txt", "二七区2015年小学招生详细说明", "historical"),
        ("erqi-2015.txt", "今年计划招170个班", "current"),
    ],
)
def test_untitled_file_is_titled_by_its_chinese_name_not_its_first_heading(
    tmp_path: Path, name: str, title: str, status: str
) -> None:
    path = tmp_path / name
    path.write_text(
        "一、关于今年的基本招生政策\n\n今年计划招170个班\n\n（一）报名时间：2015年8月18日——19日。\n",
        encoding="utf-8",
    )

    (meta,) = read_manifest(tmp_path)

    prepared = prepare_document(meta, today=TODAY).meta
    assert (prepared.title, prepared.status) == (title, status)


def test_a_signing_date_above_the_annex_is_no_part_of_its_title() -> None:
    lines = [
        "各区、县（市）人民政府，市政府各部门、各直属单位：",
        "    《某市义务教育阶段进城务工人员子女就学管理暂行办法》已经市政府同意，现印发给你们。",
        "                                  二○○八年四月十八日",
        "       某市义务教育阶段进城务工人员子女就学管理暂行办法",
        "    为使进城务工人员子女依法接受义务教育，制定本办法。",
    ]
    assert detect_title(lines) == "某市义务教育阶段进城务工人员子女就学管理暂行办法"
