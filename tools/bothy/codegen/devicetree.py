"""Generates the VMs' device trees: Jinja DTS templates rendered from the config and the staging
plan, compiled by dtc. The root VM's tree (vm.dts.j2) describes its vic, lists the VMs the RM
starts under /vms and the links it creates under /ipc; each guest VM, Linux or test guest, gets
the tree it boots with (guest_vm.dts.j2), with Gunyah's /hypervisor node for its ends of those
links.

dtc warnings are errors, so a template change that produces a dubious tree fails the build.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from bothy.codegen.render import render, write_if_changed
from bothy.config import SystemConfig
from bothy.config.layout import DTB_MAX_SIZE, RM_RX_INTID, RM_TX_INTID
from bothy.errors import BothyError
from bothy.ipc import (
    ACCESS_BITS,
    CAP_PLACEHOLDER,
    RM_RPC_MESSAGE_SIZE,
    RM_RPC_NODE,
    RM_RPC_QUEUE_DEPTH,
    endpoints,
)
from bothy.staging import StagedVm, staged_vms, staging_area

__all__ = [
    "DTB_MAX_SIZE",
    "RM_RX_INTID",
    "RM_TX_INTID",
    "compile_dts",
    "generate_devicetrees",
    "guest_dts",
    "root_dts",
]

SECURE_PHYSICAL_TIMER_PPI = 29  # architectural; the other timer PPIs come from the config

# Device-tree interrupt specifiers (dt-bindings/interrupt-controller/{arm-gic,irq}.h).
GIC_SPI, GIC_PPI = 0, 1
IRQ_EDGE_RISING, IRQ_LEVEL_HIGH = 1, 4
GICR_FRAME_SIZE = 0x20000  # GICv3 redistributor: RD_base + SGI_base per CPU


def root_dts(config: SystemConfig, guests: Sequence[StagedVm]) -> str:
    """The root VM's (the RM's) device tree, listing `guests` under /vms."""
    vm = config.root_vm
    return render(
        "vm.dts.j2",
        f"{vm.name}.dts",
        [config.path],
        {
            "config": config,
            "vm": vm,
            "m": config.machine,
            "guests": guests,
            "staging": staging_area(list(guests)),
            "links": _rm_links(config),
            "rm_rpc_node": RM_RPC_NODE,
            "rm_rpc_irqs": (RM_TX_INTID, RM_RX_INTID),
            "redistributor_size": vm.vcpus * GICR_FRAME_SIZE,
        },
    )


def _rm_links(config: SystemConfig) -> list[dict[str, object]]:
    """What the RM's /ipc node says of each link: the VMIDs, each end's INTIDs and the node
    of each end's tree that it patches with the caps."""
    ends = endpoints(config)
    links = []
    for index, link in enumerate(config.ipc):
        mine = [next(e for e in ends[name] if e.index == index) for name in link.vms]
        links.append(
            {
                "index": index,
                "link": link,
                "vmids": [e.vm.vmid for e in mine],
                "irqs": [irq for e in mine for irq in e.irqs],
                "nodes": [e.path for e in mine],
                "access": [ACCESS_BITS[a] for a in link.rights],
            }
        )
    return links


def _timer_interrupts(config: SystemConfig, vcpus: int) -> str:
    t = config.machine.timer
    ppis = (SECURE_PHYSICAL_TIMER_PPI, t.physical_ppi, t.virtual_ppi, t.hyp_ppi)
    flags = ((1 << vcpus) - 1) << 8 | IRQ_LEVEL_HIGH  # CPU mask, level triggered
    return ", ".join(f"<{GIC_PPI} {ppi - 16} {flags:#x}>" for ppi in ppis)


def guest_dts(config: SystemConfig, staged: StagedVm) -> str:
    """The device tree a guest VM boots with: a Linux kernel's, or a test guest's."""
    vm, m = staged.vm, config.machine
    ends = endpoints(config)[vm.name]
    return render(
        "guest_vm.dts.j2",
        f"{vm.name}.dts",
        [config.path],
        {
            "config": config,
            "vm": vm,
            "m": m,
            "layout": staged.layout,
            "uart_node": f"pl011@{m.uart.region.base:x}",
            "redistributor_size": vm.vcpus * GICR_FRAME_SIZE,
            "timer_interrupts": _timer_interrupts(config, vm.vcpus),
            "rm_tx_intid": RM_TX_INTID,
            "rm_rx_intid": RM_RX_INTID,
            "rm_message_size": RM_RPC_MESSAGE_SIZE,
            "rm_queue_depth": RM_RPC_QUEUE_DEPTH,
            "placeholder": CAP_PLACEHOLDER,
            "ends": ends,
            "shared": [e for e in ends if e.link.kind == "shared_memory"],
            "GIC_SPI": GIC_SPI,
            "IRQ_EDGE_RISING": IRQ_EDGE_RISING,
            "IRQ_LEVEL_HIGH": IRQ_LEVEL_HIGH,
        },
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


def _write(out_dir: Path, name: str, text: str) -> list[Path]:
    dts, dtb = out_dir / f"{name}.dts", out_dir / f"{name}.dtb"
    if write_if_changed(dts, text) or not dtb.exists():
        compile_dts(dts, dtb)
    return [dtb, dts]


def generate_devicetrees(config: SystemConfig, out_dir: Path) -> list[Path]:
    """Write and compile <vm>.dts/.dtb under out_dir for every VM; return the paths. Reads
    the guest VMs' kernel and initrd (their sizes decide the addresses)."""
    guests = staged_vms(config, out_dir)
    paths = _write(out_dir, config.root_vm.name, root_dts(config, guests))
    for staged in guests:
        paths += _write(out_dir, staged.vm.name, guest_dts(config, staged))
    return paths
