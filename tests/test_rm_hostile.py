"""What a hostile VM can do to others through the RM: tests/guests/rm-hostile runs as 'owner'
(the primary VM) and 'hostile' (a secondary it owns, with 2 vCPUs), sharing a region they step
through phases in.

- Console: the hostile VM writes text that looks like the RM's own lines, with control
  characters; the RM must print it as the VM's, escaped.
- Notifications: it sends 100 VM_SET_STATUS and 200 console writes while its owner reads
  nothing; the owner's next reply must still arrive, its status notifications be coalesced,
  and the RM's log lines about what it dropped be rate-limited.
- Flood: its vCPU 1 floods the RM's queue for 2 s; the owner's VM_GET_VMID round trip must
  stay under 10x its idle value, and the hostile VM's own vCPU 0 (on the RM's CPU) must run.

One QEMU run serves the three tests (a module fixture); each asserts its own lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bothy.runner import DEFAULT_PANIC_PATTERNS, RunResult, run_batch
from conftest import build, derived_config, guest_vm, log_path, qemu_argv, replace_guest_vms

pytestmark = pytest.mark.qemu

OWNER_VMID = 0x3
SYNC_BASE = 0x4880_0000
# rm-hostile's fixed counts (tests/guests/rm-hostile/main.c).
STATUS_REQUESTS = 100
CONSOLE_WRITES = 200
# The RM logs a client's first problems one by one, then only counts at powers of two.
RM_LOG_BURST = 8
# The RM's queue to a client holds 8 messages; one more status notification may wait in the
# outbox, updated in place.
QUEUE_DEPTH = 8
# What the RM prints when a VM stops; the hostile VM writes it to its RM console.
FORGED = "VM 'owner' stopped (fault)"
PREFIX = "rm-hostile"
# The owner is the primary VM: its lines carry no "[owner] " prefix.
OWNER = re.compile(rf"(?m)^{PREFIX}: ")


def _system(raw: dict[str, object]) -> None:
    replace_guest_vms(
        raw,
        [
            guest_vm("owner", "primary", "rm-hostile", 0x4800_0000),
            guest_vm("hostile", "secondary", "rm-hostile", 0x4840_0000, vcpus=2),
        ],
    )
    raw["ipc"] = [
        {"kind": "shared_memory", "name": "sync", "vms": ["owner", "hostile"],
         "memory": {"base": SYNC_BASE, "size": 0x1_0000}},
    ]  # fmt: skip


def config() -> Path:
    return derived_config("rm-hostile", _system)


@pytest.fixture(scope="module")
def run() -> RunResult:
    cfg = config()
    image = build(cfg)
    return run_batch(
        qemu_argv(cfg, image),
        markers=[re.compile(rf"(?m)^{PREFIX}: done")],
        timeout=180.0,
        log_path=log_path("rm-hostile"),
        expect_exit=0,
        panic_patterns=[*DEFAULT_PANIC_PATTERNS, "FATAL"],
    )


def lines(run: RunResult) -> list[str]:
    return run.output.replace("\r\n", "\n").split("\n")


def owner_number(run: RunResult, pattern: str) -> tuple[int, ...]:
    found = re.search(rf"(?m)^{PREFIX}: {pattern}", run.output)
    assert found is not None, f"the owner printed no line matching {pattern!r}"
    return tuple(int(g) for g in found.groups())


def test_console_write_is_attributed_and_escaped(run: RunResult) -> None:
    out = lines(run)
    forged = [line for line in out if line.startswith(f"[rm] {FORGED}")]
    assert not forged, f"console: the hostile VM printed a line as the RM's own: {forged}"
    assert f"[rm] [hostile] {FORGED}" in out, "console: the VM's line is not attributed to it"
    escaped = f"[rm] [hostile] half a line\\x0d{FORGED}\\x1b[0m"
    assert escaped in out, "console: control characters are not shown escaped"
    assert "\x1b" not in run.output, "console: a raw escape byte reached the console"


def test_notifications_never_displace_a_reply(run: RunResult) -> None:
    text = run.output
    assert f"[hostile] {PREFIX}: sent {STATUS_REQUESTS} VM_SET_STATUS" in text
    reply = re.search(rf"(?m)^{PREFIX}: notifications: reply after .*: (\w+)", text)
    assert reply is not None, "notifications: the owner never reported on its reply"
    assert reply.group(1) == "ok", (
        f"notifications: the owner's reply was lost after {STATUS_REQUESTS} VM_SET_STATUS "
        f"and {CONSOLE_WRITES} console writes from the VM it owns"
    )
    status, last_app, console, other = owner_number(
        run,
        r"notifications: (\d+) NOTIFY_VM_STATUS \(last app_status (\d+)\), (\d+) "
        r"NOTIFY_VM_CONSOLE_CHARS, (\d+) other",
    )
    print(f"notifications: {status} status (last {last_app}), {console} console, {other} other")
    assert last_app == STATUS_REQUESTS, "notifications: the last status the owner got is stale"
    assert status <= QUEUE_DEPTH + 1, (
        f"notifications: {status} NOTIFY_VM_STATUS for {STATUS_REQUESTS} changes: not coalesced"
    )
    # What the RM could not pass on it logged, but a few lines per power of two.
    rm_lines = [
        line for line in lines(run) if line.startswith("[rm] rpc:") and f"VM {OWNER_VMID}" in line
    ]
    limit = RM_LOG_BURST + CONSOLE_WRITES.bit_length() + 1
    assert len(rm_lines) <= limit, (
        f"notifications: {len(rm_lines)} RM log lines about the owner's notifications, "
        f"more than {limit}: not rate-limited"
    )


def window(run: RunResult, who: str, kind: str, pattern: str) -> tuple[int, ...]:
    prefix = r"\[hostile\] " if who == "hostile" else "^"
    found = re.search(rf"(?m){prefix}{PREFIX}: {kind}: {pattern}", run.output)
    assert found is not None, f"flood: the {who} VM printed no {kind} line"
    return tuple(int(g) for g in found.groups())


def test_flood_from_one_vm_does_not_starve_others(run: RunResult) -> None:
    rtt = r"(\d+) VM_GET_VMID round trips in \d+ s: mean (\d+) us, max (\d+) us"
    runs = r"vCPU 0 ran (\d+) times in \d+ s, longest stall (\d+) us"
    n_idle, idle, idle_max = window(run, "owner", "idle", rtt)
    n_flood, flood, flood_max = window(run, "owner", "flood", rtt)
    runs_idle, stall_idle = window(run, "hostile", "idle", runs)
    runs_flood, stall_flood = window(run, "hostile", "flood", runs)
    print(
        f"flood: owner round trips idle {n_idle} (mean {idle} us, max {idle_max} us), "
        f"flooded {n_flood} (mean {flood} us, max {flood_max} us); hostile vCPU 0 ran "
        f"{runs_idle} times idle (stall {stall_idle} us), {runs_flood} flooded "
        f"(stall {stall_flood} us)"
    )
    assert flood < 10 * max(idle, 1), (
        f"flood: the owner's VM_GET_VMID round trip averaged {flood} us under flood, "
        f"{idle} us idle: not under 10x"
    )
    assert runs_flood * 10 > runs_idle, (
        f"flood: the flooding VM's vCPU 0 ran {runs_flood} times under flood, "
        f"{runs_idle} times idle: starved"
    )
