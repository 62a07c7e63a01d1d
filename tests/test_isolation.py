"""Isolation: the primary Linux VM reads and writes memory that is not its own through
/dev/mem (busybox devmem): the hypervisor's, the RM's, another VM's and unmapped addresses.
Every access must fault at stage 2 (nothing is mapped there for this VM), be reported with the
access and the faulting address, and give Linux a synchronous external abort, as Gunyah does:
the process gets SIGBUS and Linux goes on, the VM is not stopped, and the other VM goes on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bothy.config import load_config
from bothy.guest.initramfs import HEARTBEAT_MARKER, HEARTBEAT_PARAMETER, LINUX_READY_MARKER
from bothy.guest.shell import PROMPT, settle
from bothy.paths import DEFAULT_CONFIG
from bothy.runner import QemuSession
from bothy.staging import staged_vms
from conftest import build, derived_config, log_path, qemu_argv

pytestmark = pytest.mark.qemu

UNMAPPED = 0x1_0000_0000  # above all RAM, inside the 39-bit IPA space
TARGETS = ("hypervisor memory", "RM memory", "RM staging area", "unmapped address")
CASES = [(name, False) for name in TARGETS] + [("hypervisor memory", True), ("RM memory", True)]


def target_address(target: str) -> int:
    """Resolved at test time: the staging area depends on the guest files the build fetches."""
    config = load_config(DEFAULT_CONFIG)
    return {
        "hypervisor memory": config.hypervisor_memory.base + 0x1000,
        "RM memory": config.root_vm.memory.base + 0x1000,
        "RM staging area": staged_vms(config)[0].staging.base,
        "unmapped address": UNMAPPED,
    }[target]


@pytest.mark.parametrize(
    ("target", "write"),
    CASES,
    ids=[f"{'write' if w else 'read'}-{n.replace(' ', '-')}" for n, w in CASES],
)
def test_foreign_access_aborts_and_linux_goes_on(default_image, target: str, write: bool) -> None:  # type: ignore[no-untyped-def]
    address = target_address(target)
    name = f"isolation-{'write' if write else 'read'}-{target.replace(' ', '-')}"
    with QemuSession(
        qemu_argv(DEFAULT_CONFIG, default_image),
        log_path=log_path(name),
        panic_patterns=["BOTHY PANIC", "Kernel panic - not syncing"],
    ) as linux:
        linux.expect(LINUX_READY_MARKER, 90)
        linux.expect(re.compile(r"\n[^\n]*# "), 20)
        settle()
        access_aborts_and_linux_goes_on(linux, address, write)


def access_aborts_and_linux_goes_on(linux: QemuSession, address: int, write: bool) -> None:
    """devmem touches `address`: the hypervisor reports the abort it injects, the access never
    completes (SIGBUS), and the same shell still answers; the VM was not stopped."""
    value = " 0x5a5a5a5a" if write else ""
    linux.sendline(f"devmem {address:#x} 32{value} && echo ACCESS-SUCCEEDED; echo ACCESS-DONE")
    access = "write" if write else "read"
    linux.expect(re.compile(rf"vCPU \d+: {access} at IPA {address:#x} \(VA "), 20)
    linux.expect(re.compile(r"\nACCESS-DONE"), 20)
    linux.sendline("echo STILL-$((40+2))")
    linux.expect("STILL-42", 20)
    out = linux.output
    assert out.count("ACCESS-SUCCEEDED") == 1, "the access completed (only the echo may show)"
    assert "external abort injected" in out
    assert "VM fault:" not in out, "the VM was stopped instead of taking an abort"
    assert "[rm] VM 'linux' stopped" not in out


# A second Linux VM beside the primary: quiet, and with a heartbeat on its console.
SECOND = "second"
SECOND_SIZE = 0x0800_0000
HEARTBEAT = re.compile(rf"\[{SECOND}\] {HEARTBEAT_MARKER} (\d+)[\r\n]")


def _add_second_vm(raw: dict[str, object]) -> None:
    vms = raw["vms"]
    assert isinstance(vms, list)
    primary = next(vm for vm in vms if vm["role"] == "primary")
    base = primary["memory"]["base"] + primary["memory"]["size"]
    vms.append(
        {
            "name": SECOND,
            "role": "secondary",
            "image": "linux",
            "vcpus": 1,
            "memory": {"base": base, "size": SECOND_SIZE},
            "bootargs": f"console=ttyAMA0 rdinit=/init quiet {HEARTBEAT_PARAMETER}",
        }
    )


@pytest.fixture(scope="module")
def two_vms() -> tuple[Path, Path]:
    config = derived_config("isolation-two-vms", _add_second_vm)
    return config, build(config)


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_another_vms_memory_aborts_and_both_vms_go_on(
    two_vms: tuple[Path, Path], write: bool
) -> None:
    config, image = two_vms
    second = next(vm for vm in load_config(config).vms if vm.name == SECOND)
    address = second.memory.base + 0x1000
    with QemuSession(
        qemu_argv(config, image),
        log_path=log_path(f"isolation-{'write' if write else 'read'}-another-VM"),
        panic_patterns=["BOTHY PANIC", "Kernel panic - not syncing"],
    ) as linux:
        # The primary's marker starts a line; the other VM's carries its name in front.
        linux.expect(re.compile(r"\n" + re.escape(LINUX_READY_MARKER)), 90)
        linux.expect(PROMPT, 20)
        match = linux.expect(HEARTBEAT, 30)
        assert isinstance(match, re.Match)
        beat = int(match.group(1))
        settle()
        access_aborts_and_linux_goes_on(linux, address, write)
        # The other VM still runs: its heartbeat goes on well past the primary's access.
        while beat < int(match.group(1)) + 3:
            later = linux.expect(HEARTBEAT, 10)
            assert isinstance(later, re.Match)
            beat = int(later.group(1))
        assert f"VM '{SECOND}' stopped" not in linux.output
