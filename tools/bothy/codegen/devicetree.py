"""Generates a VM's device tree: a Jinja DTS template rendered from the config, compiled by dtc.

dtc warnings are errors, so a template change that produces a dubious tree fails the build.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bothy.codegen.render import render, write_if_changed
from bothy.config import SystemConfig, Vm
from bothy.errors import BothyError

DTB_MAX_SIZE = 0x10000  # the slot the hypervisor reserves for a VM's DTB


def vm_dts(config: SystemConfig, vm: Vm) -> str:
    return render(
        "vm.dts.j2",
        f"{vm.name}.dts",
        [config.path],
        {"config": config, "vm": vm, "m": config.machine},
    )


def compile_dts(dts: Path, dtb: Path, dtc: str = "dtc") -> None:
    """dtc DTS → DTB; any warning or error fails with dtc's own message."""
    proc = subprocess.run(
        [dtc, "-I", "dts", "-O", "dtb", "-o", str(dtb), str(dts)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or proc.stderr.strip():
        dtb.unlink(missing_ok=True)
        raise BothyError(f"dtc rejected {dts}:\n{proc.stderr.strip()}")
    if dtb.stat().st_size > DTB_MAX_SIZE:
        raise BothyError(
            f"{dtb}: {dtb.stat().st_size} bytes, more than the {DTB_MAX_SIZE:#x} "
            "bytes reserved for a VM device tree"
        )


def generate_devicetree(config: SystemConfig, vm: Vm, out_dir: Path) -> list[Path]:
    """Write <vm>.dts and compile <vm>.dtb under out_dir; return both paths."""
    dts, dtb = out_dir / f"{vm.name}.dts", out_dir / f"{vm.name}.dtb"
    if write_if_changed(dts, vm_dts(config, vm)) or not dtb.exists():
        compile_dts(dts, dtb)
    return [dtb, dts]
