"""Hypercall fuzzing: the hvc-fuzz test guest runs as the root VM and makes a seeded stream of
random hypercalls (both entry paths, every number, hostile arguments), checking each result.

The seed is printed; set BOTHY_FUZZ_SEED (decimal or 0x...) to replay a failing run."""

from __future__ import annotations

import os
import re
import time

import pytest

from bothy.runner import run_batch
from conftest import build, log_path, qemu_argv, root_guest_config

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


@pytest.mark.qemu
def test_fuzz_100k_calls() -> None:
    run_fuzzer(100_000, TIMEOUT_100K)


@pytest.mark.qemu
@pytest.mark.slow
def test_fuzz_1m_calls() -> None:
    run_fuzzer(1_000_000, TIMEOUT_1M)
