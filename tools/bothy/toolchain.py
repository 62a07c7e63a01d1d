"""Finds the cross toolchain, dtc and QEMU on PATH and checks their versions.

A missing or too-old tool is a ToolchainError naming the tool, the version found and needed,
and the exact command that installs it; nothing is built until every tool is present.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from bothy.errors import BothyError

SETUP_HINT = "run ./bothy setup (installs everything), or: sudo apt-get install -y {package}"


@dataclass(frozen=True)
class ToolSpec:
    command: str
    package: str
    version_pattern: str | None = None
    minimum: tuple[int, ...] = ()


TOOLS = {
    "clang": ToolSpec("clang", "clang", r"clang version (\d+)\.(\d+)", (14,)),
    "ld.lld": ToolSpec("ld.lld", "lld", r"LLD (\d+)\.(\d+)", (14,)),
    "llvm-objcopy": ToolSpec("llvm-objcopy", "llvm"),
    "dtc": ToolSpec("dtc", "device-tree-compiler", r"Version: DTC (\d+)\.(\d+)", (1, 6)),
    "qemu": ToolSpec(
        "qemu-system-aarch64", "qemu-system-arm", r"QEMU emulator version (\d+)\.(\d+)", (7, 2)
    ),
}


class ToolchainError(BothyError):
    """A required host tool is missing or too old."""


@dataclass(frozen=True)
class Tool:
    name: str
    path: str
    version: str


def _version_text(path: str) -> str:
    proc = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return proc.stdout + proc.stderr


def _fmt(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


@cache
def find_tool(name: str) -> Tool:
    """Locate tool `name` (a key of TOOLS) and check its version; raise ToolchainError."""
    spec = TOOLS[name]
    path = shutil.which(spec.command)
    if path is None:
        raise ToolchainError(
            f"{spec.command} not found on PATH; " + SETUP_HINT.format(package=spec.package)
        )
    if spec.version_pattern is None:
        return Tool(name, path, "")
    text = _version_text(path)
    match = re.search(spec.version_pattern, text)
    if match is None:
        raise ToolchainError(
            f"{spec.command} ({path}): cannot read its version from {text.strip()[:80]!r}"
        )
    found = tuple(int(g) for g in match.groups())
    if found < spec.minimum:
        raise ToolchainError(
            f"{spec.command} ({path}) is version {_fmt(found)}; bothy needs "
            f">= {_fmt(spec.minimum)}. " + SETUP_HINT.format(package=spec.package)
        )
    return Tool(name, path, _fmt(found))


def find_build_tools() -> dict[str, Tool]:
    """Every tool a build needs, checked; all problems reported together."""
    found: dict[str, Tool] = {}
    problems: list[str] = []
    for name in ("clang", "ld.lld", "llvm-objcopy", "dtc"):
        try:
            found[name] = find_tool(name)
        except ToolchainError as e:
            problems.append(str(e))
    if problems:
        raise ToolchainError("missing build tools:\n  " + "\n  ".join(problems))
    return found
