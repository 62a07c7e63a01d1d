"""Generates the object model's C from abi/objects.yaml: type enum and rights (shared with
guests), lifecycle hook prototypes, the per-type dispatch table and partition_create_* handlers.
"""

from __future__ import annotations

from pathlib import Path

from bothy.abi.hypercalls import HypercallSpec
from bothy.abi.objects import ObjectSpec
from bothy.codegen.render import render, write_if_changed


def generate_objects(objects: ObjectSpec, hypercalls: HypercallSpec, out_dir: Path) -> list[Path]:
    implemented = {c.name for c in hypercalls.calls if c.implemented}
    ctx = {
        "spec": objects,
        # a create handler exists only for calls the hypercall spec marks implemented
        "creatable": [t for t in objects.types if t.create in implemented],
    }
    sources = [objects.path, hypercalls.path]
    outputs = {
        out_dir / "include" / "bothy_objects.h": "bothy_objects.h.j2",
        out_dir / "include" / "object_ops.h": "object_ops.h.j2",
        out_dir / "hyp" / "object_table.c": "object_table.c.j2",
    }
    for path, template in outputs.items():
        write_if_changed(path, render(template, path.name, sources, ctx))
    return sorted(outputs)
