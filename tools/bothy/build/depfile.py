"""Header dependencies from the compiler's -MMD depfiles, as a doit up-to-date checker.

doit's own file_dep cannot know which headers a C file includes; the depfile can. The checker
hashes every prerequisite the last compile reported and compares with the saved signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _split_escaped(text: str) -> list[str]:
    """Split on whitespace, honouring make's backslash-escaped spaces ("a\\ b.h")."""
    words, current, i = [], "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] == " ":
            current += " "
            i += 2
            continue
        if c.isspace():
            if current:
                words.append(current)
            current = ""
        else:
            current += c
        i += 1
    if current:
        words.append(current)
    return words


def parse_depfile(text: str) -> list[str]:
    """Prerequisites of the first rule in a make-style depfile (later -MP rules are phony)."""
    logical = text.replace("\\\n", " ")
    first = logical.split("\n", 1)[0]
    _, _, deps = first.partition(": ")
    return _split_escaped(deps)


def signature(paths: list[str]) -> str | None:
    """Hash of the named files' contents, or None if any is missing."""
    digest = hashlib.md5()
    for name in sorted(set(paths)):
        try:
            digest.update(name.encode() + b"\0" + Path(name).read_bytes())
        except OSError:
            return None
    return digest.hexdigest()


class DepfileUpToDate:
    """doit uptodate: true while every file in `depfile` is unchanged since the last run."""

    def __init__(self, depfile: Path) -> None:
        self.depfile = depfile

    def _current(self) -> str | None:
        try:
            return signature(parse_depfile(self.depfile.read_text()))
        except OSError:
            return None

    def __call__(self, task: Any, values: Mapping[str, Any]) -> bool:
        def save() -> dict[str, Any]:
            return {"depfile_signature": self._current()}

        task.value_savers.append(save)  # re-read after the compile: the header set may change
        current = self._current()
        return current is not None and values.get("depfile_signature") == current
