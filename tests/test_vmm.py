"""The RM's VM manager requests from a VMM: tests/guests/vmm-test runs as 'vmm' (the primary VM)
and 'other' (a secondary the primary owns), sharing a region they step through. The primary
allocates and frees a VM with VM_ALLOCATE / VM_DEALLOCATE / VM_GET_STATE, with valid and
invalid requests (wrong VMID, wrong state, short payloads); the other VM, not the new VM's
owner nor the primary, tries the same and must be refused. Every check prints its own line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bothy.runner import DEFAULT_PANIC_PATTERNS, RunResult, run_batch
from conftest import build, derived_config, guest_vm, log_path, qemu_argv, replace_guest_vms

pytestmark = pytest.mark.qemu

SYNC_BASE = 0x4880_0000
PREFIX = "vmm-test"
# Checks each side makes (tests/guests/vmm-test/main.c).
VMM_CHECKS = 26
OTHER_CHECKS = 7


def _system(raw: dict[str, object]) -> None:
    replace_guest_vms(
        raw,
        [
            guest_vm("vmm", "primary", "vmm-test", 0x4800_0000),
            guest_vm("other", "secondary", "vmm-test", 0x4840_0000),
        ],
    )
    raw["ipc"] = [
        {"kind": "shared_memory", "name": "sync", "vms": ["vmm", "other"],
         "memory": {"base": SYNC_BASE, "size": 0x1_0000}},
    ]  # fmt: skip


def config() -> Path:
    return derived_config("vmm-test", _system)


@pytest.fixture(scope="module")
def run() -> RunResult:
    cfg = config()
    return run_batch(
        qemu_argv(cfg, build(cfg)),
        markers=[re.compile(rf"(?m)^{PREFIX}: done")],
        timeout=60.0,
        log_path=log_path("vmm-test"),
        panic_patterns=[*DEFAULT_PANIC_PATTERNS, "FATAL"],
    )


def _lead(side: str) -> str:
    """What starts a side's lines: the primary's are raw, the other VM's carry its prefix."""
    return "" if side == "vmm" else re.escape("[other] ")


def _assert_all_ok(run: RunResult, side: str, count: int) -> None:
    checks = re.findall(rf"(?m)^{_lead(side)}{PREFIX}: (.*?: (?:ok \(|FAIL: ).*?)\r?$", run.output)
    wrong = [c for c in checks if ": ok (" not in c]
    assert not wrong, f"{side}: checks failed: {wrong}"
    assert len(checks) == count, f"{side}: {len(checks)} checks ran, expected {count}: {checks}"
    assert re.search(rf"(?m)^{_lead(side)}{PREFIX} passed \({count} checks\)", run.output), (
        f"{side}: no 'passed ({count} checks)' summary"
    )


def test_vmm_allocates_queries_and_frees_a_vm(run: RunResult) -> None:
    _assert_all_ok(run, "vmm", VMM_CHECKS)


def test_a_vm_that_is_not_the_owner_is_refused(run: RunResult) -> None:
    _assert_all_ok(run, "other", OTHER_CHECKS)
