"""One place that turns any failure into a specific Chinese message for users."""

from __future__ import annotations

from assistant.admission import ServerBusyError
from assistant.documents.errors import DocumentError
from assistant.embeddings import EmbedderError
from assistant.index import IndexUnavailableError
from assistant.model_fetch import ModelFetchError


def user_message_for(exc: BaseException) -> str:
    if isinstance(exc, DocumentError | IndexUnavailableError | ServerBusyError):
        return exc.user_message
    if isinstance(exc, ModelFetchError):
        return f"嵌入模型下载或校验失败：{exc}（请检查网络后运行 python -m assistant fetch-model 重试）"
    if isinstance(exc, EmbedderError):  # an embedding server's errors carry their own message
        return getattr(exc, "user_message", "") or f"嵌入模型无法加载：{exc}"
    return f"发生意外错误（{type(exc).__name__}），请稍后重试；详情见日志。"
