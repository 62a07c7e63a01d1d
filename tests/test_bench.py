"""Benchmarks: the BENCH-line parser and results.json format, the Linux boot benchmarks'
config, command lines, medians and ratios, a wall-time run against a stand-in QEMU, and the
QMP client (host only); an end-to-end run
under QEMU -icount whose instruction counts must be the same every time; and (slow) the Linux
boot benchmarks under bothy and on bare QEMU."""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bothy import bench as bench_module
from bothy.bench import (
    BENCH_GUEST,
    DESCRIPTIONS,
    EXPECTED_METRICS,
    GUEST_METRICS,
    IPC_METRICS,
    LINUX_METRICS,
    TARGETS,
    BenchError,
    Metric,
    WallRun,
    bench_config,
    cpu_metrics,
    format_table,
    host_load_metric,
    icount_argv,
    icount_metrics,
    linux_bench_config,
    parse_bench_lines,
    primary_linux_vm,
    read_results,
    results_json,
    results_path,
    run_bench,
    run_linux_bench,
    wall_metrics,
    wall_run,
    write_results,
)
from bothy.config import Region, load_config
from bothy.guest.initramfs import BENCH_PARAMETER, LINUX_READY_MARKER
from bothy.paths import DEFAULT_CONFIG
from bothy.qemu import bare_linux_command, qemu_command
from bothy.qmp import QmpClient, QmpError
from conftest import fake_kernel

FAKE_QEMU = Path(__file__).with_name("fake_qemu.py")

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
    assert parse_bench_lines(CONSOLE).keys() == set(GUEST_METRICS)


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
    assert rows.keys() == set(GUEST_METRICS)
    assert "112.0  instructions  <= 150 (met)" in rows["null_hypercall_native_instructions"]
    assert "150.5  instructions  <= 150 (MISSED)" in rows["null_hypercall_smccc_instructions"]
    assert "2583.5  instructions" in rows["vcpu_switch_instructions"]
    for name, row in rows.items():
        assert row.endswith(DESCRIPTIONS[name]), row
    # Descriptions line up in one column.
    assert len({row.index(DESCRIPTIONS[name]) for name, row in rows.items()}) == 1


def test_every_expected_metric_has_a_description() -> None:
    assert set(DESCRIPTIONS) >= set(EXPECTED_METRICS)
    assert set(EXPECTED_METRICS) == set(GUEST_METRICS) | set(IPC_METRICS) | set(LINUX_METRICS)


# --- Linux boot benchmarks: medians, ratios, table --------------------------------------------


def test_wall_metrics_are_the_medians_and_their_ratio() -> None:
    assert wall_metrics([9.0, 2.2, 2.1], [2.0, 1.9, 2.1]) == {
        "linux_boot_wall_ratio": Metric(1.1, "ratio"),
        "linux_boot_bothy_seconds": Metric(2.2, "s"),
        "linux_boot_bare_seconds": Metric(2.0, "s"),
    }


def test_cpu_metrics_are_the_medians_and_their_ratio() -> None:
    assert cpu_metrics([2.6, 9.0, 2.4, 2.5], [2.0, 2.5, 2.0, 1.5]) == {
        "linux_boot_cpu_ratio": Metric(1.275, "ratio"),
        "linux_boot_bothy_cpu_seconds": Metric(2.55, "s"),
        "linux_boot_bare_cpu_seconds": Metric(2.0, "s"),
    }
    with pytest.raises(BenchError, match=r"linux_boot_cpu_ratio: expected positive bare"):
        cpu_metrics([1.0], [])


def test_host_load_is_the_median_over_every_wall_run() -> None:
    assert host_load_metric([0.0, 1.5, 0.3, 0.1]) == {"linux_boot_host_load": Metric(0.2, "CPUs")}
    with pytest.raises(BenchError, match="linux_boot_host_load: no wall-time runs"):
        host_load_metric([])


def test_a_wall_run_times_the_boot_to_the_marker_and_reads_qemus_cpu_time(
    tmp_path: Path,
) -> None:
    # A stand-in QEMU that computes for 0.3 s of CPU time, then waits 0.3 s, then prints the
    # marker and would go on forever: the run ends at the marker, and kills it.
    script = f"spin:0.3;sleep:0.3;print:{LINUX_READY_MARKER};hang"
    log = tmp_path / "wall.log"
    run = wall_run([sys.executable, str(FAKE_QEMU), "--script", script], log)
    assert isinstance(run, WallRun)
    assert run.cpu_seconds >= 0.29  # clock ticks are 10 ms
    assert run.seconds >= 0.6
    assert run.cpu_seconds < run.seconds + 0.02
    assert run.other_cpus >= 0.0
    assert LINUX_READY_MARKER in log.read_text()


def test_icount_metrics_are_the_medians_and_their_ratio() -> None:
    metrics = icount_metrics([1_050_000_000, 1_049_000_001, 1_051_000_000], [1_000_000_000] * 3)
    assert metrics == {
        "linux_boot_icount_ratio": Metric(1.05, "ratio"),
        "linux_boot_bothy_instructions": Metric(1_050_000_000, "instructions"),
        "linux_boot_bare_instructions": Metric(1_000_000_000, "instructions"),
    }
    assert isinstance(metrics["linux_boot_bothy_instructions"].value, int)


def test_the_ratio_is_of_medians_not_a_median_of_ratios() -> None:
    # Runs are not paired: per-run ratios 3/1, 1/2, 2/3 have median 0.67; medians give 2/2.
    assert wall_metrics([3.0, 1.0, 2.0], [1.0, 2.0, 3.0])["linux_boot_wall_ratio"].value == 1.0
    # An even number of runs takes the mean of the middle two.
    assert icount_metrics([10, 30], [10, 10])["linux_boot_bothy_instructions"].value == 20


@pytest.mark.parametrize(
    ("bothy", "bare", "problem"),
    [
        ([], [1.0], r"expected positive bothy values, found \[\]"),
        ([1.0], [], r"expected positive bare values, found \[\]"),
        ([1.0], [0.0], r"expected positive bare values, found \[0.0\]"),
        ([-1.0], [1.0], "expected positive bothy values"),
    ],
)
def test_ratio_without_valid_runs_is_a_clear_error(
    bothy: list[float], bare: list[float], problem: str
) -> None:
    with pytest.raises(BenchError, match=f"linux_boot_wall_ratio: {problem}"):
        wall_metrics(bothy, bare)


def test_table_shows_ratios_and_seconds_with_three_decimals_and_their_targets() -> None:
    results = {
        **wall_metrics([2.3456], [2.0]),
        **cpu_metrics([2.5], [2.0]),
        **host_load_metric([0.456]),
        **icount_metrics([1_049_000_000], [1_000_000_000]),
    }
    rows = {line.split()[0]: line for line in format_table(results).splitlines()[2:]}
    assert rows.keys() == set(LINUX_METRICS)
    assert "1.173  ratio         <= 1.1 (MISSED)" in rows["linux_boot_wall_ratio"]
    assert "1.049  ratio         <= 1.05 (met)" in rows["linux_boot_icount_ratio"]
    assert "1.250  ratio" in rows["linux_boot_cpu_ratio"]
    assert "(met)" not in rows["linux_boot_cpu_ratio"]  # no target: wall time is the goal
    assert "0.46  CPUs" in rows["linux_boot_host_load"]
    assert "2.346  s" in rows["linux_boot_bothy_seconds"]
    assert "1049000000  instructions" in rows["linux_boot_bothy_instructions"]
    assert TARGETS["linux_boot_icount_ratio"] == 1.05
    assert TARGETS["linux_boot_wall_ratio"] == 1.10


def test_linux_results_round_trip_through_results_json(tmp_path: Path) -> None:
    results = {**wall_metrics([2.5, 2.4, 2.6], [2.0]), **icount_metrics([3, 4, 5], [2])}
    path = tmp_path / "results.json"
    write_results(results, path)
    assert read_results(path) == results
    assert json.loads(path.read_text())["linux_boot_icount_ratio"] == {
        "value": 2.0,
        "unit": "ratio",
    }


# --- Linux boot benchmarks: the derived config and the command lines --------------------------


def test_linux_bench_config_adds_the_bench_parameter_and_nothing_else() -> None:
    config = load_config(DEFAULT_CONFIG)
    path = linux_bench_config(config)
    assert path.name == f"{config.name}-linux-bench.yaml"
    original = yaml.safe_load(DEFAULT_CONFIG.read_text())
    derived = yaml.safe_load(path.read_text())
    primary = primary_linux_vm(config)
    assert primary is not None and primary.bootargs is not None
    expected_vms = [
        {**vm, "bootargs": f"{primary.bootargs} {BENCH_PARAMETER}"}
        if vm["name"] == primary.name
        else vm
        for vm in original["vms"]
    ]
    assert derived == {**original, "vms": expected_vms}
    bench = load_config(path)
    assert bench.machine == config.machine
    bench_primary = primary_linux_vm(bench)
    assert bench_primary is not None
    assert bench_primary.bootargs == f"{primary.bootargs} {BENCH_PARAMETER}"


def test_linux_bench_config_keeps_the_kernel_and_initrd_given_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench_module, "BENCH_CONFIG_DIR", tmp_path / "bench-configs")
    kernel = fake_kernel(tmp_path / "my" / "Image")
    initrd = tmp_path / "my" / "initrd.gz"
    initrd.write_bytes(b"\0" * 4096)
    config = load_config(DEFAULT_CONFIG, kernel=kernel, initrd=initrd)
    path = linux_bench_config(config)
    assert path.parent == tmp_path / "bench-configs"
    bench_primary = primary_linux_vm(load_config(path))
    assert bench_primary is not None
    assert (bench_primary.kernel, bench_primary.initrd) == (kernel, initrd)


def test_linux_bench_config_needs_a_primary_linux_vm() -> None:
    root_only = load_config(bench_config(load_config(DEFAULT_CONFIG)))
    assert primary_linux_vm(root_only) is None
    with pytest.raises(BenchError, match="need a primary VM with image 'linux', found none"):
        linux_bench_config(root_only)


def test_bothy_and_bare_boot_the_same_command_line_with_the_same_icount_options(
    fake_cache: Path,
) -> None:
    bench = load_config(linux_bench_config(load_config(DEFAULT_CONFIG)))
    vm = primary_linux_vm(bench)
    assert vm is not None
    bothy = qemu_command(bench, Path("bothy.elf"), icount=True, icount_sleep=False)
    bare = bare_linux_command(bench, vm, icount=True, icount_sleep=False)
    for argv in (bothy, bare):
        assert argv[argv.index("-icount") + 1] == "shift=0,sleep=off"
        assert argv[argv.index("-cpu") + 1] == "max,pauth=off"
    assert bare[bare.index("-smp") + 1] == str(vm.vcpus)
    assert bare[bare.index("-append") + 1] == vm.bootargs
    assert vm.bootargs is not None and vm.bootargs.endswith(f" {BENCH_PARAMETER}")
    # The default stays -icount shift=0 (the bench guest's runs are deterministic with it).
    assert qemu_command(bench, Path("bothy.elf"), icount=True)[-2:] == ["-icount", "shift=0"]


def test_icount_runs_stop_at_power_off_and_answer_on_qmp() -> None:
    argv = icount_argv(["qemu", "-icount", "shift=0,sleep=off"], Path("/tmp/x/qmp.sock"))
    assert argv == [
        *("qemu", "-icount", "shift=0,sleep=off", "-no-shutdown"),
        *("-qmp", "unix:/tmp/x/qmp.sock,server=on,wait=off"),
    ]


# --- the QMP client, against a fake QEMU monitor ----------------------------------------------

Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: unix socket paths are limited to about 100 bytes."""
    with tempfile.TemporaryDirectory(prefix="bothy-qmp-test-") as tmp:
        yield Path(tmp)


def fake_monitor(path: Path, reply: Reply, *, greeting: bytes | None = None) -> threading.Thread:
    """Serve one QMP client on `path`: greet, then answer each request with reply(request)
    (a list of messages to send; an empty list closes the connection)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rwb") as f:
            hello = {"QMP": {"version": {}, "capabilities": []}}
            f.write(greeting if greeting is not None else json.dumps(hello).encode() + b"\n")
            f.flush()
            for line in f:
                messages = reply(json.loads(line))
                if not messages:
                    break
                for m in messages:
                    f.write(json.dumps(m).encode() + b"\n")
                f.flush()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_qmp_client_negotiates_skips_events_and_returns_results(short_dir: Path) -> None:
    statuses = iter(["running", "running", "shutdown"])
    requests: list[dict[str, Any]] = []

    def reply(request: dict[str, Any]) -> list[dict[str, Any]]:
        requests.append(request)
        command = request["execute"]
        if command == "qmp_capabilities":
            return [{"return": {}}]
        if command == "query-status":
            return [{"event": "STOP"}, {"return": {"status": next(statuses), "running": False}}]
        if command == "query-replay":
            return [{"return": {"mode": "none", "icount": 938894464}}]
        return [{"error": {"class": "CommandNotFound", "desc": f"The command {command} ..."}}]

    fake_monitor(short_dir / "qmp.sock", reply)
    with QmpClient(short_dir / "qmp.sock", timeout=5.0) as qmp:
        qmp.wait_for_status("shutdown", timeout=5.0)
        assert qmp.execute("query-replay") == {"mode": "none", "icount": 938894464}
        with pytest.raises(QmpError, match="QMP 'nonsense' failed: The command nonsense"):
            qmp.execute("nonsense", {"x": 1})
    assert [r["execute"] for r in requests[:5]] == [
        "qmp_capabilities",
        *(["query-status"] * 3),
        "query-replay",
    ]
    assert requests[-1] == {"execute": "nonsense", "arguments": {"x": 1}}
    assert len(qmp.events) == 3


def test_qmp_wait_for_status_gives_up_after_its_timeout(short_dir: Path) -> None:
    def reply(request: dict[str, Any]) -> list[dict[str, Any]]:
        if request["execute"] == "qmp_capabilities":
            return [{"return": {}}]
        return [{"return": {"status": "running", "running": True}}]

    fake_monitor(short_dir / "qmp.sock", reply)
    with QmpClient(short_dir / "qmp.sock", timeout=5.0) as qmp, pytest.raises(QmpError) as error:
        qmp.wait_for_status("shutdown", timeout=0.1)
    assert "waiting for run state 'shutdown' (QEMU reports 'running')" in str(error.value)


def test_qmp_client_reports_a_closed_connection(short_dir: Path) -> None:
    fake_monitor(short_dir / "qmp.sock", lambda request: [])
    with pytest.raises(QmpError, match="QEMU closed the monitor connection"):
        QmpClient(short_dir / "qmp.sock", timeout=5.0)


def test_qmp_client_rejects_a_greeting_that_is_not_qmp(short_dir: Path) -> None:
    fake_monitor(short_dir / "qmp.sock", lambda request: [], greeting=b'{"hello": 1}\n')
    with pytest.raises(QmpError, match="expected a QMP greeting"):
        QmpClient(short_dir / "qmp.sock", timeout=5.0)


def test_qmp_client_without_a_monitor_gives_up(short_dir: Path) -> None:
    with pytest.raises(QmpError, match="cannot connect to QEMU's QMP socket"):
        QmpClient(short_dir / "missing.sock", timeout=0.1)


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
    first = run_bench(config, linux_runs=0)
    second = run_bench(config, linux_runs=0)
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


@pytest.mark.qemu
@pytest.mark.slow
def test_linux_boot_bench_boots_under_bothy_and_bare() -> None:
    """One run of each: the numbers exist, have their units and are plausible. Targets are
    not checked (doit bench reports them)."""
    results = run_linux_bench(load_config(DEFAULT_CONFIG), runs=1, wall_runs=1)
    assert results.keys() == set(LINUX_METRICS)
    assert {results[m].unit for m in LINUX_METRICS if m.endswith("_ratio")} == {"ratio"}
    assert results["linux_boot_bothy_seconds"].unit == "s"
    assert results["linux_boot_bare_instructions"].unit == "instructions"
    # The bare kernel reaches /init after hundreds of millions of instructions.
    assert results["linux_boot_bare_instructions"].value > 100_000_000
    assert 0.5 < results["linux_boot_icount_ratio"].value < 5
    assert 0.2 < results["linux_boot_wall_ratio"].value < 20
    assert 0.2 < results["linux_boot_cpu_ratio"].value < 20
    assert results["linux_boot_host_load"].unit == "CPUs"


# --- IPC benchmarks -----------------------------------------------------------------------


def test_ipc_bench_config_puts_two_vms_and_their_links_above_the_rm() -> None:
    config = load_config(bench_module.ipc_bench_config(load_config(DEFAULT_CONFIG)))
    ping, pong = config.guest_vms
    assert (ping.name, ping.role, pong.name, pong.role) == ("ping", "primary", "pong", "secondary")
    assert ping.image == pong.image == "ipc-bench"
    assert ping.memory.base >= config.root_vm.memory.end
    assert [link.name for link in config.ipc] == ["chan", "bell", "bellback", "stamps"]
    assert config.ipc[2].vms == ("pong", "ping")
    assert config.pmu_vms == ("ping", "pong")


@pytest.mark.qemu
def test_ipc_bench_reports_its_three_metrics() -> None:
    results = bench_module.run_ipc_bench(load_config(DEFAULT_CONFIG))
    for metric in bench_module.IPC_METRICS:
        assert results[metric].unit == "instructions"
        # Counted, not assumed: a round trip costs at least its four hypercalls' worth.
        assert results[metric].value > 500, (metric, results[metric])
