"""Place names by their shape: any district's names are recognised, none is listed in code."""

from __future__ import annotations

import pytest

from assistant.grammar.places import (
    areas_named,
    asked_places,
    divisions,
    is_place_name,
    leading_place,
    narrowest,
    place_codes,
    same_scope,
)
from assistant.targets.bodies import normalize_body


@pytest.mark.parametrize("name", ["深圳市", "罗湖区", "番禺区", "天津市", "长沙县", "广东省", "乌鲁木齐市"])
def test_place_names(name: str) -> None:
    assert is_place_name(name)


@pytest.mark.parametrize("name", ["全区", "报市", "各区", "本市", "我区", "市", "在市区"])
def test_not_place_names(name: str) -> None:
    assert not is_place_name(name)


@pytest.mark.parametrize("name", ["上海市", "中山市", "和平县", "增城区", "市中区", "内江市"])
def test_divisions_holding_characters_running_text_puts_before_a_level(name: str) -> None:
    # 上, 中, 和, 内 stand before 市 in running text ("在市", "全市中"), yet these are places.
    assert is_place_name(name)


def test_the_division_table_is_read_from_the_registry_package() -> None:
    names = divisions()
    assert len(names) > 3000
    assert {"深圳市", "罗湖区", "广东省", "番禺区"} <= names


def test_leading_place() -> None:
    assert leading_place("上海市教育委员会关于做好2016年招生工作的通知") == "上海市"
    assert leading_place("中山市教育和体育局") == "中山市"
    assert leading_place("深圳市罗湖区教育局") == "深圳市"
    assert leading_place("罗湖区教育局") == "罗湖区"
    assert leading_place("区教育局") == ""
    assert leading_place("街道办事处") == ""
    assert leading_place("社区工作站") == ""


@pytest.mark.parametrize(
    "asked,core",
    [
        ("请问罗湖区的街道办", "街道办"),
        ("深圳市罗湖区教育局", "教育局"),
        ("广州市番禺区教育局", "教育局"),  # another district: no list in code to extend
        ("各街道办事处", "街道办"),
        ("我区教科院", "教科院"),
        ("区教育局", "区教育局"),
        ("国土规划部门", "国土规划部门"),
    ],
)
def test_a_body_is_compared_without_the_place_and_question_words_in_front(asked: str, core: str) -> None:
    assert normalize_body(asked) == core


def test_the_places_a_text_names_by_full_or_short_name_with_their_codes() -> None:
    assert place_codes("户口在重庆渝北") == {"50", "500112"}  # 重庆市, its 渝北区
    assert place_codes("思明区或湖里区参加积分入学") == {"350203", "350206"}
    assert place_codes("深圳市罗湖区教育局") == {"4403", "440303"}
    assert "4420" in place_codes("中山城区小学的入学通知书")  # 中山: the city (and Dalian's 中山区)
    # Generic words that are also division names, or a name inside another word, name none.
    assert place_codes("城区学校") == frozenset() and place_codes("城市中区") == frozenset()
    assert place_codes("中华人民共和国义务教育法") == frozenset()
    # An English question names a province or city in pinyin; districts and lower-case
    # words are not read so.
    assert place_codes("registration open in Shanghai for 2026?") == {"31"}
    assert place_codes("We live in Zhongshan's urban area") == {"4420"}
    assert place_codes("Under the Points table, when does a Parent apply?") == frozenset()
    # Read left to right: 中山东区 is 中山 and its 东区, not 山东 (the segmenter's guess).
    assert place_codes("中山东区户口的小孩") == place_codes("中山") and "37" not in place_codes("中山东区")


def test_a_district_named_right_after_its_city_is_a_place_however_it_is_tagged() -> None:
    # The segmenter reads 宝安 as a person's name; after 深圳 it is Shenzhen's district.
    assert place_codes("深圳宝安这边租房子住了三年了") == {"4403", "440306"}
    assert place_codes("王宝安是谁") == frozenset()
    # A place read whole is not cut into: 天津南开 is 天津 and 南开, not 津南.
    assert place_codes("天津南开的小学") == {"12", "120104"}


def test_places_share_a_scope_when_one_lies_in_the_other() -> None:
    assert same_scope(place_codes("罗湖"), place_codes("深圳市"))
    assert same_scope(place_codes("广东省"), place_codes("深圳市罗湖区"))
    assert not same_scope(place_codes("重庆"), place_codes("深圳市罗湖区"))


def test_a_name_holding_a_city_and_its_district_is_of_the_district() -> None:
    both = place_codes("深圳市罗湖区人民政府")
    assert narrowest(both) == place_codes("罗湖区")
    assert not same_scope(narrowest(both), place_codes("福田区"))
    assert narrowest(place_codes("深圳市教育局 广州市教育局")) == place_codes("深圳市 广州市")


def test_a_heading_that_is_a_place_names_it_by_its_short_or_former_name() -> None:
    # The parts of a city's file of its districts' rules: "北京各区幼升小政策汇总 > 平谷".
    assert place_codes("北京各区幼升小政策汇总 > 平谷") >= {"110117"}
    assert place_codes("北京各区幼升小政策汇总 > 密云县") >= {"110118"}  # now 密云区
    # In running text a short name is read only where the segmenter reads a place.
    assert "110117" not in place_codes("平谷的孩子")


def test_divisions_set_up_after_the_registry_table_are_known() -> None:
    # 龙华区 of 深圳 (2016): the package lists only 海口's; after 深圳 it is 深圳's.
    assert place_codes("我在深圳龙华打工") >= {"440309"}
    assert "440311" in place_codes("光明区")


def test_a_short_name_written_with_a_town_level_is_the_towns_not_the_countys() -> None:
    # 沙湾 is also a county of Xinjiang and a district of Leshan: 沙湾镇 is a town of 番禺.
    assert asked_places("沙湾镇（沙湾教育指导中心）一共有几所公办小学？") == ()
    assert [name for name, _ in asked_places("乐山沙湾区有几所小学？")] == ["乐山", "沙湾区"]


def test_areas_below_a_city_are_read_by_the_shape_of_their_names() -> None:
    # Areas the table of divisions does not list (中山's 石岐区 and 南区, a development zone)
    # are names all the same; a common noun ending in 区 is no area.
    assert areas_named("石岐区：中山市博爱小学 三、现场报名 > 4.南区户籍") == ("石岐区", "南区")
    assert areas_named("我们住在中山火炬开发区，孩子上一年级") == ("火炬开发区",)
    assert areas_named("番禺区沙湾镇") == ("番禺区", "沙湾镇")
    # A town the segmenter does not know, cut from its level (小榄 | 镇).
    assert areas_named("我们家在中山小榄镇，孩子上一年级") == ("小榄镇",)
    assert areas_named("学区、社区、校区、片区、辖区、小区、各区、全区") == ()
