"""Generates rm_rpc_abi.h from abi/rm_rpc.yaml: the RM RPC header constants, message types and
IDs, payload layouts as offsets and sizes, the enums they carry, and X-macros over the messages
(the RM's dispatch table is built from the implemented requests).
"""

from __future__ import annotations

from pathlib import Path

from bothy.abi.rm_rpc import RmRpcSpec
from bothy.codegen.render import render, write_if_changed


def generate_rm_rpc(spec: RmRpcSpec, out_dir: Path) -> list[Path]:
    path = out_dir / "include" / "rm_rpc_abi.h"
    ctx = {
        "spec": spec,
        "implemented": [m for m in spec.requests if m.implemented],
        "request_sizes": {
            m.name: spec.layout(m.layout).size if m.layout else 0
            for m in spec.requests
            if m.implemented
        },
    }
    write_if_changed(path, render("rm_rpc_abi.h.j2", path.name, [spec.path], ctx))
    return [path]
