"""Reads a system description file, validates it and returns the SystemConfig IR.

Every problem is reported together, each naming the file, the key path, what was expected
and what was found, and nothing is built from a config that has any problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from bothy.config.model import (
    LINUX_IMAGE,
    Device,
    Gic,
    IpcLink,
    Machine,
    Region,
    SystemConfig,
    Timer,
    Uart,
    Vm,
)
from bothy.config.validate import semantic_problems
from bothy.validation import InputFileError, load_schema, load_yaml_mapping, schema_problems

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
PRIMARY_VMID = 3  # Gunyah's HLOS VMID: what Linux and the RM expect of the primary VM
FIRST_SECONDARY_VMID = 0x80  # secondaries count up from here, in config order


class ConfigError(InputFileError):
    """A system description that cannot be used; the message lists every problem."""

    def __init__(self, path: Path, problems: Iterable[str]) -> None:
        super().__init__(path, problems, "system description")


@cache
def _schema() -> dict[str, Any]:
    return load_schema(SCHEMA_PATH)


def _region(raw: Mapping[str, Any]) -> Region:
    return Region(base=int(raw["base"]), size=int(raw["size"]))


def default_bootargs(machine: Machine) -> str:
    """A Linux VM's command line unless the config gives one: console and early console on
    the PL011, and the initramfs's /init as the first process."""
    return f"console=ttyAMA0 earlycon=pl011,{machine.uart.region.base:#010x} rdinit=/init"


def _vmids(raw_vms: Iterable[Mapping[str, Any]]) -> list[int | None]:
    vmids: list[int | None] = []
    secondaries = 0
    for v in raw_vms:
        if v["role"] == "primary":
            vmids.append(PRIMARY_VMID)
        elif v["role"] == "secondary":
            vmids.append(FIRST_SECONDARY_VMID + secondaries)
            secondaries += 1
        else:
            vmids.append(None)
    return vmids


def _vm(config_dir: Path, machine: Machine, raw: Mapping[str, Any], vmid: int | None) -> Vm:
    def file(key: str) -> Path | None:
        return (config_dir / raw[key]).absolute() if key in raw else None

    linux = raw["image"] == LINUX_IMAGE
    return Vm(
        name=raw["name"],
        role=raw["role"],
        image=raw["image"],
        vcpus=raw["vcpus"],
        memory=_region(raw["memory"]),
        vmid=vmid,
        kernel=file("kernel"),
        initrd=file("initrd"),
        bootargs=raw.get("bootargs", default_bootargs(machine) if linux else None),
        devices=tuple(_device(d) for d in raw.get("devices", ())),
    )


def _device(raw: Mapping[str, Any]) -> Device:
    return Device(
        name=raw["name"],
        memory=_region(raw["memory"]),
        irq=raw["irq"],
        compatible=raw.get("compatible"),
    )


def _link(raw: Mapping[str, Any]) -> IpcLink:
    return IpcLink(
        kind=raw["kind"],
        name=raw["name"],
        vms=(raw["vms"][0], raw["vms"][1]),
        queue_depth=raw.get("queue_depth"),
        message_size=raw.get("message_size"),
        memory=_region(raw["memory"]) if "memory" in raw else None,
        access=(raw["access"][0], raw["access"][1]) if "access" in raw else None,
    )


def _build(path: Path, raw: Mapping[str, Any]) -> SystemConfig:
    m = raw["machine"]
    machine = Machine(
        cpus=m["cpus"],
        cpu_model=m["cpu_model"],
        cpu_features=tuple(m.get("cpu_features", ())),
        ram=_region(m["ram"]),
        uart=Uart(region=_region(m["uart"]), irq=m["uart"]["irq"]),
        gic=Gic(
            version=m["gic"]["version"],
            distributor=_region(m["gic"]["distributor"]),
            redistributor=_region(m["gic"]["redistributor"]),
        ),
        timer=Timer(**m["timer"]),
        psci_conduit=m["psci_conduit"],
    )
    vms = tuple(
        _vm(path.parent, machine, v, vmid)
        for v, vmid in zip(raw["vms"], _vmids(raw["vms"]), strict=True)
    )
    return SystemConfig(
        name=path.stem,
        path=path,
        platform=raw["platform"],
        machine=machine,
        hypervisor_memory=_region(raw["hypervisor"]["memory"]),
        vms=vms,
        inject=raw.get("debug", {}).get("inject", "none"),
        ipc=tuple(_link(link) for link in raw.get("ipc", ())),
        test_seed=raw.get("debug", {}).get("seed", 1),
        test_iterations=raw.get("debug", {}).get("iterations", 1000),
        pmu_vms=tuple(raw.get("debug", {}).get("pmu_vms", ())),
    )


def _override_primary(
    config: SystemConfig, kernel: Path | None, initrd: Path | None
) -> SystemConfig:
    """`config` with the primary Linux VM's kernel and/or initrd replaced (doit's kernel=PATH
    and initrd=PATH; relative paths are relative to the working directory)."""
    index = next(
        (i for i, vm in enumerate(config.vms) if vm.role == "primary" and vm.is_linux), None
    )
    if index is None:
        given = " and ".join(f"{k}={v}" for k, v in (("kernel", kernel), ("initrd", initrd)) if v)
        raise ConfigError(
            config.path, [f"{given}: expected a primary VM with image 'linux', found none"]
        )
    vm = config.vms[index]
    vm = replace(
        vm,
        kernel=kernel.absolute() if kernel else vm.kernel,
        initrd=initrd.absolute() if initrd else vm.initrd,
    )
    return replace(config, vms=(*config.vms[:index], vm, *config.vms[index + 1 :]))


def load_config(
    path: Path, *, kernel: Path | None = None, initrd: Path | None = None
) -> SystemConfig:
    """Parse, schema-check and semantically check `path`; raise ConfigError on any problem.

    `kernel` and `initrd` replace the primary Linux VM's files (before they are checked).
    """
    try:
        raw = load_yaml_mapping(path, "system description")
    except InputFileError as e:
        raise ConfigError(path, e.problems) from None
    problems = schema_problems(raw, _schema())
    if problems:
        raise ConfigError(path, problems)
    config = _build(path, raw)
    if kernel or initrd:
        config = _override_primary(config, kernel, initrd)
    problems = list(semantic_problems(config))
    if problems:
        raise ConfigError(path, problems)
    return config
