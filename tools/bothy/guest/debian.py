"""Debian's arm64 packages for the Linux guest: resolving, downloading and unpacking them with
the host's apt and dpkg, with private apt state so the system's apt set-up is never changed.

apt reads the system's sources (/etc/apt/sources.list*) but keeps its package lists and
downloads under the directory it is given; no root is needed. See
../shared/reference/qemu-and-toolchain-notes.md for the recipe.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shlex
import signal
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import IO

from bothy.errors import BothyError
from bothy.guest.arm64_image import GZIP_MAGIC, HEADER_SIZE, parse_header

KERNEL_METAPACKAGE = "linux-image-arm64"  # depends on the current linux-image-<abi>-arm64
BUSYBOX_PACKAGE = "busybox-static"
KERNEL_MEMBER = "./boot/vmlinuz-*"
BUSYBOX_MEMBER = "./bin/busybox"
_OUTPUT_TAIL = 20


class GuestFetchError(BothyError):
    """apt or dpkg failed, or a package is not what the guest needs."""


@dataclass(frozen=True)
class Package:
    """A downloaded .deb."""

    name: str
    version: str
    deb: Path


def apt_options(apt_dir: Path) -> list[str]:
    """apt options for arm64 packages with lists and downloads under apt_dir, and no
    installed packages (the host's dpkg status is irrelevant to a download)."""
    return [
        *("-o", "APT::Architecture=arm64"),
        *("-o", "APT::Architectures=arm64"),
        *("-o", f"Dir::State::Lists={apt_dir / 'lists'}"),
        *("-o", f"Dir::Cache={apt_dir / 'cache'}"),
        *("-o", "Dir::State::status=/dev/null"),
    ]


def _run(argv: Sequence[str], cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, capture_output=True, text=True, check=False, timeout=1800
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GuestFetchError(f"could not run {shlex.join(argv)}: {e}") from e
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-_OUTPUT_TAIL:])
        raise GuestFetchError(
            f"{Path(argv[0]).name} failed (exit {proc.returncode}): {shlex.join(argv)}\n{tail}"
        )
    return proc.stdout


def update_lists(apt_dir: Path) -> None:
    """apt-get update into apt_dir's private lists."""
    for sub in ("lists/partial", "cache/archives/partial"):
        (apt_dir / sub).mkdir(parents=True, exist_ok=True)
    _run(["apt-get", *apt_options(apt_dir), "update"])


def candidate_version(apt_dir: Path, name: str) -> str | None:
    """The version apt would download for `name`, or None if the archive has no such package."""
    policy = _run(["apt-cache", *apt_options(apt_dir), "policy", name])
    found = re.search(r"^\s*Candidate:\s*(\S+)", policy, re.MULTILINE)
    return None if found is None or found.group(1) == "(none)" else found.group(1)


def kernel_package(apt_dir: Path) -> str:
    """The current kernel package the metapackage names, preferring its -unsigned twin (the
    same Image without the EFI signature) when the archive has it."""
    depends = _run(["apt-cache", *apt_options(apt_dir), "depends", KERNEL_METAPACKAGE])
    names = re.findall(r"^\s*Depends:\s*(linux-image-\S+)", depends, re.MULTILINE)
    if not names:
        raise GuestFetchError(
            f"{KERNEL_METAPACKAGE} names no linux-image package; apt-cache said:\n{depends}"
        )
    unsigned = f"{names[0]}-unsigned"
    return unsigned if candidate_version(apt_dir, unsigned) else names[0]


def _field(deb: Path, name: str) -> str:
    return _run(["dpkg-deb", "--field", str(deb), name]).strip()


def download(apt_dir: Path, names: Sequence[str], dest: Path) -> list[Package]:
    """Download the candidate version of each package into the empty directory `dest`."""
    pinned = []
    for name in names:
        version = candidate_version(apt_dir, name)
        if version is None:
            raise GuestFetchError(f"the Debian archive has no arm64 package {name}")
        pinned.append(f"{name}={version}")
    dest.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", *apt_options(apt_dir), "download", *pinned], cwd=dest)
    by_name = {_field(deb, "Package"): deb for deb in dest.glob("*.deb")}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise GuestFetchError(f"apt-get download left no .deb for {', '.join(missing)} in {dest}")
    return [Package(n, _field(by_name[n], "Version"), by_name[n]) for n in names]


def _first_match(stream: IO[bytes], pattern: str) -> tuple[str, bytes] | None:
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if member.isfile() and fnmatch(member.name, pattern):
                data = tar.extractfile(member)
                assert data is not None
                return member.name, data.read()
    return None


def extract_member(deb: Path, pattern: str) -> tuple[str, bytes]:
    """The name and bytes of the first regular file in `deb` whose path matches `pattern`
    (e.g. "./boot/vmlinuz-*"). Streams the data archive and stops at the match."""
    argv = ["dpkg-deb", "--fsys-tarfile", str(deb)]
    problem = "no such file in the package"
    # Its own process group: dpkg-deb unpacks through child processes, which must all stop
    # once the file is found (the rest of the package need not be decompressed).
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            found = _first_match(proc.stdout, pattern)
        except tarfile.TarError as e:
            found, problem = None, f"cannot read its data archive: {e}"
        finally:
            proc.stdout.close()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        errors = proc.stderr.read().decode(errors="replace").strip() if found is None else ""
    if found is None:
        detail = f"\n{errors}" if errors else ""
        raise GuestFetchError(f"{deb}: no file {pattern}: {problem}{detail}")
    return found


def extract_kernel(deb: Path) -> bytes:
    """The raw arm64 Image from a linux-image .deb (decompressed if Debian ever gzips it)."""
    name, data = extract_member(deb, KERNEL_MEMBER)
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    parse_header(Path(f"{deb.name}:{name}"), data[:HEADER_SIZE], len(data))
    return data


def extract_busybox(deb: Path) -> bytes:
    return extract_member(deb, BUSYBOX_MEMBER)[1]
