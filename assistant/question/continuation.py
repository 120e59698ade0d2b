"""The passages that follow a passage in its document: where a list announced at the end
of one chunk ("有下列情形之一的：") has its items.

Chunk ids are `<doc_id>:<position>:<digest>` (`documents/chunking.py`), so the next
chunks of a document are found among the snapshot's ids by position, and read from its
collection only when an answer asks for them.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.question.snapshot import SearchSnapshot

FOLLOWING_CHUNKS = 4  # a list is read on into at most this many further chunks (LIST_MAX ends it first)


def _position(chunk_id: str) -> tuple[str, int] | None:
    parts = chunk_id.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def following_texts(snapshot: SearchSnapshot) -> Callable[[str, str], list[str]]:
    """A function giving, for a chunk id and its heading path, the texts of the chunks
    that follow it in its document, in order, as long as they stay in that section (or
    one below it)."""

    def following(chunk_id: str, section: str) -> list[str]:
        here = _position(chunk_id)
        if here is None:
            return []
        doc, position = here
        wanted = {f"{doc}:{position + step:04d}:": step for step in range(1, FOLLOWING_CHUNKS + 1)}
        ids = sorted(
            (wanted[cid[: cid.rfind(":") + 1]], cid)
            for cid in snapshot.lexical.ids
            if cid[: cid.rfind(":") + 1] in wanted
        )
        found = snapshot.chunks.fetch([cid for _, cid in ids])
        texts: list[str] = []
        for _, cid in ids:
            chunk = found.get(cid)
            if chunk is None or not str(chunk.metadata.get("section", "")).startswith(section):
                break
            texts.append(chunk.text)
        return texts

    return following
