"""Prompt files are data: an edit takes effect on the next read, without a restart."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.answering.prompts import load_prompt
from assistant.settings import REPO_ROOT


def test_an_edited_prompt_is_read_again(tmp_path: Path) -> None:
    prompt = tmp_path / "refusal.txt"
    prompt.write_text("旧的拒答说明。\n", encoding="utf-8")
    assert load_prompt("refusal", tmp_path) == "旧的拒答说明。"
    prompt.write_text("新的拒答说明，已经修改。\n", encoding="utf-8")
    stat = prompt.stat()
    os.utime(prompt, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # coarse clocks
    assert load_prompt("refusal", tmp_path) == "新的拒答说明，已经修改。"


def test_the_shipped_prompts_load() -> None:
    for name in ("system", "answer", "condense", "refusal", "refusal_en"):
        assert load_prompt(name, REPO_ROOT / "prompts")
