"""The docs keep up with the code: docs/hypercalls.md is generated from the spec and must be
current, and every folder and source file of the C trees is named in a "Where it lives" table."""

from __future__ import annotations

import re

from bothy.abi.hypercalls import load_hypercall_spec
from bothy.codegen.hypercalls import hypercall_doc
from conftest import REPO


def test_hypercall_doc_is_current() -> None:
    committed = (REPO / "docs" / "hypercalls.md").read_text()
    assert committed == hypercall_doc(load_hypercall_spec()), "run `doit docs` and commit"


def test_hypercall_doc_lists_every_call() -> None:
    doc = (REPO / "docs" / "hypercalls.md").read_text()
    for call in load_hypercall_spec().calls:
        assert f"`{call.name}`" in doc


# The trees whose every folder and file a "Where it lives" table must name.
C_TREES = ("hyp", "rm", "lib", "platform")
HEADING = re.compile(r"^(#+)\s+(.*)$")


def where_it_lives_rows(markdown: str) -> list[str]:
    """The first cells of the table rows in every section headed "Where it lives" (with its
    subsections), separator rows left out."""
    rows: list[str] = []
    level = 0  # the heading level of the section being read, 0 outside one
    for line in markdown.splitlines():
        heading = HEADING.match(line)
        if heading:
            depth = len(heading.group(1))
            if level and depth <= level:
                level = 0
            if "where it lives" in heading.group(2).lower():
                level = depth
        elif level and line.startswith("|") and not re.match(r"^\|[\s:|-]+\|$", line):
            rows.append(line.split("|")[1])
    return rows


def named_paths(cell: str) -> set[str]:
    """Backticked paths of one cell. A bare name is in the folder of the path before it:
    "`hyp/core/sched.c`, `hyp/include/sched.h`, `sched_cpu.h`" names three files."""
    named: set[str] = set()
    folder = ""
    for token in re.findall(r"`([^`]+)`", cell):
        if "/" in token:
            path = token.rstrip("/")
            folder = path if token.endswith("/") else path.rpartition("/")[0]
        else:
            path = f"{folder}/{token}" if folder else token
        named.add(path)
    return named


def test_where_it_lives_names_every_folder_and_source_file() -> None:
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    named = {
        p for doc in docs for row in where_it_lives_rows(doc.read_text()) for p in named_paths(row)
    }
    present = {
        str(path.relative_to(REPO))
        for tree in C_TREES
        for path in [REPO / tree, *(REPO / tree).rglob("*")]
    }
    missing = sorted(present - named)
    assert not missing, (
        "not named in any 'Where it lives' table (add them, e.g. to docs/architecture.md): "
        + ", ".join(missing)
    )
    stale = sorted(p for p in named - present if p.split("/")[0] in C_TREES)
    assert not stale, "'Where it lives' tables name paths that do not exist: " + ", ".join(stale)


def test_where_it_lives_parsing_resolves_bare_names_and_folders() -> None:
    rows = where_it_lives_rows(
        "# Other\n| `x/a.c` | no |\n## Where it lives\n| path | what |\n|---|---|\n"
        "| `hyp/core/sched.c`, `sched.h`, `hyp/vm/` | yes |\n### Sub\n| `lib/`, `f.c` | yes |\n"
        "## Next\n| `y/b.c` | no |\n"
    )
    assert [named_paths(r) for r in rows] == [
        set(),  # the header row names nothing in backticks
        {"hyp/core/sched.c", "hyp/core/sched.h", "hyp/vm"},
        {"lib", "lib/f.c"},
    ]
