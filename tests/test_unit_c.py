"""Host-side unit tests of the pure C logic of hyp/ and rm/: the programs in tests/unit/ link the
real hyp/ sources (allocator, objects, partitions, cspaces, message queues, doorbells, and the
object, cspace, msgqueue and doorbell hypercall handlers), lib/string.c's memcpy and memmove,
and rm/'s RM RPC library with host shims, built with ASan and UBSan. One pytest test per
program; libFuzzer targets drive the cspace model and the RPC library with a fixed seed when
clang can build them.

The generated headers come from the same Python generators as the build, written to a temporary
directory. Skipped when there is no host C compiler whose sanitizer runtime works.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bothy.build.steps import generate
from bothy.config import load_config
from bothy.paths import DEFAULT_CONFIG
from conftest import REPO
from needs import clang_runtime_package, missing, require

UNIT_DIR = REPO / "tests" / "unit"
SANITIZE = "-fsanitize=address,undefined"
CFLAGS = (
    "-std=c11",
    "-g",
    "-O1",
    SANITIZE,
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-Wall",
    "-Wextra",
    "-Werror",
)
# libFuzzer: coverage instrumentation everywhere, its main() only at link time.
FUZZ_CFLAGS = tuple(
    "-fsanitize=fuzzer-no-link,address,undefined" if f == SANITIZE else f for f in CFLAGS
)
FUZZ_LINK = "-fsanitize=fuzzer,address,undefined"
FUZZ_RUNS = 10_000
SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}
RUN_TIMEOUT_S = 120

HARNESS = ("tests/unit/unit.c",)
# Everything but cspace.c, which the white-box programs include instead of linking.
OBJECT_MODEL_BUT_CSPACE = (
    "hyp/core/allocator.c",
    "hyp/core/object.c",
    "hyp/objects/memextent.c",
    "hyp/core/page_owner.c",
    "hyp/objects/partition.c",
    "hyp/objects/thread.c",
    "hyp/objects/unconfigured.c",
    "hyp/objects/virq_source.c",
    "hyp/objects/msgqueue.c",
    "hyp/objects/doorbell.c",
    "hyp/hypercalls/object_calls.c",
    "hyp/hypercalls/cspace_calls.c",
    "hyp/hypercalls/msgqueue_calls.c",
    "hyp/hypercalls/doorbell_calls.c",
    "gen:hyp/object_table.c",
    "tests/unit/shim/host.c",
    "tests/unit/fixture.c",
    *HARNESS,
)
OBJECT_MODEL = ("hyp/objects/cspace.c", *OBJECT_MODEL_BUT_CSPACE)
# The RM's RPC library (no hypercalls: the transport is a callback) with its host fixture.
RM_RPC = (
    "rm/src/rpc_link.c",
    "rm/src/rpc_transport.c",
    "rm/src/rpc_vm_calls.c",
    "rm/src/rpc_console.c",
    "rm/src/vm_registry.c",
    "rm/src/vm_manager.c",
    "rm/src/vm_state.c",
    "tests/unit/rpc_fixture.c",
    *HARNESS,
)


@dataclass(frozen=True)
class Program:
    """tests/unit/<name>.c linked with `deps` (repo-relative, or "gen:" + a generated file)."""

    name: str
    deps: tuple[str, ...]
    link_flags: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        return (f"tests/unit/{self.name}.c", *self.deps)


PROGRAMS = {
    p.name: p
    for p in (
        Program("test_allocator", ("hyp/core/allocator.c", *HARNESS)),
        Program("test_page_owner", ("hyp/core/page_owner.c", *HARNESS)),
        Program("test_trapped_insn", ("hyp/arch/aarch64/trapped_insn.c", *HARNESS)),
        Program("test_string", HARNESS),
        Program("test_object", OBJECT_MODEL, ("-pthread",)),
        Program("test_cspace", (*OBJECT_MODEL, "tests/unit/cap_model.c")),
        Program("test_cspace_internals", OBJECT_MODEL_BUT_CSPACE),
        Program("test_hypercalls", OBJECT_MODEL),
        Program("test_ipc", OBJECT_MODEL),
        Program("test_vm_console", ("hyp/vm/vm_console.c", *HARNESS)),
        Program("test_rm_rpc", RM_RPC),
        Program("test_rpc_link", RM_RPC),
    )
}
FUZZ_TARGETS = {
    p.name: p
    for p in (
        Program("fuzz_cspace", (*OBJECT_MODEL, "tests/unit/cap_model.c")),
        Program("fuzz_rm_rpc", RM_RPC),
    )
}


@dataclass(frozen=True)
class HostCompiler:
    path: str
    env: dict[str, str]  # the environment sanitized programs run in


@dataclass
class Built:
    """Compiled programs by name, or why each one could not be built."""

    compiler: str
    programs: dict[str, Path] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )


PROBE_PROGRAM = "#include <stdlib.h>\nint main(void) { free(malloc(16)); return 0; }\n"
PROBE_FUZZ_TARGET = (
    "#include <stddef.h>\n#include <stdint.h>\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)\n"
    "{ (void)data; (void)size; return 0; }\n"
)


def _probe_build(cc: str, exe: Path, text: str, flags: Sequence[str]) -> bool:
    """Whether `cc` builds `text` into `exe` with `flags`."""
    source = exe.with_suffix(".c")
    source.write_text(text)
    return _run([cc, *flags, str(source), "-o", str(exe)]).returncode == 0


def _runs_clean(exe: Path, env: dict[str, str]) -> bool:
    proc = subprocess.run([str(exe)], env=env, capture_output=True, check=False)
    return proc.returncode == 0


@pytest.fixture(scope="session")
def host_cc(tmp_path_factory: pytest.TempPathFactory) -> HostCompiler:
    """The first of clang, cc, gcc that builds and runs a sanitized program. Leak checking is
    dropped where LeakSanitizer cannot run (e.g. under ptrace)."""
    exe = tmp_path_factory.mktemp("unit_cc") / "probe"
    for name in ("clang", "cc", "gcc"):
        cc = shutil.which(name)
        if cc is None or not _probe_build(cc, exe, PROBE_PROGRAM, CFLAGS):
            continue
        for leaks in ("1", "0"):
            asan = SANITIZER_ENV["ASAN_OPTIONS"].replace("detect_leaks=1", f"detect_leaks={leaks}")
            env = {**os.environ, **SANITIZER_ENV, "ASAN_OPTIONS": asan}
            if _runs_clean(exe, env):
                return HostCompiler(cc, env)
    missing(f"a host C compiler that builds and runs with {SANITIZE}", clang_runtime_package())


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("dtc")  # bothy.build.steps.generate runs it
    out = tmp_path_factory.mktemp("unit_gen")
    generate(load_config(DEFAULT_CONFIG), out, revision="host-test", version="0.0.0")
    return out


def _build(
    cc: str,
    gen: Path,
    work: Path,
    programs: Sequence[Program],
    compile_flags: Sequence[str],
    link_flags: Sequence[str],
) -> Built:
    """Compile every source once (in parallel), then link each program."""
    # The shim directory comes first: its util_string.h replaces lib/'s (libc has memset).
    includes = [
        UNIT_DIR / "shim",
        UNIT_DIR,
        REPO / "hyp" / "include",
        REPO / "rm" / "include",
        gen / "include",
        REPO / "lib",  # le_bytes.h (after the shim, whose util_string.h must win)
    ]
    sources = sorted({s for p in programs for s in p.sources})
    obj_dir = work / "obj"
    obj_dir.mkdir()
    objects = {s: obj_dir / (re.sub(r"[/:]", "_", s) + ".o") for s in sources}

    def compile_one(source: str) -> tuple[str, str | None]:
        path = gen / source[4:] if source.startswith("gen:") else REPO / source
        # -pthread everywhere: only test_object uses threads, and it changes nothing else.
        argv = [cc, *compile_flags, "-pthread", *(f"-I{d}" for d in includes), "-c", str(path)]
        proc = _run([*argv, "-o", str(objects[source])])
        return source, None if proc.returncode == 0 else f"$ {' '.join(argv)}\n{proc.stderr}"

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failed = {s: err for s, err in pool.map(compile_one, sources) if err is not None}
    built = Built(compiler=cc)
    for program in programs:
        errors = [failed[s] for s in program.sources if s in failed]
        if errors:
            built.errors[program.name] = "\n".join(errors)
            continue
        exe = work / program.name
        argv = [cc, *compile_flags, *link_flags, *program.link_flags]
        argv += [str(objects[s]) for s in program.sources]
        proc = _run([*argv, "-o", str(exe)])
        if proc.returncode != 0:
            built.errors[program.name] = f"$ {' '.join(argv)}\n{proc.stderr}"
        else:
            built.programs[program.name] = exe
    return built


@pytest.fixture(scope="session")
def unit_build(
    host_cc: HostCompiler, gen_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    work = tmp_path_factory.mktemp("unit_build")
    return _build(host_cc.path, gen_dir, work, list(PROGRAMS.values()), CFLAGS, ())


@pytest.fixture(scope="session")
def fuzz_build(
    host_cc: HostCompiler, gen_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    work = tmp_path_factory.mktemp("unit_fuzz")
    clang = shutil.which("clang")
    probe = work / "fuzz_probe"
    if clang is None or not _probe_build(
        clang, probe, PROBE_FUZZ_TARGET, (*FUZZ_CFLAGS, FUZZ_LINK)
    ):
        missing("clang with libFuzzer (-fsanitize=fuzzer)", clang_runtime_package())
    return _build(clang, gen_dir, work, list(FUZZ_TARGETS.values()), FUZZ_CFLAGS, (FUZZ_LINK,))


def _declared_tests(program: str) -> list[str]:
    """The tests a program lists in its UNIT_TEST table, in order."""
    text = (UNIT_DIR / f"{program}.c").read_text()
    return re.findall(r"UNIT_TEST\((\w+)\)", text)


def _run_program(
    built: Built, env: dict[str, str], name: str, *args: str
) -> subprocess.CompletedProcess[str]:
    if name in built.errors:
        pytest.fail(f"{name} did not build with {built.compiler}:\n{built.errors[name]}")
    return subprocess.run(
        [str(built.programs[name]), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT_S,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit status {proc.returncode}\n--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}"
    )


def _check_passed(proc: subprocess.CompletedProcess[str], expected: list[str]) -> None:
    assert proc.returncode == 0, _output(proc)
    lines = proc.stdout.splitlines()
    assert lines and lines[-1] == f"{len(expected)} passed, 0 failed", _output(proc)
    assert [line.removeprefix("ok ") for line in lines[:-1]] == expected, _output(proc)


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_unit_program(unit_build: Built, host_cc: HostCompiler, program: str) -> None:
    proc = _run_program(unit_build, host_cc.env, program)
    _check_passed(proc, _declared_tests(program))


@pytest.mark.parametrize("target", list(FUZZ_TARGETS))
def test_fuzz_target(fuzz_build: Built, host_cc: HostCompiler, tmp_path: Path, target: str) -> None:
    """A fixed-seed libFuzzer run (the cap model; the RPC library): the same inputs every time."""
    args = [f"-runs={FUZZ_RUNS}", "-seed=1", "-max_len=512", "-timeout=30"]
    args += [f"-artifact_prefix={tmp_path}/", "-print_final_stats=1"]
    proc = _run_program(fuzz_build, host_cc.env, target, *args)
    assert proc.returncode == 0, _output(proc)
    assert f"Done {FUZZ_RUNS} runs" in proc.stderr, _output(proc)


def test_rm_rpc_fuzz_loop_size(unit_build: Built, host_cc: HostCompiler) -> None:
    """The deterministic generator run in test_rm_rpc sends 100 000 messages (over a million
    fragments) and every request header is answered."""
    proc = _run_program(unit_build, host_cc.env, "test_rm_rpc", "test_fuzz_100k_messages")
    _check_passed(proc, ["test_fuzz_100k_messages"])
    stats = re.search(r"fuzz: (\d+) messages in (\d+) fragments", proc.stderr)
    assert stats and int(stats.group(1)) == 100_000 and int(stats.group(2)) > 1_000_000
