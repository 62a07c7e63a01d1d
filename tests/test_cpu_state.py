"""What a vCPU finds of the state the hypervisor keeps per CPU, in test-guest VMs the RM
builds: a vCPU PSCI CPU_ON starts right after AFFINITY_INFO reported it OFF finds only its
reset state (tests/guests/psci-test); trapped T32 instructions at AArch32 EL0 are stepped
over by their length and condition (tests/guests/aarch32-test); registers of features
guests do not have neither carry values from one VM to another nor reach the CPU
(tests/guests/sysreg-test)."""

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


def _aarch32_system(raw: dict[str, object]) -> None:
    replace_guest_vms(raw, [guest_vm("a32", "primary", "aarch32-test", 0x4800_0000)])


def test_trapped_t32_instructions_step_by_their_length_and_condition() -> None:
    summary = re.compile(
        r"(?m)^aarch32-test: back from AArch32 EL0: vector (\d+), ESR_EL1 (0x[0-9a-f]+), "
        r"r0 (\d+), r1 (\d+), r2 (\d+), r3 (\d+); (\d+) timer interrupts"
    )
    passed = re.compile(r"(?m)^aarch32-test passed")
    result = _run("aarch32-test", _aarch32_system, [summary, passed], "aarch32-test FAILED")
    found = summary.search(result.output)
    assert found is not None, "no aarch32-test summary line"
    vector, esr = int(found.group(1)), int(found.group(2), 16)
    r0, r1, r2, r3, irqs = (int(g) for g in found.groups()[2:])
    print(f"aarch32-test: r0-r3 {r0} {r1} {r2} {r3}, {irqs} timer interrupts")
    assert vector == 12 and esr >> 26 == 0x11, "EL0 did not end with its SVC"
    assert r0 == 3, f"16-bit WFI: {r0} of 3 (the ADD after it was skipped)"
    assert r1 == 3, f"32-bit WFI: {r1} of 3"
    assert r2 == 3, f"WFIEQ ending an IT block: {r2} of 3"
    assert r3 == 5, f"failed WFIEQ, then WFEEQ in an ITT block: {r3}, want 5"
    assert irqs >= 3, f"only {irqs} timer interrupts ended the 3 executed WFIs"


def _sysreg_system(raw: dict[str, object]) -> None:
    # One vCPU each, so both on CPU 0 (affinity = index % CPUs), at the same priority.
    replace_guest_vms(
        raw,
        [
            guest_vm("alpha", "primary", "sysreg-test", 0x4800_0000),
            guest_vm("beta", "secondary", "sysreg-test", 0x4840_0000),
        ],
    )


def test_el1_registers_neither_leak_nor_reach_hidden_features() -> None:
    summary = re.compile(
        r"(?m)^(\[beta\] )?sysreg-test: VM (0x[0-9a-f]+): TPIDR2_EL0 (0x[0-9a-f]+), "
        r"(\d+)/(\d+) foreign; DISR_EL1 (0x[0-9a-f]+), (\d+)/\d+ foreign; (\d+)/(\d+) UNDEFINED"
    )
    beta = re.compile(r"\[beta\] sysreg-test passed")
    alpha = re.compile(r"(?m)^sysreg-test passed")
    result = _run("sysreg-test", _sysreg_system, [beta, alpha], "sysreg-test FAILED")
    found = summary.findall(result.output)
    assert sorted(prefix for prefix, *_ in found) == ["", "[beta] "], "a VM's summary is missing"
    for _, vmid, tp_first, tp_foreign, rounds, disr_first, disr_foreign, undef, total in found:
        print(f"sysreg-test: VM {vmid}: another VM's TPIDR2_EL0 {tp_foreign}/{rounds}, "
              f"DISR_EL1 {disr_foreign}/{rounds}; {undef}/{total} UNDEFINED")  # fmt: skip
        assert int(tp_first, 16) == 0, f"VM {vmid}: TPIDR2_EL0 started at {tp_first}, not 0"
        assert int(tp_foreign) == 0, f"VM {vmid}: another VM's TPIDR2_EL0 in {tp_foreign} rounds"
        assert int(disr_first, 16) == 0, f"VM {vmid}: DISR_EL1 started at {disr_first}, not 0"
        assert int(disr_foreign) == 0, f"VM {vmid}: another VM's DISR_EL1 in {disr_foreign} rounds"
        assert undef == total, f"VM {vmid}: {undef} of {total} hidden-register accesses UNDEFINED"
