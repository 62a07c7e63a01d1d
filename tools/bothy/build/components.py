"""What gets compiled for each image, and how: sources, include paths and flags.

hyp and rm are separate freestanding programs; lib/ is compiled into both with their flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bothy.config import SystemConfig
from bothy.paths import REPO_ROOT, program_dir

TARGET = "--target=aarch64-none-elf"

# Freestanding AArch64, no host libc, warnings are errors. -mstrict-align: both programs
# touch memory before (hyp) or without (rm) stage-1 MMU, where unaligned access faults.
COMMON_CFLAGS = (
    TARGET,
    "-std=c11",
    "-O2",
    "-g",
    "-ffreestanding",
    "-nostdlibinc",
    "-fno-common",
    "-fno-stack-protector",
    "-fno-pic",
    "-mstrict-align",
    "-mgeneral-regs-only",
    "-mbranch-protection=none",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-ffunction-sections",
    "-fdata-sections",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wstrict-prototypes",
    "-Wmissing-prototypes",
    "-Wshadow",
)
LINK_FLAGS = (
    "-nostdlib",
    "-static",
    "--no-undefined",
    "--fatal-warnings",
    "--build-id=none",
    "--gc-sections",
    "-z",
    "noexecstack",
)


@dataclass(frozen=True)
class Component:
    """One freestanding program: its sources, include path and linker script."""

    name: str
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    linker_script: Path
    # Link-time optimisation: lets the compiler inline across files (the hypervisor's
    # hypercall, capability, queue and vGIC layers sit in separate files by design).
    lto: bool = False

    def cflags(self, build_dir: Path) -> tuple[str, ...]:
        includes = tuple(f"-I{d}" for d in (*self.include_dirs, build_dir / "gen" / "include"))
        # Map the checkout path away so images are identical wherever they are built.
        return (
            *COMMON_CFLAGS,
            *(("-flto",) if self.lto else ()),
            f"-ffile-prefix-map={REPO_ROOT}=.",
            f"-fdebug-prefix-map={REPO_ROOT}=.",
            *includes,
        )


def _sources(*patterns: str) -> tuple[Path, ...]:
    found = {p for pattern in patterns for p in REPO_ROOT.glob(pattern)}
    return tuple(sorted(found, key=lambda p: p.relative_to(REPO_ROOT).as_posix()))


def _program(name: str, image: str) -> Component:
    """A guest program (rm/ or tests/guests/<image>/) on the lib/guest runtime."""
    program = program_dir(image)
    assert program is not None, "validated configs name existing programs"
    rel = program.relative_to(REPO_ROOT).as_posix()
    lib = REPO_ROOT / "lib"
    return Component(
        name=name,
        sources=_sources(
            f"{rel}/**/*.c", f"{rel}/**/*.S", "lib/guest/*.c", "lib/guest/*.S", "lib/*.c"
        ),
        include_dirs=(
            program / "include",
            program,
            lib / "guest",
            lib,
            REPO_ROOT / "abi" / "include",
        ),
        linker_script=lib / "guest" / "guest.ld",
    )


def program_component(vm_name: str) -> str:
    """The component name of the test guest that VM `vm_name` runs."""
    return f"vm_{vm_name}"


def components(config: SystemConfig) -> dict[str, Component]:
    platform = f"platform/{config.platform}"
    lib = REPO_ROOT / "lib"
    abi = REPO_ROOT / "abi" / "include"
    hyp = Component(
        name="hyp",
        sources=_sources("hyp/**/*.c", "hyp/**/*.S", f"{platform}/*.c", "lib/*.c"),
        include_dirs=(REPO_ROOT / "hyp" / "include", REPO_ROOT / platform, lib, abi),
        linker_script=REPO_ROOT / "hyp" / "arch" / "aarch64" / "hyp.ld",
        lto=True,
    )
    found = {"hyp": hyp, "root_vm": _program("root_vm", config.root_vm.image)}
    for vm in config.program_vms:
        name = program_component(vm.name)
        found[name] = _program(name, vm.image)
    return found


def object_path(build_dir: Path, component: str, source: Path) -> Path:
    rel = source.relative_to(REPO_ROOT) if source.is_relative_to(REPO_ROOT) else Path(source.name)
    return build_dir / "obj" / component / rel.with_suffix(rel.suffix + ".o")
