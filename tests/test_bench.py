"""Benchmarks: the BENCH-line parser and results.json format (host only), and an end-to-end
run under QEMU -icount whose instruction counts must be the same every time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bothy.bench import (
    BENCH_GUEST,
    DESCRIPTIONS,
    EXPECTED_METRICS,
    BenchError,
    Metric,
    bench_config,
    format_table,
    parse_bench_lines,
    read_results,
    results_json,
    results_path,
    run_bench,
    write_results,
)
from bothy.config import Region, load_config
from bothy.paths import DEFAULT_CONFIG

CONSOLE = """\
[hyp] starting root VM 'rm' (VMID 1) at EL1
[rm] bothy benchmarks: PMU with 6 event counters, INST_RETIRED at EL1+EL2
[rm] BENCH pmu_calibration_instructions 40962 instructions
[rm] null_hypercall_native_instructions: 4096 calls, loop 471042 - empty loop 12290
[rm] BENCH null_hypercall_native_instructions 112.0 instructions\r
[rm] BENCH null_hypercall_smccc_instructions 150.5 instructions
[rm] child VM 0x80: 2048 KiB at 0x42000000, mode 0, priority 40 on CPU 0
[rm] BENCH vcpu_switch_instructions 2583.5 instructions
[rm] BENCH virq_injection_instructions 4520.0 instructions
[rm] benchmarks done
"""

HYPERCALL_METRICS = ("null_hypercall_native_instructions", "null_hypercall_smccc_instructions")
VCPU_METRICS = ("vcpu_switch_instructions", "virq_injection_instructions")
# The bench guest's child VMs: 2 MiB each, right above the root VM (tests/guests/bench).
CHILD_VMS_SIZE = 2 * 0x200000


def test_parser_reads_every_bench_line_and_ignores_the_rest() -> None:
    assert parse_bench_lines(CONSOLE) == {
        "pmu_calibration_instructions": Metric(40962, "instructions"),
        "null_hypercall_native_instructions": Metric(112.0, "instructions"),
        "null_hypercall_smccc_instructions": Metric(150.5, "instructions"),
        "vcpu_switch_instructions": Metric(2583.5, "instructions"),
        "virq_injection_instructions": Metric(4520.0, "instructions"),
    }
    assert parse_bench_lines(CONSOLE).keys() == set(EXPECTED_METRICS)


def test_parser_keeps_integers_and_decimals_apart() -> None:
    results = parse_bench_lines("BENCH a 7 ns\n[vm] BENCH b 7.0 ns\n")
    assert isinstance(results["a"].value, int)
    assert isinstance(results["b"].value, float)


def test_parser_without_bench_lines_finds_nothing() -> None:
    assert parse_bench_lines("[hyp] hello\n[rm] BENCHMARKS are fun\n") == {}


@pytest.mark.parametrize(
    "line",
    [
        "[rm] BENCH",
        "[rm] BENCH null_hypercall_native_instructions",
        "[rm] BENCH null_hypercall_native_instructions 112.0",
        "[rm] BENCH null_hypercall_native_instructions abc instructions",
        "[rm] BENCH null_hypercall_native_instructions -3 instructions",
        "[rm] BENCH null_hypercall_native_instructions 1.25 instructions",
        "[rm] BENCH null_hypercall_native_instructions 112.0 instructions extra",
        "[rm] BENCH Null-Hypercall 112.0 instructions",
        "[rm] BENCH  null_hypercall_native_instructions 112.0 instructions",
    ],
)
def test_malformed_bench_line_is_a_clear_error(line: str) -> None:
    with pytest.raises(BenchError) as error:
        parse_bench_lines(f"[hyp] banner\n{line}\n")
    message = str(error.value)
    assert f"malformed benchmark line 2: {line!r}" in message
    assert "expected: BENCH <metric> <value> <unit>" in message


def test_metric_reported_twice_is_an_error() -> None:
    with pytest.raises(BenchError, match=r"line 2: metric 'x' reported twice"):
        parse_bench_lines("BENCH x 1 ns\nBENCH x 2 ns\n")


def test_results_json_is_sorted_typed_and_newline_terminated(tmp_path: Path) -> None:
    results = parse_bench_lines(CONSOLE)
    text = results_json(results)
    assert text.endswith("}\n")
    assert json.loads(text) == {
        "null_hypercall_native_instructions": {"value": 112.0, "unit": "instructions"},
        "null_hypercall_smccc_instructions": {"value": 150.5, "unit": "instructions"},
        "pmu_calibration_instructions": {"value": 40962, "unit": "instructions"},
        "vcpu_switch_instructions": {"value": 2583.5, "unit": "instructions"},
        "virq_injection_instructions": {"value": 4520.0, "unit": "instructions"},
    }
    assert list(json.loads(text)) == sorted(results)
    path = tmp_path / "bench" / "results.json"
    write_results(results, path)
    assert path.read_text() == text
    assert read_results(path) == results


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "cannot read benchmark results"),
        ("[1, 2]", "expected an object of metrics, found list"),
        ('{"m": 3}', "m: expected"),
        ('{"m": {"value": "3", "unit": "ns"}}', "m: expected"),
        ('{"m": {"value": true, "unit": "ns"}}', "m: expected"),
        ('{"m": {"value": 3}}', "m: expected"),
        ('{"m": {"value": 3, "unit": "ns", "extra": 1}}', "m: expected"),
    ],
)
def test_malformed_results_json_is_a_clear_error(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(BenchError, match=problem):
        read_results(path)


def test_table_lists_every_metric_with_its_target_and_description() -> None:
    table = format_table(parse_bench_lines(CONSOLE)).splitlines()
    assert table[0].split() == ["metric", "value", "unit", "target", "description"]
    assert set(table[1]) <= {"-", " "}
    rows = {line.split()[0]: line for line in table[2:]}
    assert rows.keys() == set(EXPECTED_METRICS)
    assert "112.0  instructions  <= 150 (met)" in rows["null_hypercall_native_instructions"]
    assert "150.5  instructions  <= 150 (MISSED)" in rows["null_hypercall_smccc_instructions"]
    assert "2583.5  instructions" in rows["vcpu_switch_instructions"]
    for name, row in rows.items():
        assert row.endswith(DESCRIPTIONS[name]), row
    # Descriptions line up in one column.
    assert len({row.index(DESCRIPTIONS[name]) for name, row in rows.items()}) == 1


def test_every_expected_metric_has_a_description() -> None:
    assert set(DESCRIPTIONS) >= set(EXPECTED_METRICS)


def test_bench_config_is_the_same_system_running_the_bench_guest() -> None:
    config = load_config(DEFAULT_CONFIG)
    path = bench_config(config)
    assert path.name == f"{config.name}-bench.yaml"
    original = yaml.safe_load(DEFAULT_CONFIG.read_text())
    derived = yaml.safe_load(path.read_text())
    (root,) = derived["vms"]  # only the root VM: test guests run only there
    assert root["role"] == "root"
    assert root["image"] == BENCH_GUEST
    original_root = next(vm for vm in original["vms"] if vm["role"] == "root")
    assert root == {**original_root, "image": BENCH_GUEST}
    assert {**derived, "vms": original["vms"]} == original
    bench = load_config(path)  # valid: the bench guest exists
    assert bench.machine == config.machine
    assert results_path(config).parts[-3:] == (config.name, "bench", "results.json")


def test_bench_config_leaves_the_child_vms_memory_free() -> None:
    """The bench guest builds its child VMs in the RAM right above the root VM; nothing else
    in the bench config may claim it."""
    bench = load_config(bench_config(load_config(DEFAULT_CONFIG)))
    children = Region(bench.root_vm.memory.end, CHILD_VMS_SIZE)
    assert bench.machine.ram.contains(children)
    for name, region in [
        ("hypervisor", bench.hypervisor_memory),
        *((vm.name, vm.memory) for vm in bench.vms),
    ]:
        assert not region.overlaps(children), f"{name} memory {region} overlaps {children}"


@pytest.mark.qemu
def test_bench_runs_and_is_deterministic() -> None:
    config = load_config(DEFAULT_CONFIG)
    first = run_bench(config)
    second = run_bench(config)
    for metric in HYPERCALL_METRICS:
        assert metric in first, f"no {metric} in {first}"
        assert first[metric].unit == "instructions"
        assert first[metric].value > 0
    for metric in VCPU_METRICS:
        assert metric in first, f"no {metric} in {first}"
        assert first[metric].unit == "instructions"
        # A switch or an injection is at least a trap round trip; 20000 would mean
        # something is badly wrong (a timer tick or idle loop counted, say).
        assert 100 < first[metric].value < 20000, f"{metric}: {first[metric]}"
    assert first == second, "instruction counts differ between two -icount runs"
    assert read_results(results_path(config)) == second
