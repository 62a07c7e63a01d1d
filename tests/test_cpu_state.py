"""What a vCPU finds of the state the hypervisor keeps per CPU, in test-guest VMs the RM
builds: a vCPU PSCI CPU_ON starts right after AFFINITY_INFO reported it OFF finds only its
reset state (tests/guests/psci-test)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from bothy.runner import DEFAULT_PANIC_PATTERNS, RunResult, run_batch
from conftest import build, derived_config, guest_vm, log_path, qemu_argv, replace_guest_vms

pytestmark = pytest.mark.qemu

PSCI_CYCLES = 10_000


Change = Callable[[dict[str, object]], None]


def _run(name: str, change: Change, markers: list[str | re.Pattern[str]], fail: str) -> RunResult:
    """Builds the default system changed by `change` and runs it until every marker showed
    and QEMU exited 0; a FATAL line or `fail` ends the run as a failure."""
    config = derived_config(name, change)
    image = build(config)
    started = time.monotonic()
    result = run_batch(
        qemu_argv(config, image),
        markers=markers,
        timeout=600.0,
        log_path=log_path(name),
        expect_exit=0,
        panic_patterns=[*DEFAULT_PANIC_PATTERNS, "FATAL", fail],
    )
    print(f"{name}: {time.monotonic() - started:.1f} s")
    return result


def _psci_system(raw: dict[str, object]) -> None:
    # Two vCPUs, so on the two CPUs (affinity = index % CPUs): vCPU 1 switches itself off on
    # CPU 1 while vCPU 0 watches from CPU 0.
    replace_guest_vms(raw, [guest_vm("psci", "primary", "psci-test", 0x4800_0000, vcpus=2)])
    raw["debug"] = {"iterations": PSCI_CYCLES}


def test_psci_cpu_on_after_off_starts_from_reset() -> None:
    summary = re.compile(
        r"(?m)^psci-test: (\d+) OFF/ON cycles: (\d+) CPU_ON refused, (\d+) starts lost, "
        r"x0 wrong (\d+), TPIDR_EL1 stale (\d+), CPACR_EL1 stale (\d+), d0 stale (\d+); "
        r"(\d+) AFFINITY_INFO ON answers"
    )
    passed = re.compile(r"(?m)^psci-test passed")
    result = _run("psci-test", _psci_system, [summary, passed], "psci-test FAILED")
    found = summary.search(result.output)
    assert found is not None, "no psci-test summary line"
    cycles, refused, lost, x0, tpidr, cpacr, d0, polls = (int(g) for g in found.groups())
    print(f"psci-test: {polls} AFFINITY_INFO polls answered ON over {cycles} cycles")
    assert cycles == PSCI_CYCLES, "psci-test ran a different number of cycles"
    assert refused == 0, f"CPU_ON refused {refused} times after AFFINITY_INFO said OFF"
    assert lost == 0, "vCPU 1 did not start after a successful CPU_ON"
    assert x0 == 0, f"x0 was not the new context_id in {x0} starts"
    assert tpidr == 0, f"TPIDR_EL1 kept the old vCPU's value in {tpidr} starts"
    assert cpacr == 0, f"CPACR_EL1 kept the old vCPU's FPEN in {cpacr} starts"
    assert d0 == 0, f"d0 kept the old vCPU's value in {d0} starts"
