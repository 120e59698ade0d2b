"""The calibration sheet of the int8 text recogniser (assistant/documents/ocr_models.py):
twelve lines of printed Chinese, digits, Latin letters and punctuation, each drawn 48 pixels
high (the recogniser's input height), half of them slightly blurred as a scan is. The lines
are written for this sheet (a 公文's heading, clauses, a table row, a phone number), not
taken from any document the OCR is measured on.

    python scripts/ocr_calibration_sheet.py [OUT.png]

The sheet ships as assistant/documents/data/ocr_calibration.png; run this again only to
change it (the int8 model is then made again: its file name holds the sheet's hash).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "assistant" / "documents" / "data" / "ocr_calibration.png"
FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian fonts-wqy-microhei
LINE_HEIGHT = 48
LINES = (
    "关于做好2024年义务教育阶段学校招生入学工作的通知",
    "一、各区教育局要按照属地管理原则，统筹安排辖区内适龄儿童入学。",
    "申请人须提供户口簿、居住证、房产证明（或租赁合同）等材料；",
    "（二）符合条件的随迁子女，由居住地所在区教育行政部门统筹安排学位。",
    "第三条 本办法自2016年9月1日起施行，有效期5年。",
    "序号 学校名称 招生班数 招生人数 招生地段 备注",
    "1 市第一实验小学 6 270 东湖街道、桂园街道（除A区）",
    "联系电话：0755-82345678，邮箱：jyj@example.gov.cn",
    "附件：2. 申请表（样表）  3. 材料清单",
    "社会基本养老保险及基本医疗保险缴费满1年（含1年）以上的，予以认定。",
    "深圳市罗湖区教育局 2023年5月12日 印发",
    "ABCDEFG abcdefg 0123456789 %()《》“”——·；：？！",
)


def draw(out: Path) -> None:
    font = ImageFont.truetype(str(FONT_FILE), 36)
    rows = []
    for number, text in enumerate(LINES):
        row = Image.new("L", (int(font.getlength(text)) + 24, LINE_HEIGHT), 255)
        ImageDraw.Draw(row).text((12, 4), text, fill=0, font=font)
        rows.append(row.filter(ImageFilter.GaussianBlur(0.7)) if number % 2 else row)
    sheet = Image.new("L", (max(r.width for r in rows), LINE_HEIGHT * len(rows)), 255)
    for number, row in enumerate(rows):
        sheet.paste(row, (0, LINE_HEIGHT * number))
    # 16 grey levels: the anti-aliased edges stay, the file stays small.
    sheet.quantize(16).save(out, optimize=True)


if __name__ == "__main__":
    draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
