"""UI text in Simplified Chinese, Traditional Chinese and English, through Gradio's i18n.

Gradio translates these keys in the browser, choosing the locale from `navigator.language`
and falling back to English. The audience reads Chinese, so `DefaultLocaleMiddleware` puts
a script into the page that makes Simplified Chinese the default for every browser
language other than Chinese or English, and maps zh-HK/zh-MO/zh-Hant to Traditional.
Answers themselves come from the assistant, in the script of the question.
"""

from __future__ import annotations

import gradio as gr
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ZH_CN: dict[str, str] = {
    "title": "罗湖区基础教育政策助手",
    "intro": "依据《罗湖区基础教育高质量发展行动方案（2021—2023年）》及相关政策文件回答问题，"
    "每个回答都注明出处；文件没有写到的，会直接说明。",
    "tab_chat": "问答",
    "tab_targets": "目标与时限",
    "tab_lookup": "查学区/查学校",
    "lookup_input": "小区、道路门牌、街道或学校",
    "lookup_button": "查找",
    "tab_docs": "文件",
    "chatbot": "对话",
    "chat_placeholder": "在下方输入问题，例如：罗湖区要新增多少公办义务教育学位？",
    "question": "您的问题",
    "question_placeholder": "请输入关于罗湖区基础教育政策的问题，按回车发送",
    "send": "发送",
    "clear": "清空对话",
    "examples_principal": "校长常问",
    "examples_parent": "家长常问",
    "examples_staff": "工作人员常问",
    "feedback_hint": "回答下方可点赞或点踩评价；点开每条出处可查看原文，黄色标出的是引用的句子。",
    "targets_intro": "从政策文件中整理出的量化目标、完成时限和责任主体，可按年份、行动和责任主体筛选。",
    "filter_year": "到期年份",
    "filter_action": "所属行动",
    "filter_body": "责任主体",
    "all": "全部",
    "targets_table": "目标任务表",
    "download_csv": "下载 CSV",
    "timeline": "目标任务时间表（有期限或周期的目标）",
    "include_historical": "包括历史文件的目标",
    "docs_intro": "知识库中已建立索引的文件。",
    "docs_table": "已索引文件",
    "refresh": "刷新",
    "admin": "管理（需要管理密码）",
    "admin_password": "管理密码",
    "admin_upload": "上传文件（.pdf .docx .xlsx .xls .txt .md .html）",
    "admin_upload_button": "上传并加入知识库",
    "admin_delete": "要删除的文件",
    "admin_delete_button": "删除并更新索引",
    "admin_reindex_button": "重新建立索引",
    "admin_status": "操作结果",
    "admin_correct": "更正文件信息：检测不准时在此修改，保存到 manifest.toml 并重新索引该文件。",
    "admin_correct_file": "要更正的文件",
    "admin_correct_button": "保存并重新索引",
}

ZH_TW: dict[str, str] = {
    "title": "羅湖區基礎教育政策助手",
    "intro": "依據《羅湖區基礎教育高質量發展行動方案（2021—2023年）》及相關政策文件回答問題，"
    "每個回答都註明出處；文件沒有寫到的，會直接說明。",
    "tab_chat": "問答",
    "tab_targets": "目標與時限",
    "tab_lookup": "查學區/查學校",
    "lookup_input": "小區、道路門牌、街道或學校",
    "lookup_button": "查找",
    "tab_docs": "文件",
    "chatbot": "對話",
    "chat_placeholder": "在下方輸入問題，例如：羅湖區要新增多少公辦義務教育學位？",
    "question": "您的問題",
    "question_placeholder": "請輸入關於羅湖區基礎教育政策的問題，按回車發送",
    "send": "發送",
    "clear": "清空對話",
    "examples_principal": "校長常問",
    "examples_parent": "家長常問",
    "examples_staff": "工作人員常問",
    "feedback_hint": "回答下方可點讚或點踩評價；點開每條出處可查看原文，黃色標出的是引用的句子。",
    "targets_intro": "從政策文件中整理出的量化目標、完成時限和責任主體，可按年份、行動和責任主體篩選。",
    "filter_year": "到期年份",
    "filter_action": "所屬行動",
    "filter_body": "責任主體",
    "all": "全部",
    "targets_table": "目標任務表",
    "download_csv": "下載 CSV",
    "timeline": "目標任務時間表（有期限或週期的目標）",
    "include_historical": "包括歷史文件的目標",
    "docs_intro": "知識庫中已建立索引的文件。",
    "docs_table": "已索引文件",
    "refresh": "重新整理",
    "admin": "管理（需要管理密碼）",
    "admin_password": "管理密碼",
    "admin_upload": "上傳文件（.pdf .docx .xlsx .xls .txt .md .html）",
    "admin_upload_button": "上傳並加入知識庫",
    "admin_delete": "要刪除的文件",
    "admin_delete_button": "刪除並更新索引",
    "admin_reindex_button": "重新建立索引",
    "admin_status": "操作結果",
    "admin_correct": "更正文件資訊：檢測不準時在此修改，儲存到 manifest.toml 並重新索引該文件。",
    "admin_correct_file": "要更正的文件",
    "admin_correct_button": "儲存並重新索引",
}

EN: dict[str, str] = {
    "title": "Luohu Basic-Education Policy Assistant",
    "intro": "Answers questions from the Luohu District basic-education action plan (2021–2023) and "
    "related policy documents, citing the source of every answer; when the documents are silent, "
    "it says so.",
    "tab_chat": "Ask",
    "tab_targets": "Targets & deadlines",
    "tab_lookup": "School zones",
    "lookup_input": "Compound, road and number, street or school",
    "lookup_button": "Look up",
    "tab_docs": "Documents",
    "chatbot": "Conversation",
    "chat_placeholder": "Type a question below, e.g. How many public school places will Luohu add?",
    "question": "Your question",
    "question_placeholder": "Ask about Luohu basic-education policy (Chinese or English), press Enter",
    "send": "Send",
    "clear": "Clear conversation",
    "examples_principal": "Principals ask",
    "examples_parent": "Parents ask",
    "examples_staff": "Staff ask",
    "feedback_hint": "Rate an answer with the thumbs below it; open a source to read the passage, "
    "with the quoted sentence highlighted.",
    "targets_intro": "Quantified targets, deadlines and responsible bodies taken from the policy "
    "documents; filter by year, action and body.",
    "filter_year": "Due year",
    "filter_action": "Action",
    "filter_body": "Responsible body",
    "all": "All",
    "targets_table": "Targets",
    "download_csv": "Download CSV",
    "timeline": "Timeline (targets with a deadline or a recurrence)",
    "include_historical": "Include targets of historical documents",
    "docs_intro": "Documents indexed in the knowledge base.",
    "docs_table": "Indexed documents",
    "refresh": "Refresh",
    "admin": "Administration (password required)",
    "admin_password": "Admin password",
    "admin_upload": "Upload a file (.pdf .docx .xlsx .xls .txt .md .html)",
    "admin_upload_button": "Upload and add to the knowledge base",
    "admin_delete": "Document to delete",
    "admin_delete_button": "Delete and update the index",
    "admin_reindex_button": "Rebuild the index",
    "admin_status": "Result",
    "admin_correct": "Correct a document's details: saved to manifest.toml, and the document is re-indexed.",
    "admin_correct_file": "Document to correct",
    "admin_correct_button": "Save and re-index",
}

I18N = gr.I18n(**{"zh-CN": ZH_CN, "zh-TW": ZH_TW, "en": EN})


def t(key: str) -> gr.i18n.I18nData:
    """A translatable UI string (resolved in the browser)."""
    if key not in ZH_CN:  # a typo would otherwise show the raw key to users
        raise KeyError(key)
    return I18N(key)


# Gradio picks its locale once, from navigator.language, when its module scripts start;
# a classic inline script in the page runs before those (module scripts are deferred).
_DEFAULT_LOCALE_SCRIPT = b"""<script>
(function () {
  try {
    var lang = (navigator.language || "").toLowerCase();
    var want = null;
    if (/^zh-(tw|hk|mo|hant)/.test(lang)) { want = "zh-TW"; }
    else if (/^zh/.test(lang)) { want = "zh-CN"; }
    else if (!/^en/.test(lang)) { want = "zh-CN"; }
    if (want && want !== navigator.language) {
      Object.defineProperty(Navigator.prototype, "language", {
        get: function () { return want; }, configurable: true
      });
    }
  } catch (e) { /* keep the browser's own language */ }
})();
</script>"""


class DefaultLocaleMiddleware:
    """Puts the default-locale script into the page's <head>: Simplified Chinese for every
    browser language other than Chinese or English (Gradio itself would fall back to
    English), Traditional for zh-TW/zh-HK/zh-MO. Only GET of the page itself is touched."""

    def __init__(self, app: ASGIApp, path: str = "/") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        # Ask for the page uncompressed, so the script can be put in (it is a few KB).
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        start: Message | None = None
        parts: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(parts)
            response_headers = MutableHeaders(raw=list(start["headers"]))
            if response_headers.get("content-type", "").startswith("text/html") and b"</head>" in body:
                body = body.replace(b"</head>", _DEFAULT_LOCALE_SCRIPT + b"</head>", 1)
                response_headers["content-length"] = str(len(body))
            await send({**start, "headers": response_headers.raw})
            await send({"type": "http.response.body", "body": body})

        await self.app({**scope, "headers": headers}, receive, rewrite)
