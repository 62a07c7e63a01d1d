"""The Python tooling stays ruff-clean, ruff-formatted and mypy --strict clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

PYTHON_SOURCES = ["tools", "tests", "dodo.py"]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=REPO, capture_output=True, text=True, check=False)


def _venv_tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_ruff_check() -> None:
    proc = _run(_venv_tool("ruff"), "check", *PYTHON_SOURCES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = _run(_venv_tool("ruff"), "format", "--check", *PYTHON_SOURCES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict() -> None:
    proc = _run(_venv_tool("mypy"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
