"""Host-only tests for bothy.config: the default system loads into the expected IR, and every
kind of bad system description is rejected with a ConfigError naming the file, the key path,
what was expected and what was found."""

from __future__ import annotations

import copy
import dataclasses
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bothy.config import ConfigError, Region, SystemConfig, Vm, load_config
from bothy.config.validate import semantic_problems
from bothy.errors import BothyError
from bothy.paths import DEFAULT_CONFIG
from bothy.validation import InputFileError
from conftest import fake_kernel

Raw = dict[str, Any]
DEFAULT_RAW: Raw = yaml.safe_load(DEFAULT_CONFIG.read_text())


def write_config(tmp_path: Path, change: Callable[[Raw], object], name: str = "bad") -> Path:
    """The default config with one change, as tmp_path/NAME.yaml."""
    raw = copy.deepcopy(DEFAULT_RAW)
    change(raw)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def config_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


def assert_reports(error: ConfigError, path: Path, *fragments: str) -> None:
    """One problem line of `error` names `path` and contains every fragment."""
    message = str(error)
    lines = [line.strip() for line in message.splitlines()[1:]]
    assert lines, f"no problem lines in {message!r}"
    assert all(line.startswith(f"{path}: ") for line in lines), message
    assert any(all(f in line for f in fragments) for line in lines), (
        f"no line of {message!r} contains all of {fragments}"
    )


def set_in(*keys: str, value: object) -> Callable[[Raw], None]:
    """A change that sets raw[k0][k1]...[kn] = value."""

    def change(raw: Raw) -> None:
        node = raw
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def extra_vm(**fields: object) -> Callable[[Raw], None]:
    """A change that appends a copy of the root VM in free memory, with `fields` replaced."""

    def change(raw: Raw) -> None:
        vm = {**raw["vms"][0], "memory": {"base": 0x4200_0000, "size": 0x0100_0000}}
        raw["vms"].append({**vm, **fields})

    return change


# --- the default system ---------------------------------------------------------------


def test_default_config_loads_into_ir() -> None:
    config = load_config(DEFAULT_CONFIG)
    assert isinstance(config, SystemConfig)
    assert config.name == "qemu-virt"
    assert config.path == DEFAULT_CONFIG
    assert config.platform == "qemu-virt"
    m = config.machine
    assert m.cpus == 2
    assert m.cpu_model == "max"
    assert m.cpu_features == ("pauth=off",)
    assert m.ram == Region(base=0x4000_0000, size=0x4000_0000)
    assert m.ram.end == 0x8000_0000
    assert m.uart.region == Region(base=0x0900_0000, size=0x1000)
    assert m.uart.irq == 33
    assert m.gic.version == 3
    assert m.gic.distributor == Region(base=0x0800_0000, size=0x10000)
    assert m.gic.redistributor.base == 0x080A_0000
    assert (m.timer.frequency, m.timer.hyp_ppi, m.timer.virtual_ppi, m.timer.physical_ppi) == (
        62_500_000,
        26,
        27,
        30,
    )
    assert m.psci_conduit == "smc"
    assert config.hypervisor_memory == Region(base=0x4020_0000, size=0x00E0_0000)
    assert config.vms == (
        Vm(
            name="rm",
            role="root",
            image="rm",
            vcpus=1,
            memory=Region(base=0x4100_0000, size=0x0100_0000),
        ),
        Vm(
            name="linux",
            role="primary",
            image="linux",
            vcpus=2,
            memory=Region(base=0x4800_0000, size=0x2000_0000),
            vmid=3,
            bootargs="console=ttyAMA0 earlycon=pl011,0x09000000 rdinit=/init",
        ),
    )
    assert config.root_vm.name == "rm"
    assert config.guest_vms == config.vms[1:]
    assert config.inject == "none"
    assert list(semantic_problems(config)) == []


def test_config_error_is_a_bothy_input_file_error(tmp_path: Path) -> None:
    error = config_error(write_config(tmp_path, set_in("machine", "cpus", value=0)))
    assert isinstance(error, InputFileError)
    assert isinstance(error, BothyError)
    assert str(error).startswith("invalid system description:\n")


def test_debug_inject_is_read(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw.update(debug={"inject": "rm-hang"}), "ok")
    assert load_config(path).inject == "rm-hang"


# --- schema problems ------------------------------------------------------------------


def test_wrong_type(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "cpus", value="two"))
    error = config_error(path)
    assert_reports(
        error, path, "machine.cpus: ", "expected a value of type integer", "found 'two' (str)"
    )
    assert error.problems == ["machine.cpus: expected a value of type integer, found 'two' (str)"]


def test_boolean_is_not_an_integer(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "cpus", value=True))
    assert_reports(config_error(path), path, "machine.cpus: ", "type integer", "found True (bool)")


@pytest.mark.parametrize(
    ("keys", "value", "expected"),
    [
        (("machine", "cpus"), 0, "expected a number >= 1, found 0"),
        (("machine", "cpus"), 9, "expected a number <= 8, found 9"),
        (("machine", "timer", "hyp_ppi"), 40, "expected a number <= 31, found 40"),
        (("machine", "timer", "virtual_ppi"), 15, "expected a number >= 16, found 15"),
        (("machine", "uart", "irq"), 1020, "expected a number <= 1019, found 1020"),
    ],
)
def test_out_of_range(tmp_path: Path, keys: tuple[str, ...], value: int, expected: str) -> None:
    path = write_config(tmp_path, set_in(*keys, value=value))
    error = config_error(path)
    assert_reports(error, path, ".".join(keys) + ": ", expected)
    assert len(error.problems) == 1


def test_large_values_are_shown_in_hex(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "ram", "size", value=0x1_0000_0000_0000))
    assert_reports(
        config_error(path),
        path,
        "machine.ram.size: ",
        "expected a number <= 0xffffffffffff",
        "found 0x1000000000000",
    )


def test_missing_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["machine"].pop("cpus"))
    error = config_error(path)
    assert_reports(error, path, "machine: ", "missing required key 'cpus'")
    assert len(error.problems) == 1


def test_missing_top_level_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw.pop("hypervisor"))
    assert_reports(config_error(path), path, "(top level): ", "missing required key 'hypervisor'")


def test_unknown_key_lists_the_allowed_keys(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "gic", "its", value=1))
    assert_reports(
        config_error(path),
        path,
        "machine.gic: ",
        "unknown key 'its'",
        "expected one of distributor, redistributor, version",
    )


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw.update(extra=1))
    assert_reports(
        config_error(path),
        path,
        "(top level): ",
        "unknown key 'extra'",
        "expected one of debug, hypervisor, ipc, machine, platform, vms",
    )


def test_misspelt_key_is_both_unknown_and_missing(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["machine"].update(cpu=raw["machine"].pop("cpus")))
    error = config_error(path)
    assert_reports(error, path, "machine: ", "unknown key 'cpu'", "expected one of ", "cpus")
    assert_reports(error, path, "machine: ", "missing required key 'cpus'")
    assert len(error.problems) == 2


def test_bad_enum(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw.update(platform="foo"))
    assert_reports(
        config_error(path), path, "platform: ", "expected one of qemu-virt", "found 'foo' (str)"
    )


def test_bad_pattern(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "cpu_features", value=["pauth"]))
    assert_reports(
        config_error(path),
        path,
        "machine.cpu_features[0]: ",
        "expected a string matching",
        "found 'pauth' (str)",
    )


def test_no_vms(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("vms", value=[]))
    assert_reports(
        config_error(path), path, "vms: ", "expected at least 1 item(s)", "found 0 items"
    )


def test_non_root_role_is_rejected(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["vms"][0].update(role="guest"))
    assert_reports(
        config_error(path),
        path,
        "vms[0].role: ",
        "expected one of root, primary, secondary",
        "found 'guest' (str)",
    )


# --- files that are not a YAML mapping ----------------------------------------------------


def test_invalid_yaml_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("platform: qemu-virt\nmachine:\n  cpus: 2\n   cpu_model: max\n")
    error = config_error(path)
    assert error.problems == [
        "line 4, column 13: not valid YAML (mapping values are not allowed here)"
    ]
    assert f"{path}: line 4, column 13: not valid YAML" in str(error)


def test_unterminated_flow_sequence(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("platform: qemu-virt\nvms: [\n")
    assert_reports(config_error(path), path, "line 3, column 1: not valid YAML")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- 1\n- 2\n", "found [1, 2] (list)"),
        ("hello\n", "found 'hello' (str)"),
        ("", "found None (NoneType)"),
    ],
)
def test_top_level_not_a_mapping(tmp_path: Path, text: str, found: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert_reports(config_error(path), path, "(top level): ", "expected a mapping", found)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    error = config_error(path)
    assert_reports(error, path, "cannot read file: No such file or directory")
    assert error.path == path


def test_directory_instead_of_file(tmp_path: Path) -> None:
    path = tmp_path / "dir.yaml"
    path.mkdir()
    assert_reports(config_error(path), path, "cannot read file: Is a directory")


# --- semantic problems -------------------------------------------------------------------


def test_hypervisor_memory_outside_ram(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, set_in("hypervisor", "memory", value={"base": 0x3FE0_0000, "size": 0x40_0000})
    )
    error = config_error(path)
    assert_reports(
        error,
        path,
        "hypervisor.memory: ",
        "expected a region inside machine.ram [0x40000000, 0x80000000)",
        "found [0x3fe00000, 0x40200000)",
    )
    assert len(error.problems) == 1


def test_vm_memory_past_end_of_ram(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        lambda raw: raw["vms"][0].update(memory={"base": 0x7F00_0000, "size": 0x0200_0000}),
    )
    assert_reports(
        config_error(path),
        path,
        "vms[0].memory: ",
        "inside machine.ram",
        "found [0x7f000000, 0x81000000)",
    )


def test_overlapping_hypervisor_and_vm_memory(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, lambda raw: raw["vms"][0].update(memory={"base": 0x40F0_0000, "size": 0x20_0000})
    )
    error = config_error(path)
    assert_reports(
        error,
        path,
        "vms[0].memory: ",
        "expected no overlap with hypervisor.memory [0x40200000, 0x41000000)",
        "found [0x40f00000, 0x41100000)",
    )
    assert len(error.problems) == 1


def test_adjacent_regions_do_not_overlap(tmp_path: Path) -> None:
    # The VM starts exactly where the hypervisor ends: touching is fine.
    path = write_config(
        tmp_path,
        set_in("hypervisor", "memory", value={"base": 0x40E0_0000, "size": 0x20_0000}),
        "ok",
    )
    assert load_config(path).hypervisor_memory.end == load_config(path).root_vm.memory.base


def test_misaligned_hypervisor_memory(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, set_in("hypervisor", "memory", value={"base": 0x4020_1000, "size": 0xC0_0000})
    )
    error = config_error(path)
    assert_reports(
        error,
        path,
        "hypervisor.memory: ",
        "expected base and size aligned to 0x200000",
        "found base 0x40201000 size 0xc00000",
    )
    assert len(error.problems) == 1


def test_misaligned_hypervisor_memory_size(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("hypervisor", "memory", "size", value=0xDF_F000))
    assert_reports(
        config_error(path), path, "hypervisor.memory: ", "aligned to 0x200000", "size 0xdff000"
    )


def test_vm_memory_not_page_aligned(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["vms"][0]["memory"].update(size=0x0100_0800))
    assert_reports(
        config_error(path), path, "vms[0].memory: ", "aligned to 0x1000", "size 0x1000800"
    )


def test_duplicate_vm_names(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra_vm())
    error = config_error(path)
    assert_reports(
        error, path, "vms[2].name: ", "expected a unique VM name", "found duplicate 'rm'"
    )


def test_two_root_vms(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra_vm(name="rm2"))
    error = config_error(path)
    assert_reports(error, path, "vms: ", "expected exactly one VM with role 'root'", "found 2")
    assert len(error.problems) == 1


def test_zero_root_vms() -> None:
    # The schema requires at least one VM, so no file can say `vms: []`; the semantic rule
    # must still hold for the IR.
    config = load_config(DEFAULT_CONFIG)
    for vms in ((), config.guest_vms):
        problems = list(semantic_problems(dataclasses.replace(config, vms=vms)))
        assert problems == ["vms: expected exactly one VM with role 'root', found 0"]


def test_vcpus_more_than_cpus(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["vms"][0].update(vcpus=3))
    error = config_error(path)
    assert_reports(error, path, "vms[0].vcpus: ", "expected at most machine.cpus (2)", "found 3")
    assert len(error.problems) == 1


def test_vcpus_equal_to_cpus_is_fine(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["vms"][0].update(vcpus=2), "ok")
    assert load_config(path).root_vm.vcpus == 2


def test_redistributor_too_small_for_cpus(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "gic", "redistributor", "size", value=0x20000))
    error = config_error(path)
    assert_reports(
        error,
        path,
        "machine.gic.redistributor.size: ",
        "expected room for 2 CPUs (0x40000 bytes)",
        "found 0x20000",
    )
    assert len(error.problems) == 1


def test_redistributor_exactly_big_enough(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, set_in("machine", "gic", "redistributor", "size", value=0x40000), "ok"
    )
    assert load_config(path).machine.gic.redistributor.size == 0x40000


def test_duplicate_timer_ppis(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "timer", "physical_ppi", value=27))
    error = config_error(path)
    assert_reports(
        error,
        path,
        "machine.timer: ",
        "expected distinct PPIs",
        "'virtual_ppi': 27",
        "'physical_ppi': 27",
    )
    assert len(error.problems) == 1


# --- several problems at once --------------------------------------------------------------


def test_several_schema_problems_all_reported(tmp_path: Path) -> None:
    def change(raw: Raw) -> None:
        raw["machine"]["cpus"] = "two"
        raw["platform"] = "foo"
        raw["extra"] = 1
        del raw["hypervisor"]

    path = write_config(tmp_path, change)
    error = config_error(path)
    assert len(error.problems) == 4
    assert error.problems == sorted(error.problems)
    assert_reports(error, path, "machine.cpus: ", "found 'two' (str)")
    assert_reports(error, path, "platform: ", "found 'foo' (str)")
    assert_reports(error, path, "(top level): ", "unknown key 'extra'")
    assert_reports(error, path, "(top level): ", "missing required key 'hypervisor'")
    assert str(error).count(f"{path}: ") == 4


def test_several_semantic_problems_all_reported(tmp_path: Path) -> None:
    def change(raw: Raw) -> None:
        raw["vms"][0]["vcpus"] = 3
        raw["machine"]["timer"]["physical_ppi"] = 27
        raw["machine"]["gic"]["redistributor"]["size"] = 0x20000
        raw["hypervisor"]["memory"]["size"] = 0xDF_F000

    path = write_config(tmp_path, change)
    error = config_error(path)
    assert len(error.problems) == 4
    assert error.problems == sorted(error.problems)
    for key in (
        "vms[0].vcpus: ",
        "machine.timer: ",
        "machine.gic.redistributor.size: ",
        "hypervisor.memory: ",
    ):
        assert_reports(error, path, key, "expected", "found")


# --- no side effects ------------------------------------------------------------------------


def test_bad_config_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_config(tmp_path, set_in("machine", "cpus", value=0))
    before = path.read_bytes()
    config_error(path)
    config_error(Path("bad.yaml"))  # and by relative path from the cwd
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]
    assert path.read_bytes() == before


def test_good_config_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_config(tmp_path, lambda raw: None, "good")
    assert load_config(path).name == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["good.yaml"]


# --- regressions: inputs that once crashed or slipped through ----------------------------


def test_whole_number_float_is_not_an_integer(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "cpus", value=2.0))
    assert_reports(config_error(path), path, "machine.cpus", "type integer", "found 2.0 (float)")


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    assert_reports(config_error(path), path, "not UTF-8 text")


def test_unknown_keys_of_mixed_types_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(DEFAULT_CONFIG.read_text() + "1: a\nfoo: b\n")
    assert_reports(config_error(path), path, "unknown key 1, 'foo'")


def test_root_vm_too_small_for_its_dtb_and_boot_info(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("vms", 0, "memory", "size", value=0x1000))
    assert_reports(config_error(path), path, "vms[0].memory.size", "expected at least 0x100000")


# --- guest VMs: roles, VMIDs, Linux files -------------------------------------------------------


def set_linux(**fields: object) -> Callable[[Raw], None]:
    """A change that updates the default config's Linux VM (vms[1]) with `fields`."""
    return lambda raw: raw["vms"][1].update(fields)


def add_vm(name: str, role: str, base: int, **fields: object) -> Callable[[Raw], None]:
    """A change that appends a 64 MiB Linux VM at `base`."""

    def change(raw: Raw) -> None:
        vm = {"name": name, "role": role, "image": "linux", "vcpus": 1}
        raw["vms"].append({**vm, "memory": {"base": base, "size": 0x400_0000}, **fields})

    return change


def test_vmids_primary_3_secondaries_from_0x80_in_config_order(tmp_path: Path) -> None:
    def change(raw: Raw) -> None:
        add_vm("second", "secondary", 0x7000_0000)(raw)
        raw["vms"].insert(1, raw["vms"].pop())  # a secondary before the primary
        add_vm("third", "secondary", 0x7800_0000)(raw)

    config = load_config(write_config(tmp_path, change, "ok"))
    assert [(vm.name, vm.vmid) for vm in config.vms] == [
        ("rm", None),
        ("second", 0x80),
        ("linux", 3),
        ("third", 0x81),
    ]
    assert [vm.name for vm in config.guest_vms] == ["second", "linux", "third"]


def test_two_primary_vms(tmp_path: Path) -> None:
    path = write_config(tmp_path, add_vm("other", "primary", 0x7000_0000))
    error = config_error(path)
    assert error.problems == ["vms: expected at most one VM with role 'primary', found 2"]


def test_only_secondaries_is_fine(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_linux(role="secondary"), "ok")
    assert load_config(path).vms[1].vmid == 0x80


def test_root_vm_cannot_be_linux(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["vms"][0].update(image="linux"))
    assert_reports(
        config_error(path),
        path,
        "vms[0].image: ",
        "expected 'rm' or a test guest in tests/guests/ for the root VM",
        "found 'linux'",
    )


@pytest.mark.parametrize("image", ["rm", "no-such-guest"])
def test_guest_vm_must_be_linux_or_a_test_guest(tmp_path: Path, image: str) -> None:
    path = write_config(tmp_path, set_linux(image=image))
    assert_reports(
        config_error(path),
        path,
        "vms[1].image: ",
        "expected 'linux' or a test guest in tests/guests/ for a primary VM",
        f"found {image!r}",
    )


def test_test_guest_vm_needs_its_slots(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        vm = raw["vms"][1]
        vm.update({"image": "abi-test", "memory": {"base": vm["memory"]["base"], "size": 0x200000}})
        for key in ("kernel", "initrd", "bootargs"):
            vm.pop(key, None)

    path = write_config(tmp_path, change)
    assert config_error(path).problems == [
        "vms[1].memory.size: expected at least 0x400000 for a test guest VM (image and DTB "
        "slots), found 0x200000"
    ]


@pytest.mark.parametrize("key", ["kernel", "initrd", "bootargs"])
def test_linux_keys_only_for_linux_vms(tmp_path: Path, key: str) -> None:
    path = write_config(tmp_path, lambda raw: raw["vms"][0].update({key: "x"}))
    error = config_error(path)
    assert error.problems == [f"vms[0].{key}: only for image 'linux', found it on image 'rm'"]


def test_bootargs_default_names_the_uart(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_in("machine", "uart", "base", value=0x0901_0000), "ok")
    assert load_config(path).vms[1].bootargs == (
        "console=ttyAMA0 earlycon=pl011,0x09010000 rdinit=/init"
    )


def test_bootargs_from_the_config(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_linux(bootargs="quiet"), "ok")
    assert load_config(path).vms[1].bootargs == "quiet"


def test_kernel_and_initrd_are_relative_to_the_config(tmp_path: Path) -> None:
    fake_kernel(tmp_path / "images" / "Image")
    (tmp_path / "images" / "initrd.gz").write_bytes(b"\0" * 0x1000)
    path = write_config(tmp_path, set_linux(kernel="images/Image", initrd="images/initrd.gz"), "ok")
    vm = load_config(path).vms[1]
    assert vm.kernel == tmp_path / "images" / "Image"
    assert vm.initrd == tmp_path / "images" / "initrd.gz"


def test_missing_kernel_names_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_linux(kernel="absent/Image"))
    error = config_error(path)
    assert error.problems == [
        f"vms[1].kernel: {tmp_path / 'absent' / 'Image'}: cannot read the kernel Image: "
        "No such file or directory"
    ]


def test_kernel_without_arm64_magic(tmp_path: Path) -> None:
    fake_kernel(tmp_path / "zImage", magic=b"\x18\x28\x6f\x01")
    path = write_config(tmp_path, set_linux(kernel="zImage"))
    assert_reports(
        config_error(path),
        path,
        f"vms[1].kernel: {tmp_path / 'zImage'}: not an arm64 Linux Image",
        "expected magic 'ARM\\x64' at offset 0x38",
    )


def test_gzipped_kernel_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "vmlinuz").write_bytes(gzip.compress(b"\0" * 128))
    path = write_config(tmp_path, set_linux(kernel="vmlinuz"))
    assert_reports(config_error(path), path, "vms[1].kernel: ", "gzip-compressed kernel")


def test_missing_initrd_names_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_linux(initrd="absent.cpio.gz"))
    error = config_error(path)
    assert error.problems == [
        f"vms[1].initrd: {tmp_path / 'absent.cpio.gz'}: cannot read the initrd: "
        "No such file or directory"
    ]


def test_memory_too_small_for_kernel_and_initrd(tmp_path: Path) -> None:
    fake_kernel(tmp_path / "Image", image_size=0x300_0000)
    (tmp_path / "initrd").write_bytes(b"\0" * 0x10_0000)
    memory = {"base": 0x4800_0000, "size": 0x400_0000}
    path = write_config(tmp_path, set_linux(kernel="Image", initrd="initrd", memory=memory))
    error = config_error(path)
    # Kernel 48 MiB + 2 MiB DTB block + 1 MiB initrd + 32 MiB free = 83 MiB > 64 MiB.
    assert error.problems == [
        "vms[1].memory.size: expected at least 0x5300000 bytes for the kernel (0x3000000 bytes "
        "from Image), its DTB, the initrd (0x100000 bytes) and 32 MiB free, found 0x4000000"
    ]


def test_linux_vm_smaller_than_64_mib(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_linux(memory={"base": 0x4800_0000, "size": 0x200_0000}))
    error = config_error(path)
    assert error.problems == [
        "vms[1].memory.size: expected at least 0x4000000 for Linux, found 0x2000000"
    ]


def test_guest_vm_memory_must_be_2_mib_aligned(tmp_path: Path) -> None:
    path = write_config(tmp_path, set_linux(memory={"base": 0x4810_0000, "size": 0x2000_0000}))
    assert_reports(
        config_error(path),
        path,
        "vms[1].memory: ",
        "expected base and size aligned to 0x200000",
        "found base 0x48100000",
    )


def test_kernel_and_initrd_overrides_replace_the_primary_vms(tmp_path: Path) -> None:
    kernel = fake_kernel(tmp_path / "Image")
    initrd = tmp_path / "initrd"
    initrd.write_bytes(b"\0" * 0x1000)
    path = write_config(tmp_path, lambda raw: None, "ok")
    vm = load_config(path, kernel=kernel, initrd=initrd).vms[1]
    assert (vm.kernel, vm.initrd) == (kernel, initrd)
    assert load_config(path, kernel=kernel).vms[1].initrd is None  # still the default


def test_kernel_override_is_checked(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: None, "ok")
    with pytest.raises(ConfigError) as info:
        load_config(path, kernel=tmp_path / "nope")
    assert info.value.problems == [
        f"vms[1].kernel: {tmp_path / 'nope'}: cannot read the kernel Image: "
        "No such file or directory"
    ]


def test_override_without_primary_linux_vm(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda raw: raw["vms"].pop(), "root-only")
    with pytest.raises(ConfigError) as info:
        load_config(path, initrd=Path("/x/initrd"))
    assert info.value.problems == [
        "initrd=/x/initrd: expected a primary VM with image 'linux', found none"
    ]
