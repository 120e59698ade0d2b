"""A web page saved as one file (.mht / .mhtml, a browser's "网页，单个文件"): a MIME
message whose first HTML part is the page, its images and styles the other parts. Read
with the standard library's MIME parser; the page is then read as any saved page."""

from __future__ import annotations

import email
from email import policy

from assistant.documents.errors import DocumentError


def archived_page(data: bytes, filename: str) -> tuple[bytes, str | None]:
    """The bytes of the archive's page (its transfer encoding undone) and the charset the
    archive declares for them (None when it declares none)."""
    message = email.message_from_bytes(data, policy=policy.default)
    page = next((p for p in message.walk() if p.get_content_type() == "text/html"), None)
    payload = page.get_payload(decode=True) if page is not None else None
    if page is None or not isinstance(payload, bytes) or not payload.strip():
        raise DocumentError(
            f"{filename}: web archive without an HTML page",
            f"网页存档《{filename}》中没有网页正文，请在浏览器中将网页另存为 .html 后重新上传。",
        )
    return payload, page.get_content_charset()
