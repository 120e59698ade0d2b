"""Prompt texts live in prompts/*.txt so they can be read and edited without code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from assistant.settings import get_settings


@lru_cache(maxsize=32)
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8").strip()


def load_prompt(name: str, prompts_dir: Path | None = None) -> str:
    folder = prompts_dir or get_settings().prompts_dir
    return _read(str(folder / f"{name}.txt"))
