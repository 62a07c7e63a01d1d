"""The QEMU command line for a system, derived from its config and nothing else.

virtualization=on makes QEMU enter the image at EL2; semihosting lets a panic exit non-zero.
"""

from __future__ import annotations

from pathlib import Path

from bothy.config import SystemConfig
from bothy.toolchain import find_tool


def qemu_command(config: SystemConfig, image: Path, *, icount: bool = False) -> list[str]:
    m = config.machine
    cpu = ",".join([m.cpu_model, *m.cpu_features])
    argv = [
        find_tool("qemu").path,
        "-machine",
        f"virt,virtualization=on,gic-version={m.gic.version}",
        "-cpu",
        cpu,
        "-smp",
        str(m.cpus),
        "-m",
        f"{m.ram.size // (1024 * 1024)}M",
        "-nographic",
        "-no-reboot",
        "-semihosting-config",
        "enable=on,target=native",
        "-kernel",
        str(image),
    ]
    if icount:
        argv += ["-icount", "shift=0"]
    return argv
