"""bothy.cputime: a process's and the host's CPU time, read from a stand-in /proc and from the
real one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bothy.cputime import CpuTimeError, host_snapshot, process_cpu_seconds

HZ = os.sysconf("SC_CLK_TCK")


def test_process_cpu_time_is_user_plus_system_even_with_odd_command_names(
    tmp_path: Path,
) -> None:
    (tmp_path / "42").mkdir()
    # Fields 14 and 15 (utime, stime); the name holds a space and a parenthesis.
    fields = ["S", "1", "42", "42", "0", "-1", "0", "0", "0", "0", "0", str(3 * HZ), str(HZ)]
    (tmp_path / "42" / "stat").write_text(f"42 (qemu (x) y) {' '.join(fields)} 0 0 20\n")
    assert process_cpu_seconds(42, proc=tmp_path) == 4.0


def test_host_snapshot_counts_busy_time_and_all_time(tmp_path: Path) -> None:
    # user nice system idle iowait irq softirq steal guest guest_nice
    ticks = [10, 20, 30, 400, 50, 6, 7, 8, 9, 1]
    (tmp_path / "stat").write_text(
        f"cpu  {' '.join(str(t * HZ) for t in ticks)}\ncpu0 1 2 3 4 5 6 7 8 9 0\n"
    )
    snapshot = host_snapshot(proc=tmp_path)
    assert snapshot.busy == 10 + 20 + 30 + 6 + 7 + 8  # guest time is inside user and nice
    assert snapshot.total == 10 + 20 + 30 + 400 + 50 + 6 + 7 + 8


def test_missing_or_malformed_proc_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CpuTimeError, match="cannot read the CPU time of process 7"):
        process_cpu_seconds(7, proc=tmp_path)
    with pytest.raises(CpuTimeError, match="cannot read the host's CPU time"):
        host_snapshot(proc=tmp_path)
    (tmp_path / "stat").write_text("intr 1 2 3\n")
    with pytest.raises(CpuTimeError, match="expected a 'cpu' line first"):
        host_snapshot(proc=tmp_path)


def test_the_real_proc_sees_this_process_compute() -> None:
    before, host_before = process_cpu_seconds(os.getpid()), host_snapshot()
    end = time.process_time() + 0.1
    while time.process_time() < end:
        pass
    assert process_cpu_seconds(os.getpid()) - before >= 0.09
    host_after = host_snapshot()
    assert host_after.busy - host_before.busy >= 0.09
    assert host_after.total >= host_after.busy
