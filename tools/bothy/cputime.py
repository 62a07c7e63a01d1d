"""CPU time from Linux's /proc: one process's (all its threads), and the whole host's.

The Linux boot benchmarks read both around each boot: the QEMU process's CPU time is a second
measure next to wall time, and the host's busy time minus QEMU's says how much else ran
meanwhile (on a shared machine wall times are only comparable when that is small).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bothy.errors import BothyError

__all__ = ["CpuTimeError", "HostSnapshot", "host_snapshot", "process_cpu_seconds"]

_PROC = Path("/proc")
# /proc/stat's "cpu" line: user nice system idle iowait irq softirq steal ...; these are busy.
# Steal counts too: time a hypervisor below took from this machine was not available to QEMU.
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)


class CpuTimeError(BothyError):
    """/proc could not be read (not Linux, or the process is gone)."""


@dataclass(frozen=True)
class HostSnapshot:
    """The host's CPU time so far, in seconds: busy (any CPU, any process) and in all."""

    busy: float
    total: float


def _ticks_per_second() -> int:
    return os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int, proc: Path = _PROC) -> float:
    """User plus system time process `pid` (every thread of it) has used so far."""
    try:
        text = (proc / str(pid) / "stat").read_text(encoding="ascii")
    except OSError as e:
        raise CpuTimeError(f"cannot read the CPU time of process {pid}: {e}") from e
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = text[text.rindex(")") + 2 :].split()
    # Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / _ticks_per_second()


def host_snapshot(proc: Path = _PROC) -> HostSnapshot:
    """The host's busy and total CPU time so far (all CPUs added up)."""
    try:
        first = (proc / "stat").read_text(encoding="ascii").splitlines()[0]
    except (OSError, IndexError) as e:
        raise CpuTimeError(f"cannot read the host's CPU time from {proc / 'stat'}: {e}") from e
    name, *values = first.split()
    if name != "cpu" or len(values) < 8:
        raise CpuTimeError(f"{proc / 'stat'}: expected a 'cpu' line first, found {first!r}")
    ticks = [int(v) for v in values]
    # guest and guest_nice (fields 9 and 10) are already included in user and nice.
    busy = sum(ticks[i] for i in _BUSY_FIELDS)
    total = sum(ticks[:8])
    hz = _ticks_per_second()
    return HostSnapshot(busy=busy / hz, total=total / hz)
