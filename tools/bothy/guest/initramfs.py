"""The Linux guest's initramfs: a gzip'd newc cpio with a static busybox and an /init that
mounts the pseudo file systems, prints LINUX_READY_MARKER and starts a shell on the console
(or, with BENCH_PARAMETER on the kernel command line, powers off at once).

Built in Python, byte for byte reproducible: entries sorted by path, mtime 0, owner root, inode
numbers counted from 1, gzip without a name or timestamp. Device nodes need no privileges.
"""

from __future__ import annotations

import gzip
import hashlib
import stat
from collections.abc import Iterable
from dataclasses import dataclass

# /init prints this, then ", <n> CPUs" (n from nproc): a booted Linux VM with a working
# console. Tests and benchmarks wait for it.
LINUX_READY_MARKER = "bothy-linux: init started"
# With this on the kernel command line /init powers off right after the marker: the end point
# of `doit bench`'s Linux boot benchmarks (bothy.bench), the same event under bothy and bare.
BENCH_PARAMETER = "bothy.bench=1"
# With this on the kernel command line /init also prints HEARTBEAT_MARKER and a count every
# second: proof, from the console alone, that a VM nobody types into is still running.
HEARTBEAT_PARAMETER = "bothy.heartbeat=1"
HEARTBEAT_MARKER = "bothy-linux: heartbeat"

INIT_SCRIPT = f"""#!/bin/busybox sh
# /init of bothy's Linux guest (tools/bothy/guest/initramfs.py). Ends in an interactive shell;
# `poweroff -f` or `reboot -f` stops the VM. With {BENCH_PARAMETER} on the kernel command line
# (doit bench) it powers off right after the marker instead; with {HEARTBEAT_PARAMETER} it
# prints a numbered heartbeat line every second.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "{LINUX_READY_MARKER}, $(nproc) CPUs"
grep -qwF {BENCH_PARAMETER} /proc/cmdline && poweroff -f
if grep -qwF {HEARTBEAT_PARAMETER} /proc/cmdline; then
    (n=0; while sleep 1; do n=$((n + 1)); echo "{HEARTBEAT_MARKER} $n"; done) &
fi
exec setsid cttyhack sh
"""

# busybox --install -s links applets into /bin, /sbin, /usr/bin and /usr/sbin.
DIRECTORIES = ("bin", "dev", "etc", "proc", "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin")
# The kernel opens /dev/console for init before /init can mount devtmpfs.
CONSOLE = ("dev/console", 5, 1)

_NEWC_MAGIC = b"070701"
_TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class CpioEntry:
    """One archive member: `mode` holds the file type and permissions; `rdev` is the
    (major, minor) of a device node."""

    name: str
    mode: int
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)


def initramfs_entries(busybox: bytes) -> list[CpioEntry]:
    """Every member of the initramfs, sorted by path (parents before their children)."""
    name, major, minor = CONSOLE
    entries = [
        *(CpioEntry(d, stat.S_IFDIR | 0o755) for d in DIRECTORIES),
        CpioEntry("bin/busybox", stat.S_IFREG | 0o755, busybox),
        CpioEntry("init", stat.S_IFREG | 0o755, INIT_SCRIPT.encode()),
        CpioEntry(name, stat.S_IFCHR | 0o600, rdev=(major, minor)),
    ]
    return sorted(entries, key=lambda e: e.name)


def _pad4(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _newc_member(ino: int, entry: CpioEntry) -> bytes:
    name = entry.name.encode() + b"\0"
    nlink = 2 if stat.S_ISDIR(entry.mode) else 1
    fields = (
        ino,
        entry.mode,
        0,  # uid
        0,  # gid
        nlink,
        0,  # mtime
        len(entry.data),
        0,  # devmajor
        0,  # devminor
        *entry.rdev,
        len(name),
        0,  # check (unused by newc)
    )
    header = _NEWC_MAGIC + b"".join(b"%08X" % f for f in fields)
    head = header + name
    return head + _pad4(len(head)) + entry.data + _pad4(len(entry.data))


def newc_archive(entries: Iterable[CpioEntry]) -> bytes:
    """An uncompressed cpio archive in the "new ASCII" (newc) format the kernel unpacks."""
    members = [_newc_member(ino, e) for ino, e in enumerate(entries, start=1)]
    members.append(_newc_member(0, CpioEntry(_TRAILER, 0)))
    return b"".join(members)


def build_initramfs(busybox: bytes) -> bytes:
    """The gzip'd initramfs around `busybox` (a static arm64 busybox binary)."""
    return gzip.compress(newc_archive(initramfs_entries(busybox)), compresslevel=9, mtime=0)


def recipe_digest() -> str:
    """SHA-256 of everything in the initramfs but busybox: changes when this module's
    layout or /init changes, so a cached initramfs is rebuilt."""
    return hashlib.sha256(newc_archive(initramfs_entries(b""))).hexdigest()
