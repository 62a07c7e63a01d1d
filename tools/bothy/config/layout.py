"""Where a Linux VM's kernel, DTB and initrd go in its memory (IPA == PA for VM memory).

For memory [base, base + size):
    kernel Image  base + text_offset            (base is 2 MiB aligned)
    DTB           align_up(kernel + max(image_size, file size), 2 MiB), a DTB_MAX_SIZE slot
    initrd        DTB + 2 MiB
and at least MIN_FREE bytes must stay free above the initrd for the kernel to run in.
"""

from __future__ import annotations

from dataclasses import dataclass

from bothy.config.model import IpcLink, Region
from bothy.errors import BothyError
from bothy.guest.arm64_image import KernelImage

BLOCK = 0x200000  # the arm64 boot protocol's kernel alignment; also the DTB→initrd gap
PAGE = 0x1000
DTB_MAX_SIZE = 0x10000  # the slot reserved for a VM's device tree
MIN_FREE = 32 << 20


class LayoutError(BothyError):
    """The files do not fit the VM's memory; the message says how much is needed."""


@dataclass(frozen=True)
class LinuxLayout:
    """Placement of one Linux VM's files; `kernel` and `initrd` span the files' bytes,
    `dtb` the whole DTB slot (the DTB's own header gives its exact size)."""

    kernel: Region
    dtb: Region
    initrd: Region

    @property
    def entry(self) -> int:
        """The IPA of the first instruction: the start of the kernel Image."""
        return self.kernel.base


def align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def linux_layout(memory: Region, kernel: KernelImage, initrd_size: int) -> LinuxLayout:
    """The layout of `kernel` and an initrd of `initrd_size` bytes in `memory`, or LayoutError."""
    kernel_base = memory.base + kernel.text_offset
    dtb = align_up(kernel_base + kernel.footprint, BLOCK)
    initrd = dtb + BLOCK
    needed = align_up(initrd + initrd_size, PAGE) + MIN_FREE - memory.base
    if needed > memory.size:
        raise LayoutError(
            f"expected at least {needed:#x} bytes for the kernel ({kernel.footprint:#x} "
            f"bytes from {kernel.path.name}), its DTB, the initrd ({initrd_size:#x} bytes) "
            f"and {MIN_FREE >> 20} MiB free, found {memory.size:#x}"
        )
    return LinuxLayout(
        kernel=Region(kernel_base, kernel.file_size),
        dtb=Region(dtb, DTB_MAX_SIZE),
        initrd=Region(initrd, initrd_size),
    )


PROGRAM_IMAGE_SLOT = BLOCK  # a test guest's image, .bss and stack; its DTB slot follows


@dataclass(frozen=True)
class ProgramLayout:
    """Placement of a test guest run as a VM: the program at the start of its memory (its
    entry point), the DTB slot right after the 2 MiB image slot. No initrd."""

    kernel: Region
    dtb: Region
    initrd: None = None

    @property
    def entry(self) -> int:
        return self.kernel.base


def program_layout(memory: Region) -> ProgramLayout:
    """The layout of a test-guest program in `memory` (validated to hold both slots)."""
    return ProgramLayout(
        kernel=Region(memory.base, PROGRAM_IMAGE_SLOT),
        dtb=Region(memory.base + PROGRAM_IMAGE_SLOT, DTB_MAX_SIZE),
    )


# A guest VM's links interrupt on SPIs from FIRST_LINK_INTID up, in config order (below them:
# the UART's SPI and the RM link's, tools/bothy/ipc.py). The RM gives every VM a vic with
# VM_MAX_VIRQS INTIDs (rm/src/vm_builder.c).
FIRST_LINK_INTID = 0x40
# Gunyah's RM RPC link of every guest VM: a queue pair with the RM (rm-rpc.md §1).
RM_TX_INTID = 0x3C  # the VM → RM queue has space
RM_RX_INTID = 0x3D  # an RM → VM message is waiting
VM_MAX_VIRQS = 128


def link_irq_count(link: IpcLink, *, receiver: bool) -> int:
    """INTIDs one end of `link` needs: tx and rx of a queue pair, a doorbell's receiver one."""
    if link.kind == "msgqueue_pair":
        return 2
    return 1 if link.kind == "doorbell" and receiver else 0
