"""Host tools the tests need, and what a test does when one is missing: it skips on a
developer's machine, and fails under CI=true, naming the tool and the Debian package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import NoReturn

import pytest

from bothy.toolchain import TOOLS

# Command -> the Debian package that provides it: the build tools' own table, plus the tools
# only tests use. ./bothy setup (tools/setup.sh) installs every one of these packages.
PACKAGE_FOR = {spec.command: spec.package for spec in TOOLS.values()} | {
    "fdtget": "device-tree-compiler",
    "cpio": "cpio",
    "dpkg-deb": "dpkg",
}

# CI=true is set by CI and by a fresh-machine run: there, set-up must have installed every tool,
# so a missing one is a failure of set-up, not a reason to skip.
STRICT = os.environ.get("CI") == "true"


def missing(what: str, package: str) -> NoReturn:
    """Skip (or under CI=true fail) because `what` is not on this machine."""
    message = f"{what} is missing: install Debian package {package} (./bothy setup does)"
    if STRICT:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def require(*commands: str) -> None:
    """Every command in `commands` is on PATH, or the test skips (fails under CI=true)."""
    for command in commands:
        if shutil.which(command) is None:
            missing(command, PACKAGE_FOR[command])


def needs(*commands: str) -> pytest.MarkDecorator:
    """A test marker: the test runs only where `commands` are on PATH (conftest checks it)."""
    unknown = [c for c in commands if c not in PACKAGE_FOR]
    assert not unknown, f"needs(): no package known for {unknown}; add it to PACKAGE_FOR"
    return pytest.mark.needs_tools(*commands)


def clang_runtime_package() -> str:
    """The Debian package with the sanitizer and libFuzzer runtimes of the clang on PATH."""
    clang = shutil.which("clang")
    if clang is None:
        return "clang"
    out = subprocess.run([clang, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"clang version (\d+)\.", out)
    return f"libclang-rt-{found.group(1)}-dev" if found else "libclang-rt-<clang major>-dev"
