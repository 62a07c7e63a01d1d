"""Shared test fixtures: building a config through doit, deriving test-only configs, the QEMU
command line, and a fake guest cache (kernel Image + initrd) for host-only tests. Builds use
their own doit database, so `doit test` can run them."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

from bothy.config import load_config  # noqa: E402
from bothy.guest.cache import CACHE_ENV  # noqa: E402
from bothy.paths import DEFAULT_CONFIG, build_dir_for  # noqa: E402
from bothy.qemu import qemu_command  # noqa: E402
from needs import require  # noqa: E402

TEST_CONFIG_DIR = REPO / "build" / "test-configs"
# The fake guest: a 24 MiB kernel (image_size) in a 64 KiB file, and a 512 KiB initrd.
FAKE_KERNEL_IMAGE_SIZE = 0x180_0000
FAKE_KERNEL_FILE_SIZE = 0x1_0000
FAKE_INITRD_SIZE = 0x8_0000


def pytest_runtest_setup(item: pytest.Item) -> None:
    """@needs(...) (tests/needs.py): skip, or fail under CI=true, when a tool is missing."""
    for mark in item.iter_markers("needs_tools"):
        require(*mark.args)


def run_doit(
    command: str, *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """`doit COMMAND ARGS` in a subprocess, with the tests' own per-config database (so a
    test build never shares a database with a `doit test` that may be running it)."""
    config = next((a.split("=", 1)[1] for a in args if a.startswith("config=")), "")
    stem = Path(config).stem if config else DEFAULT_CONFIG.stem
    (cwd / ".doit").mkdir(exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "doit",
        command,
        "-f",
        str(cwd / "dodo.py"),
        "--db-file",
        str(cwd / ".doit" / f"tests-{stem}.db"),
        *args,
    ]
    return subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def build(config: Path) -> Path:
    """Build `config` (incrementally) and return its bothy.elf."""
    proc = run_doit("run", "build", f"config={config}")
    if proc.returncode != 0:
        pytest.fail(f"doit build config={config} failed:\n{proc.stdout}\n{proc.stderr}")
    return build_dir_for(config) / "bothy.elf"


def derived_config(name: str, change: Callable[[dict[str, object]], None]) -> Path:
    """A copy of the default config with one change, written to build/test-configs/NAME.yaml."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    change(raw)
    TEST_CONFIG_DIR.mkdir(parents=True, exist_ok=True)
    path = TEST_CONFIG_DIR / f"{name}.yaml"
    text = "# Test-only config derived from configs/qemu-virt.yaml.\n" + yaml.safe_dump(raw)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def guest_vm(name: str, role: str, image: str, base: int, **extra: object) -> dict[str, object]:
    """A config entry for a one-vCPU test-guest VM with 4 MiB of memory at `base`."""
    memory = {"base": base, "size": 4 << 20}
    return {"name": name, "role": role, "image": image, "vcpus": 1, "memory": memory, **extra}


def replace_guest_vms(
    raw: dict[str, object], guests: list[dict[str, object]], root_image: str | None = None
) -> None:
    """Keeps the config's root VM (running `root_image` if given) and puts `guests` in place
    of every other VM."""
    vms = raw["vms"]
    assert isinstance(vms, list)
    root = next(vm for vm in vms if vm["role"] == "root")
    raw["vms"] = [root if root_image is None else {**root, "image": root_image}, *guests]


def root_guest_config(name: str, image: str, debug: dict[str, object] | None = None) -> Path:
    """The default system with only its root VM, which runs test guest `image` instead of the
    RM (test guests run only as the root VM), and the given `debug` settings."""

    def change(raw: dict[str, object]) -> None:
        vms = raw["vms"]
        assert isinstance(vms, list)
        raw["vms"] = [{**vm, "image": image} for vm in vms if vm["role"] == "root"]
        if debug is not None:
            raw["debug"] = debug

    return derived_config(name, change)


def injected_config(kind: str) -> Path:
    """The default system with the test-only fault injection `kind` (config debug.inject)."""
    return derived_config(f"inject-{kind}", lambda raw: raw.update(debug={"inject": kind}))


@pytest.fixture(scope="session")
def default_image() -> Path:
    return build(DEFAULT_CONFIG)


def fake_kernel(
    path: Path,
    *,
    image_size: int = FAKE_KERNEL_IMAGE_SIZE,
    text_offset: int = 0,
    file_size: int = FAKE_KERNEL_FILE_SIZE,
    magic: bytes = b"ARM\x64",
) -> Path:
    """Write a file with an arm64 Image header (and nothing else) to `path`."""
    data = bytearray(file_size)
    struct.pack_into("<QQ", data, 8, text_offset, image_size)
    data[0x38 : 0x38 + len(magic)] = magic
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))
    return path


def fake_guest_cache(cache: Path) -> Path:
    """A guest cache holding a fake kernel Image and initrd (enough to stage and generate
    device trees; no lock file, so ensure_guest would still fetch)."""
    fake_kernel(cache / "Image")
    (cache / "initramfs.cpio.gz").write_bytes(b"\0" * FAKE_INITRD_SIZE)
    return cache


@pytest.fixture
def fake_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$BOTHY_CACHE pointing at a fresh fake guest cache (outside the test's tmp_path)."""
    cache = fake_guest_cache(tmp_path_factory.mktemp("guest-cache"))
    monkeypatch.setenv(CACHE_ENV, str(cache))
    return cache


def qemu_argv(config: Path, image: Path) -> list[str]:
    return qemu_command(load_config(config), image)


def log_path(name: str) -> Path:
    return REPO / "build" / "logs" / f"{name}.log"


def env_without_tools(tmp: Path) -> dict[str, str]:
    """The environment with a PATH holding only git: every build tool is 'missing'."""
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    git = subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout
    (bindir / "git").symlink_to(git.strip())
    return {**os.environ, "PATH": str(bindir)}


CLANG = shutil.which("clang")


def clang_syntax_check(source: Path, include: Path) -> None:
    """Compile `source` for the guest/hyp target with warnings as errors, syntax only."""
    assert CLANG is not None
    argv = [
        CLANG,
        "--target=aarch64-none-elf",
        "-ffreestanding",
        "-nostdlibinc",
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fsyntax-only",
        f"-I{include}",
        str(source),
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{source.name}:\n{proc.stderr}"
