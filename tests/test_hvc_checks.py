"""Hypercall argument checks from a VM the RM builds: tests/guests/hvc-checks runs as the
primary VM (holding only its RM link caps, as a Linux primary does) and checks console_write
without a console cap, narrow arguments with bits set above their type, and cap IDs that name no
slot, then an RM RPC round trip. Each check prints its name and exact result; the test asserts
every one of them by name, so a failure says which check broke."""

from __future__ import annotations

import re

import pytest

from bothy.runner import DEFAULT_PANIC_PATTERNS, run_batch
from conftest import build, derived_config, guest_vm, log_path, qemu_argv, replace_guest_vms

pytestmark = pytest.mark.qemu

# The primary VM's console is raw: its lines carry no "[checks] " prefix.
PASSED = re.compile(r"(?m)^hvc-checks passed \((\d+) checks\)")
CHECKS = {
    # point 4: console_write belongs to the root VM
    "console_write cap 0 (native)": "ERROR_CSPACE_CAP_NULL",
    "console_write cap 1 (native)": "ERROR_CSPACE_CAP_NULL",
    "console_write CSPACE_CAP_INVALID (native)": "ERROR_CSPACE_CAP_NULL",
    "console_write cap 0x12345 (native)": "ERROR_CSPACE_CAP_NULL",
    "console_write cap 0 (SMCCC)": "ERROR_CSPACE_CAP_NULL",
    # point 6: narrow arguments are not cut to their low bits on the native path
    "msgqueue_send flags 0x1_0000_0000 (native)": "ERROR_ARGUMENT_INVALID",
    "msgqueue_bind_send_virq virq 0x1_0000_0020 (native)": "ERROR_ARGUMENT_INVALID",
    "msgqueue_bind_receive_virq virq 0x1_0000_0020 (native)": "ERROR_ARGUMENT_INVALID",
    "doorbell_bind_virq virq 0x1_0000_0020 (native)": "ERROR_ARGUMENT_INVALID",
    "msgqueue_bind_send_virq virq 0x1_0000_0020 (SMCCC: cut to 32 bits)": (
        "ERROR_CSPACE_INSUFFICIENT_RIGHTS"
    ),
    # point 9: an ID that names no slot is an invalid argument, as in Gunyah
    "msgqueue_send on cap 0x12345": "ERROR_ARGUMENT_INVALID",
    "msgqueue_receive on cap 0x12345": "ERROR_ARGUMENT_INVALID",
    "doorbell_send on CSPACE_CAP_INVALID": "ERROR_ARGUMENT_INVALID",
    "msgqueue_flush on the RM TX cap with bit 63 flipped": "ERROR_ARGUMENT_INVALID",
    "doorbell_send on the RM TX queue cap": "ERROR_CSPACE_WRONG_OBJECT_TYPE",
    # and the RM still serves the VM
    "RM RPC VM_GET_VMID after the checks: transport": "OK",
}


def _system(raw: dict[str, object]) -> None:
    replace_guest_vms(raw, [guest_vm("checks", "primary", "hvc-checks", 0x4800_0000)])


def test_hvc_checks_from_a_vm_the_rm_built() -> None:
    config = derived_config("hvc-checks", _system)
    image = build(config)
    result = run_batch(
        qemu_argv(config, image),
        markers=[re.compile(r"(?m)^hvc-checks: "), re.compile(r"(?m)^hvc-checks (passed|FAILED)")],
        timeout=60.0,
        log_path=log_path("hvc-checks"),
        expect_exit=0,
        panic_patterns=DEFAULT_PANIC_PATTERNS,
    )
    out = result.output
    results = dict(re.findall(r"(?m)^hvc-checks: (.+?): (ok \(\S+\)|FAIL: .*?)\r?$", out))
    wrong = {
        what: results.get(what, "(no result line)")
        for what, want in CHECKS.items()
        if results.get(what) != f"ok ({want})"
    }
    assert not wrong, f"checks that did not give their expected result: {wrong}"
    failed = [what for what, got in results.items() if got.startswith("FAIL")]
    assert not failed, f"failed checks: {failed}"
    assert PASSED.search(out), "no 'hvc-checks passed' line"
    assert result.exit_status == 0
