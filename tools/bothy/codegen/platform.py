"""Generates the platform header and the linker-script layout from the system description.

C and linker scripts read board facts only from these files, never as literals of their own.
"""

from __future__ import annotations

from pathlib import Path

from bothy.codegen.devicetree import DTB_MAX_SIZE
from bothy.codegen.render import render, write_if_changed
from bothy.config import SystemConfig
from bothy.config.layout import program_layout

# The top of the root VM's memory: [DTB slot][boot info page], below them the RM image.
BOOT_INFO_SIZE = 0x1000


def platform_context(config: SystemConfig, revision: str, version: str) -> dict[str, object]:
    root = config.root_vm
    return {
        "config": config,
        "m": config.machine,
        "hyp": config.hypervisor_memory,
        "root": root,
        "boot_info_ipa": root.memory.end - BOOT_INFO_SIZE,
        "dtb_ipa": root.memory.end - BOOT_INFO_SIZE - DTB_MAX_SIZE,
        "dtb_max": DTB_MAX_SIZE,
        "version": version,
        "revision": revision,
        "inject": config.inject.replace("-", "_").upper(),
        "pmu_vmid": config.vm_named(config.pmu_vm).vmid if config.pmu_vm else 0,
    }


def generate_platform(
    config: SystemConfig, out_dir: Path, *, revision: str, version: str
) -> list[Path]:
    """Write platform_config.h, build_info.h and layout.ld under out_dir; return the paths."""
    ctx = platform_context(config, revision, version)
    outputs = {
        out_dir / "include" / "platform_config.h": "platform_config.h.j2",
        out_dir / "include" / "build_info.h": "build_info.h.j2",
        out_dir / "layout.ld": "layout.ld.j2",
    }
    for path, template in outputs.items():
        write_if_changed(path, render(template, path.name, [config.path], ctx))
    return sorted(outputs)


def guest_layout_dir(gen_dir: Path, component: str) -> Path:
    """gen/ld/<component>/: the linker search directory of one guest program."""
    return gen_dir / "ld" / component


def generate_guest_layouts(config: SystemConfig, out_dir: Path) -> list[Path]:
    """guest_layout.ld for the root VM's program and for every test-guest VM's: where each is
    linked (component names as in build/components.py)."""
    root = config.root_vm
    end = root.memory.end - BOOT_INFO_SIZE - DTB_MAX_SIZE
    places = {"root_vm": (root, root.memory.base, end, f"the root VM {root.name!r}")}
    for vm in config.program_vms:
        layout = program_layout(vm.memory)
        places[f"vm_{vm.name}"] = (vm, vm.memory.base, layout.dtb.base, f"VM {vm.name!r}")
    paths = []
    for component, (vm, base, image_end, what) in places.items():
        path = guest_layout_dir(out_dir, component) / "guest_layout.ld"
        ctx = {"program": vm.image, "what": what, "base": base, "end": image_end}
        write_if_changed(path, render("guest_layout.ld.j2", path.name, [config.path], ctx))
        paths.append(path)
    return paths
