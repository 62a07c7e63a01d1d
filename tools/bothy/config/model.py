"""The validated system description as plain, frozen Python objects (the IR).

Generators and the QEMU runner read only these types, never raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Region:
    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size

    def contains(self, other: Region) -> bool:
        return self.base <= other.base and other.end <= self.end

    def overlaps(self, other: Region) -> bool:
        return self.base < other.end and other.base < self.end


@dataclass(frozen=True)
class Uart:
    region: Region
    irq: int


@dataclass(frozen=True)
class Gic:
    version: int
    distributor: Region
    redistributor: Region


@dataclass(frozen=True)
class Timer:
    frequency: int
    hyp_ppi: int
    virtual_ppi: int
    physical_ppi: int


@dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    cpu_features: tuple[str, ...]
    ram: Region
    uart: Uart
    gic: Gic
    timer: Timer
    psci_conduit: str


LINUX_IMAGE = "linux"  # vms[].image of a VM that boots a Linux kernel + initramfs

# Devices whose device-tree binding bothy knows: compatible -> the extra compatible strings and
# whether the node takes the board's APB clock (primecells do). Others get a generic node.
KNOWN_DEVICES: dict[str, tuple[tuple[str, ...], bool]] = {
    "arm,pl031": (("arm,primecell",), True),
}


@dataclass(frozen=True)
class Device:
    """A platform device passed through to a VM (config vms[].devices): its MMIO region,
    mapped at the same address (IPA == PA) as device memory, and its interrupt, an SPI bound
    to the same INTID of the VM's vic. `compatible` is None for "describe it generically"."""

    name: str
    memory: Region
    irq: int
    compatible: str | None = None

    @property
    def known(self) -> bool:
        return self.compatible in KNOWN_DEVICES

    @property
    def compatibles(self) -> tuple[str, ...]:
        """The node's compatible strings: a known device's full list, else the given one (or
        bothy's generic passthrough binding)."""
        if self.compatible is None:
            return ("bothy,passthrough-device",)
        extra = KNOWN_DEVICES[self.compatible][0] if self.known else ()
        return (self.compatible, *extra)

    @property
    def clocked(self) -> bool:
        return self.known and KNOWN_DEVICES[self.compatible or ""][1]


@dataclass(frozen=True)
class Vm:
    """One VM. vmid is None for the root VM (it has none in the tree); kernel and initrd are
    None for "the default the guest tooling fetches and builds"; bootargs is set for every
    Linux VM. kernel, initrd and bootargs are only valid with image 'linux'."""

    name: str
    role: str
    image: str
    vcpus: int
    memory: Region
    vmid: int | None = None
    kernel: Path | None = None
    initrd: Path | None = None
    bootargs: str | None = None
    devices: tuple[Device, ...] = ()

    @property
    def is_linux(self) -> bool:
        return self.image == LINUX_IMAGE

    @property
    def is_program(self) -> bool:
        """A bare-metal test guest (tests/guests/<image>) that the RM builds as a VM."""
        return self.role != "root" and not self.is_linux


IPC_KINDS = ("msgqueue_pair", "doorbell", "shared_memory")


@dataclass(frozen=True)
class IpcLink:
    """One link between two guest VMs (config `ipc`). `vms` are VM names; for a doorbell
    vms[0] rings and vms[1] receives. queue_depth and message_size are for message queues,
    memory and access for shared memory; None where the config gives none (see the
    properties for the values in effect)."""

    kind: str
    name: str
    vms: tuple[str, str]
    queue_depth: int | None = None
    message_size: int | None = None
    memory: Region | None = None
    access: tuple[str, str] | None = None

    @property
    def depth(self) -> int:
        return self.queue_depth or 8

    @property
    def msg_size(self) -> int:
        return self.message_size or 240

    @property
    def rights(self) -> tuple[str, str]:
        return self.access or ("rw", "rw")


@dataclass(frozen=True)
class SystemConfig:
    """One bothy system: the machine, the hypervisor's memory and the VMs."""

    name: str
    path: Path
    platform: str
    machine: Machine
    hypervisor_memory: Region
    vms: tuple[Vm, ...]
    inject: str
    ipc: tuple[IpcLink, ...] = ()
    test_seed: int = 1
    test_iterations: int = 1000
    pmu_vms: tuple[str, ...] = ()

    @property
    def root_vm(self) -> Vm:
        return next(vm for vm in self.vms if vm.role == "root")

    @property
    def guest_vms(self) -> tuple[Vm, ...]:
        """Every VM but the root, in config order: the VMs the RM starts."""
        return tuple(vm for vm in self.vms if vm.role != "root")

    def vm_named(self, name: str) -> Vm:
        return next(vm for vm in self.vms if vm.name == name)

    @property
    def passthrough_irqs(self) -> tuple[int, ...]:
        """The physical SPIs the config passes through to guest VMs, in config order: the
        hypervisor makes a hwirq object (cap for the RM) for each."""
        return tuple(d.irq for vm in self.guest_vms for d in vm.devices)

    @property
    def passthrough_regions(self) -> tuple[Region, ...]:
        """The MMIO regions passed through to guest VMs: the only device memory the
        hypervisor lets a memory extent cover."""
        return tuple(d.memory for vm in self.guest_vms for d in vm.devices)

    @property
    def program_vms(self) -> tuple[Vm, ...]:
        """The guest VMs that run a test-guest program rather than Linux."""
        return tuple(vm for vm in self.guest_vms if vm.is_program)
