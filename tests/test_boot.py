"""Boots the real image under QEMU and checks what the serial console says: the hypervisor
comes up on every CPU, the RM self-test passes, and failures end loudly, never as hangs."""

from __future__ import annotations

import re

import pytest

from bothy.config import load_config
from bothy.runner import RunFailure, run_batch
from conftest import build, injected_config, log_path, qemu_argv, root_guest_config

pytestmark = pytest.mark.qemu

BOOT_TIMEOUT = 30.0  # generous for a loaded CI machine; a healthy boot takes well under 2 s


def test_boot_reaches_rm_selftest_and_powers_off() -> None:
    """The root VM alone: the RM checks the hypervisor, finds no VMs to build, powers off."""
    config = root_guest_config("rm-only", "rm")
    image = build(config)
    cpus = load_config(config).machine.cpus
    markers = [
        re.compile(r"\[hyp\] bothy hypervisor \d+\.\d+\.\d+ \(revision [0-9a-f]{12}"),
        "[hyp] EL2 MMU on",
        *[f"[hyp] CPU {i} online" for i in range(cpus)],
        f"[hyp] all {cpus} CPUs online",
        "[hyp] starting root VM 'rm'",
        "[rm] bothy resource manager",
        "[rm] self-test: console_write wrong cap: ok (ERROR_CSPACE_CAP_NULL)",
        "[rm] self-test: console_write non-zero res0 (native): ok (ERROR_ARGUMENT_INVALID)",
        "[rm] self-test: unassigned native number 0x61ff: ok (ERROR_UNIMPLEMENTED)",
        re.compile(r"\[rm\] self-test passed \(\d+ checks\)"),
        "[rm] no VMs to run: powering off",
        "[hyp] VM 'rm' requested PSCI SYSTEM_OFF",
    ]
    result = run_batch(
        qemu_argv(config, image),
        markers=markers,
        timeout=BOOT_TIMEOUT,
        log_path=log_path("smoke"),
        expect_exit=0,
    )
    assert result.exit_status == 0
    assert "FAIL" not in result.output
    # Every console line is attributed to its source.
    for line in result.output.splitlines():
        if line.strip():
            assert line.startswith(("[hyp] ", "[rm] ")), f"unattributed console line: {line!r}"


def test_hypervisor_panic_is_reported_and_exits_nonzero() -> None:
    config = injected_config("hyp-panic")
    with pytest.raises(RunFailure) as failure:
        run_batch(
            qemu_argv(config, build(config)),
            markers=["[rm] self-test passed"],
            timeout=BOOT_TIMEOUT,
            log_path=log_path("inject-hyp-panic"),
        )
    f = failure.value
    assert f.reason == "panic"
    text = f.log_path.read_text()
    assert "BOTHY PANIC on CPU 0: synchronous exception at EL2" in text
    assert "EC 0x25 data abort from the same EL; translation fault" in text
    assert "FAR_EL2 0x0000000000000008" in text
    assert re.search(r"ELR_EL2 0x00000000402[0-9a-f]{5}", text)
    assert "x30 0x" in text  # the full register dump made it out
    assert text.rstrip().endswith("BOTHY PANIC: stopping the machine")
    assert f.exit_status == 3


def test_hypervisor_stack_overflow_hits_the_guard_page_and_is_named() -> None:
    config = injected_config("hyp-stack-overflow")
    with pytest.raises(RunFailure) as failure:
        run_batch(
            qemu_argv(config, build(config)),
            markers=["[rm] self-test passed"],
            timeout=BOOT_TIMEOUT,
            log_path=log_path("inject-hyp-stack-overflow"),
        )
    f = failure.value
    assert f.reason == "panic"
    text = f.log_path.read_text()
    assert "EC 0x25 data abort from the same EL; translation fault" in text
    assert "stack overflow: CPU 0's EL2 stack ran into its guard page" in text
    assert text.rstrip().endswith("BOTHY PANIC: stopping the machine")
    assert f.exit_status == 3


def test_root_vm_fault_is_reported_and_stops_the_machine() -> None:
    config = injected_config("rm-fault")
    hyp_base = load_config(config).hypervisor_memory.base
    with pytest.raises(RunFailure) as failure:
        run_batch(
            qemu_argv(config, build(config)),
            markers=["[rm] self-test passed"],
            timeout=BOOT_TIMEOUT,
            log_path=log_path("inject-rm-fault"),
        )
    f = failure.value
    assert f.reason == "panic"  # "VM fault:" is one of the runner's failure patterns
    text = f.log_path.read_text()
    assert "VM fault: VM 'rm' vCPU 0 stopped" in text
    assert "EC 0x24 data abort from a lower EL; translation fault" in text
    assert f"IPA 0x{hyp_base:016x}" in text
    assert f.exit_status == 4


def test_hang_is_killed_with_reason_and_last_lines() -> None:
    config = injected_config("rm-hang")
    image = build(config)
    with pytest.raises(RunFailure) as failure:
        run_batch(
            qemu_argv(config, image),
            markers=["[rm] self-test passed"],
            timeout=4.0,
            log_path=log_path("inject-rm-hang"),
        )
    f = failure.value
    assert f.reason == "timeout"
    assert "waiting for '[rm] self-test passed'" in str(f)
    assert any("debug.inject=rm-hang" in line for line in f.last_lines)
    assert f.log_path.read_text().count("[rm] bothy resource manager") == 1


PROBE = re.compile(
    r"\[rm\] debug.inject=rm-build-fail: (?P<when>[a-z ]+): (?P<caps>\d+) free caps in the "
    r"RM's cspace, free hypervisor heap (?P<heap>\d+) cspace slots \((?P<blocks>\d+) cspaces\)"
)


def test_failed_vm_build_releases_every_object() -> None:
    """debug.inject=rm-build-fail makes a step late in every VM's build fail (binding its RM
    RPC receive interrupt): each failure is reported once, and afterwards the RM's free caps
    and the hypervisor's free heap are back to what they were before the build, which also
    shows that the probe at the failure saw them lower (something had been built)."""
    config = injected_config("rm-build-fail")
    with pytest.raises(RunFailure) as failure:
        run_batch(
            qemu_argv(config, build(config)),
            markers=["[rm] VM set-up failed"],
            timeout=BOOT_TIMEOUT,
            log_path=log_path("inject-rm-build-fail"),
        )
    text = failure.value.log_path.read_text()
    probes: dict[str, list[tuple[int, int]]] = {}
    for m in PROBE.finditer(text):
        probes.setdefault(m["when"], []).append((int(m["caps"]), int(m["heap"])))
    assert set(probes) == {"before the build", "at the failure", "after the build"}, probes
    (before,) = probes["before the build"]
    (after,) = probes["after the build"]
    assert after == before, f"released: free (caps, heap) {after} after, {before} before"
    for at in probes["at the failure"]:
        assert at[0] < before[0], f"free caps at the failure {at[0]}, before {before[0]}"
        assert at[1] < before[1], f"free heap at the failure {at[1]}, before {before[1]}"
    vms = [vm.name for vm in load_config(config).vms if vm.role != "root"]
    for name in vms:
        reports = re.findall(
            rf"\[rm\] VM '{re.escape(name)}': binding the receive interrupt failed: ERROR_\w+",
            text,
        )
        assert len(reports) == 1, f"VM '{name}' build failure reported {len(reports)} times"
    assert len(probes["at the failure"]) == len(vms)
    assert "started at" not in text
