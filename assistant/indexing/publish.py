"""Writing a folder of index files so that a reader never sees half of it: the files are
written into a sibling folder, which then takes the target's name by a rename."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path


def publish_directory(
    directory: Path,
    write: Callable[[Path], None],
    keep_existing: Callable[[Path], bool] = lambda _directory: False,
) -> None:
    """Fill `directory` by `write(staging)` (which creates the staging folder's files, the
    folder itself included or not), then rename the staging folder into place. A folder
    already at `directory` is kept when `keep_existing` says so (another process wrote the
    same files first); otherwise it is set aside and removed after the swap."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.parent / f".{directory.name}.{uuid.uuid4().hex[:8]}"
    try:
        write(staging)
        try:
            staging.rename(directory)
        except OSError:
            if keep_existing(directory):
                return
            stale = directory.parent / f".{directory.name}.stale.{uuid.uuid4().hex[:8]}"
            directory.rename(stale)
            staging.rename(directory)
            shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
