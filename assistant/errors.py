"""One place that turns any failure into a specific Chinese message for users.

Each error type says its own message (a `user_message` attribute, set where it is raised),
so this module imports none of them: mapping an error never loads chromadb or torch."""

from __future__ import annotations


def user_message_for(exc: BaseException) -> str:
    message = getattr(exc, "user_message", "")
    if isinstance(message, str) and message:
        return message
    return f"发生意外错误（{type(exc).__name__}），请稍后重试；详情见日志。"
