"""Benchmarks: build a config's benchmark variant, run it under QEMU -icount, collect results.

The bench guest (tests/guests/bench) counts instructions with the PMU, EL2 included, and prints
`BENCH <metric> <value> <unit>` lines; with `-icount shift=0` the counts are the same every run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bothy.config import SystemConfig, load_config
from bothy.errors import BothyError
from bothy.files import write_if_changed
from bothy.paths import BUILD_ROOT, REPO_ROOT, build_dir_for
from bothy.qemu import qemu_command
from bothy.runner import DEFAULT_PANIC_PATTERNS, run_batch

__all__ = [
    "BENCH_GUEST",
    "DESCRIPTIONS",
    "EXPECTED_METRICS",
    "TARGETS",
    "BenchError",
    "Metric",
    "bench_config",
    "build_bench",
    "format_table",
    "parse_bench_lines",
    "read_results",
    "results_json",
    "results_path",
    "run_bench",
    "write_results",
]

BENCH_GUEST = "bench"
BENCH_CONFIG_DIR = BUILD_ROOT / "bench-configs"
BENCH_LOG = BUILD_ROOT / "logs" / "bench.log"
# Booting, calibrating and 3 x 4096 loops take well under a second under -icount; generous
# so a loaded CI machine is never the reason a run fails.
RUN_TIMEOUT = 120.0
BUILD_TIMEOUT = 600.0
DONE_MARKER = "benchmarks done"

# Every run must report these; a missing one means the guest changed or stopped early.
EXPECTED_METRICS = (
    "null_hypercall_native_instructions",
    "null_hypercall_smccc_instructions",
    "pmu_calibration_instructions",
    "vcpu_switch_instructions",
    "virq_injection_instructions",
)
# One line per metric for the table: what was counted (docs/benchmarks.md has the method).
DESCRIPTIONS: Mapping[str, str] = {
    "null_hypercall_native_instructions": "hypervisor_identify round trip, hvc #0x6000",
    "null_hypercall_smccc_instructions": "hypervisor_identify round trip, SMCCC hvc #0",
    "pmu_calibration_instructions": "raw count of a 40960-instruction loop (counter check)",
    "vcpu_switch_instructions": "one vCPU switch between two VMs via scheduler_yield",
    "virq_injection_instructions": "a guest SGI to itself: trapped send, vIRQ taken and EOIed",
}
# Targets are reported next to the numbers, never enforced by tests.
TARGETS: Mapping[str, float] = {
    "null_hypercall_native_instructions": 150,
    "null_hypercall_smccc_instructions": 150,
}

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


def build_bench(config: SystemConfig, bench_path: Path) -> Path:
    """Build the bench config with doit in a subprocess (its own dependency database) and
    return its bothy.elf."""
    db = REPO_ROOT / ".doit" / f"bench-{config.name}.db"
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


def run_bench(config: SystemConfig, *, timeout: float = RUN_TIMEOUT) -> dict[str, Metric]:
    """Build and run `config`'s benchmark variant under QEMU -icount, write
    build/<config>/bench/results.json and return the results."""
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
    missing = [m for m in EXPECTED_METRICS if m not in results]
    if missing:
        raise BenchError(
            f"the benchmark run reported no {', '.join(missing)} (full log: {BENCH_LOG})"
        )
    write_results(results, results_path(config))
    return results


def format_table(results: Mapping[str, Metric]) -> str:
    """The results as an aligned terminal table, with each metric's target if it has one and
    its description if it has one."""
    rows = [("metric", "value", "unit", "target", "description")]
    for name in sorted(results):
        m = results[name]
        target = _target(name, m.value)
        rows.append((name, _format_value(m.value), m.unit, target, DESCRIPTIONS.get(name, "")))
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
    return f"<= {_format_value(target)} ({verdict})"


def _format_value(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def _display(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
