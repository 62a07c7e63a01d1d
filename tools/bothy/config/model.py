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

    @property
    def is_linux(self) -> bool:
        return self.image == LINUX_IMAGE


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
    test_seed: int = 1
    test_iterations: int = 1000

    @property
    def root_vm(self) -> Vm:
        return next(vm for vm in self.vms if vm.role == "root")

    @property
    def guest_vms(self) -> tuple[Vm, ...]:
        """Every VM but the root, in config order: the VMs the RM starts."""
        return tuple(vm for vm in self.vms if vm.role != "root")
