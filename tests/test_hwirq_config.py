"""Host-only tests for passing platform devices through (config vms[].devices): the checks
that keep a device away from RAM, the hypervisor and other VMs, the generated trees (the
guest's device node, the RM's bothy,devices, the hypervisor's hwirq list), and that the
default system passes nothing through (the Linux VM does not get QEMU virt's RTC)."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bothy.codegen.devicetree import generate_devicetrees
from bothy.codegen.platform import generate_platform
from bothy.config import ConfigError, Device, Region, load_config
from bothy.paths import DEFAULT_CONFIG

Raw = dict[str, Any]
DEFAULT_RAW: Raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
RTC = {"name": "rtc", "compatible": "arm,pl031", "irq": 34,
       "memory": {"base": 0x0901_0000, "size": 0x1000}}  # fmt: skip


def write(tmp_path: Path, change: Callable[[Raw], object]) -> Path:
    raw = copy.deepcopy(DEFAULT_RAW)
    change(raw)
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def devices(*devs: dict[str, Any], vm: int = 1) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        raw["vms"][vm]["devices"] = [copy.deepcopy(d) for d in devs]

    return change


def problems(tmp_path: Path, change: Callable[[Raw], object]) -> list[str]:
    path = write(tmp_path, change)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    lines = [line.strip() for line in str(info.value).splitlines()[1:]]
    assert lines and all(line.startswith(f"{path}: ") for line in lines), lines
    return lines


def test_device_loads_into_ir(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, devices(RTC)))
    dev = config.vm_named("linux").devices
    assert dev == (Device("rtc", Region(0x0901_0000, 0x1000), 34, "arm,pl031"),)
    assert dev[0].compatibles == ("arm,pl031", "arm,primecell") and dev[0].clocked
    assert config.passthrough_irqs == (34,)
    assert config.passthrough_regions == (Region(0x0901_0000, 0x1000),)


def test_default_system_passes_nothing_through() -> None:
    config = load_config(DEFAULT_CONFIG)
    assert all(vm.devices == () for vm in config.vms)
    assert config.passthrough_irqs == ()


def _mutate(key: str, value: object) -> dict[str, Any]:
    dev = copy.deepcopy(RTC)
    dev[key] = value
    return dev


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            devices(_mutate("irq", 33)),
            ("vms[1].devices[0].irq: expected an SPI other than the hypervisor's UART's", "33"),
        ),
        (
            devices(_mutate("irq", 200)),
            ("vms[1].devices[0].irq: expected an INTID below 128", "found 200"),
        ),
        (
            devices(_mutate("irq", 0x3C)),
            ("vms[1].devices[0].irq: expected an INTID the VM does not use for its links",),
        ),
        (
            devices(_mutate("irq", 27)),
            ("vms[1].devices[0].irq: expected a number >= 32",),
        ),
        (
            devices(
                RTC, _mutate("name", "rtc2") | {"memory": {"base": 0x0902_0000, "size": 0x1000}}
            ),
            (
                "vms[1].devices[1].irq: expected an SPI not passed through already, found 34",
                "vms[1].devices[0].irq",
            ),
        ),
        (
            devices(_mutate("memory", {"base": 0x0900_0000, "size": 0x1000})),
            ("vms[1].devices[0].memory: expected no overlap with machine.uart",),
        ),
        (
            devices(_mutate("memory", {"base": 0x0800_0000, "size": 0x1000})),
            ("vms[1].devices[0].memory: expected no overlap with machine.gic.distributor",),
        ),
        (
            devices(_mutate("memory", {"base": 0x4800_0000, "size": 0x1000})),
            ("vms[1].devices[0].memory: expected a device region outside machine.ram",),
        ),
        (
            devices(_mutate("memory", {"base": 0x0901_0800, "size": 0x1000})),
            ("vms[1].devices[0].memory: expected base and size aligned to 0x1000",),
        ),
        (
            devices(RTC, vm=0),
            ("vms[0].devices[0]: expected devices only on VMs other than the root VM",),
        ),
    ],
)
def test_bad_devices_are_rejected(
    tmp_path: Path, change: Callable[[Raw], None], fragments: tuple[str, ...]
) -> None:
    lines = problems(tmp_path, change)
    assert any(all(f in line for f in fragments) for line in lines), lines


def test_same_region_in_two_vms_is_rejected(tmp_path: Path) -> None:
    def change(raw: Raw) -> None:
        raw["vms"].append({"name": "other", "role": "secondary", "image": "hwirq-test",
                           "vcpus": 1, "memory": {"base": 0x7000_0000, "size": 0x40_0000},
                           "devices": [_mutate("irq", 35)]})  # fmt: skip
        devices(RTC)(raw)

    lines = problems(tmp_path, change)
    assert any(
        "vms[2].devices[0].memory: expected no overlap with vms[1].devices[0].memory" in line
        for line in lines
    ), lines


def _dts(out: Path, name: str) -> str:
    return subprocess.run(
        ["dtc", "-I", "dtb", "-O", "dts", str(out / f"{name}.dtb")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_trees_and_platform_header_describe_the_device(tmp_path: Path, fake_cache: Path) -> None:
    config = load_config(write(tmp_path, devices(RTC)))
    out = tmp_path / "gen"
    generate_devicetrees(config, out)
    guest = _dts(out, "linux")
    node = guest.split("rtc@9010000 {", 1)[1].split("};", 1)[0]
    assert 'compatible = "arm,pl031\\0arm,primecell";' in node
    assert "reg = <0x00 0x9010000 0x00 0x1000>;" in node
    assert "interrupts = <0x00 0x02 0x04>;" in node  # SPI 2, level high: as QEMU's own tree
    assert 'clock-names = "apb_pclk";' in node
    rm = _dts(out, "rm")
    assert "bothy,devices = <0x00 0x9010000 0x00 0x1000 0x22>;" in rm
    generate_platform(config, out, revision="0" * 12, version="0.0.0")
    header = (out / "include" / "platform_config.h").read_text()
    assert "#define PLATFORM_HWIRQS { BOTHY_U(34), BOTHY_U(0) }" in header
    assert "{ BOTHY_UL(0x9010000), BOTHY_UL(0x1000) }," in header


def test_default_linux_vm_has_no_rtc(tmp_path: Path, fake_cache: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    out = tmp_path / "gen"
    generate_devicetrees(config, out)
    assert "pl031" not in _dts(out, "linux")
    assert "bothy,devices" not in _dts(out, "rm")
