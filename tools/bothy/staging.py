"""What QEMU stages for each guest VM before the hypervisor starts: which files (the config's,
or the guest cache's defaults, or the flattened test-guest program), where they go in the VM's
memory (config/layout.py), and the DTB generated for the VM. QEMU loads them into a staging
area above all memory the config places, laid out as a mirror of each VM's memory; the RM
copies that pristine mirror into the VM at every (re)start, so a VM's reboot starts from
unmodified files. codegen writes the addresses into the RM's device tree and qemu.py turns
them into `-device loader` options; both read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from bothy.config import ConfigError, SystemConfig, Vm
from bothy.config.layout import (
    BLOCK,
    LinuxLayout,
    ProgramLayout,
    align_up,
    linux_layout,
    program_layout,
)
from bothy.config.model import Region
from bothy.config.validate import linux_vm_problems
from bothy.guest.arm64_image import read_kernel_image
from bothy.guest.cache import default_initrd, default_kernel
from bothy.paths import build_dir_for


@dataclass(frozen=True)
class StagedVm:
    """A guest VM with its files resolved and placed: a Linux VM's kernel and initrd, or a
    test guest's flattened program (`kernel`, no initrd)."""

    vm: Vm
    kernel: Path
    initrd: Path | None
    dtb: Path
    layout: LinuxLayout | ProgramLayout
    staging: Region  # the mirror of [memory.base, memory.base + staging.size)

    def staged_at(self, ipa: int) -> int:
        """Where QEMU puts the byte that belongs at `ipa` of the VM."""
        return self.staging.base + ipa - self.vm.memory.base

    def loads(self) -> list[tuple[Path, int]]:
        """(file, address) for every file QEMU loads: each into the staging area, the
        pristine copy a restart starts from, and the kernel (or program) and initramfs also
        straight into the VM's memory (IPA == PA), so that the first start need not copy
        them. The DTB is not: the RM writes the VM's caps into the staged one and copies
        that in (rm/src/vm_builder.c, load_images)."""
        images = [(self.kernel, self.layout.kernel.base)]
        if self.initrd is not None and self.layout.initrd is not None:
            images.append((self.initrd, self.layout.initrd.base))
        staged = [(path, self.staged_at(ipa)) for path, ipa in images]
        staged.insert(1, (self.dtb, self.staged_at(self.layout.dtb.base)))
        return staged + images


def with_default_files(vm: Vm) -> Vm:
    """`vm` with the guest cache's kernel and initrd wherever its config names none."""
    return replace(vm, kernel=vm.kernel or default_kernel(), initrd=vm.initrd or default_initrd())


def gen_dir_for(config: SystemConfig) -> Path:
    """build/<config>/gen/, where the VMs' device trees are generated."""
    return build_dir_for(config.path) / "gen"


def program_binary(config: SystemConfig, vm: Vm) -> Path:
    """build/<config>/<vm>.bin: the flattened program a test-guest VM runs."""
    return build_dir_for(config.path) / f"{vm.name}.bin"


def guest_inputs(config: SystemConfig) -> list[Path]:
    """The kernel and initrd of every Linux VM: the files the VMs' device trees depend on (a
    test guest's program has a fixed slot, so its tree does not depend on the program)."""
    files = []
    for vm in map(with_default_files, (vm for vm in config.guest_vms if vm.is_linux)):
        assert vm.kernel is not None and vm.initrd is not None
        files += [vm.kernel, vm.initrd]
    return files


def staging_base(config: SystemConfig) -> int:
    """The staging area starts at the first 2 MiB boundary above all memory the config owns."""
    owned = [config.hypervisor_memory, *(vm.memory for vm in config.vms)]
    owned += [link.memory for link in config.ipc if link.memory is not None]
    return align_up(max(r.end for r in owned), BLOCK)


def stage_vm(
    config: SystemConfig, vm: Vm, gen_dir: Path, staging_at: int | None = None
) -> StagedVm:
    """Resolve and place `vm`'s files, or raise ConfigError. The config's own files were
    checked when it was loaded; the guest cache's defaults are checked here. Its staging
    mirror starts at `staging_at` (default: the start of the staging area)."""
    base = staging_base(config) if staging_at is None else staging_at
    if vm.is_program:
        program = program_layout(vm.memory)
        span = align_up(program.dtb.end, BLOCK) - vm.memory.base
        return _placed(config, vm, program_binary(config, vm), None, gen_dir, program, base, span)
    resolved = with_default_files(vm)
    assert resolved.kernel is not None and resolved.initrd is not None
    problems = list(linux_vm_problems(f"vms[{config.vms.index(vm)}]", resolved))
    if problems:
        raise ConfigError(config.path, problems)
    kernel = read_kernel_image(resolved.kernel)
    layout = linux_layout(vm.memory, kernel, resolved.initrd.stat().st_size)
    span = align_up(layout.initrd.end, BLOCK) - vm.memory.base
    return _placed(config, vm, resolved.kernel, resolved.initrd, gen_dir, layout, base, span)


def _placed(
    config: SystemConfig,
    vm: Vm,
    image: Path,
    initrd: Path | None,
    gen_dir: Path,
    layout: LinuxLayout | ProgramLayout,
    base: int,
    span: int,
) -> StagedVm:
    staging = Region(base, span)
    if not config.machine.ram.contains(staging):
        raise ConfigError(
            config.path,
            [
                f"vms[{config.vms.index(vm)}]: expected room in machine.ram above every VM "
                f"for a {span:#x}-byte staging copy of its image and DTB at "
                f"{base:#x}, found RAM ending at {config.machine.ram.end:#x}"
            ],
        )
    return StagedVm(vm, image, initrd, gen_dir / f"{vm.name}.dtb", layout, staging)


def staged_vms(config: SystemConfig, gen_dir: Path | None = None) -> list[StagedVm]:
    """Every guest VM of `config`, staged, with DTBs under gen_dir (default build/<config>/gen)."""
    gen_dir = gen_dir or gen_dir_for(config)
    staged: list[StagedVm] = []
    at = staging_base(config)
    for vm in config.guest_vms:
        staged.append(stage_vm(config, vm, gen_dir, at))
        at = staged[-1].staging.end
    return staged


def staging_area(staged: list[StagedVm]) -> Region | None:
    """The whole staging area (the RM maps it once), or None without guest VMs."""
    if not staged:
        return None
    return Region(staged[0].staging.base, staged[-1].staging.end - staged[0].staging.base)
