"""Generates bothy_types.h from abi/types.yaml: each bitfield's field shifts, masks, valid
mask, constructor macro and getters, and each enumeration's values.
"""

from __future__ import annotations

from pathlib import Path

from bothy.abi.types import TypeSpec
from bothy.codegen.render import render, write_if_changed


def generate_types(spec: TypeSpec, out_dir: Path) -> list[Path]:
    path = out_dir / "include" / "bothy_types.h"
    write_if_changed(path, render("bothy_types.h.j2", path.name, [spec.path], {"spec": spec}))
    return [path]
