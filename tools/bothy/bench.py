"""Benchmarks: build a config's benchmark variants, run them under QEMU, collect results.

The bench guest (tests/guests/bench) counts instructions with the PMU, EL2 included, and prints
`BENCH <metric> <value> <unit>` lines; with `-icount shift=0` the counts are the same every run.

The IPC benchmarks run tests/guests/ipc-bench as two VMs ("ping" and "pong") that the config's
RM builds on its own CPU, joined by a queue pair, two doorbells and a shared page; both count
with the PMU, which counts the whole cross-VM round trip on that CPU.

The Linux boot benchmarks boot the config's primary Linux VM (same kernel, initramfs and command
line) under bothy and directly on QEMU (same -smp, -m and CPU) in one run, to /init's
LINUX_READY_MARKER, and report bothy / bare: wall time and QEMU's CPU time to the marker
(medians of many runs each, interleaved, with how busy the rest of the host was meanwhile) and
instructions under -icount up to the power-off /init does right after the marker
(BENCH_PARAMETER on the command line), read from QEMU over QMP.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psutil
import yaml

from bothy.config import SystemConfig, Vm, load_config
from bothy.errors import BothyError
from bothy.files import write_if_changed
from bothy.guest.initramfs import BENCH_PARAMETER, LINUX_READY_MARKER
from bothy.paths import BUILD_ROOT, REPO_ROOT, build_dir_for
from bothy.qemu import bare_linux_command, qemu_command
from bothy.qmp import QmpClient, QmpError
from bothy.runner import DEFAULT_PANIC_PATTERNS, QemuSession, run_batch

__all__ = [
    "BENCH_GUEST",
    "DESCRIPTIONS",
    "EXPECTED_METRICS",
    "GUEST_METRICS",
    "IPC_METRICS",
    "LINUX_METRICS",
    "LINUX_RUNS",
    "LINUX_WALL_RUNS",
    "TARGETS",
    "BenchError",
    "BenchIncomplete",
    "Metric",
    "WallRun",
    "bench_config",
    "build_bench",
    "cpu_metrics",
    "format_table",
    "host_load_metric",
    "icount_argv",
    "icount_metrics",
    "ipc_bench_config",
    "linux_bench_config",
    "parse_bench_lines",
    "primary_linux_vm",
    "read_results",
    "results_json",
    "results_path",
    "run_bench",
    "run_guest_bench",
    "run_ipc_bench",
    "run_linux_bench",
    "wall_metrics",
    "wall_run",
    "write_results",
]

BENCH_GUEST = "bench"
IPC_BENCH_GUEST = "ipc-bench"
IPC_DONE_MARKER = "ipc benchmarks done"  # the primary VM's output is not prefixed
IPC_BENCH_LOG = BUILD_ROOT / "logs" / "ipc-bench.log"
IPC_VM_SIZE = 4 << 20  # a test guest's minimum: image and DTB slots
BENCH_CONFIG_DIR = BUILD_ROOT / "bench-configs"
BENCH_LOG = BUILD_ROOT / "logs" / "bench.log"
# Booting, calibrating and 3 x 4096 loops take well under a second under -icount; generous
# so a loaded CI machine is never the reason a run fails.
RUN_TIMEOUT = 120.0
BUILD_TIMEOUT = 600.0
DONE_MARKER = "benchmarks done"
# Linux boot benchmarks: runs per system under -icount (counts vary by about 0.05%) and
# without it (wall times vary by 10-30% on a shared 2-core machine: many runs, interleaved,
# so that the medians can resolve a few percent); the bare kernel reaches the marker in 2-3
# s, so the timeouts only catch a hung or broken boot.
LINUX_RUNS = 3
LINUX_WALL_RUNS = 10
LINUX_BOOT_TIMEOUT = 120.0
LINUX_POWEROFF_TIMEOUT = 20.0  # from the marker to the machine's stop (-icount runs)
LINUX_LOG_DIR = BUILD_ROOT / "logs"

# The bench guest must report every one of these; a missing one means it changed or stopped
# early.
GUEST_METRICS = (
    "null_hypercall_native_instructions",
    "null_hypercall_smccc_instructions",
    "pmu_calibration_instructions",
    "vcpu_switch_instructions",
    "virq_injection_instructions",
)
# The IPC benchmarks (tests/guests/ipc-bench, two VMs under the config's RM).
IPC_METRICS = (
    "msgq_roundtrip_instructions",
    "doorbell_virq_instructions",
    "rm_rpc_roundtrip_instructions",
)
# The Linux boot benchmarks: the three ratios and the medians they are made of, and how busy
# the rest of the host was during the wall-time runs.
LINUX_METRICS = (
    "linux_boot_wall_ratio",
    "linux_boot_cpu_ratio",
    "linux_boot_icount_ratio",
    "linux_boot_bothy_seconds",
    "linux_boot_bare_seconds",
    "linux_boot_bothy_cpu_seconds",
    "linux_boot_bare_cpu_seconds",
    "linux_boot_bothy_instructions",
    "linux_boot_bare_instructions",
    "linux_boot_host_load",
)
# A run of a config with a primary Linux VM reports all of these (without one, GUEST_METRICS).
EXPECTED_METRICS = GUEST_METRICS + IPC_METRICS + LINUX_METRICS
# One line per metric for the table: what was counted (docs/benchmarks.md has the method).
DESCRIPTIONS: Mapping[str, str] = {
    "null_hypercall_native_instructions": "hypervisor_identify round trip, hvc #0x6000",
    "null_hypercall_smccc_instructions": "hypervisor_identify round trip, SMCCC hvc #0",
    "pmu_calibration_instructions": "raw count of a 40960-instruction loop (counter check)",
    "vcpu_switch_instructions": "one vCPU switch between two VMs via scheduler_yield",
    "virq_injection_instructions": "a guest SGI to itself: trapped send, vIRQ taken and EOIed",
    "msgq_roundtrip_instructions": "240 bytes VM to VM over a queue and back, woken by vIRQs",
    "doorbell_virq_instructions": "doorbell send to the receiving VM's IRQ handler entry",
    "rm_rpc_roundtrip_instructions": "VM_GET_VMID request to the RM until its reply is read",
    "linux_boot_wall_ratio": "Linux to /init's marker, bothy / bare QEMU: median wall times",
    "linux_boot_icount_ratio": "Linux to power-off after the marker, bothy / bare: -icount insns",
    "linux_boot_cpu_ratio": "Linux to /init's marker, bothy / bare QEMU: median QEMU CPU times",
    "linux_boot_bothy_seconds": "median wall time from QEMU start to the marker, under bothy",
    "linux_boot_bare_seconds": "median wall time from QEMU start to the marker, bare QEMU",
    "linux_boot_bothy_cpu_seconds": "median QEMU CPU time (all threads) to the marker, under bothy",
    "linux_boot_bare_cpu_seconds": "median QEMU CPU time (all threads) to the marker, bare QEMU",
    "linux_boot_host_load": "median CPUs busy with anything but QEMU during the wall runs",
    "linux_boot_bothy_instructions": "median instructions, QEMU start to power-off, under bothy",
    "linux_boot_bare_instructions": "median instructions, QEMU start to power-off, bare QEMU",
}
# Targets are reported next to the numbers, never enforced by tests.
TARGETS: Mapping[str, float] = {
    "null_hypercall_native_instructions": 150,
    "null_hypercall_smccc_instructions": 150,
    "msgq_roundtrip_instructions": 3000,
    "doorbell_virq_instructions": 2000,
    "linux_boot_wall_ratio": 1.10,
    "linux_boot_icount_ratio": 1.05,
}
# Decimals shown in the table per unit (anything else: one).
_DECIMALS: Mapping[str, int] = {"ratio": 3, "s": 3, "CPUs": 2}

_BENCH_LINE = re.compile(r"^(?:\[[^\]\s]+\] )?BENCH(?=\s|$)(?P<rest>.*)$")
_BENCH_FIELDS = re.compile(
    r"^ (?P<metric>[a-z][a-z0-9_]*) (?P<value>\d+(?:\.\d)?) (?P<unit>[A-Za-z][A-Za-z0-9_/%]*)$"
)
_BENCH_FORMAT = "BENCH <metric> <value> <unit> (metric [a-z0-9_], value like 12 or 12.5)"


class BenchError(BothyError):
    """The benchmark could not be built or run, or its output or results are malformed."""


@dataclass(frozen=True)
class Metric:
    """One measured value and its unit, e.g. 112.0 instructions."""

    value: int | float
    unit: str


def parse_bench_lines(text: str) -> dict[str, Metric]:
    """The metrics in console text: every line `[<source>] BENCH <metric> <value> <unit>`.

    Other lines are ignored; a BENCH line that does not have that exact form, or a metric
    reported twice, raises BenchError naming the line.
    """
    results: dict[str, Metric] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        bench = _BENCH_LINE.match(line)
        if bench is None:
            continue
        fields = _BENCH_FIELDS.match(bench.group("rest").rstrip())
        if fields is None:
            raise BenchError(
                f"malformed benchmark line {number}: {line!r}\nexpected: {_BENCH_FORMAT}"
            )
        metric, raw = fields.group("metric"), fields.group("value")
        if metric in results:
            raise BenchError(f"benchmark line {number}: metric {metric!r} reported twice")
        value: int | float = float(raw) if "." in raw else int(raw)
        results[metric] = Metric(value=value, unit=fields.group("unit"))
    return results


def results_json(results: Mapping[str, Metric]) -> str:
    """results.json text: {"metric": {"value": number, "unit": "..."}}, sorted, newline-ended."""
    data = {name: {"value": m.value, "unit": m.unit} for name, m in results.items()}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_results(results: Mapping[str, Metric], path: Path) -> None:
    write_if_changed(path, results_json(results))


def read_results(path: Path) -> dict[str, Metric]:
    """Read a results.json back; BenchError if it is not in the format results_json writes."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise BenchError(f"{path}: cannot read benchmark results: {e}") from e
    if not isinstance(data, dict):
        raise BenchError(f"{path}: expected an object of metrics, found {type(data).__name__}")
    results: dict[str, Metric] = {}
    for name, entry in data.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        unit = entry.get("unit") if isinstance(entry, dict) else None
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not isinstance(unit, str)
            or set(entry) != {"value", "unit"}
        ):
            expected = '{"value": <number>, "unit": <string>}'
            raise BenchError(f"{path}: {name}: expected {expected}, found {entry!r}")
        results[name] = Metric(value=value, unit=unit)
    return results


def results_path(config: SystemConfig) -> Path:
    """build/<config>/bench/results.json."""
    return build_dir_for(config.path) / "bench" / "results.json"


def bench_config(config: SystemConfig) -> Path:
    """Write build/bench-configs/<config>-bench.yaml: `config` with only its root VM, running
    the bench guest instead of its own image (test guests run only as the root VM). Written
    only when it changes."""
    raw: Any = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    roots = [vm for vm in raw["vms"] if vm.get("role") == "root"]
    if len(roots) != 1:
        raise BenchError(f"{config.path}: expected one root VM, found {len(roots)}")
    roots[0]["image"] = BENCH_GUEST
    raw["vms"] = roots
    text = (
        f"# Generated by bothy.bench from {_display(config.path)}: the same machine, with only\n"
        f"# the root VM, running the benchmark guest (tests/guests/{BENCH_GUEST}). Do not edit.\n"
        + yaml.safe_dump(raw, sort_keys=False)
    )
    path = BENCH_CONFIG_DIR / f"{config.name}-bench.yaml"
    write_if_changed(path, text)
    return path


def ipc_bench_config(config: SystemConfig) -> Path:
    """Write build/bench-configs/<config>-ipc-bench.yaml: `config`'s machine and root VM (the
    RM), with two ipc-bench VMs in place of its guest VMs, right above the root VM's memory,
    and the links the benchmark uses. Written only when it changes."""
    raw: Any = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    raw["vms"] = [vm for vm in raw["vms"] if vm.get("role") == "root"]
    top = max(config.root_vm.memory.end, config.hypervisor_memory.end)
    base = (top + IPC_VM_SIZE - 1) // IPC_VM_SIZE * IPC_VM_SIZE
    for i, (name, role) in enumerate((("ping", "primary"), ("pong", "secondary"))):
        raw["vms"].append(
            {
                "name": name,
                "role": role,
                "image": IPC_BENCH_GUEST,
                "vcpus": 1,
                "memory": {"base": base + i * IPC_VM_SIZE, "size": IPC_VM_SIZE},
            }
        )
    pair = ["ping", "pong"]
    raw["ipc"] = [
        {"kind": "msgqueue_pair", "name": "chan", "vms": pair},
        {"kind": "doorbell", "name": "bell", "vms": pair},
        {"kind": "doorbell", "name": "bellback", "vms": pair[::-1]},
        {
            "kind": "shared_memory",
            "name": "stamps",
            "vms": pair,
            "memory": {"base": base + 2 * IPC_VM_SIZE, "size": 0x1000},
        },
    ]
    raw["debug"] = {"pmu_vms": pair}
    text = (
        f"# Generated by bothy.bench from {_display(config.path)}: the same machine and RM,\n"
        f"# with two VMs running tests/guests/{IPC_BENCH_GUEST} joined by the links it\n"
        "# measures. Do not edit.\n" + yaml.safe_dump(raw, sort_keys=False)
    )
    path = BENCH_CONFIG_DIR / f"{config.name}-ipc-bench.yaml"
    write_if_changed(path, text)
    return path


def run_ipc_bench(config: SystemConfig, *, timeout: float = RUN_TIMEOUT) -> dict[str, Metric]:
    """Build and run `config`'s IPC benchmark variant under QEMU -icount; return its metrics."""
    bench_path = ipc_bench_config(config)
    image = build_bench(config, bench_path, variant="ipc")
    bench = load_config(bench_path)
    result = run_batch(
        qemu_command(bench, image, icount=True),
        markers=[IPC_DONE_MARKER],
        timeout=timeout,
        log_path=IPC_BENCH_LOG,
        expect_exit=0,
        panic_patterns=(*DEFAULT_PANIC_PATTERNS, "FATAL:"),
    )
    results = parse_bench_lines(result.output)
    missing = [m for m in IPC_METRICS if m not in results]
    if missing:
        raise BenchError(
            f"the IPC benchmark run reported no {', '.join(missing)} (full log: {IPC_BENCH_LOG})"
        )
    return results


def primary_linux_vm(config: SystemConfig) -> Vm | None:
    """The config's primary VM if it runs Linux, else None (no Linux boot benchmarks)."""
    return next((vm for vm in config.vms if vm.role == "primary" and vm.is_linux), None)


def linux_bench_config(config: SystemConfig) -> Path:
    """Write build/bench-configs/<config>-linux-bench.yaml: `config` unchanged but for its
    primary Linux VM's command line, which gains BENCH_PARAMETER (so /init powers off right
    after the marker), and every VM file path, made absolute (the file moves; doit's
    kernel=/initrd= overrides are kept). Written only when it changes."""
    primary = primary_linux_vm(config)
    if primary is None:
        raise BenchError(
            f"{_display(config.path)}: the Linux boot benchmarks need a primary VM "
            "with image 'linux', found none"
        )
    raw: Any = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    for raw_vm, vm in zip(raw["vms"], config.vms, strict=True):
        for key, path in (("kernel", vm.kernel), ("initrd", vm.initrd)):
            if path is not None:
                raw_vm[key] = str(path)
        if vm is primary:
            assert vm.bootargs is not None, "every Linux VM has bootargs"
            raw_vm["bootargs"] = f"{vm.bootargs} {BENCH_PARAMETER}"
    text = (
        f"# Generated by bothy.bench from {_display(config.path)}: the same system, with\n"
        f"# {BENCH_PARAMETER} on the primary Linux VM's command line for the Linux boot\n"
        "# benchmarks. Do not edit.\n" + yaml.safe_dump(raw, sort_keys=False)
    )
    path = BENCH_CONFIG_DIR / f"{config.name}-linux-bench.yaml"
    write_if_changed(path, text)
    return path


def build_bench(config: SystemConfig, bench_path: Path, *, variant: str = "") -> Path:
    """Build the bench config with doit in a subprocess (its own dependency database,
    .doit/bench-<config>[-<variant>].db) and return its bothy.elf."""
    db = REPO_ROOT / ".doit" / f"bench-{config.name}{f'-{variant}' if variant else ''}.db"
    db.parent.mkdir(exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "doit",
        "run",
        "-f",
        str(REPO_ROOT / "dodo.py"),
        "--db-file",
        str(db),
        "build",
        f"config={bench_path}",
    ]
    try:
        proc = subprocess.run(
            argv,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"building {_display(bench_path)} took over {BUILD_TIMEOUT:.0f} s") from e
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise BenchError(
            f"building the benchmark config {_display(bench_path)} failed "
            f"(doit exited with {proc.returncode}):\n{output}"
        )
    return build_dir_for(bench_path) / "bothy.elf"


def _quiet(message: str) -> None:
    pass


def run_bench(
    config: SystemConfig,
    *,
    timeout: float = RUN_TIMEOUT,
    linux_runs: int = LINUX_RUNS,
    linux_wall_runs: int = LINUX_WALL_RUNS,
    report: Callable[[str], None] = _quiet,
) -> dict[str, Metric]:
    """Run every benchmark of `config` (the bench guest; with a primary Linux VM and
    linux_runs > 0, the Linux boot benchmarks too: linux_wall_runs boots each way for wall
    and CPU time, linux_runs under -icount), write build/<config>/bench/results.json and
    return the results. `report` gets a line per Linux boot as it finishes.

    If the Linux boot benchmarks fail, results.json gets what was measured and
    BenchIncomplete carries it too."""
    results = run_guest_bench(config, timeout=timeout)
    results.update(run_ipc_bench(config, timeout=timeout))
    if linux_runs > 0:
        if primary_linux_vm(config) is None:
            report(f"bench: {config.name} has no primary Linux VM: no Linux boot benchmarks")
        else:
            try:
                results.update(
                    run_linux_bench(
                        config, runs=linux_runs, wall_runs=linux_wall_runs, report=report
                    )
                )
            except BothyError as e:
                if isinstance(e, BenchIncomplete):
                    results.update(e.results)
                write_results(results, results_path(config))
                raise BenchIncomplete(str(e), results) from e
    write_results(results, results_path(config))
    return results


def run_guest_bench(config: SystemConfig, *, timeout: float = RUN_TIMEOUT) -> dict[str, Metric]:
    """Build and run `config`'s bench-guest variant under QEMU -icount; return its metrics."""
    bench_path = bench_config(config)
    image = build_bench(config, bench_path)
    bench = load_config(bench_path)
    root = bench.root_vm.name
    result = run_batch(
        qemu_command(bench, image, icount=True),
        markers=[f"[{root}] {DONE_MARKER}"],
        timeout=timeout,
        log_path=BENCH_LOG,
        expect_exit=0,
        panic_patterns=(*DEFAULT_PANIC_PATTERNS, f"[{root}] FATAL:"),
    )
    results = parse_bench_lines(result.output)
    missing = [m for m in GUEST_METRICS if m not in results]
    if missing:
        raise BenchError(
            f"the benchmark run reported no {', '.join(missing)} (full log: {BENCH_LOG})"
        )
    return results


System = Literal["bothy", "bare"]


class BenchIncomplete(BenchError):
    """A benchmark failed after others had produced results; `results` holds those."""

    def __init__(self, message: str, results: Mapping[str, Metric]) -> None:
        super().__init__(message)
        self.results = dict(results)


def _median_ratio(name: str, bothy: Sequence[float], bare: Sequence[float]) -> tuple[float, ...]:
    """(median of bothy, median of bare, their ratio): a ratio of medians, not a median of
    ratios, since the runs are not paired."""
    for system, values in (("bothy", bothy), ("bare", bare)):
        if not values or any(v <= 0 for v in values):
            raise BenchError(f"{name}: expected positive {system} values, found {list(values)}")
    b, r = statistics.median(bothy), statistics.median(bare)
    return b, r, b / r


def _boot_ratio_metrics(
    ratio_name: str, suffix: str, bothy_values: Sequence[float], bare_values: Sequence[float]
) -> dict[str, Metric]:
    """`ratio_name` and the two medians it is made of, linux_boot_<system><suffix>."""
    bothy, bare, ratio = _median_ratio(ratio_name, bothy_values, bare_values)
    return {
        ratio_name: Metric(round(ratio, 4), "ratio"),
        f"linux_boot_bothy{suffix}": Metric(round(bothy, 3), "s"),
        f"linux_boot_bare{suffix}": Metric(round(bare, 3), "s"),
    }


def wall_metrics(
    bothy_seconds: Sequence[float], bare_seconds: Sequence[float]
) -> dict[str, Metric]:
    """linux_boot_wall_ratio and the two medians it is made of, from each run's seconds."""
    return _boot_ratio_metrics("linux_boot_wall_ratio", "_seconds", bothy_seconds, bare_seconds)


def cpu_metrics(
    bothy_cpu_seconds: Sequence[float], bare_cpu_seconds: Sequence[float]
) -> dict[str, Metric]:
    """linux_boot_cpu_ratio and the two medians it is made of, from each run's QEMU CPU time."""
    return _boot_ratio_metrics(
        "linux_boot_cpu_ratio", "_cpu_seconds", bothy_cpu_seconds, bare_cpu_seconds
    )


def host_load_metric(other_cpus: Sequence[float]) -> dict[str, Metric]:
    """linux_boot_host_load: the median, over every wall-time run, of how many CPUs something
    other than that run's QEMU kept busy (0 on an idle machine)."""
    if not other_cpus:
        raise BenchError("linux_boot_host_load: no wall-time runs")
    return {"linux_boot_host_load": Metric(round(statistics.median(other_cpus), 2), "CPUs")}


def icount_metrics(
    bothy_instructions: Sequence[int], bare_instructions: Sequence[int]
) -> dict[str, Metric]:
    """linux_boot_icount_ratio and the two medians it is made of, from each run's count."""
    bothy, bare, ratio = _median_ratio(
        "linux_boot_icount_ratio", bothy_instructions, bare_instructions
    )
    return {
        "linux_boot_icount_ratio": Metric(round(ratio, 4), "ratio"),
        "linux_boot_bothy_instructions": Metric(round(bothy), "instructions"),
        "linux_boot_bare_instructions": Metric(round(bare), "instructions"),
    }


def icount_argv(argv: Sequence[str], qmp_socket: Path) -> list[str]:
    """`argv` (already with -icount) made to stay up, stopped, when the guest powers off
    (-no-shutdown), with a QMP socket to read the instruction count from then."""
    return [*argv, "-no-shutdown", "-qmp", f"unix:{qmp_socket},server=on,wait=off"]


def run_linux_bench(
    config: SystemConfig,
    *,
    runs: int = LINUX_RUNS,
    wall_runs: int = LINUX_WALL_RUNS,
    report: Callable[[str], None] = _quiet,
) -> dict[str, Metric]:
    """Build `config`'s Linux bench variant and boot its primary Linux VM under bothy and on
    bare QEMU: `wall_runs` times each for wall and QEMU CPU time to the marker (wall_metrics,
    cpu_metrics, host_load_metric), then `runs` times each for instructions to power-off
    under -icount (icount_metrics). If the icount runs fail, BenchIncomplete carries the
    wall metrics."""
    bench_path = linux_bench_config(config)
    image = build_bench(config, bench_path, variant="linux")
    bench = load_config(bench_path)
    vm = primary_linux_vm(bench)
    assert vm is not None, "linux_bench_config keeps the primary Linux VM"

    def argv(system: System, icount: bool) -> list[str]:
        if system == "bothy":
            return qemu_command(bench, image, icount=icount, icount_sleep=False)
        return bare_linux_command(bench, vm, icount=icount, icount_sleep=False)

    walls: dict[System, list[WallRun]] = {"bothy": [], "bare": []}
    for i in range(wall_runs):
        # Interleaved, and alternating which goes first, so drifting machine load hits both.
        for system in _order(i):
            log = LINUX_LOG_DIR / f"bench-linux-{system}-wall-{i + 1}.log"
            run = wall_run(argv(system, icount=False), log)
            walls[system].append(run)
            report(
                f"bench: Linux boot {i + 1}/{wall_runs} {system:>5}: {run.seconds:.3f} s to "
                f"the marker, QEMU CPU {run.cpu_seconds:.3f} s, other load "
                f"{run.other_cpus:.2f} CPUs"
            )
    results = wall_metrics([r.seconds for r in walls["bothy"]], [r.seconds for r in walls["bare"]])
    results.update(
        cpu_metrics([r.cpu_seconds for r in walls["bothy"]], [r.cpu_seconds for r in walls["bare"]])
    )
    results.update(host_load_metric([r.other_cpus for b in walls.values() for r in b]))
    report(_pair_summary(walls))
    # Counts do not depend on machine load: no need to interleave. Bare first, so that a
    # failure under bothy still leaves the bare count in the (incomplete) results.
    instructions: dict[System, list[int]] = {"bothy": [], "bare": []}
    systems: tuple[System, System] = ("bare", "bothy")
    for system in systems:
        for i in range(runs):
            log = LINUX_LOG_DIR / f"bench-linux-{system}-icount-{i + 1}.log"
            try:
                instructions[system].append(_icount_run(argv(system, icount=True), log))
            except BothyError as e:
                raise BenchIncomplete(
                    f"Linux boot under -icount, {system} run {i + 1}/{runs}: {e}", results
                ) from e
            report(
                f"bench: Linux boot {i + 1}/{runs} {system:>5}: "
                f"{instructions[system][-1]} instructions to power-off (-icount)"
            )
        if system == "bare":
            bare = statistics.median(instructions["bare"])
            results["linux_boot_bare_instructions"] = Metric(round(bare), "instructions")
    results.update(icount_metrics(instructions["bothy"], instructions["bare"]))
    return results


def _order(run: int) -> tuple[System, System]:
    return ("bothy", "bare") if run % 2 == 0 else ("bare", "bothy")


@dataclass(frozen=True)
class WallRun:
    """One boot to the marker: its wall time, the CPU time QEMU used (all its threads), and
    how many CPUs other processes kept busy meanwhile, on average."""

    seconds: float
    cpu_seconds: float
    other_cpus: float


def _host_busy_seconds() -> float:
    """CPU time the whole host has spent busy so far, all CPUs added up. Steal counts as
    busy: time a hypervisor below took from this machine was not available to QEMU."""
    t = psutil.cpu_times()  # Linux's fields; guest time is already inside user and nice
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


def wall_run(argv: Sequence[str], log: Path) -> WallRun:
    """A boot from QEMU's start until the marker is on the console; QEMU is killed then."""
    busy_before = _host_busy_seconds()
    with QemuSession(argv, log_path=log) as session:
        session.expect(LINUX_READY_MARKER, LINUX_BOOT_TIMEOUT)
        seconds = session.elapsed
        qemu = psutil.Process(session.pid).cpu_times()  # every thread of QEMU
        cpu = qemu.user + qemu.system
        busy_after = _host_busy_seconds()
    # Clock ticks make either reading coarse (10 ms): never below zero.
    other = max(0.0, (busy_after - busy_before) - cpu)
    return WallRun(seconds=seconds, cpu_seconds=cpu, other_cpus=other / seconds)


def _pair_summary(walls: Mapping[System, Sequence[WallRun]]) -> str:
    """How the wall ratio spreads over pairs of adjacent runs (each pair saw about the same
    machine load), next to the ratio of medians that is the metric."""
    pairs = sorted(
        b.seconds / r.seconds for b, r in zip(walls["bothy"], walls["bare"], strict=True)
    )
    if len(pairs) < 4:
        return f"bench: wall ratio per pair of runs: {', '.join(f'{p:.3f}' for p in pairs)}"
    q1, median, q3 = statistics.quantiles(pairs, n=4)
    return (
        f"bench: wall ratio per pair of runs: median {median:.3f}, quartiles "
        f"{q1:.3f}-{q3:.3f}, range {pairs[0]:.3f}-{pairs[-1]:.3f} ({len(pairs)} pairs)"
    )


def _icount_run(argv: Sequence[str], log: Path) -> int:
    """Instructions QEMU executed (all CPUs, -icount) from its start until the guest powered
    the machine off after the marker, read over QMP from the stopped machine."""
    with tempfile.TemporaryDirectory(prefix="bothy-qmp-") as tmp:
        socket_path = Path(tmp) / "qmp.sock"
        with QemuSession(icount_argv(argv, socket_path), log_path=log) as session:
            session.expect(LINUX_READY_MARKER, LINUX_BOOT_TIMEOUT)
            try:
                with QmpClient(socket_path, timeout=LINUX_POWEROFF_TIMEOUT) as qmp:
                    qmp.wait_for_status("shutdown", LINUX_POWEROFF_TIMEOUT)
                    replay: Any = qmp.execute("query-replay")
            except QmpError as e:
                session.close()
                tail = "\n".join(f"  | {line}" for line in session.output.splitlines()[-10:])
                raise BenchError(
                    f"after the marker, waiting for /init's power-off to stop the machine: "
                    f"{e}\nlast console lines (log: {log}):\n{tail}"
                ) from e
    count = replay.get("icount") if isinstance(replay, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        raise BenchError(f"QMP query-replay: expected a positive icount, found {replay!r}")
    return count


def format_table(results: Mapping[str, Metric]) -> str:
    """The results as an aligned terminal table, with each metric's target if it has one and
    its description if it has one."""
    rows = [("metric", "value", "unit", "target", "description")]
    for name in sorted(results):
        m = results[name]
        target = _target(name, m.value)
        value = _format_value(m.value, m.unit)
        rows.append((name, value, m.unit, target, DESCRIPTIONS.get(name, "")))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            row[1].rjust(widths[1]),
            row[2].ljust(widths[2]),
            row[3].ljust(widths[3]),
            row[4],
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _target(name: str, value: float) -> str:
    target = TARGETS.get(name)
    if target is None:
        return ""
    verdict = "met" if value <= target else "MISSED"
    return f"<= {target:g} ({verdict})"


def _format_value(value: float, unit: str = "") -> str:
    return str(value) if isinstance(value, int) else f"{value:.{_DECIMALS.get(unit, 1)}f}"


def _display(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
