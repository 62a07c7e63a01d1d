"""Tests for tools/setup.sh and the ./bothy front end.

Nothing is installed for real. Each test gets a private copy of the two
scripts and a directory of shim executables that is the *whole* PATH: fake
clang/QEMU/python3 print chosen version strings, fake `id` decides root-ness,
and fake `apt-get`/`sudo` only record how they were called (and "install" a
package by copying its prepared shims into PATH). The few real coreutils the
scripts need are symlinked in one by one, so the real toolchain in /usr/bin is
never visible.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from needs import PACKAGE_FOR

REPO_ROOT = Path(__file__).resolve().parents[1]
SETUP_SH = REPO_ROOT / "tools" / "setup.sh"
BOTHY = REPO_ROOT / "bothy"
BASH = shutil.which("bash") or "/bin/bash"
SH = shutil.which("sh") or "/bin/sh"

# Real programs the scripts may run on some path (mktemp/cat/rm for the apt
# log, env for DEBIAN_FRONTEND, sha256sum for the venv stamp).
COREUTILS = ("cat", "env", "mktemp", "rm", "sha256sum", "readlink")

# Where the fake clang's runtimes live: its -print-resource-dir is a folder in PATH's directory,
# so the fake apt-get can "install" libclang-rt-14-dev by copying it back.
RUNTIME = Path("clang-rt") / "lib" / "linux" / f"libclang_rt.fuzzer-{platform.machine()}.a"

DEBIAN_12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU_2404 = 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'
ARCH = 'NAME="Arch Linux"\nID=arch\n'

APT_CMD_HINT = "sudo apt-get update && sudo apt-get install -y"


def _write_exe(path: Path, body: str) -> None:
    path.write_text(f"#!{SH}\n{body}")
    path.chmod(0o755)


class Host:
    """A fake machine: a repo copy, a shim PATH, and a log of shim calls."""

    def __init__(self, base: Path) -> None:
        self.root = base / "repo"
        self.bin = base / "bin"
        self.store = base / "store"  # package name -> shims apt-get "installs"
        self.calls = base / "calls.log"
        self.os_release = base / "os-release"
        self.tmp = base / "tmp"
        for d in (self.root / "tools", self.bin, self.store, self.tmp):
            d.mkdir(parents=True)
        shutil.copy2(SETUP_SH, self.root / "tools" / "setup.sh")
        shutil.copy2(BOTHY, self.root / "bothy")
        (self.root / "pyproject.toml").write_text('[project]\nname = "fake"\n')
        self.os_release.write_text(DEBIAN_12)
        self.calls.touch()
        for name in COREUTILS:
            real = shutil.which(name)
            assert real, f"test host lacks {name}"
            (self.bin / name).symlink_to(real)

        self.env: dict[str, str] = {
            "PATH": str(self.bin),
            "HOME": str(base),
            "TMPDIR": str(self.tmp),
            "LC_ALL": "C",
            "BOTHY_OS_RELEASE": str(self.os_release),
            "BOTHY_SETUP_SKIP_VENV": "1",
        }

        # A complete, new-enough Debian 12 host, not root, no sudo.
        self.clang("Debian clang version 14.0.6")
        self.qemu("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)")
        for name in ("ld.lld", "llvm-objcopy", "dtc", "fdtget", "cpio", "dpkg-deb"):
            self.shim(name, "exit 0\n")
        (self.bin / RUNTIME).parent.mkdir(parents=True)
        (self.bin / RUNTIME).touch()
        self.python("3.11", venv_module=True)
        self.set_uid(1000)
        self.apt_get()

    def shim(self, name: str, body: str, where: Path | None = None) -> None:
        """An executable that logs its argv, then runs `body`."""
        log = f'printf "%s\\n" "{name} $*" >> "{self.calls}"\n'
        _write_exe((where or self.bin) / name, log + body)

    def clang(self, first_line: str) -> None:
        resource_dir = self.bin / RUNTIME.parts[0]
        self.shim(
            "clang",
            f'[ "$1" = -print-resource-dir ] && {{ echo "{resource_dir}"; exit 0; }}\n'
            f'echo "{first_line}"\necho "Target: aarch64-unknown-linux-gnu"\n',
        )

    def remove_clang_runtime(self) -> None:
        """Take the runtimes away; apt-get's libclang-rt-14-dev brings them back."""
        dest = self.store / "libclang-rt-14-dev"
        dest.mkdir()
        (self.bin / RUNTIME.parts[0]).rename(dest / RUNTIME.parts[0])

    def qemu(self, first_line: str) -> None:
        self.shim("qemu-system-aarch64", f'echo "{first_line}"\necho "Copyright (c) 2003-2022"\n')

    def python(self, version: str, *, venv_module: bool) -> None:
        """python3 answering setup.sh's probe; the venv module is a marker
        file in PATH, so "installing" python3-venv can add it."""
        marker = self.bin / "venv-module"
        if venv_module:
            marker.touch()
        else:
            marker.unlink(missing_ok=True)
            (self.store / "python3-venv").mkdir(exist_ok=True)
            (self.store / "python3-venv" / "venv-module").touch()
        template = self.tmp / "venv-python"
        # What `python3 -m venv DIR` leaves behind: a DIR/bin/python whose
        # pip logs its args and cwd, and fails while a `pip-fails` file exists.
        self.shim(
            "python",
            f'echo "cwd $PWD" >> "{self.calls}"\n[ ! -e "{self.tmp}/pip-fails" ]\n',
            where=self.tmp,
        )
        (self.tmp / "python").rename(template)
        self.shim(
            "python3",
            f"""case "$1" in
-c) echo "{version}"; [ -e "{marker}" ] || exit 3 ;;
-m) [ "$2" = venv ] || exit 2
    /bin/mkdir -p "$3/bin" && /bin/cp "{template}" "$3/bin/python" ;;
*) exit 2 ;;
esac
""",
        )

    def set_uid(self, uid: int) -> None:
        self.shim("id", f'[ "$1" = -u ] && echo {uid}\n')

    def sudo(self, *, passwordless: bool) -> None:
        # `sudo -n` must fail when a password would be needed.
        ok = "true" if passwordless else 'echo "sudo: a password is required" >&2; exit 1'
        # `true` is a shell builtin with no binary in PATH, so answer it here.
        self.shim("sudo", f'[ "$1" = -n ] && shift\n{ok}\n[ "$1" = true ] && exit 0\nexec "$@"\n')

    def apt_get(self, *, install_rc: int = 0) -> None:
        """apt-get that logs DEBIAN_FRONTEND + argv, prints apt-like noise,
        and on `install` copies each package's prepared shims into PATH."""
        self.shim(
            "apt-get",
            f"""echo "DEBIAN_FRONTEND=${{DEBIAN_FRONTEND:-}}" >> "{self.calls}"
echo "Reading package lists... Done"
[ "$1" = install ] || exit 0
[ {install_rc} -eq 0 ] || {{ echo "E: Unable to locate package $*" >&2; exit {install_rc}; }}
for p in "$@"; do
  [ -d "{self.store}/$p" ] && /bin/cp -r "{self.store}/$p/"* "{self.bin}/"
done
exit 0
""",
        )

    def remove(self, name: str, *, installable: bool = True) -> None:
        """Take a tool off PATH; apt-get can bring it back if installable."""
        src = self.bin / name
        if installable:
            dest = self.store / PACKAGE_FOR[name]
            dest.mkdir(exist_ok=True)
            src.rename(dest / name)
        else:
            src.unlink()

    def log(self) -> list[str]:
        return self.calls.read_text().splitlines()

    def apt_calls(self) -> list[str]:
        return [line for line in self.log() if line.startswith("apt-get ")]

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BASH, *args],
            cwd=cwd or self.tmp,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def setup(self) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.root / "tools" / "setup.sh"))

    def bothy(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.root / "bothy"), *args)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    yield Host(tmp_path)


def output(r: subprocess.CompletedProcess[str]) -> str:
    return r.stdout + r.stderr


# --- nothing to do ------------------------------------------------------------


def test_everything_present_exits_0_silently(host: Host) -> None:
    r = host.setup()
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert host.apt_calls() == []
    assert not any(line.startswith("sudo") for line in host.log())


@pytest.mark.parametrize(
    ("clang", "qemu", "python"),
    [
        ("Ubuntu clang version 18.1.3 (1ubuntu1)", "QEMU emulator version 8.2.2 (Debian)", "3.12"),
        ("clang version 19.1.0", "QEMU emulator version 10.0.0", "3.13"),
        ("Debian clang version 14.0.6", "QEMU emulator version 7.2.0", "3.11"),
    ],
)
def test_newer_versions_are_accepted(host: Host, clang: str, qemu: str, python: str) -> None:
    host.clang(clang)
    host.qemu(qemu)
    host.python(python, venv_module=True)
    r = host.setup()
    assert (r.returncode, output(r)) == (0, "")


def test_script_works_from_any_cwd_via_relative_path(host: Host) -> None:
    r = host.run("tools/setup.sh", cwd=host.root)
    assert (r.returncode, output(r)) == (0, "")


# --- missing tools ------------------------------------------------------------


@pytest.mark.parametrize("sudo", ["absent", "needs-password"])
def test_missing_clang_not_root_no_sudo_prints_apt_command(host: Host, sudo: str) -> None:
    if sudo == "needs-password":
        host.sudo(passwordless=False)
    host.remove("clang")
    r = host.setup()
    assert r.returncode == 1
    assert f"{APT_CMD_HINT} clang\n" in output(r)
    assert host.apt_calls() == []


def test_missing_tools_as_root_installs_exactly_those_packages(host: Host) -> None:
    host.set_uid(0)
    host.remove("clang")
    host.remove("dtc")
    r = host.setup()
    assert r.returncode == 0, output(r)
    assert host.apt_calls() == [
        "apt-get update",
        "apt-get install -y --no-install-recommends clang device-tree-compiler",
    ]
    assert host.log().count("DEBIAN_FRONTEND=noninteractive") == 2
    # One progress line; apt's own chatter is swallowed on success.
    assert output(r) == "bothy: installing clang device-tree-compiler" + (
        " (apt-get; this can take a few minutes)\n"
    )
    assert list(host.tmp.glob("bothy-apt.*")) == []


def test_setup_installs_every_tool_the_tests_need() -> None:
    # tests/needs.py names a package for each tool a test needs; setup.sh must install them all.
    text = SETUP_SH.read_text()
    table = dict(re.findall(r"^    \[([\w.+-]+)\]=([\w.+-]+)$", text, re.MULTILINE))
    tools = re.search(r"^TOOLS=\(([^)]*)\)", text, re.MULTILINE)
    assert tools is not None, "setup.sh has no TOOLS=(...) line"
    assert table == PACKAGE_FOR, "setup.sh's PKG_FOR differs from tests/needs.py's PACKAGE_FOR"
    assert sorted(tools.group(1).split()) == sorted(PACKAGE_FOR), "TOOLS differs from PKG_FOR"


def test_missing_clang_runtime_installs_the_package_of_clangs_version(host: Host) -> None:
    host.set_uid(0)
    host.remove_clang_runtime()
    r = host.setup()
    assert r.returncode == 0, output(r)
    assert host.apt_calls()[-1] == "apt-get install -y --no-install-recommends libclang-rt-14-dev"
    assert (host.bin / RUNTIME).exists(), "the runtime was not put back"


def test_clang_and_its_runtime_both_missing_take_two_installs(host: Host) -> None:
    # The runtime's package name needs the version of the clang that the first install brings.
    host.set_uid(0)
    host.remove("clang")
    host.remove_clang_runtime()
    r = host.setup()
    assert r.returncode == 0, output(r)
    installs = [c for c in host.apt_calls() if c.startswith("apt-get install")]
    assert installs == [
        "apt-get install -y --no-install-recommends clang",
        "apt-get install -y --no-install-recommends libclang-rt-14-dev",
    ]


def test_runtime_still_missing_after_install_fails_naming_it(host: Host) -> None:
    host.set_uid(0)
    host.remove_clang_runtime()
    (host.store / "libclang-rt-14-dev" / RUNTIME.parts[0]).rename(host.tmp / "gone")
    r = host.setup()
    assert r.returncode == 1
    assert "still missing after installing packages: clang's sanitizer" in output(r)


def test_missing_tool_with_passwordless_sudo_uses_sudo(host: Host) -> None:
    host.sudo(passwordless=True)
    host.remove("qemu-system-aarch64")
    r = host.setup()
    assert r.returncode == 0, output(r)
    sudo_calls = [line for line in host.log() if line.startswith("sudo ")]
    assert "sudo -n true" in sudo_calls
    assert (
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y "
        "--no-install-recommends qemu-system-arm"
    ) in sudo_calls
    assert host.apt_calls()[-1] == "apt-get install -y --no-install-recommends qemu-system-arm"


def test_missing_venv_module_installs_python3_venv(host: Host) -> None:
    host.set_uid(0)
    host.python("3.11", venv_module=False)
    r = host.setup()
    assert r.returncode == 0, output(r)
    assert host.apt_calls()[-1] == "apt-get install -y --no-install-recommends python3-venv"


def test_apt_failure_shows_apt_output_and_fails(host: Host) -> None:
    host.set_uid(0)
    host.apt_get(install_rc=100)
    host.remove("cpio")
    r = host.setup()
    assert r.returncode == 1
    assert "E: Unable to locate package" in r.stderr
    assert f"{APT_CMD_HINT} cpio" in r.stderr
    assert list(host.tmp.glob("bothy-apt.*")) == []  # the log is cleaned up


def test_package_that_does_not_provide_the_command_is_an_error(host: Host) -> None:
    host.set_uid(0)
    host.remove("llvm-objcopy", installable=False)
    r = host.setup()
    assert r.returncode == 1
    assert "still missing after installing packages: llvm-objcopy" in r.stderr


# --- versions -----------------------------------------------------------------


def test_clang_13_is_rejected_naming_found_and_needed(host: Host) -> None:
    host.clang("Debian clang version 13.0.1-6~deb11u1")
    r = host.setup()
    assert r.returncode == 1
    line = next(x for x in r.stderr.splitlines() if "clang 13" in x)
    assert "clang >= 14" in line


def test_qemu_7_1_is_rejected(host: Host) -> None:
    host.qemu("QEMU emulator version 7.1.0 (Debian 1:7.1+dfsg-2)")
    r = host.setup()
    assert r.returncode == 1
    line = next(x for x in r.stderr.splitlines() if "QEMU 7.1" in x)
    assert ">= 7.2" in line


def test_python_3_10_is_rejected(host: Host) -> None:
    host.python("3.10", venv_module=True)
    r = host.setup()
    assert r.returncode == 1
    assert "python3 3.10 found" in r.stderr
    assert "python3 >= 3.11" in r.stderr


def test_unparseable_clang_version_is_an_error(host: Host) -> None:
    host.clang("something else entirely")
    r = host.setup()
    assert r.returncode == 1
    assert "cannot tell clang's version" in r.stderr


# --- OS detection ---------------------------------------------------------------


@pytest.mark.parametrize("text", [DEBIAN_12, UBUNTU_2404, MINT], ids=["debian", "ubuntu", "mint"])
def test_debian_likes_install_with_apt(host: Host, text: str) -> None:
    host.os_release.write_text(text)
    host.set_uid(0)
    host.remove("clang")
    r = host.setup()
    assert r.returncode == 0, output(r)
    assert host.apt_calls()[-1].endswith("--no-install-recommends clang")


@pytest.mark.parametrize("text", [FEDORA, ARCH, None], ids=["fedora", "arch", "no-os-release"])
def test_non_debian_lists_needs_and_fails(host: Host, text: str | None) -> None:
    if text is None:
        host.os_release.unlink()
    else:
        host.os_release.write_text(text)
    host.set_uid(0)
    host.remove("clang")
    r = host.setup()
    assert r.returncode == 1
    for need in (
        "qemu-system-aarch64 >= 7.2",
        "clang >= 14",
        "ld.lld",
        "llvm-objcopy",
        "dtc",
        "python3 >= 3.11 with the venv module",
    ):
        assert need in r.stderr
    assert host.apt_calls() == []


def test_non_debian_with_everything_present_is_fine(host: Host) -> None:
    host.os_release.write_text(FEDORA)
    r = host.setup()
    assert (r.returncode, output(r)) == (0, "")


# --- the virtualenv -------------------------------------------------------------


def _pip_calls(host: Host) -> list[str]:
    return [line for line in host.log() if line.startswith("python -m pip")]


def test_venv_created_and_installed_once_then_silent(host: Host) -> None:
    del host.env["BOTHY_SETUP_SKIP_VENV"]
    r = host.setup()
    assert r.returncode == 0, output(r)
    assert "python3 -m venv .venv" in host.log()
    assert _pip_calls(host) == ["python -m pip install -q --disable-pip-version-check -e ."]
    assert f"cwd {host.root}" in host.log()
    stamp = host.root / ".venv" / ".bothy-installed"
    digest = hashlib.sha256((host.root / "pyproject.toml").read_bytes()).hexdigest()
    assert stamp.read_text().strip() == digest

    r = host.setup()
    assert (r.returncode, output(r)) == (0, "")
    assert len(_pip_calls(host)) == 1

    # A dependency change re-runs pip, once.
    with (host.root / "pyproject.toml").open("a") as f:
        f.write('dependencies = ["doit"]\n')
    assert host.setup().returncode == 0
    assert host.setup().returncode == 0
    assert len(_pip_calls(host)) == 2


def test_failed_pip_leaves_no_stamp_and_is_retried(host: Host) -> None:
    del host.env["BOTHY_SETUP_SKIP_VENV"]
    (host.tmp / "pip-fails").touch()
    r = host.setup()
    assert r.returncode == 1
    assert "pip install -e ." in r.stderr
    assert not (host.root / ".venv" / ".bothy-installed").exists()

    (host.tmp / "pip-fails").unlink()
    assert host.setup().returncode == 0
    assert len(_pip_calls(host)) == 2
    assert (host.root / ".venv" / ".bothy-installed").exists()


def test_partial_venv_is_recreated(host: Host) -> None:
    del host.env["BOTHY_SETUP_SKIP_VENV"]
    leftover = host.root / ".venv" / "lib" / "junk"
    leftover.parent.mkdir(parents=True)
    leftover.touch()
    r = host.setup()
    assert r.returncode == 0, output(r)
    assert "recreating broken .venv" in r.stderr
    assert not leftover.exists()
    assert (host.root / ".venv" / "bin" / "python").exists()


# --- ./bothy --------------------------------------------------------------------


def test_bothy_unknown_command_prints_usage_and_exits_2(host: Host) -> None:
    r = host.bothy("bogus")
    assert r.returncode == 2
    assert "unknown command: bogus" in r.stderr
    assert "usage: ./bothy" in r.stderr
    assert host.log() == []  # usage errors do not run the set-up


@pytest.mark.parametrize("args", [(), ("help",), ("--help",)])
def test_bothy_help_exits_0(host: Host, args: tuple[str, ...]) -> None:
    r = host.bothy(*args)
    assert r.returncode == 0
    assert "usage: ./bothy" in r.stdout
    assert r.stderr == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # pytest options reach doit as one quoted --pytest value (doit would parse -v itself)
        (("test", "-v", "x"), "doit test --pytest -v x "),
        (("test", "-m", "not qemu"), "doit test --pytest -m not\\ qemu "),
        (("test",), "doit test"),
        (("boot",), "doit boot"),
        (("doit", "list", "--all"), "doit list --all"),
    ],
)
def test_bothy_sets_up_then_execs_doit_in_repo_root(
    host: Host, args: tuple[str, ...], expected: str
) -> None:
    venv_bin = host.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    host.shim("doit", f'echo "doit-cwd $PWD" >> "{host.calls}"\n', where=venv_bin)
    r = host.bothy(*args)  # cwd is elsewhere (host.tmp)
    assert (r.returncode, output(r)) == (0, ""), output(r)
    log = host.log()
    assert log[-2:] == [expected, f"doit-cwd {host.root}"]
    assert any(line.startswith("clang ") for line in log)  # set-up ran first


def test_bothy_stops_when_setup_fails(host: Host) -> None:
    venv_bin = host.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    host.shim("doit", "", where=venv_bin)
    host.remove("dtc")
    r = host.bothy("test")
    assert r.returncode == 1
    assert not any(line.startswith("doit") for line in host.log())


def test_real_scripts_are_executable() -> None:
    assert os.access(BOTHY, os.X_OK)
    assert os.access(SETUP_SH, os.X_OK)
