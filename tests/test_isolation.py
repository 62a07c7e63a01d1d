"""Isolation: the primary Linux VM reads and writes memory that is not its own through
/dev/mem (busybox devmem). Every access must fault at stage 2, be reported with the decoded
syndrome and the faulting address, and stop only that VM: the RM keeps running and says so.
"""

from __future__ import annotations

import re

import pytest

from bothy.config import load_config
from bothy.guest.initramfs import LINUX_READY_MARKER
from bothy.paths import DEFAULT_CONFIG
from bothy.runner import QemuSession
from bothy.staging import staged_vms
from conftest import log_path, qemu_argv
from test_linux import settle

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
def test_foreign_access_faults_and_only_the_vm_stops(
    default_image, target: str, write: bool
) -> None:  # type: ignore[no-untyped-def]
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
        value = " 0x5a5a5a5a" if write else ""
        linux.sendline(f"devmem {address:#x} 32{value}; echo ACCESS-SUCCEEDED")
        linux.expect("[hyp] VM fault: VM", 20)
        # The rest of the system runs on: the RM hears about the stop and reports it.
        linux.expect("[rm] VM 'linux' stopped (fault)", 20)
        out = linux.output
        assert out.count("ACCESS-SUCCEEDED") == 1, "the access completed (only the echo may show)"
        assert "data abort from a lower EL" in out
        assert ("write" if write else "read") in out.split("[hyp] VM fault", 1)[1]
        assert f"IPA {address:#018x}" in out, f"fault report does not name {address:#x}"
