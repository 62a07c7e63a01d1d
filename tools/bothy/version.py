"""bothy's version and the source revision stamped into every image and banner.

The revision is the git commit (plus "-dirty" for uncommitted changes), so two builds of one
commit carry the same string wherever they are checked out.
"""

from __future__ import annotations

import subprocess
from functools import cache

from bothy import __version__
from bothy.paths import REPO_ROOT

VERSION = __version__


@cache
def source_revision() -> str:
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(REPO_ROOT),
                "describe",
                "--always",
                "--dirty",
                "--abbrev=12",
                "--exclude",
                "*",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return proc.stdout.strip() or "unknown"
