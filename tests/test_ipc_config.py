"""IPC links in the system description and test guests as VMs the RM builds: validation (file,
key and expectation in every error), the INTIDs each end gets, the nodes of each VM's device
tree and the RM's /ipc description, and where QEMU stages a test guest's program."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bothy.codegen.devicetree import generate_devicetrees
from bothy.config import ConfigError, SystemConfig, load_config
from bothy.ipc import endpoints
from bothy.paths import DEFAULT_CONFIG
from bothy.staging import program_binary, staged_vms
from needs import needs

Raw = dict[str, Any]
FDTGET = shutil.which("fdtget")
needs_dtc = needs("dtc", "fdtget")
MIB = 1 << 20


def two_guests(raw: Raw, image: str = "abi-test") -> None:
    """The default system with two test-guest VMs, 'ping' (primary) and 'pong', joined by a
    queue pair, a doorbell each way and a shared region."""
    raw["vms"][1:] = [
        {"name": "ping", "role": "primary", "image": image, "vcpus": 1,
         "memory": {"base": 0x48000000, "size": 4 * MIB}},
        {"name": "pong", "role": "secondary", "image": image, "vcpus": 1,
         "memory": {"base": 0x48400000, "size": 4 * MIB}},
    ]  # fmt: skip
    raw["ipc"] = [
        {"kind": "msgqueue_pair", "name": "chan", "vms": ["ping", "pong"], "queue_depth": 4},
        {"kind": "doorbell", "name": "bell", "vms": ["ping", "pong"]},
        {"kind": "doorbell", "name": "bellback", "vms": ["pong", "ping"]},
        {"kind": "shared_memory", "name": "buf", "vms": ["ping", "pong"],
         "memory": {"base": 0x48800000, "size": 0x10000}, "access": ["rw", "r"]},
    ]  # fmt: skip


def write(tmp_path: Path, *changes: Callable[[Raw], object]) -> Path:
    raw = copy.deepcopy(yaml.safe_load(DEFAULT_CONFIG.read_text()))
    for change in changes:
        change(raw)
    path = tmp_path / "system.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert all(line.strip().startswith(f"{path}: ") for line in str(info.value).splitlines()[1:])
    return info.value.problems


@pytest.fixture
def system(tmp_path: Path) -> SystemConfig:
    return load_config(write(tmp_path, two_guests))


# --- validation -----------------------------------------------------------------------------


def test_links_load_with_their_defaults(system: SystemConfig) -> None:
    chan, bell, _, buf = system.ipc
    assert (chan.depth, chan.msg_size) == (4, 240)
    assert bell.vms == ("ping", "pong") and bell.queue_depth is None
    assert buf.rights == ("rw", "r")
    assert [vm.name for vm in system.program_vms] == ["ping", "pong"]


def link(**fields: object) -> Callable[[Raw], None]:
    return lambda raw: raw["ipc"][0].update(fields)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (link(vms=["ping", "nobody"]), "ipc[0].vms[1]: expected the name of a VM other than "
         "the root VM, found 'nobody'"),
        (link(vms=["rm", "pong"]), "ipc[0].vms[0]: expected the name of a VM other than the "
         "root VM, found 'rm'"),
        (link(vms=["ping", "ping"]), "ipc[0].vms: expected two different VMs, found 'ping' twice"),
        (link(name="bell"), "ipc[1].name: expected a unique link name, found duplicate 'bell'"),
        (lambda raw: raw["ipc"][1].update(queue_depth=2),
         "ipc[1].queue_depth: only for kind msgqueue_pair, found it on kind 'doorbell'"),
        (link(access=["r", "r"]),
         "ipc[0].access: only for kind shared_memory, found it on kind 'msgqueue_pair'"),
        (lambda raw: raw["ipc"][3].pop("memory"),
         "ipc[3].memory: expected the shared region of a shared_memory link, found none"),
        (lambda raw: raw["ipc"][3].update(memory={"base": 0x48200000, "size": 0x100000}),
         "ipc[3].memory: expected no overlap with vms[1].memory [0x48000000, 0x48400000), "
         "found [0x48200000, 0x48300000)"),
    ],
)  # fmt: skip
def test_bad_links_are_reported(
    tmp_path: Path, change: Callable[[Raw], object], expected: str
) -> None:
    assert problems(write(tmp_path, two_guests, change)) == [expected]


def test_schema_rejects_an_unknown_kind(tmp_path: Path) -> None:
    [line] = problems(write(tmp_path, two_guests, link(kind="pipe")))
    assert line.startswith("ipc[0].kind: ")
    assert "'pipe'" in line


def test_too_many_link_interrupts_for_a_vic(tmp_path: Path) -> None:
    def many(raw: Raw) -> None:
        raw["ipc"] = [
            {"kind": "msgqueue_pair", "name": f"q{i}", "vms": ["ping", "pong"]} for i in range(33)
        ]

    assert problems(write(tmp_path, two_guests, many)) == [
        "ipc: expected at most 64 link interrupts for VM 'ping', found 66",
        "ipc: expected at most 64 link interrupts for VM 'pong', found 66",
    ]


# --- each end's interrupts ---------------------------------------------------------------------


def test_ends_take_interrupts_in_config_order(system: SystemConfig) -> None:
    ends = endpoints(system)
    ping = {e.link.name: e.irqs for e in ends["ping"]}
    pong = {e.link.name: e.irqs for e in ends["pong"]}
    # Queue pair: TX, RX in both; a doorbell interrupts only its receiver; shared memory never.
    assert ping == {"chan": (0x40, 0x41), "bell": (), "bellback": (0x42,), "buf": ()}
    assert pong == {"chan": (0x40, 0x41), "bell": (0x42,), "bellback": (), "buf": ()}


# --- device trees ------------------------------------------------------------------------------


def fdtget(dtb: Path, node: str, prop: str, kind: str = "x") -> str:
    assert FDTGET is not None
    argv = [FDTGET, "-t", kind, str(dtb), node, prop]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


PLACEHOLDER = "ffffffff ffffffff"


@needs_dtc
def test_each_end_has_its_gunyah_node(system: SystemConfig, tmp_path: Path) -> None:
    generate_devicetrees(system, tmp_path)
    ping, pong = tmp_path / "ping.dtb", tmp_path / "pong.dtb"
    chan = "/hypervisor/chan@1"
    for dtb, peer in ((ping, 0x80), (pong, 3)):
        assert (
            fdtget(dtb, chan, "compatible", "s")
            == "qcom,gunyah-message-queue qcom,gunyah-capability"
        )
        assert fdtget(dtb, chan, "reg") == f"{PLACEHOLDER} {PLACEHOLDER}"
        assert fdtget(dtb, chan, "interrupts") == "0 20 1 0 21 1"  # SPIs 0x40, 0x41, edge
        assert fdtget(dtb, chan, "qcom,tx-queue-depth", "u") == "4"
        assert fdtget(dtb, chan, "qcom,peer-vmid", "u") == str(peer)
        assert fdtget(dtb, chan, "label", "s") == "chan"
    assert fdtget(ping, "/hypervisor/bell@2", "compatible", "s").startswith(
        "qcom,gunyah-doorbell-source"
    )
    assert fdtget(pong, "/hypervisor/bell@2", "compatible", "s").startswith("qcom,gunyah-doorbell ")
    assert fdtget(pong, "/hypervisor/bell@2", "interrupts") == "0 22 1"
    assert fdtget(pong, "/hypervisor/bell@2", "qcom,label", "u") == "1"
    assert fdtget(ping, "/hypervisor/buf", "bothy,access", "s") == "rw"
    assert fdtget(pong, "/hypervisor/buf", "bothy,access", "s") == "r"
    assert fdtget(pong, "/reserved-memory/buf@48800000", "reg") == "0 48800000 0 10000"
    assert fdtget(pong, "/hypervisor/buf", "bothy,memory") == "0 48800000 0 10000"
    # A test guest's tree: its name for the program, no kernel command line.
    assert fdtget(pong, "/chosen", "bothy,vm-name", "s") == "pong"
    assert fdtget(pong, "/hypervisor/qcom,gunyah-vm", "qcom,vmid", "u") == "128"


@needs_dtc
def test_rm_tree_describes_every_link(system: SystemConfig, tmp_path: Path) -> None:
    generate_devicetrees(system, tmp_path)
    rm = tmp_path / "rm.dtb"
    assert fdtget(rm, "/ipc/link@0", "bothy,kind", "s") == "msgqueue_pair"
    assert fdtget(rm, "/ipc/link@0", "bothy,vmids") == "3 80"
    assert fdtget(rm, "/ipc/link@0", "bothy,irqs") == "40 41 40 41"
    assert fdtget(rm, "/ipc/link@0", "bothy,queue", "u") == "4 240"
    assert fdtget(rm, "/ipc/link@0", "bothy,nodes", "s") == "/hypervisor/chan@1 /hypervisor/chan@1"
    assert fdtget(rm, "/ipc/link@2", "bothy,vmids") == "80 3"  # sender first
    assert fdtget(rm, "/ipc/link@2", "bothy,irqs") == "42"  # the receiver's
    assert fdtget(rm, "/ipc/link@3", "bothy,memory") == "0 48800000 0 10000"
    assert fdtget(rm, "/ipc/link@3", "bothy,access") == "6 4"
    assert fdtget(rm, "/vms/vm@80", "bothy,rm-rpc-irqs") == "3c 3d"


def test_program_vms_are_staged_from_their_build(system: SystemConfig) -> None:
    ping, pong = staged_vms(system, Path("/gen"))
    assert ping.kernel == program_binary(system, system.vm_named("ping"))
    assert ping.layout.entry == 0x48000000
    assert ping.layout.dtb.base == 0x48200000
    assert ping.initrd is None
    assert [addr for _, addr in ping.loads()] == [
        ping.staging.base,  # the program, into the staging mirror
        ping.staging.base + 0x200000,  # its DTB, into the mirror only
        0x48000000,  # the program again, straight into the VM's memory
    ]
    assert pong.staging.base == ping.staging.end
