"""Rules about a system description that a JSON schema cannot express.

Each rule yields "key.path: expected ..., found ..." lines; load.py adds the file name.
"""

from __future__ import annotations

from collections.abc import Iterator

from bothy.config.layout import (
    BLOCK,
    FIRST_LINK_INTID,
    RM_RX_INTID,
    RM_TX_INTID,
    VM_MAX_VIRQS,
    LayoutError,
    link_irq_count,
    linux_layout,
)
from bothy.config.model import Region, SystemConfig, Vm
from bothy.guest.arm64_image import KernelImageError, read_kernel_image
from bothy.paths import program_dir

PAGE = 0x1000
HYP_ALIGN = 0x200000  # the hypervisor image is mapped with 2 MiB blocks where it can be
ROOT_VM_MIN_SIZE = 0x100000  # RM image, stack, DTB slot and boot-info page
LINUX_VM_MIN_SIZE = 64 << 20
PROGRAM_VM_MIN_SIZE = 4 << 20  # image slot and DTB slot (config/layout.py program_layout)
LINUX_ONLY_KEYS = ("kernel", "initrd", "bootargs")


def _hex(region: Region) -> str:
    return f"[{region.base:#x}, {region.end:#x})"


def _aligned(key: str, region: Region, align: int) -> Iterator[str]:
    if region.base % align or region.size % align:
        yield (
            f"{key}: expected base and size aligned to {align:#x}, "
            f"found base {region.base:#x} size {region.size:#x}"
        )


def _image_problems(key: str, vm: Vm) -> Iterator[str]:
    if vm.role == "root":
        if vm.is_linux or program_dir(vm.image) is None:
            yield (
                f"{key}.image: expected 'rm' or a test guest in tests/guests/ for the root VM, "
                f"found {vm.image!r}"
            )
    elif not vm.is_linux and (vm.image == "rm" or program_dir(vm.image) is None):
        yield (
            f"{key}.image: expected 'linux' or a test guest in tests/guests/ for a {vm.role} "
            f"VM, found {vm.image!r}"
        )


def linux_vm_problems(key: str, vm: Vm) -> Iterator[str]:
    """Rules for the files and memory of a Linux VM; files left at their default (fetched at
    build time) are checked when they are staged."""
    size = vm.memory.size
    if size < LINUX_VM_MIN_SIZE:
        yield (
            f"{key}.memory.size: expected at least {LINUX_VM_MIN_SIZE:#x} for Linux, "
            f"found {size:#x}"
        )
    kernel = None
    if vm.kernel is not None:
        try:
            kernel = read_kernel_image(vm.kernel)
        except KernelImageError as e:
            yield f"{key}.kernel: {e}"
    initrd_size = None
    if vm.initrd is not None:
        try:
            initrd_size = vm.initrd.stat().st_size
        except OSError as e:
            yield f"{key}.initrd: {vm.initrd}: cannot read the initrd: {e.strerror}"
    if kernel is not None and initrd_size is not None and size >= LINUX_VM_MIN_SIZE:
        try:
            linux_layout(vm.memory, kernel, initrd_size)
        except LayoutError as e:
            yield f"{key}.memory.size: {e}"


def _ipc_problems(config: SystemConfig) -> Iterator[str]:
    guests = {vm.name for vm in config.guest_vms}
    names: list[str] = []
    shared: list[tuple[str, Region]] = []
    for i, link in enumerate(config.ipc):
        key = f"ipc[{i}]"
        if link.name in names:
            yield f"{key}.name: expected a unique link name, found duplicate {link.name!r}"
        names.append(link.name)
        for j, name in enumerate(link.vms):
            if name not in guests:
                yield (
                    f"{key}.vms[{j}]: expected the name of a VM other than the root VM, "
                    f"found {name!r}"
                )
        if link.vms[0] == link.vms[1]:
            yield f"{key}.vms: expected two different VMs, found {link.vms[0]!r} twice"
        queue_keys = {"queue_depth": link.queue_depth, "message_size": link.message_size}
        memory_keys = {"memory": link.memory, "access": link.access}
        if link.kind != "msgqueue_pair":
            yield from (
                f"{key}.{k}: only for kind msgqueue_pair, found it on kind {link.kind!r}"
                for k, v in queue_keys.items()
                if v is not None
            )
        if link.kind != "shared_memory":
            yield from (
                f"{key}.{k}: only for kind shared_memory, found it on kind {link.kind!r}"
                for k, v in memory_keys.items()
                if v is not None
            )
        elif link.memory is None:
            yield f"{key}.memory: expected the shared region of a shared_memory link, found none"
        else:
            yield from _aligned(f"{key}.memory", link.memory, PAGE)
            shared.append((f"{key}.memory", link.memory))
    yield from _placement_problems(config, shared)
    for vm in config.guest_vms:
        count = sum(
            link_irq_count(link, receiver=link.vms[1] == vm.name)
            for link in config.ipc
            if vm.name in link.vms
        )
        if FIRST_LINK_INTID + count > VM_MAX_VIRQS:
            yield (
                f"ipc: expected at most {VM_MAX_VIRQS - FIRST_LINK_INTID} link interrupts for "
                f"VM {vm.name!r}, found {count}"
            )


MAX_PASSTHROUGH_IRQS = 16  # ROOT_BOOT_INFO_MAX_HWIRQS: the boot information lists each hwirq cap


def _device_problems(config: SystemConfig) -> Iterator[str]:
    """Passed-through devices: guest VMs only; MMIO outside RAM and clear of everything the
    hypervisor or another device uses; an SPI the VM's vic has, free in that VM, not the
    hypervisor's UART's, and given to one device only."""
    m = config.machine
    taken: list[tuple[str, Region]] = [
        ("machine.uart", m.uart.region),
        ("machine.gic.distributor", m.gic.distributor),
        ("machine.gic.redistributor", m.gic.redistributor),
        ("hypervisor.memory", config.hypervisor_memory),
    ]
    taken += [(f"vms[{i}].memory", vm.memory) for i, vm in enumerate(config.vms)]
    taken += [(f"ipc[{i}].memory", link.memory) for i, link in enumerate(config.ipc) if link.memory]
    irqs: dict[int, str] = {}
    link_irqs = {
        vm.name: FIRST_LINK_INTID
        + sum(
            link_irq_count(link, receiver=link.vms[1] == vm.name)
            for link in config.ipc
            if vm.name in link.vms
        )
        for vm in config.guest_vms
    }
    count = 0
    for i, vm in enumerate(config.vms):
        for j, dev in enumerate(vm.devices):
            key = f"vms[{i}].devices[{j}]"
            count += 1
            if vm.role == "root":
                yield (
                    f"{key}: expected devices only on VMs other than the root VM, found "
                    f"{dev.name!r} on the root VM {vm.name!r}"
                )
                continue
            if any(d.name == dev.name for d in vm.devices[:j]):
                yield f"{key}.name: expected a unique device name in the VM, found {dev.name!r}"
            yield from _aligned(f"{key}.memory", dev.memory, PAGE)
            if dev.memory.overlaps(m.ram):
                yield (
                    f"{key}.memory: expected a device region outside machine.ram "
                    f"{_hex(m.ram)}, found {_hex(dev.memory)}"
                )
            for other_key, other in taken:
                if dev.memory.overlaps(other):
                    yield (
                        f"{key}.memory: expected no overlap with {other_key} {_hex(other)}, "
                        f"found {_hex(dev.memory)}"
                    )
            taken.append((f"{key}.memory", dev.memory))
            irq_key = f"{key}.irq"
            if dev.irq == m.uart.irq:
                yield (
                    f"{irq_key}: expected an SPI other than the hypervisor's UART's "
                    f"(machine.uart.irq {m.uart.irq}), found {dev.irq}"
                )
            elif dev.irq in irqs:
                yield (
                    f"{irq_key}: expected an SPI not passed through already, found {dev.irq} "
                    f"(also {irqs[dev.irq]})"
                )
            elif dev.irq >= VM_MAX_VIRQS:
                yield (
                    f"{irq_key}: expected an INTID below {VM_MAX_VIRQS} (the VM's vic has "
                    f"INTIDs up to {VM_MAX_VIRQS - 1} and sees the device at the same one), "
                    f"found {dev.irq}"
                )
            elif dev.irq in (RM_TX_INTID, RM_RX_INTID) or (
                FIRST_LINK_INTID <= dev.irq < link_irqs[vm.name]
            ):
                yield (
                    f"{irq_key}: expected an INTID the VM does not use for its links "
                    f"(RM RPC {RM_TX_INTID}/{RM_RX_INTID}, config ipc from {FIRST_LINK_INTID}), "
                    f"found {dev.irq}"
                )
            irqs.setdefault(dev.irq, irq_key)
    if count > MAX_PASSTHROUGH_IRQS:
        yield (
            f"vms: expected at most {MAX_PASSTHROUGH_IRQS} passed-through devices in all, "
            f"found {count}"
        )


def _placement_problems(config: SystemConfig, shared: list[tuple[str, Region]]) -> Iterator[str]:
    """Shared regions lie in RAM and overlap nothing else the config places."""
    m = config.machine
    owned = [("hypervisor.memory", config.hypervisor_memory)]
    owned += [(f"vms[{i}].memory", vm.memory) for i, vm in enumerate(config.vms)]
    for key, region in shared:
        if not m.ram.contains(region):
            yield (
                f"{key}: expected a region inside machine.ram {_hex(m.ram)}, found {_hex(region)}"
            )
        for other_key, other in owned:
            if region.overlaps(other):
                yield (
                    f"{key}: expected no overlap with {other_key} {_hex(other)}, "
                    f"found {_hex(region)}"
                )
        owned.append((key, region))


def semantic_problems(config: SystemConfig) -> Iterator[str]:
    m = config.machine
    yield from _aligned("hypervisor.memory", config.hypervisor_memory, HYP_ALIGN)
    owned: list[tuple[str, Region]] = [("hypervisor.memory", config.hypervisor_memory)]
    for i, vm in enumerate(config.vms):
        key = f"vms[{i}]"
        # Guest VMs are mapped with 2 MiB blocks, and Linux wants its Image 2 MiB aligned.
        yield from _aligned(f"{key}.memory", vm.memory, PAGE if vm.role == "root" else BLOCK)
        owned.append((f"{key}.memory", vm.memory))
        yield from _image_problems(key, vm)
        if vm.is_linux and vm.role != "root":
            yield from linux_vm_problems(key, vm)
        if vm.is_program and vm.memory.size < PROGRAM_VM_MIN_SIZE:
            yield (
                f"{key}.memory.size: expected at least {PROGRAM_VM_MIN_SIZE:#x} for a test "
                f"guest VM (image and DTB slots), found {vm.memory.size:#x}"
            )
        elif not vm.is_linux:
            for name in LINUX_ONLY_KEYS:
                if getattr(vm, name) is not None:
                    yield f"{key}.{name}: only for image 'linux', found it on image {vm.image!r}"
        if vm.vcpus > m.cpus:
            yield f"{key}.vcpus: expected at most machine.cpus ({m.cpus}), found {vm.vcpus}"
    for key, region in owned:
        if not m.ram.contains(region):
            yield (
                f"{key}: expected a region inside machine.ram {_hex(m.ram)}, found {_hex(region)}"
            )
    for i, (key_a, a) in enumerate(owned):
        for key_b, b in owned[i + 1 :]:
            if a.overlaps(b):
                yield f"{key_b}: expected no overlap with {key_a} {_hex(a)}, found {_hex(b)}"
    names = [vm.name for vm in config.vms]
    for i, name in enumerate(names):
        if name in names[:i]:
            yield f"vms[{i}].name: expected a unique VM name, found duplicate {name!r}"
    roots = [i for i, vm in enumerate(config.vms) if vm.role == "root"]
    if len(roots) != 1:
        yield f"vms: expected exactly one VM with role 'root', found {len(roots)}"
    yield from _ipc_problems(config)
    yield from _device_problems(config)
    for i, name in enumerate(config.pmu_vms):
        if name not in {vm.name for vm in config.guest_vms}:
            yield (
                f"debug.pmu_vms[{i}]: expected the name of a VM other than the root VM, "
                f"found {name!r}"
            )
    primaries = sum(vm.role == "primary" for vm in config.vms)
    if primaries > 1:
        yield f"vms: expected at most one VM with role 'primary', found {primaries}"
    for i in roots:
        size = config.vms[i].memory.size
        if size < ROOT_VM_MIN_SIZE:
            yield (
                f"vms[{i}].memory.size: expected at least {ROOT_VM_MIN_SIZE:#x} for the root "
                f"VM (image, stack, DTB and boot information), found {size:#x}"
            )
    t = m.timer
    ppis = {"hyp_ppi": t.hyp_ppi, "virtual_ppi": t.virtual_ppi, "physical_ppi": t.physical_ppi}
    if len(set(ppis.values())) != len(ppis):
        yield f"machine.timer: expected distinct PPIs, found {ppis}"
    redist_frames = m.gic.redistributor.size // 0x20000  # GICv3: 128 KiB per CPU
    if redist_frames < m.cpus:
        yield (
            f"machine.gic.redistributor.size: expected room for {m.cpus} CPUs "
            f"({m.cpus * 0x20000:#x} bytes), found {m.gic.redistributor.size:#x}"
        )
