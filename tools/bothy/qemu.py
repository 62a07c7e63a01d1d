"""QEMU command lines, derived from the config and nothing else.

qemu_command boots the whole system: virtualization=on makes QEMU enter the hypervisor image at
EL2, semihosting lets a panic exit non-zero, and the generic loader stages every guest VM's
files (staging.py) in its memory. bare_linux_command boots a Linux VM's kernel directly on the
same machine and CPU without a hypervisor, for comparisons.
"""

from __future__ import annotations

from pathlib import Path

from bothy.config import SystemConfig, Vm
from bothy.staging import gen_dir_for, stage_vm, staged_vms
from bothy.toolchain import find_tool


def _cpu(config: SystemConfig) -> str:
    m = config.machine
    return ",".join([m.cpu_model, *m.cpu_features])


def _mib(size: int) -> str:
    return f"{size // (1024 * 1024)}M"


def _icount(sleep: bool) -> list[str]:
    """-icount shift=0: every instruction advances the virtual clock by 1 ns. With sleep=off,
    when every CPU idles the clock jumps straight to the next timer deadline instead of
    following real time, so runs that idle are as repeatable as runs that do not."""
    return ["-icount", "shift=0" if sleep else "shift=0,sleep=off"]


def _machine(config: SystemConfig, machine: str, cpus: int, memory: int) -> list[str]:
    """The part both command lines share. -nodefaults: QEMU creates no device the config did not
    ask for (the default network card of `virt` needs an option ROM from a package bothy does not
    use, and its absence stops QEMU), so the one serial port is named explicitly, multiplexed
    with the monitor on stdio for Ctrl-A X."""
    return [
        find_tool("qemu").path,
        "-nodefaults",
        "-machine",
        machine,
        "-cpu",
        _cpu(config),
        "-smp",
        str(cpus),
        "-m",
        _mib(memory),
        "-display",
        "none",
        "-serial",
        "mon:stdio",
        "-no-reboot",
    ]


def qemu_command(
    config: SystemConfig, image: Path, *, icount: bool = False, icount_sleep: bool = True
) -> list[str]:
    """Boot `image` (bothy.elf) with every guest VM's files staged (DTBs from
    build/<config>/gen/); icount/icount_sleep as for _icount."""
    m = config.machine
    machine = f"virt,virtualization=on,gic-version={m.gic.version}"
    argv = [
        *_machine(config, machine, m.cpus, m.ram.size),
        "-semihosting-config",
        "enable=on,target=native",
        "-kernel",
        str(image),
    ]
    for staged in staged_vms(config):
        for path, addr in staged.loads():
            argv += ["-device", f"loader,file={path},addr={addr:#x},force-raw=on"]
    if icount:
        argv += _icount(icount_sleep)
    return argv


def bare_linux_command(
    config: SystemConfig, vm: Vm, *, icount: bool = False, icount_sleep: bool = True
) -> list[str]:
    """Boot Linux VM `vm`'s kernel, initrd and command line straight on QEMU (virtualization
    off, so Linux runs at EL1 as it does under bothy), with the VM's vCPUs and memory size."""
    staged = stage_vm(config, vm, gen_dir_for(config))  # checks the files; QEMU makes the DTB
    assert vm.bootargs is not None and staged.initrd is not None, "every Linux VM has both"
    machine = f"virt,gic-version={config.machine.gic.version}"
    argv = [
        *_machine(config, machine, vm.vcpus, vm.memory.size),
        "-kernel",
        str(staged.kernel),
        "-initrd",
        str(staged.initrd),
        "-append",
        vm.bootargs,
    ]
    if icount:
        argv += _icount(icount_sleep)
    return argv
