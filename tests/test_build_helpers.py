"""Host-only tests for the build helpers: compiler depfiles and the doit up-to-date checker,
finding the toolchain on PATH, and the QEMU command line. No real tool is run: PATH holds
only fake scripts written by the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bothy.build.depfile import DepfileUpToDate, parse_depfile, signature
from bothy.config import load_config
from bothy.errors import BothyError
from bothy.paths import DEFAULT_CONFIG
from bothy.qemu import qemu_command
from bothy.toolchain import ToolchainError, find_build_tools, find_tool

# --- parse_depfile ------------------------------------------------------------------------


def test_parse_single_line() -> None:
    assert parse_depfile("foo.o: foo.c foo.h\n") == ["foo.c", "foo.h"]


def test_parse_continuation_lines() -> None:
    text = "build/obj/foo.c.o: src/foo.c \\\n  include/a.h \\\n  include/b.h\n"
    assert parse_depfile(text) == ["src/foo.c", "include/a.h", "include/b.h"]


def test_parse_ignores_phony_rules_from_mp() -> None:
    text = "foo.o: foo.c include/a.h \\\n  include/b.h\n\ninclude/a.h:\n\ninclude/b.h:\n"
    assert parse_depfile(text) == ["foo.c", "include/a.h", "include/b.h"]


def test_parse_collapses_runs_of_spaces_and_tabs() -> None:
    text = "foo.o:   foo.c \t  a.h\\\n\t\t b.h   \\\n   \n"
    assert parse_depfile(text) == ["foo.c", "a.h", "b.h"]


def test_parse_target_without_prerequisites() -> None:
    assert parse_depfile("foo.o:\n") == []
    assert parse_depfile("") == []


def test_parse_real_clang_depfile_shape(tmp_path: Path) -> None:
    # What clang -MMD -MP writes for one source including two headers.
    text = (
        f"{tmp_path}/obj/x.c.o: {tmp_path}/x.c \\\n"
        f"  {tmp_path}/inc/one.h {tmp_path}/inc/two.h\n"
        f"{tmp_path}/inc/one.h:\n"
        f"{tmp_path}/inc/two.h:\n"
    )
    assert parse_depfile(text) == [
        f"{tmp_path}/x.c",
        f"{tmp_path}/inc/one.h",
        f"{tmp_path}/inc/two.h",
    ]


# --- signature ------------------------------------------------------------------------------


def make_files(tmp_path: Path, **contents: str) -> dict[str, Path]:
    paths = {}
    for name, text in contents.items():
        path = tmp_path / f"{name}.h"
        path.write_text(text)
        paths[name] = path
    return paths


def test_signature_is_stable_and_order_independent(tmp_path: Path) -> None:
    files = make_files(tmp_path, a="int a;\n", b="int b;\n")
    names = [str(files["a"]), str(files["b"])]
    first = signature(names)
    assert first is not None
    assert signature(names) == first
    assert signature(list(reversed(names))) == first
    assert signature([*names, names[0]]) == first  # duplicates do not matter


def test_signature_changes_when_a_file_changes(tmp_path: Path) -> None:
    files = make_files(tmp_path, a="int a;\n", b="int b;\n")
    names = [str(files["a"]), str(files["b"])]
    before = signature(names)
    files["b"].write_text("int b2;\n")
    after = signature(names)
    assert after is not None
    assert after != before
    files["b"].write_text("int b;\n")
    assert signature(names) == before


def test_signature_depends_on_which_files(tmp_path: Path) -> None:
    files = make_files(tmp_path, a="same\n", b="same\n")
    assert signature([str(files["a"])]) != signature([str(files["b"])])
    assert signature([str(files["a"])]) != signature([str(files["a"]), str(files["b"])])


def test_signature_is_none_when_a_file_is_missing(tmp_path: Path) -> None:
    files = make_files(tmp_path, a="int a;\n")
    assert signature([str(files["a"]), str(tmp_path / "gone.h")]) is None
    files["a"].unlink()
    assert signature([str(files["a"])]) is None


# --- DepfileUpToDate --------------------------------------------------------------------------


class FakeTask:
    """The part of a doit Task the checker uses."""

    def __init__(self) -> None:
        self.value_savers: list[Callable[[], dict[str, Any]]] = []


@pytest.fixture
def compiled(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A source, a header it includes and the depfile a compile of it wrote."""
    source = tmp_path / "x.c"
    header = tmp_path / "x.h"
    source.write_text('#include "x.h"\n')
    header.write_text("int x;\n")
    depfile = tmp_path / "x.c.o.d"
    depfile.write_text(f"{tmp_path}/x.c.o: {source} \\\n  {header}\n{header}:\n")
    return source, header, depfile


def saved_values(task: FakeTask) -> dict[str, Any]:
    """What doit stores after the task ran: every saver's values merged."""
    values: dict[str, Any] = {}
    for save in task.value_savers:
        values.update(save())
    return values


def test_uptodate_false_without_saved_values(compiled: tuple[Path, Path, Path]) -> None:
    task = FakeTask()
    assert DepfileUpToDate(compiled[2])(task, {}) is False
    assert len(task.value_savers) == 1


def test_uptodate_true_when_saved_signature_matches(compiled: tuple[Path, Path, Path]) -> None:
    checker = DepfileUpToDate(compiled[2])
    first = FakeTask()
    checker(first, {})
    values = saved_values(first)
    assert values["depfile_signature"] is not None
    assert checker(FakeTask(), values) is True


def test_uptodate_false_after_a_header_changes(compiled: tuple[Path, Path, Path]) -> None:
    _, header, depfile = compiled
    checker = DepfileUpToDate(depfile)
    first = FakeTask()
    checker(first, {})
    values = saved_values(first)
    header.write_text("int x, y;\n")
    assert checker(FakeTask(), values) is False


def test_uptodate_false_after_the_source_changes(compiled: tuple[Path, Path, Path]) -> None:
    source, _, depfile = compiled
    checker = DepfileUpToDate(depfile)
    first = FakeTask()
    checker(first, {})
    values = saved_values(first)
    source.write_text('#include "x.h"\nint z;\n')
    assert checker(FakeTask(), values) is False


def test_uptodate_false_when_a_header_is_deleted(compiled: tuple[Path, Path, Path]) -> None:
    _, header, depfile = compiled
    checker = DepfileUpToDate(depfile)
    first = FakeTask()
    checker(first, {})
    values = saved_values(first)
    header.unlink()
    assert checker(FakeTask(), values) is False
    assert saved_values(first) == {"depfile_signature": None}


def test_uptodate_false_without_a_depfile(tmp_path: Path) -> None:
    task = FakeTask()
    checker = DepfileUpToDate(tmp_path / "never-compiled.o.d")
    assert checker(task, {"depfile_signature": None}) is False
    assert checker(task, {"depfile_signature": "whatever"}) is False
    assert saved_values(task) == {"depfile_signature": None}


def test_saver_rereads_the_depfile_after_the_compile(
    compiled: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    # A recompile may include a new header: the saved signature must cover it.
    source, header, depfile = compiled
    checker = DepfileUpToDate(depfile)
    task = FakeTask()
    checker(task, {})
    extra = tmp_path / "extra.h"
    extra.write_text("int e;\n")
    depfile.write_text(f"x.c.o: {source} {header} {extra}\n")
    values = saved_values(task)
    assert values["depfile_signature"] == signature([str(source), str(header), str(extra)])
    extra.write_text("int e2;\n")
    assert checker(FakeTask(), values) is False


# --- toolchain ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_tool_cache() -> Iterator[None]:
    find_tool.cache_clear()
    yield
    find_tool.cache_clear()


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory that is the whole PATH."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return path


def fake_tool(bin_dir: Path, command: str, version_output: str) -> Path:
    """An executable `command` that prints `version_output` (for --version)."""
    path = bin_dir / command
    assert "'" not in version_output
    # Only shell builtins: PATH holds nothing but the fakes.
    lines = " ".join(f"'{line}'" for line in version_output.splitlines())
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {lines}\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("name", "command", "package"),
    [
        ("clang", "clang", "clang"),
        ("ld.lld", "ld.lld", "lld"),
        ("llvm-objcopy", "llvm-objcopy", "llvm"),
        ("dtc", "dtc", "device-tree-compiler"),
        ("qemu", "qemu-system-aarch64", "qemu-system-arm"),
    ],
)
def test_missing_tool_names_command_package_and_setup(
    bin_dir: Path, name: str, command: str, package: str
) -> None:
    with pytest.raises(ToolchainError) as info:
        find_tool(name)
    message = str(info.value)
    assert message.startswith(f"{command} not found on PATH")
    assert f"sudo apt-get install -y {package}" in message
    assert "./bothy setup" in message
    assert isinstance(info.value, BothyError)


def test_old_clang_is_rejected(bin_dir: Path) -> None:
    clang = fake_tool(bin_dir, "clang", "Debian clang version 13.0.1\nTarget: x86_64-pc-linux-gnu")
    with pytest.raises(ToolchainError) as info:
        find_tool("clang")
    message = str(info.value)
    assert f"clang ({clang}) is version 13.0" in message
    assert "bothy needs >= 14" in message
    assert "./bothy setup" in message
    assert "apt-get install -y clang" in message


def test_new_enough_clang_is_found(bin_dir: Path) -> None:
    clang = fake_tool(bin_dir, "clang", "Debian clang version 14.0.6")
    tool = find_tool("clang")
    assert (tool.name, tool.path, tool.version) == ("clang", str(clang), "14.0")


def test_old_qemu_is_rejected(bin_dir: Path) -> None:
    fake_tool(bin_dir, "qemu-system-aarch64", "QEMU emulator version 7.1.0 (Debian 1:7.1+dfsg)")
    with pytest.raises(ToolchainError) as info:
        find_tool("qemu")
    message = str(info.value)
    assert "is version 7.1" in message
    assert "needs >= 7.2" in message
    assert "apt-get install -y qemu-system-arm" in message


def test_qemu_7_2_is_accepted(bin_dir: Path) -> None:
    fake_tool(bin_dir, "qemu-system-aarch64", "QEMU emulator version 7.2.0")
    assert find_tool("qemu").version == "7.2"


def test_unreadable_version_is_reported(bin_dir: Path) -> None:
    fake_tool(bin_dir, "dtc", "something else entirely")
    with pytest.raises(ToolchainError) as info:
        find_tool("dtc")
    assert "cannot read its version" in str(info.value)
    assert "something else entirely" in str(info.value)


def test_tool_without_version_check(bin_dir: Path) -> None:
    objcopy = fake_tool(bin_dir, "llvm-objcopy", "")
    assert find_tool("llvm-objcopy").path == str(objcopy)


def test_find_build_tools_reports_every_problem(bin_dir: Path) -> None:
    fake_tool(bin_dir, "clang", "clang version 12.0.0")
    with pytest.raises(ToolchainError) as info:
        find_build_tools()
    message = str(info.value)
    assert message.startswith("missing build tools:")
    assert "needs >= 14" in message
    for command in ("ld.lld", "llvm-objcopy", "dtc"):
        assert f"{command} not found on PATH" in message


def test_find_build_tools_all_present(bin_dir: Path) -> None:
    fake_tool(bin_dir, "clang", "Ubuntu clang version 15.0.7")
    fake_tool(bin_dir, "ld.lld", "Ubuntu LLD 15.0.7 (compatible with GNU linkers)")
    fake_tool(bin_dir, "llvm-objcopy", "llvm-objcopy, compatible with GNU objcopy")
    fake_tool(bin_dir, "dtc", "Version: DTC 1.6.1")
    tools = find_build_tools()
    assert sorted(tools) == ["clang", "dtc", "ld.lld", "llvm-objcopy"]
    assert {n: t.version for n, t in tools.items()} == {
        "clang": "15.0",
        "ld.lld": "15.0",
        "llvm-objcopy": "",
        "dtc": "1.6",
    }


# --- qemu_command ------------------------------------------------------------------------------


def option(argv: list[str], flag: str) -> str:
    assert argv.count(flag) == 1, f"{flag} not exactly once in {argv}"
    return argv[argv.index(flag) + 1]


def test_qemu_command_for_default_config(bin_dir: Path, tmp_path: Path, fake_cache: Path) -> None:
    qemu = fake_tool(bin_dir, "qemu-system-aarch64", "QEMU emulator version 8.2.2")
    image = tmp_path / "build" / "bothy.elf"
    argv = qemu_command(load_config(DEFAULT_CONFIG), image)
    assert argv[0] == str(qemu)
    machine = option(argv, "-machine").split(",")
    assert machine[0] == "virt"
    assert "virtualization=on" in machine
    assert "gic-version=3" in machine
    assert option(argv, "-cpu") == "max,pauth=off"
    assert option(argv, "-smp") == "2"
    assert option(argv, "-m") == "1024M"
    assert "enable=on" in option(argv, "-semihosting-config").split(",")
    assert option(argv, "-kernel") == str(image)
    # No device the config does not name: no default NIC (whose ROM may be missing), one serial.
    assert "-nodefaults" in argv
    assert option(argv, "-serial") == "mon:stdio"
    assert option(argv, "-display") == "none"
    assert "-icount" not in argv


def test_qemu_command_with_icount(bin_dir: Path, tmp_path: Path, fake_cache: Path) -> None:
    fake_tool(bin_dir, "qemu-system-aarch64", "QEMU emulator version 9.0.0")
    argv = qemu_command(load_config(DEFAULT_CONFIG), tmp_path / "bothy.elf", icount=True)
    assert option(argv, "-icount") == "shift=0"


def test_qemu_command_without_qemu(bin_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match="qemu-system-aarch64 not found on PATH"):
        qemu_command(load_config(DEFAULT_CONFIG), tmp_path / "bothy.elf")


def test_parse_depfile_keeps_escaped_spaces_in_one_path() -> None:
    text = "x.o: a.c sp\\ dir/a\\ b.h \\\n  c.h\nc.h:\n"
    assert parse_depfile(text) == ["a.c", "sp dir/a b.h", "c.h"]
