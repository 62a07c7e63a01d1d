"""Runs the ABI test guest (tests/guests/abi-test) as the root VM: every implemented
hypercall with valid and invalid arguments, each result checked against Gunyah's exact code."""

from __future__ import annotations

import re

import pytest

from bothy.runner import run_batch
from conftest import build, derived_config, guest_vm, log_path, qemu_argv, replace_guest_vms

pytestmark = pytest.mark.qemu


def _abi_system(raw: dict[str, object]) -> None:
    """The root VM runs abi-test instead of the RM. A guest VM that is never started (only
    the RM starts VMs) is given QEMU virt's PL031 RTC, so the hypervisor hands the root VM a
    hwirq cap for INTID 34 and lets a device extent cover the RTC's MMIO: the hwirq checks."""
    rtc = {
        "name": "rtc",
        "compatible": "arm,pl031",
        "irq": 34,
        "memory": {"base": 0x0901_0000, "size": 0x1000},
    }
    dev = guest_vm("dev", "secondary", "hwirq-test", 0x4800_0000, devices=[rtc])
    replace_guest_vms(raw, [dev], root_image="abi-test")


def test_abi_guest_passes_every_check() -> None:
    config = derived_config("abi-test", _abi_system)
    result = run_batch(
        qemu_argv(config, build(config)),
        markers=[re.compile(r"\[rm\] abi-test passed \((\d+) checks\)")],
        timeout=120.0,
        log_path=log_path("abi-test"),
        expect_exit=0,
    )
    assert ": FAIL: " not in result.output
    checks = int(re.search(r"abi-test passed \((\d+) checks\)", result.output).group(1))  # type: ignore[union-attr]
    # Exact: a check that silently stops running (or a new one) must show up here.
    assert checks == 436, f"abi-test ran {checks} checks, expected 436: see {log_path('abi-test')}"
    lines = result.output.splitlines()
    # Extent mappings (extent.c): an unmap through another extent and a destroyed extent
    # leave the right mappings, with Gunyah's error codes.
    extent = [
        line
        for line in lines
        if "abi-test: " in line
        and line.split("abi-test: ")[1]
        .lstrip()
        .startswith(("extents:", "map ", "unmap ", "A is", "after one", "its record"))
    ]
    assert len(extent) == 20 and all(": ok (" in line for line in extent), "\n".join(extent)
    for expected in (
        "unmap through B, which is not mapped there: ok (ERROR_ADDR_INVALID)",
        "map C where A was: ok (OK)",
        "map C into a fifth address space: ok (ERROR_MEMEXTENT_MAPPINGS_FULL)",
    ):
        assert f"[rm] abi-test: {expected}" in lines, f"missing extent check line: {expected}"
    # The hwirq checks (hwirq.c) ran against the boot hwirq cap, each with its exact code.
    hwirq = [line for line in lines if re.search(r"abi-test: (hwirq_|  and unbind)", line)]
    assert len(hwirq) == 21
    assert all(": ok (" in line for line in hwirq)
    assert "[rm] abi-test: hwirq_bind_virq again (bound): ok (ERROR_VIRQ_BOUND)" in lines
    assert "[rm] abi-test: hwirq_bind_virq to an SPI a doorbell drives: ok (ERROR_BUSY)" in lines
    assert "[rm] abi-test:   reads the RTC's PrimeCell ID: ok (0xb1)" in lines
    # The end-to-end interrupt checks (virq.c) ran, polled and through the IRQ vector.
    virq_check = re.compile(r"abi-test: (root vic|vic of 48|\w+ vIRQ|vector mode)")
    virq = [line for line in lines if virq_check.search(line)]
    assert len(virq) == 54
    assert all(": ok (" in line for line in virq)
    assert "[rm] abi-test: vector mode: with the doorbell's INTID: ok (0x42)" in lines
    # Memory ownership (ownership.c): derived extents and donation in every direction, each
    # with its exact code, and donated pages gone from the donor's stage 2.
    start = lines.index("[rm] abi-test: ownership: a basic parent of 16 pages: ok (OK)")
    end = lines.index("[rm] abi-test: ownership: the parent unmapped: ok (OK)")
    ownership = [line for line in lines[start : end + 1] if "abi-test: " in line]
    assert len(ownership) == 72 and all(": ok (" in line for line in ownership), "\n".join(
        ownership
    )
    for expected in (
        "  the parent's mapping of them is gone: ok (ERROR_ADDR_INVALID)",
        "  a basic child cannot donate: ok (ERROR_MEMEXTENT_TYPE)",
        "to_child: pages 4-5 to S (no_sync): ok (OK)",
        "  they left the parent's stage 2: ok (ERROR_ADDR_INVALID)",
        "  the parent cannot map them: ok (ERROR_MEMDB_NOT_OWNER)",
        "  it left the child address space: ok (ERROR_ADDR_INVALID)",
        "  and reads zeros: it was wiped: ok (0x0)",
        "  page 4 reads as wiped: ok (0x0)",
    ):
        assert f"[rm] abi-test: {expected}" in lines, f"missing ownership check line: {expected}"
    # addrspace_lookup (lookup.c): runs end where the rights or the extent change.
    start = lines.index("[rm] abi-test: lookup: an address space: ok (OK)")
    end = lines.index("[rm] abi-test:   then nothing is found: ok (ERROR_ADDR_INVALID)")
    found = [line for line in lines[start : end + 1] if "abi-test: " in line]
    assert len(found) == 26 and all(": ok (" in line for line in found), "\n".join(found)
    for expected in (
        "lookup: the read-only run ends with the extent: ok (OK)",
        "  size: ok (0x2000)",
        "  map_attrs: ok (0xf0044)",
        "lookup: another extent's page: ok (ERROR_ADDR_INVALID)",
        "  lookup finds S's two pages there: ok (0x2000)",
    ):
        assert f"[rm] abi-test: {expected}" in lines, f"missing lookup check line: {expected}"
    # addrspace_update_access (access.c): rights changed in place, bad updates change nothing.
    access = [line for line in lines if "abi-test: update_access: " in line]
    assert len(access) == 11 and all(": ok (" in line for line in access), "\n".join(access)
    assert "[rm] abi-test:   lookup: page 1 is read-only normal memory: ok (0xf0044)" in lines
    assert "[rm] abi-test:   it still reads the same: ok (0xacce55)" in lines
