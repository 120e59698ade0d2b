"""A bureau's website on loopback for the sync tests: a copy (made at test time) of the
saved 城市规划 column of ../shared/sources_new/site/, plus an education column built from
real files of ../shared/sources_extra/ as notices with attachments over two list pages.

The server is the standard library's ThreadingHTTPServer on 127.0.0.1, port 0. Paths in
`fail_500` answer 500, paths in `slow` sleep longer than the client's timeout, `robots.txt`
disallows /jyj/tzgg/internal/, and /jyj/tzgg/away.html redirects to another host.
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT

SHARED = Path(os.environ.get("ASSISTANT_SHARED_DIR", REPO_ROOT.parent / "shared"))
SITE = SHARED / "sources_new" / "site" / "www.szpl.gov.cn"
EXTRA = SHARED / "sources_extra"
PLAN_COLUMN = "/xxgk/zcfg/fgk/csghl/"
EDU_COLUMN = "/jyj/tzgg/"

# (page name, title, date, body paragraphs, attachment file of sources_extra or None)
NOTICES = [
    (
        "201604/t20160405_1.html",
        "天津市教育委员会关于印发2016年天津市小学招生入学工作指导意见的通知",
        "2016-04-01",
        ["各区县教育局：现将《2016年天津市小学招生入学工作指导意见》印发给你们，请遵照执行。"],
        "tianjin_2016_primary_school_admission_guidance.docx",
    ),
    (
        "201604/t20160410_2.html",
        "重庆市教育委员会关于做好2016年义务教育招生入学工作的意见",
        "2016-04-08",
        ["各区县（自治县）教委：现就做好2016年义务教育招生入学工作提出意见，附件为意见全文。"],
        "chongqing_2016_compulsory_education_admission_opinion.docx",
    ),
    (
        "201310/t20131015_3.html",
        "关于将深圳市少年儿童及大学生医疗保险纳入住院医疗保险的通知",
        "2013-10-15",
        ["各区人民政府，市政府直属各单位：现将少年儿童及大学生医疗保险有关事项通知如下，详见附件。"],
        "shenzhen_2010_children_and_students_medical_insurance_notice.pdf",
    ),
]
# On the second list page: a notice whose attachment has neither title nor 文号 of its own.
SECOND_PAGE_NOTICE = (
    "201605/t20160520_4.html",
    "罗湖区教育局关于公布2016年小学学位申请材料清单的通知",
    "2016-05-20",
    [
        "罗教〔2016〕9号",
        "各小学、各位家长：现将2016年小学学位申请材料清单公布如下，见附件。",
        "深圳市罗湖区教育局",
        "2016年5月20日",
    ],
    "materials.txt",
)
ATTACHMENT_WITHOUT_TITLE = (
    "一、户籍证明：儿童及其父母的户口簿原件及复印件，户籍须在罗湖区。\n"
    "二、住房证明：房地产证原件及复印件，或经登记备案的房屋租赁凭证。\n"
    "三、儿童预防接种证明：由社区健康服务中心出具的预防接种证查验证明。\n"
)
# This year's notice (so that it is current whenever the test runs) repealing the 2016 one.
YEAR = dt.date.today().year
REPEALING_NOTICE = (
    f"{YEAR}04/t{YEAR}0401_5.html",
    f"天津市教育委员会关于印发{YEAR}年天津市小学招生入学工作指导意见的通知",
    f"{YEAR}-04-01",
    [
        f"津教委〔{YEAR}〕7号",
        f"各区县教育局：现将《{YEAR}年天津市小学招生入学工作指导意见》印发给你们，请遵照执行。",
        f"{YEAR}年小学招生入学工作实行网上登记，登记时间为5月10日至5月20日。",
        "《市教委关于印发2016年天津市小学招生入学工作指导意见的通知》（津教委〔2016〕12号）同时废止。",
        "天津市教育委员会",
        f"{YEAR}年4月1日",
    ],
    None,
)


def notice_html(title: str, date: str, paragraphs: list[str], attachment: str | None) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    link = (
        f'<p>附件：<a href="./{attachment}">{Path(attachment).stem}{Path(attachment).suffix}</a></p>'
        if attachment
        else ""
    )
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_教育局网站</title></head><body>"
        f"<div>首页 > 通知公告</div><h1>{title}</h1><div>发布日期：{date}</div>{body}{link}"
        "<div>主办：某区教育局 版权所有</div></body></html>"
    )


def list_html(items: list[tuple[str, str, str]], next_page: str | None) -> str:
    rows = "".join(
        f'<li><a href="./{href}">{title}</a><span>{date}</span></li>' for href, title, date in items
    )
    pager = f'<a href="./{next_page}">下一页</a>' if next_page else ""
    return (
        "<html><head><meta charset='utf-8'><title>通知公告</title></head><body>"
        '<div><a href="/">首页</a> <a href="/jyj/">教育局</a></div>'
        f"<ul>{rows}</ul>{pager}"
        '<a href="./internal/secret.html">内部通知</a><a href="./away.html">外部链接</a>'
        "</body></html>"
    )


def write_notice(root: Path, notice: tuple[str, str, str, list[str], str | None]) -> None:
    name, title, date, paragraphs, attachment = notice
    page = root / EDU_COLUMN.strip("/") / name
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(notice_html(title, date, paragraphs, attachment), encoding="utf-8")
    if attachment == "materials.txt":
        (page.parent / attachment).write_text(ATTACHMENT_WITHOUT_TITLE, encoding="utf-8")
    elif attachment:
        shutil.copyfile(EXTRA / attachment, page.parent / attachment)


def write_edu_lists(root: Path, first: list[tuple[str, str, str, list[str], str | None]]) -> None:
    column = root / EDU_COLUMN.strip("/")
    column.mkdir(parents=True, exist_ok=True)
    items = [(n[0], n[1], n[2]) for n in first]
    (column / "index.html").write_text(list_html(items, "index_1.html"), encoding="utf-8")
    second = [(SECOND_PAGE_NOTICE[0], SECOND_PAGE_NOTICE[1], SECOND_PAGE_NOTICE[2])]
    (column / "index_1.html").write_text(list_html(second, None), encoding="utf-8")


def build_site(root: Path) -> Path:
    """The whole site in `root` (a tmp dir): never the shared files themselves."""
    if not SITE.is_dir() or not EXTRA.is_dir():
        pytest.fail(f"the shared site and sources are missing ({SHARED}); set ASSISTANT_SHARED_DIR")
    shutil.copytree(SITE, root, dirs_exist_ok=True)
    for notice in [*NOTICES, SECOND_PAGE_NOTICE]:
        write_notice(root, notice)
    write_edu_lists(root, NOTICES)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /jyj/tzgg/internal/\n", encoding="utf-8")
    internal = root / EDU_COLUMN.strip("/") / "internal"
    internal.mkdir(parents=True, exist_ok=True)
    (internal / "secret.html").write_text("<p>内部</p>", encoding="utf-8")
    return root


class SiteServer:
    def __init__(self, root: Path, slow_seconds: float) -> None:
        self.root = root
        self.fail_500: set[str] = set()
        self.slow: set[str] = set()
        self.slow_seconds = slow_seconds
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.requests.append(path)
                if path in server.fail_500:
                    self.send_error(500, "Internal Server Error")
                    return
                if path in server.slow:
                    time.sleep(server.slow_seconds)
                if path.endswith("/away.html"):
                    self.send_response(302)
                    self.send_header("Location", "http://example.com/elsewhere.html")
                    self.end_headers()
                    return
                super().do_GET()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def page_requests(self) -> int:
        return len([p for p in self.requests if p != "/robots.txt"])


@contextmanager
def serve(root: Path, slow_seconds: float = 3.0) -> Iterator[SiteServer]:
    server = SiteServer(root, slow_seconds)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def touch_later(path: Path, seconds: int = 10) -> None:
    """Move a file's mtime on, so its Last-Modified differs within the same second."""
    stamp = time.time() + seconds
    os.utime(path, (stamp, stamp))
