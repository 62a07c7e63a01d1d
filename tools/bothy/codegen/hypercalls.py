"""Generates every C consumer of the hypercall and error specs.

Outputs: the shared ABI header (types, errors, result structs), the EL2 dispatch table with
argument stubs for both entry paths, the handler prototypes, and the guest-side wrappers.
"""

from __future__ import annotations

from pathlib import Path

from bothy.abi.errors import ErrorSpec
from bothy.abi.hypercalls import HypercallSpec
from bothy.codegen.render import render, write_if_changed


def generate_hypercalls(spec: HypercallSpec, errors: ErrorSpec, out_dir: Path) -> list[Path]:
    """Write the generated ABI headers and the dispatch table under out_dir; return the paths."""
    ctx = {
        "spec": spec,
        "errors": errors,
        "ranges": {r.name: spec.in_range(r.name) for r in spec.ranges},
    }
    sources = [spec.path, errors.path]
    outputs = {
        out_dir / "include" / "bothy_abi.h": "bothy_abi.h.j2",
        out_dir / "include" / "hypercall_handlers.h": "hypercall_handlers.h.j2",
        out_dir / "include" / "bothy_hypercalls.h": "bothy_hypercalls.h.j2",
        out_dir / "hyp" / "hypercall_table.c": "hypercall_table.c.j2",
    }
    for path, template in outputs.items():
        write_if_changed(path, render(template, path.name, sources, ctx))
    return sorted(outputs)


def hypercall_doc(spec: HypercallSpec) -> str:
    """docs/hypercalls.md: the readable table of every call in the spec."""
    return render("hypercalls.md.j2", "hypercalls.md", [spec.path], {"spec": spec})


def python_constants(spec: HypercallSpec, errors: ErrorSpec) -> str:
    """tools/bothy/abi/constants.py: call numbers, implemented calls and error codes."""
    ctx = {
        "spec": spec,
        "errors": errors,
        "ranges": {r.name: spec.in_range(r.name) for r in spec.ranges},
    }
    return render("hypercalls.py.j2", "constants.py", [spec.path, errors.path], ctx)
