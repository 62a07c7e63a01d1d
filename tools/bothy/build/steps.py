"""The actions of a build, one function per step: generate, compile, link, flatten, package.

dodo.py wires these into doit tasks; each is also callable on its own (tests use them).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from bothy.abi.errors import load_error_spec
from bothy.abi.hypercalls import load_hypercall_spec
from bothy.abi.objects import load_object_spec
from bothy.abi.rm_rpc import load_rm_rpc_spec
from bothy.abi.types import load_type_spec
from bothy.build.components import LINK_FLAGS, Component
from bothy.codegen.devicetree import generate_devicetrees
from bothy.codegen.hypercalls import generate_hypercalls
from bothy.codegen.objects import generate_objects
from bothy.codegen.platform import generate_guest_layouts, generate_platform
from bothy.codegen.rm_rpc import generate_rm_rpc
from bothy.codegen.types import generate_types
from bothy.config import SystemConfig
from bothy.errors import BothyError
from bothy.image import MemoryRegion, verify_image, write_manifest

HYP_REQUIRED_SYMBOLS = (
    "_start",
    "secondary_entry",
    "hyp_vectors",
    "boot_cpu_main",
    "rm_image_start",
    "rm_dtb_start",
)
ROOT_VM_REQUIRED_SYMBOLS = ("_start", "guest_entry", "guest_main")


def run_tool(argv: Sequence[str]) -> None:
    """Run a build tool; on failure raise with its own output (compiler errors verbatim)."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise BothyError(f"{Path(argv[0]).name} failed (exit {proc.returncode}):\n{output}")


def generate(config: SystemConfig, gen_dir: Path, *, revision: str, version: str) -> None:
    """The generated C, headers and linker layout (not the device trees: see
    generate_vm_devicetrees, which needs the guest VMs' files)."""
    generate_platform(config, gen_dir, revision=revision, version=version)
    generate_guest_layouts(config, gen_dir)
    hypercalls = load_hypercall_spec()
    generate_hypercalls(hypercalls, load_error_spec(), gen_dir)
    generate_objects(load_object_spec(hypercalls), hypercalls, gen_dir)
    generate_rm_rpc(load_rm_rpc_spec(), gen_dir)
    generate_types(load_type_spec(), gen_dir)


def generate_vm_devicetrees(config: SystemConfig, gen_dir: Path) -> None:
    """Every VM's device tree; reads the guest VMs' kernel and initrd (see staging.py)."""
    generate_devicetrees(config, gen_dir)


def compile_command(
    clang: str, component: Component, build_dir: Path, source: Path, obj: Path
) -> list[str]:
    # clang 14's assembler ignores the debug prefix maps, so assembly carries no debug info:
    # otherwise the checkout path would end up in the image and break reproducibility.
    no_asm_debug = ["-g0"] if source.suffix == ".S" else []
    return [
        clang,
        *component.cflags(build_dir),
        *no_asm_debug,
        "-MMD",
        "-MP",
        "-MF",
        f"{obj}.d",
        "-c",
        str(source),
        "-o",
        str(obj),
    ]


def compile_source(argv: Sequence[str], obj: Path) -> None:
    obj.parent.mkdir(parents=True, exist_ok=True)
    run_tool(argv)


def link(
    lld: str, component: Component, objects: Sequence[Path], out: Path, search_dir: Path
) -> None:
    run_tool(
        [
            lld,
            *LINK_FLAGS,
            "-T",
            str(component.linker_script),
            "-L",
            str(search_dir),
            "-Map",
            str(out.with_suffix(".map")),
            *map(str, objects),
            "-o",
            str(out),
        ]
    )


def flatten(objcopy: str, elf: Path, out: Path) -> None:
    run_tool([objcopy, "-O", "binary", str(elf), str(out)])


def check_root_vm(config: SystemConfig, elf: Path) -> None:
    """The root VM is entered at the start of its memory: its ELF must agree before it is
    embedded."""
    vm = config.root_vm
    report = verify_image(
        elf,
        ram=MemoryRegion(vm.memory.base, vm.memory.size),
        required_symbols=ROOT_VM_REQUIRED_SYMBOLS,
    )
    if report.entry != vm.memory.base:
        raise BothyError(
            f"{elf}: entry point {report.entry:#x}, but the hypervisor enters "
            f"the root VM at {vm.memory.base:#x}"
        )


def check_program_vm(config: SystemConfig, vm_name: str, elf: Path) -> None:
    """A test-guest VM is entered at the start of its memory, like the root VM."""
    vm = config.vm_named(vm_name)
    report = verify_image(elf, ram=MemoryRegion(vm.memory.base, vm.memory.size))
    if report.entry != vm.memory.base:
        raise BothyError(
            f"{elf}: entry point {report.entry:#x}, but the RM starts VM "
            f"{vm.name!r} at {vm.memory.base:#x}"
        )


def package(config: SystemConfig, image: Path, manifest: Path, components: dict[str, Path]) -> None:
    """Verify the bootable image and write its manifest."""
    m = config.machine
    vm = config.root_vm
    hyp = config.hypervisor_memory
    report = verify_image(
        image,
        ram=MemoryRegion(m.ram.base, m.ram.size),
        required_symbols=HYP_REQUIRED_SYMBOLS,
        regions={
            "hypervisor": MemoryRegion(hyp.base, hyp.size),
            f"vm {vm.name}": MemoryRegion(vm.memory.base, vm.memory.size),
        },
    )
    write_manifest(manifest, image=image, report=report, components=components)
