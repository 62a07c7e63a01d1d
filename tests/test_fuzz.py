"""Hypercall fuzzing: the hvc-fuzz test guest makes a seeded stream of random hypercalls (both
entry paths, every number, hostile arguments), checking each result. It runs as the root VM,
and as a VM the RM built (the primary, holding only its RM link caps, as Linux would), where it
must afterwards still get a correct RM RPC answer and still be refused console_write.

The seed is printed; set BOTHY_FUZZ_SEED (decimal or 0x...) to replay a failing run."""

from __future__ import annotations

import os
import re
import time

import pytest

from bothy.runner import run_batch
from conftest import (
    build,
    derived_config,
    guest_vm,
    log_path,
    qemu_argv,
    replace_guest_vms,
    root_guest_config,
)

DEFAULT_SEED = 0x5EED_B07F
# Generous for a loaded CI machine; see the timings printed by each test.
TIMEOUT_100K = 300.0
TIMEOUT_1M = 900.0


def fuzz_seed() -> int:
    text = os.environ.get("BOTHY_FUZZ_SEED")
    return int(text, 0) if text else DEFAULT_SEED


def run_fuzzer(iterations: int, timeout: float) -> None:
    seed = fuzz_seed()
    name = f"hvc-fuzz-{iterations}"
    config = root_guest_config(name, "hvc-fuzz", {"seed": seed, "iterations": iterations})
    print(f"hvc-fuzz: seed {seed:#x} ({iterations} calls); replay with BOTHY_FUZZ_SEED={seed:#x}")
    image = build(config)
    started = time.monotonic()
    result = run_batch(
        qemu_argv(config, image),
        markers=[
            f"[rm] fuzz: seed {seed:#x} iterations {iterations}",
            "[rm] fuzz: 50% ",
            f"[rm] fuzz: passed ({iterations} calls, seed {seed:#x})",
            "[hyp] VM 'rm' requested PSCI SYSTEM_OFF",
        ],
        timeout=timeout,
        log_path=log_path(name),
        expect_exit=0,
    )
    elapsed = time.monotonic() - started
    print(f"hvc-fuzz: {iterations} calls in {elapsed:.1f} s (log {result.log_path})")
    assert result.exit_status == 0
    assert not re.search(r"fuzz: (violation|FAILED)", result.output)
    # A fifth of the calls go to the memory calls (derive, donate, map, lookup...); afterwards
    # memory ownership still works end to end.
    assert re.search(
        r"fuzz: after the run: memextent derive, donate, map, lookup, donate again "
        r"\(ERROR_MEMDB_NOT_OWNER\): ok",
        result.output,
    )


@pytest.mark.qemu
def test_fuzz_100k_calls() -> None:
    run_fuzzer(100_000, TIMEOUT_100K)


@pytest.mark.qemu
@pytest.mark.slow
def test_fuzz_1m_calls() -> None:
    run_fuzzer(1_000_000, TIMEOUT_1M)


def run_rm_built_fuzzer(iterations: int, timeout: float) -> None:
    """hvc-fuzz as the primary VM. Its console is raw: its lines carry no "[fuzz] " prefix."""
    seed = fuzz_seed()
    name = f"hvc-fuzz-vm-{iterations}"

    def change(raw: dict[str, object]) -> None:
        replace_guest_vms(raw, [guest_vm("fuzz", "primary", "hvc-fuzz", 0x4800_0000)])
        raw["debug"] = {"seed": seed, "iterations": iterations}

    config = derived_config(name, change)
    print(
        f"hvc-fuzz (VM): seed {seed:#x} ({iterations} calls); replay with BOTHY_FUZZ_SEED={seed:#x}"
    )
    image = build(config)
    started = time.monotonic()
    result = run_batch(
        qemu_argv(config, image),
        markers=[
            f"fuzz: seed {seed:#x} iterations {iterations}",
            "fuzz: a VM the RM built",
            "fuzz: 50% ",
            re.compile(r"(?m)^fuzz: (passed|FAILED)"),
        ],
        timeout=timeout,
        log_path=log_path(name),
        expect_exit=0,
    )
    elapsed = time.monotonic() - started
    print(f"hvc-fuzz (VM): {iterations} calls in {elapsed:.1f} s (log {result.log_path})")
    out = result.output
    violations = re.findall(r"(?m)^fuzz: violation .*$", out)
    assert not violations, f"results the fuzzer did not allow: {violations}"
    for check in (
        "fuzz: after the run: hypervisor_identify api info",
        "fuzz: after the run: RM RPC VM_GET_VMID",
        "fuzz: after the run: console_write cap 0",
    ):
        line = re.search(rf"(?m)^{re.escape(check)}.*$", out)
        assert line is not None, f"no line for the check {check!r}"
        assert "WRONG" not in line.group(0), f"check failed: {line.group(0)}"
    assert re.search(rf"(?m)^fuzz: passed \({iterations} calls, seed {seed:#x}\)", out), (
        "no 'fuzz: passed' line"
    )
    assert result.exit_status == 0


@pytest.mark.qemu
def test_fuzz_100k_calls_from_a_vm_the_rm_built() -> None:
    run_rm_built_fuzzer(100_000, TIMEOUT_100K)


@pytest.mark.qemu
@pytest.mark.slow
def test_fuzz_1m_calls_from_a_vm_the_rm_built() -> None:
    run_rm_built_fuzzer(1_000_000, TIMEOUT_1M)
