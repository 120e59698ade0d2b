"""The backend probe: questions and passages every embedding backend (local or remote)
and the ingest layout measurement run on (`data/backend_probe.toml`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

PROBE_FILE = Path(__file__).with_name("data") / "backend_probe.toml"


def probe_texts() -> tuple[list[str], list[str]]:
    """The probe's questions and passages."""
    data = tomllib.loads(PROBE_FILE.read_text(encoding="utf-8"))
    return list(data["queries"]), list(data["passages"])
