"""Runs the vcpu-life test guest (tests/guests/vcpu-life) as the root VM: a child VM's vCPU on
the other CPU takes synchronous external aborts for IPAs nothing maps (and is not stopped),
then has its last cap deleted while it runs, which must neither panic nor free it under its CPU."""

from __future__ import annotations

import re

import pytest

from bothy.runner import run_batch
from conftest import build, log_path, qemu_argv, root_guest_config

pytestmark = pytest.mark.qemu

PASSED = re.compile(r"\[rm\] vcpu-life passed \((\d+) checks\)")
CHECKS = 25
CHILD_BASE = 0x4200_0000  # ROOT_VM_MEM_BASE + ROOT_VM_MEM_SIZE (main.c)


def test_aborts_are_injected_and_a_running_vcpu_can_be_deleted() -> None:
    config = root_guest_config("vcpu-life", "vcpu-life")
    result = run_batch(
        qemu_argv(config, build(config)),
        markers=[PASSED],
        timeout=120.0,
        log_path=log_path("vcpu-life"),
        expect_exit=0,
    )
    out = result.output
    assert ": FAIL: " not in out
    found = PASSED.search(out)
    assert found is not None
    assert int(found.group(1)) == CHECKS, f"vcpu-life ran {found.group(1)} checks, not {CHECKS}"
    # The hypervisor said what it injected, and stopped nothing.
    assert "VM fault:" not in out
    for access, offset in (("read", 0x20_0000), ("fetch", 0x20_1000)):
        address = CHILD_BASE + offset
        line = f"vCPU 0: {access} at IPA {address:#x} (VA {address:#x}"
        assert line in out, f"no report of the injected {access} abort"
    assert "[rm] vcpu-life: load abort ESR_EL1 0x96000010 FAR_EL1 0x42200000" in out
    assert "fetch abort ESR_EL1 0x86000010 FAR_EL1 0x42201000" in out
