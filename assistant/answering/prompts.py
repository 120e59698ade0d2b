"""Prompt texts live in prompts/*.txt so they can be read and edited without code.

A prompt file is read again when it changes (its modification time or size), so an edit
takes effect on the next question without a restart.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from assistant.settings import get_settings


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, size: int) -> str:
    return Path(path).read_text(encoding="utf-8").strip()


def load_prompt(name: str, prompts_dir: Path | None = None) -> str:
    path = (prompts_dir or get_settings().prompts_dir) / f"{name}.txt"
    stat = path.stat()
    return _read(str(path), stat.st_mtime_ns, stat.st_size)
