"""The guest cache: Debian's arm64 kernel Image, a static busybox and the initramfs built
around it, plus guest.lock.json recording the packages (name, version, SHA-256 of the .deb)
and the SHA-256 of every file made from them.

The cache is $BOTHY_CACHE, else ~/.cache/bothy/guest/; configs share it. When it is complete
(every recorded file present with its recorded hash) ensure_guest does nothing and prints
nothing, without touching the network. To move to a newer Debian kernel, delete the cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bothy.files import write_if_changed
from bothy.guest import debian, initramfs
from bothy.guest.debian import Package

CACHE_ENV = "BOTHY_CACHE"
LOCK_FILE = "guest.lock.json"
KERNEL_FILE = "Image"
BUSYBOX_FILE = "busybox"
INITRAMFS_FILE = "initramfs.cpio.gz"
DEB_DIR = "debs"
APT_DIR = "apt"
LOCK_FORMAT = 1


def cache_dir() -> Path:
    """Where the guest files live: $BOTHY_CACHE or ~/.cache/bothy/guest."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else Path.home() / ".cache" / "bothy" / "guest"


def default_kernel() -> Path:
    """The Debian kernel Image of a Linux VM whose config names no kernel."""
    return cache_dir() / KERNEL_FILE


def default_initrd() -> Path:
    """The busybox initramfs of a Linux VM whose config names no initrd."""
    return cache_dir() / INITRAMFS_FILE


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(cache: Path, path: Path) -> dict[str, Any]:
    return {
        "path": path.relative_to(cache).as_posix(),
        "size": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def _matches(cache: Path, record: Any) -> bool:
    """`record` ({"path", "size", "sha256"}) describes a file in `cache` as it is now."""
    try:
        path = cache / record["path"]
        return bool(path.stat().st_size == record["size"] and sha256_file(path) == record["sha256"])
    except (OSError, KeyError, TypeError):
        return False


def read_lock(cache: Path) -> dict[str, Any] | None:
    """The cache's lock file if it is readable and in this tooling's format, else None."""
    try:
        lock = json.loads((cache / LOCK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(lock, dict) or lock.get("format") != LOCK_FORMAT:
        return None
    return lock


def _entry(lock: dict[str, Any], *keys: str) -> Any:
    """lock[k0][k1]..., or None where the lock has no such entry."""
    node: Any = lock
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _packages_match(cache: Path, lock: dict[str, Any]) -> bool:
    return all(_matches(cache, _entry(lock, "packages", k, "deb")) for k in ("kernel", "busybox"))


def guest_is_current(cache: Path | None = None) -> bool:
    """Every file the lock records is present with its recorded hash, and the initramfs was
    built by the current recipe. Reads only the cache (no network)."""
    cache = cache or cache_dir()
    lock = read_lock(cache)
    if lock is None or not _packages_match(cache, lock):
        return False
    return _entry(lock, "files", "initramfs_recipe") == initramfs.recipe_digest() and all(
        _matches(cache, _entry(lock, "files", k)) for k in ("kernel", "busybox", "initramfs")
    )


@contextlib.contextmanager
def _exclusive(cache: Path) -> Iterator[None]:
    """Hold the cache's lock: two builds never fetch into it at once."""
    with (cache / ".lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _locked_packages(cache: Path) -> list[Package] | None:
    """The packages the lock records, if their .debs are still intact (no download needed)."""
    lock = read_lock(cache)
    if lock is None or not _packages_match(cache, lock):
        return None
    return [
        Package(p["name"], p["version"], cache / p["deb"]["path"])
        for p in (lock["packages"]["kernel"], lock["packages"]["busybox"])
    ]


def _fetch_packages(cache: Path) -> list[Package]:
    """Resolve and download the current kernel and busybox packages into cache/debs."""
    apt = cache / APT_DIR
    debian.update_lists(apt)
    names = [debian.kernel_package(apt), debian.BUSYBOX_PACKAGE]
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        fetched = debian.download(apt, names, Path(tmp))
        debs = cache / DEB_DIR
        shutil.rmtree(debs, ignore_errors=True)  # only the packages of the new lock remain
        debs.mkdir()
        return [
            Package(p.name, p.version, Path(shutil.move(p.deb, debs / p.deb.name))) for p in fetched
        ]


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def ensure_guest(cache: Path | None = None, report: Callable[[str], None] = print) -> None:
    """Make the cache complete: download what is missing (apt), extract the kernel Image and
    busybox, build the initramfs and write the lock. No-op, and silent, if already complete."""
    cache = cache or cache_dir()
    if guest_is_current(cache):
        return
    cache.mkdir(parents=True, exist_ok=True)
    with _exclusive(cache):
        if guest_is_current(cache):  # another build completed it while we waited
            return
        started = time.monotonic()
        kernel_pkg, busybox_pkg = _locked_packages(cache) or _fetch_packages(cache)
        busybox = debian.extract_busybox(busybox_pkg.deb)
        outputs = {
            KERNEL_FILE: debian.extract_kernel(kernel_pkg.deb),
            BUSYBOX_FILE: busybox,
            INITRAMFS_FILE: initramfs.build_initramfs(busybox),
        }
        for name, data in outputs.items():
            write_if_changed(cache / name, data)
        (cache / BUSYBOX_FILE).chmod(0o755)
        lock = {
            "format": LOCK_FORMAT,
            "packages": {
                role: {"name": p.name, "version": p.version, "deb": _record(cache, p.deb)}
                for role, p in (("kernel", kernel_pkg), ("busybox", busybox_pkg))
            },
            "files": {
                "kernel": _record(cache, cache / KERNEL_FILE),
                "busybox": _record(cache, cache / BUSYBOX_FILE),
                "initramfs": _record(cache, cache / INITRAMFS_FILE),
                "initramfs_recipe": initramfs.recipe_digest(),
            },
        }
        write_if_changed(cache / LOCK_FILE, json.dumps(lock, indent=2, sort_keys=True) + "\n")
    report(
        f"bothy: guest cache {cache}: {kernel_pkg.name} {kernel_pkg.version} "
        f"({_mib(kernel_pkg.deb.stat().st_size)} .deb, Image "
        f"{_mib(len(outputs[KERNEL_FILE]))}), {busybox_pkg.name} {busybox_pkg.version} "
        f"(initramfs {_mib(len(outputs[INITRAMFS_FILE]))}) in {time.monotonic() - started:.1f} s"
    )
