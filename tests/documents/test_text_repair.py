"""Tests for width normalisation, punctuation folding and PDF text repair."""

from __future__ import annotations

from assistant.documents.text_repair import (
    fold_punctuation,
    normalize_width,
    repair_pdf_text,
    repair_radicals,
)


def test_normalize_width_converts_letters_digits_and_ideographic_space() -> None:
    assert normalize_width("ＡＢＣ　ｘｙｚ　２０２５年") == "ABC xyz 2025年"


def test_normalize_width_keeps_punctuation_exactly() -> None:
    text = "第一条，目标：（一）“优质均衡”；完成。另见(附件),a.b;c:d!?"
    assert normalize_width(text) == text


def test_normalize_width_removes_zero_width_and_normalises_line_breaks() -> None:
    assert normalize_width("\ufeff教\u200b育\u200c局\u200d\r\n第二行\r第三行") == ("教育局\n第二行\n第三行")


def test_fold_punctuation_unifies_widths() -> None:
    assert fold_punctuation("详见(附件),目标:完成;是否?是!") == "详见（附件），目标：完成；是否？是！"
    assert fold_punctuation("详见（附件），目标：完成") == fold_punctuation("详见(附件),目标:完成")


def test_fold_punctuation_keeps_decimal_points() -> None:
    folded = fold_punctuation("新增学位0.8万个.投入1.5亿元.版本v2.0")
    assert folded == "新增学位0.8万个。投入1.5亿元。版本v2.0"


def test_fold_punctuation_period_at_end_after_cjk() -> None:
    assert fold_punctuation("制定本计划.") == "制定本计划。"
    assert fold_punctuation("制定本计划. 下一句") == "制定本计划。 下一句"
    assert fold_punctuation("Version 1.") == "Version 1."


def test_fold_punctuation_full_width_decimal_matches_half_width() -> None:
    assert fold_punctuation("0．8万") == fold_punctuation("0.8万") == "0.8万"


def test_repair_radicals_kangxi_and_supplement() -> None:
    # ⼈ U+2F08 and ⼤ U+2F24 are Kangxi radicals; ⺠ U+2EA0, ⻔ U+2ED4, ⻓ U+2ED3 supplement.
    assert repair_radicals("\u2f08\u2ea0政府") == "人民政府"
    assert repair_radicals("\u2f24\u2ed4 \u2ed3度") == "大门 长度"


def test_repair_radicals_leaves_ambiguous_components() -> None:
    # ⻈ (speech radical 讠) is not a standalone character: it is left alone.
    assert repair_radicals("\u2ec8") == "\u2ec8"


def test_repair_pdf_text_removes_justification_spaces_between_cjk() -> None:
    assert repair_pdf_text("罗 湖 区 教 育 局") == "罗湖区教育局"
    assert repair_pdf_text("推进 AI 教育 and open data") == "推进 AI 教育 and open data"


def test_repair_pdf_text_keeps_space_after_article_marker() -> None:
    assert repair_pdf_text("第一条 为了 推进 工作") == "第一条 为了推进工作"


def test_repair_pdf_text_joins_hard_wraps_inside_sentence() -> None:
    text = "为进一步推动罗湖区基础教育高质量发展，全\n面提升教育教学质量，到2025年新增公办学位\n0.8万个。"
    assert repair_pdf_text(text) == (
        "为进一步推动罗湖区基础教育高质量发展，全面提升教育教学质量，到2025年新增公办学位0.8万个。"
    )


def test_repair_pdf_text_keeps_breaks_after_sentence_end_and_before_headings() -> None:
    text = (
        "一、总体要求\n"
        "坚持以人民为中心的发展思想，办好人民满意的教育，全面落实立德树人根本任务。\n"
        "（一）指导思想以习近平新时代中国特色社会主义思想为指导，深入贯彻党的教育方针\n"
        "（二）基本原则\n"
        "第三条 本计划自印发之日起施行，有效期五年，由区教育局负责解释和组织实施工作\n"
        "2. 工作目标"
    )
    assert repair_pdf_text(text) == text


def test_repair_pdf_text_short_line_ends_paragraph() -> None:
    text = "第一章 总体要求\n为进一步推动罗湖区基础教育高质量发展，全面提升教育教学质量"
    assert repair_pdf_text(text) == text


def test_repair_pdf_text_keeps_blank_lines() -> None:
    text = "第一段内容到此结束\n\n第二段内容从这里开始"
    assert repair_pdf_text(text) == text


def test_repair_pdf_text_does_not_join_after_the_last_short_line() -> None:
    text = (
        "各中小学校要落实课后服务工作要求，确保每一名有需要的学生都能参\n"
        "加课后服务\n"
        "同时加强教师队伍建设，提高教师待遇水平，保障教师合法权益不受侵害"
    )
    assert repair_pdf_text(text) == (
        "各中小学校要落实课后服务工作要求，确保每一名有需要的学生都能参加课后服务\n"
        "同时加强教师队伍建设，提高教师待遇水平，保障教师合法权益不受侵害"
    )


def test_a_figure_and_its_ideographs_are_joined_but_table_columns_stay_apart() -> None:
    # pypdf spaces mixed-script runs ("2015 年 4 月 30日", "80 分"); a wider gap is a column.
    text = repair_pdf_text(
        "各民办学校应在 2015 年 4 月 30日前上报。本科学历，80 分；\n福清   20600   100% 50%"
    )
    assert "应在2015年4月30日前上报" in text
    assert "本科学历，80分；" in text
    assert "福清   20600   100% 50%" in text


def test_a_wrapped_article_is_joined_although_a_table_row_on_the_page_is_longer() -> None:
    # A table row run together into one long line must not make the prose lines look short.
    page = "\n".join(
        [
            "第四条 符合申请资格的新莞人子女可以向其父母一方服",
            "务地或其父母在东莞市拥有产权清晰的自有居所所在地（两者",
            "任选其一）的镇街新莞人服务部门提出申请，通过积分制方式，",
            "入读申请地所在镇街的义务教育阶段公办学校或政府购买学位",
            "的民办学校。",
            "申请人父母的学历、职称、在莞服务年限、在莞参保年",
            "限、在莞居住时间、在莞纳税、在莞参加社会服务等方面情况",
            "作为计算积分的依据。",
            "第五条 本方案共有十个积分项目，其中一至八项为基本",
            "积分；第九、十项为加、扣分项目，具体标准见附件。",
            "父母在不同镇街服务以在申请地服务的一方情况进行积分选择以服务地申请父母一方缴纳社会",
        ]
    )
    text = repair_pdf_text(page)
    assert "可以向其父母一方服务地或其父母在东莞市" in text
    assert "购买学位的民办学校。" in text
    assert "在莞参保年限、在莞居住时间" in text


def test_a_masthead_above_its_number_is_not_joined_to_it() -> None:
    # A block of a few short lines has no width of its own: the document's is used.
    prose = "根据有关规定，结合本市实际，现就二〇一六年普通高等学校招生考试工作通知如下：\n" * 12
    text = repair_pdf_text(f"天津市招生委员会文件\n津招委高发〔2016〕8 号\n\n{prose}")
    assert text.startswith("天津市招生委员会文件\n津招委高发〔2016〕8号")


def test_a_year_cut_by_a_narrow_table_cell_is_joined() -> None:
    text = repair_pdf_text("“近5年”是从2010年6月1日统计至20\n15年5月31日。\n第20\n15条")
    assert "统计至2015年5月31日。" in text
    assert "第20\n15条" in text  # no year: the break stands


def test_an_indented_line_opens_a_paragraph_and_a_table_row_joins_nothing() -> None:
    # The rows of a table read whole are wider than the prose, so the prose's width comes
    # from the prose: its wrapped lines are joined, its headings and rows are not.
    text = "\n".join(
        [
            "四、完善服务体系，努力提高随迁子女高考工作服务水平",
            "\u3000\u3000各地、各有关部门要健全工作机制，细化工作措施，切实发",
            "挥好服务保障作用，深入细致地做好随迁子女在我省参加高考工",
            "作，确保随迁子女在我省参加高考工作平稳实施。要通过多种渠",
            "道加强政策宣传。",
            "北片 | 丽江小学 | 5 | 丽江花园、百事佳花园符合“人户一致”条件的业主适龄子女；按“小区配套公办学校学位分配原则”安",
            "北片 | 实验小学 | 4 | 锦绣半岛、金月湾符合“人户一致”条件的业主适龄子女",
        ]
    )
    lines = repair_pdf_text(text).split("\n")
    assert lines[0] == "四、完善服务体系，努力提高随迁子女高考工作服务水平"
    assert lines[1].strip().startswith("各地、各有关部门要健全工作机制，细化工作措施，切实发挥好服务保障作用")
    assert lines[1].endswith("要通过多种渠道加强政策宣传。")
    assert lines[2].startswith("北片 | 丽江小学") and lines[3].startswith("北片 | 实验小学")
