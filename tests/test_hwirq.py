"""Hardware interrupt passthrough under QEMU: tests/guests/hwirq-test runs as 'clock' (the
primary VM), which the config gives QEMU virt's PL031 RTC (MMIO 0x09010000, SPI 2 = INTID 34),
and as 'nodev' (a secondary) without it.

'clock' programs two RTC alarms and must take INTID 34 for each, through the hypervisor's hwirq
forwarding and its own GIC driver; the second alarm only arrives if the guest's EOI of the first
deactivated the physical interrupt (ICH_LR.HW). 'nodev' reads the RTC, which its stage 2 does
not map, and must take a synchronous external abort there and go on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bothy.runner import run_batch
from conftest import build, derived_config, guest_vm, log_path, qemu_argv, replace_guest_vms

pytestmark = pytest.mark.qemu

RTC_BASE = 0x0901_0000
RTC_INTID = 34
NODEV_ABORTED = re.compile(
    r"\[nodev\] hwirq-test: the RTC read aborted: ESR_EL1 (0x[0-9a-f]+) FAR_EL1 (0x[0-9a-f]+)"
)
PANICS = ["BOTHY PANIC", "FATAL", "hwirq-test FAILED"]
# The primary VM's console is its raw serial stream: its lines carry no "[clock] " prefix.
PASSED = re.compile(r"(?m)^hwirq-test passed \((\d+) checks\)")


def _hwirq_system(raw: dict[str, object]) -> None:
    rtc = {
        "name": "rtc",
        "compatible": "arm,pl031",
        "irq": RTC_INTID,
        "memory": {"base": RTC_BASE, "size": 0x1000},
    }
    replace_guest_vms(
        raw,
        [
            guest_vm("clock", "primary", "hwirq-test", 0x4800_0000, devices=[rtc]),
            guest_vm("nodev", "secondary", "hwirq-test", 0x4840_0000),
        ],
    )


def hwirq_config() -> Path:
    return derived_config("hwirq", _hwirq_system)


def test_passed_through_rtc_interrupts_twice_and_others_cannot_reach_it() -> None:
    config = hwirq_config()
    result = run_batch(
        qemu_argv(config, build(config)),
        markers=[NODEV_ABORTED, PASSED],
        timeout=120.0,
        log_path=log_path("hwirq"),
        expect_exit=0,
        panic_patterns=PANICS,
    )
    out = result.output
    assert ": FAIL" not in out
    # The hypervisor made a hwirq for the SPI and the RM passed the RTC through to 'clock'.
    assert f"[hyp] hwirq for INTID {RTC_INTID} (passed through by the config)" in out
    assert (
        f"[rm] VM 'clock': device {RTC_BASE:#x}-{RTC_BASE + 0x1000:#x}, "
        f"INTID {RTC_INTID} passed through" in out
    )
    assert "VM 'nodev': device" not in out
    # Both alarms came as INTID 34 (the guest checked the details: RTC time, raw status, clear).
    alarms = re.findall(r"(?m)^hwirq-test: alarm (\d): INTID (\d+) after (\d+) ms", out)
    assert [(a[0], int(a[1])) for a in alarms] == [("1", RTC_INTID), ("2", RTC_INTID)], alarms
    # QEMU's PL031 times an alarm from the RTCMR write: 1 s, not earlier; the guest's watchdog
    # gives up after 5 s.
    assert all(900 <= int(a[2]) <= 5000 for a in alarms), alarms
    found = PASSED.search(out)
    assert found is not None and int(found.group(1)) == 9
    # 'nodev' has no RTC in its tree: its read of the RTC faulted at stage 2, and the
    # hypervisor gave it a synchronous external abort (read, from EL1) instead of stopping it.
    assert "[nodev] hwirq-test: no RTC in my device tree" in out
    assert "VM fault:" not in out
    assert f"[hyp] VM 'nodev' vCPU 0: read at IPA {RTC_BASE:#x} (VA {RTC_BASE:#x}" in out, (
        "the hypervisor did not report the abort it injected"
    )
    aborted = NODEV_ABORTED.search(out)
    assert aborted is not None
    assert (aborted.group(1), int(aborted.group(2), 16)) == ("0x96000010", RTC_BASE), (
        "nodev's abort has the wrong ESR_EL1 or FAR_EL1"
    )
    assert "an RTC this VM does not have" not in out
