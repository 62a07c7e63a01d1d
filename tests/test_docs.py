"""docs/hypercalls.md is generated from the spec: the committed copy must be current."""

from __future__ import annotations

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
