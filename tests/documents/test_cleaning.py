"""Cleaning of the scraped plan page: no web junk survives, no plan text is lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.documents.cleaning import clean_web_text, is_cms_metadata, is_nav_item, is_run_on

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
RAW = (KNOWLEDGE / "luohu-basic-education-action-plan.raw.txt").read_text(encoding="utf-8")
CLEAN = clean_web_text(RAW)

MENU_ITEMS = [
    "移动版",
    "无障碍",
    "关怀版",
    "智能机器人",
    "万象罗湖",
    "政务公开",
    "政务服务",
    "政民互动",
    "罗湖搜索",
    "繁体版",
    "English",
    "首页",
]
HEADLINES = [
    "歼20紧急升空",
    "恒大被罚41.75亿",
    "杨倩无缘巴黎奥运",
    "淀粉肠小王子",
    "库克现身上海",
    "XML地图",
    "虚拟主机",
    "网站制作",
]


@pytest.mark.parametrize("junk", [*MENU_ITEMS, *HEADLINES, "SEO", "网站优化", "深圳市罗湖区人民政府"])
def test_no_junk_survives(junk: str) -> None:
    assert junk not in CLEAN


def test_every_plan_line_is_kept() -> None:
    """Every line of the page between the menu and the spam is still there, word for word."""
    lines = RAW.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("到2023年"))
    end = next(i for i, line in enumerate(lines) if "SEO" in line)
    kept = set(CLEAN.split("\n"))
    lost = [line for line in lines[start:end] if line.strip() and line.strip() not in kept]
    assert lost == []


def test_other_documents_lose_only_cms_metadata() -> None:
    removed: list[str] = []
    for path in KNOWLEDGE.glob("*.txt"):
        if path.name.startswith("luohu-basic"):
            continue
        text = path.read_text(encoding="utf-8")
        cleaned = {line.strip() for line in clean_web_text(text).split("\n")}
        body = [line.strip() for line in text.split("\n")[1:] if line.strip()]
        lost = [line for line in body if line not in cleaned]
        assert all(is_cms_metadata(line) for line in lost), (path.name, lost)
        removed += lost
    assert "信息来源：市教育局" in removed
    assert "［ 作者：超级 管理员 来源：原创 人气：8748 评论：0 推荐等级：★★★" in removed
    guide = clean_web_text(
        (KNOWLEDGE / "luohu_2016_primary1_admission_guide.txt").read_text(encoding="utf-8")
    )
    assert "■　网上申请时间： 4月1日—13日。" in guide  # a bulleted line with content stays


def test_rules_are_about_shape_not_this_page() -> None:
    other_portal = "\n".join(
        [
            "  • 首页",
            "  • 新闻中心",
            "某某市教育局",
            "  • 信息公开",
            "  • English",
            "",
            "为进一步规范中小学招生入学工作，现就有关事项通知如下，请各校认真贯彻执行。",
            "",
            "北京网站建设公司上海网站推广哪家强广州关键词排名快速上首页明星离婚热搜第一某地发生地震" * 3,
            "网站地图 联系我们 版权所有 ICP备12345号",
        ]
    )
    cleaned = clean_web_text(other_portal)
    assert cleaned.strip() == "为进一步规范中小学招生入学工作，现就有关事项通知如下，请各校认真贯彻执行。"


def test_a_breadcrumb_led_by_its_label_or_the_site_home_is_chrome() -> None:
    page = (
        "栏目导航 网站首页>>公告>>公告\n\n某区2015年随迁子女积分入学公告\n\n一、申请条件如下，请家长留意。\n"
    )
    cleaned = clean_web_text(page)
    assert "网站首页" not in cleaned and "栏目导航" not in cleaned
    assert "一、申请条件如下，请家长留意。" in cleaned


def test_predicates() -> None:
    assert is_nav_item("  • 政务公开")
    assert not is_nav_item("学位建设攻坚行动")
    assert is_run_on(
        "深圳SEO优化公司韶关外贸网站关键词优化哪家好优化网站排名深圳网站seo优化公司杭州湾新区网站优化公司报价昆明网站优化推广怎么做"
    )
    assert not is_run_on(
        "2015年4月24日 第十二届全国人民代表大会常务委员会第十四次会议《关于修改〈中华人民共和国义务教育法〉等五部法律的决定》第一次修正"
    )
    assert not any(is_run_on(line) for line in re.split(r"\n", CLEAN))


def test_a_menu_entry_ending_like_a_plan_or_a_standard_stays_menu() -> None:
    """Portal menus list pages named like documents ("教育十二五规划", "…收费项目、依据、
    标准"); only a normative document's type (通知, 办法 …) makes a long line a title."""
    menu = [
        "财政预算、决算",
        "教育收费",
        "厦门市中小学、幼儿园收费项目、依据、标准",
        "行政执法专栏",
        "教师资格认定",
    ]
    body = "为进一步规范义务教育招生入学工作，现就有关事项通知如下，请认真贯彻执行。"
    title = "厦门市教育局关于做好义务教育招生入学工作的通知"
    cleaned = clean_web_text("\n\n".join([*menu, title, body]))
    assert not any(item in cleaned for item in menu)
    assert title in cleaned and body in cleaned


def test_the_print_line_of_the_closing_block_is_no_sentence() -> None:
    # "XX办公室 2016年4月25日印发" dates the printing: a date question must not quote it.
    text = "\n".join(
        [
            "关于印发某区2016年入学工作意见的通知",
            "各中小学：",
            "现将《某区2016年入学工作意见》印发给你们，请认真遵照执行。",
            "某区教育委员会",
            "2016年4月25日",
            "（三）规范管理，严明纪律。严格执行招生计划，严禁弄虚作假。",
            "某区教育委员会办公室 2016年4月25日印发",
        ]
    )
    cleaned = clean_web_text(text)
    assert "印发给你们" in cleaned and "严禁弄虚作假" in cleaned
    assert "2016年4月25日印发" not in cleaned


def test_a_sites_list_of_related_articles_is_chrome_and_a_time_in_a_sentence_is_not() -> None:
    page = (
        "（二十八）本意见由白云区教育行政部门负责解释。\n"
        "相关文章\n"
        "广州市白云区学校艺术教育发展2015年度报告 2016-7-4 15:02:42\n"
        "关于印发《广州市白云区2016年义务教育阶段学校招生计划》的通知 2016-4-15 17:10:26\n"
        "网上报名时间为2016年5月5日 8:30至5月15日 17:00。\n"
    )
    cleaned = clean_web_text(page)
    assert "17:10:26" not in cleaned and "15:02:42" not in cleaned
    assert "（二十八）本意见由白云区教育行政部门负责解释。" in cleaned
    assert "网上报名时间为2016年5月5日 8:30至5月15日 17:00。" in cleaned


def test_a_line_of_ornaments_is_dropped_and_text_around_it_kept() -> None:
    first = "申请人在海淀租房的，应提交规范有效的房屋租赁合同、房主房产证原件和房主身份证原件。"
    second = "租住农民个人房且无房产证的，须提交以下三种证明之一：房屋地契证明、建房屋审批证明。"
    text = f"{first}\n\n☀☀☀☀☀☀☀☀☀☀☀☀\n\n{second}\n※※※\n"
    cleaned = clean_web_text(text)
    assert "☀" not in cleaned and "※" not in cleaned
    assert cleaned == f"{first}\n\n{second}\n"
