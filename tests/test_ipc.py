"""IPC between two test-guest VMs the RM builds: tests/guests/ipc-test runs as 'ping' (the
primary VM) and 'pong' (a secondary) joined by two queue pairs, a doorbell each way and a
shared region; and tests/guests/rm-fuzz throws a seeded stream of broken RM RPC at the RM.

Each VM checks its RM RPC answers against its device tree, and the two check every message,
doorbell flag and shared word they exchange; the test reads their summaries and numbers off
the console. The stress stream's length is debug.iterations; `slow` runs it with 1 000 000.
Set BOTHY_FUZZ_SEED (decimal or 0x...) to replay an RM fuzz run."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from bothy.runner import DEFAULT_PANIC_PATTERNS, RunResult, run_batch
from conftest import build, derived_config, guest_vm, log_path, qemu_argv, replace_guest_vms

pytestmark = pytest.mark.qemu

SHARED_BASE = 0x4880_0000
SHARED_SIZE = 0x1_0000
PING_VMID, PONG_VMID = 0x3, 0x80
# ipc-test's fixed rounds (tests/guests/ipc-test/main.c).
PINGPONG_ROUNDS = 1000
BELL_ROUNDS = 200
# The RM logs a client's first problems one by one, then only counts at powers of two.
RM_LOG_BURST = 8
DEFAULT_FUZZ_SEED = 0x5EED_0B07
# rm-fuzz's bursts of fixed size, each followed by its sync request (tests/guests/rm-fuzz).
FIXED_BURSTS = (9, 16, 31)
# Panics and guest failures end a run at once. A VM fault is not among them here: pong's last
# act is a write to memory it may only read, and that fault is asserted below.
PANICS = ["BOTHY PANIC", "FATAL", "Kernel panic - not syncing", "ipc-test FAILED"]
# The primary VM's console is its raw serial stream (no "[name] " prefix, and other VMs' lines
# may land inside its lines), so the numbers the test reads come from the secondary's lines and
# the primary's summary, printed when everyone else is quiet.
PING_PASSED = re.compile(r"(?m)^ipc-test passed \((\d+) checks\)")
PONG_PASSED = re.compile(r"\[pong\] ipc-test passed \((\d+) checks\)")


def _ipc_system(raw: dict[str, object], iterations: int) -> None:
    replace_guest_vms(
        raw,
        [
            guest_vm("ping", "primary", "ipc-test", 0x4800_0000),
            guest_vm("pong", "secondary", "ipc-test", 0x4840_0000),
        ],
    )
    raw["ipc"] = [
        {"kind": "msgqueue_pair", "name": "chan", "vms": ["ping", "pong"], "queue_depth": 4},
        {"kind": "msgqueue_pair", "name": "bulk", "vms": ["ping", "pong"]},
        {"kind": "doorbell", "name": "bell", "vms": ["ping", "pong"]},
        {"kind": "doorbell", "name": "bellback", "vms": ["pong", "ping"]},
        {"kind": "shared_memory", "name": "buf", "vms": ["ping", "pong"],
         "memory": {"base": SHARED_BASE, "size": SHARED_SIZE}, "access": ["rw", "r"]},
    ]  # fmt: skip
    raw["debug"] = {"iterations": iterations}


def ipc_config(iterations: int) -> Path:
    return derived_config(f"ipc-{iterations}", lambda raw: _ipc_system(raw, iterations))


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, f"no line matching {pattern!r}"
    return int(found.group(1), 0)


def run_ipc(iterations: int, timeout: float) -> RunResult:
    config = ipc_config(iterations)
    image = build(config)
    started = time.monotonic()
    result = run_batch(
        qemu_argv(config, image),
        markers=[PONG_PASSED, "[hyp] VM fault:", PING_PASSED],
        timeout=timeout,
        log_path=log_path(f"ipc-{iterations}"),
        expect_exit=0,
        panic_patterns=PANICS,
    )
    print(f"ipc-test: {iterations} stress messages, {time.monotonic() - started:.1f} s")
    return result


def check_ipc_run(result: RunResult, iterations: int) -> None:
    out = result.output
    assert ": FAIL" not in out
    assert number(PING_PASSED.pattern, out) >= 40
    assert number(PONG_PASSED.pattern, out) >= 50
    # The stress stream, as the receiver reports its counts and the sender's.
    stress = re.search(
        r"\[pong\] ipc-test: stress: (\d+) messages sent, (\d+) received, (\d+) lost, "
        r"(\d+) duplicated, (\d+) reordered, queue full (\d+) times, (\d+) not-full interrupts",
        out,
    )
    assert stress is not None
    sent, received, lost, dup, reordered, full, woken = (int(g) for g in stress.groups())
    assert (sent, received, lost, dup, reordered) == (iterations, iterations, 0, 0, 0)
    assert full > 0 and woken > 0, "backpressure was never exercised"
    # Both sides (ping, the primary VM, prints without a prefix); each filled its FP/SIMD
    # registers before every round and found them intact after the peer's turn.
    pingpong = (
        f"ipc-test: ping-pong: {PINGPONG_ROUNDS} round trips, sizes 1..240, "
        "FP/SIMD registers changed 0 times"
    )
    assert f"[pong] {pingpong}" in out
    assert re.search(rf"^{re.escape(pingpong)}\r?$", out, re.MULTILINE), "ping's report"
    # Both spun at once on the CPU they share at equal priority; round robin took it from
    # each and gave it back every slice (the scheduler once forgot the outgoing vCPU).
    slices = re.findall(
        r"^(\[pong\] )?ipc-test: time slices: lost the CPU (\d+) times", out, re.MULTILINE
    )
    assert sorted(prefix for prefix, _ in slices) == ["", "[pong] "], slices
    assert all(int(away) >= 2 for _, away in slices), slices
    assert f"[pong] ipc-test: doorbell storm: {BELL_ROUNDS} rounds of 64 flags, 0 duplicated" in out
    # The RM printed both VMs' console writes as theirs, each line of the 3-fragment one whole.
    alphabet = "abcdefghijklmnopqrstuvwxyz" * 3
    for vmid, name in ((PING_VMID, "ping"), (PONG_VMID, "pong")):
        assert f"[rm] [{name}] ipc-test: RM console: hello from VM {vmid:#x}" in out
        for line in range(1, 5):
            text = f"ipc-test: RM console: long write from VM {vmid:#x}, line {line} of 4: "
            assert re.search(rf"\[rm\] \[{name}\] {re.escape(text + alphabet)}\r?\n", out), text
    # Console forwarding between pong and its owner, ping, both ways (NOTIFY_VM_CONSOLE_CHARS).
    assert (
        f'[pong] ipc-test: console forwarding: got "down from VM {PING_VMID:#x}" from VM '
        f"{PING_VMID:#x}" in out
    )
    up = f'ipc-test: console forwarding: got "up from VM {PONG_VMID:#x}" from VM {PONG_VMID:#x}'
    assert re.search(rf"^{re.escape(up)}\r?$", out, re.MULTILINE), "ping's forwarding report"
    assert f"[rm] [pong] up from VM {PONG_VMID:#x}\n" in out.replace("\r", "")
    # pong's write to the region it may only read faulted at stage 2, and only pong stopped.
    faults = [line for line in out.splitlines() if "VM fault:" in line]
    assert len(faults) == 1 and "pong" in faults[0], faults
    after = out.split("[hyp] VM fault:", 1)[1]
    assert f"IPA {SHARED_BASE:#018x}" in after
    assert "write" in after
    assert "the write to read-only shared memory went through" not in out


def test_ipc_between_two_vms() -> None:
    iterations = 100_000
    check_ipc_run(run_ipc(iterations, timeout=600.0), iterations)


@pytest.mark.slow
def test_ipc_stress_one_million_messages() -> None:
    iterations = 1_000_000
    check_ipc_run(run_ipc(iterations, timeout=3000.0), iterations)


# --- the RM RPC fuzzer -----------------------------------------------------------------------


def fuzz_seed() -> int:
    text = os.environ.get("BOTHY_FUZZ_SEED")
    return int(text, 0) if text else DEFAULT_FUZZ_SEED


def _fuzz_system(raw: dict[str, object], seed: int, messages: int) -> None:
    replace_guest_vms(raw, [guest_vm("fuzz", "primary", "rm-fuzz", 0x4800_0000)])
    raw["debug"] = {"seed": seed, "iterations": messages}


def run_rm_fuzz(seed: int, messages: int, timeout: float) -> RunResult:
    name = "rm-fuzz" if messages == 100_000 else f"rm-fuzz-{messages}"
    config = derived_config(name, lambda raw: _fuzz_system(raw, seed, messages))
    print(f"rm-fuzz: seed {seed:#x}; replay with BOTHY_FUZZ_SEED={seed:#x}")
    image = build(config)
    started = time.monotonic()
    result = run_batch(
        qemu_argv(config, image),
        # The fuzzer is the primary VM: its lines carry no "[fuzz] " prefix.
        markers=[
            f"rm-fuzz: seed {seed:#x}, at least {messages} messages",
            re.compile(r"(?m)^rm-fuzz: done: (\d+) messages"),
            re.compile(r"(?m)^rm-fuzz passed \((\d+) checks\)"),
        ],
        timeout=timeout,
        log_path=log_path(name),
        expect_exit=0,
        panic_patterns=[*DEFAULT_PANIC_PATTERNS, "rm-fuzz FAILED"],
    )
    print(f"rm-fuzz: {time.monotonic() - started:.1f} s")
    return result


def check_bursts(out: str) -> None:
    """Every request of each fixed burst (more than the RM's queue of 8 holds, none read before
    the sync request) was answered once and in order, and the stream had bursts too."""
    for n in FIXED_BURSTS:
        assert f"rm-fuzz: burst of {n} requests and a sync: {n + 1} replies" in out, n
        assert f"rm-fuzz: burst of {n} requests, none read: violations: ok (0x0)" in out, n
    assert number(r"rm-fuzz: done: \d+ messages in \d+ cases, (\d+) bursts", out) > 0


def test_rm_rpc_burst() -> None:
    """The bursts and a short stream: the case that lost replies 3..10 of 10, quickly."""
    result = run_rm_fuzz(fuzz_seed(), 3_000, timeout=120.0)
    out = result.output
    assert "violation in case" not in out and "violation:" not in out
    check_bursts(out)
    assert "after the run: VM_GET_VMID: ok" in out


def test_rm_rpc_fuzz() -> None:
    seed, messages = fuzz_seed(), 100_000
    out = run_rm_fuzz(seed, messages, timeout=900.0).output
    assert "violation in case" not in out and "violation:" not in out
    assert "model violations: ok (0x0)" in out
    check_bursts(out)
    sent = number(r"rm-fuzz: done: (\d+) messages", out)
    assert sent >= messages
    # The RM logged the rejects, but a few lines per power of two, not one per message.
    rm_lines = [line for line in out.splitlines() if line.startswith(f"[rm] rpc: VM {PING_VMID}")]
    counted = [line for line in rm_lines if "problems so far" in line]
    assert len(rm_lines) >= RM_LOG_BURST, "the RM logged no rejects"
    assert counted, "the RM never said how many problems it has seen"
    assert len(rm_lines) <= RM_LOG_BURST + sent.bit_length() + 1, f"{len(rm_lines)} RM lines"
    assert number(r"(\d+) problems so far", counted[-1]) >= sent // 20
