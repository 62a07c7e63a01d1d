"""The build as a user meets it: bad input stops it before anything is written, a missing
tool names the fix, a second build does nothing, and two checkouts build identical images."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from bothy.paths import DEFAULT_CONFIG, build_dir_for
from conftest import REPO, build, derived_config, env_without_tools, injected_config, run_doit

pytestmark = pytest.mark.build


def test_bad_config_fails_before_building_anything() -> None:
    config = derived_config("bad-cpus", lambda raw: raw["machine"].update(cpus="two"))  # type: ignore[union-attr]
    out_dir = build_dir_for(config)
    proc = run_doit("run", "build", f"config={config}")
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert str(config) in message
    assert "machine.cpus: expected a value of type integer, found 'two' (str)" in message
    assert not out_dir.exists(), "a rejected config must leave no outputs"


def test_missing_tools_are_named_with_the_install_command(tmp_path: Path) -> None:
    proc = run_doit("run", "build", env=env_without_tools(tmp_path))
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "clang not found on PATH" in message
    assert "sudo apt-get install -y clang" in message
    assert "ld.lld not found on PATH" in message
    assert "./bothy setup" in message


def test_second_build_is_a_no_op(default_image: Path) -> None:
    # Building another config in between must not disturb this one's up-to-date state.
    build(injected_config("rm-hang"))
    proc = run_doit("run", "build", f"config={DEFAULT_CONFIG}")
    assert proc.returncode == 0
    ran = [line for line in proc.stdout.splitlines() if line.startswith(". ")]
    assert ran == [], f"a no-op build ran tasks: {ran}"


def test_manifest_matches_the_image(default_image: Path) -> None:
    manifest = json.loads((default_image.parent / "manifest.json").read_text())
    assert manifest["image"]["sha256"] == hashlib.sha256(default_image.read_bytes()).hexdigest()
    rm_bin = default_image.parent / "rm.bin"
    assert manifest["components"]["rm"]["sha256"] == hashlib.sha256(rm_bin.read_bytes()).hexdigest()
    assert {s["flags"] for s in manifest["segments"]} <= {"R-X", "R--", "RW-"}


def _clone_and_build(dest: Path) -> bytes:
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(REPO), str(dest)], check=True)
    proc = run_doit("run", "build", cwd=dest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (dest / "build" / DEFAULT_CONFIG.stem / "bothy.elf").read_bytes()


def test_two_checkouts_build_bit_identical_images(tmp_path: Path) -> None:
    first = _clone_and_build(tmp_path / "one")
    second = _clone_and_build(tmp_path / "elsewhere" / "two")
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    assert str(tmp_path).encode() not in first, "the checkout path leaked into the image"
    assert str(tmp_path).encode() not in build(DEFAULT_CONFIG).read_bytes()
