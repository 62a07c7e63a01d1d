"""Writing build outputs: only when the content changes, and atomically.

An unchanged output keeps its mtime (nothing downstream rebuilds); a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_if_changed(path: Path, data: str | bytes) -> bool:
    """Write `data` to `path` unless it already holds exactly that; True if written."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == raw:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(raw)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
