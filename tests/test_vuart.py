"""The vPL011's read-only shadow page, seen from outside: QEMU's interrupt log (`-d int`) of a
Linux boot and a short shell session says which UART accesses trapped to EL2. With nothing
typed, the flag-register reads Linux makes for every byte it prints must not trap (the shadow
serves them) while every data-register write still does (the console output); input typed
at the shell must still arrive, and while it waits reads must trap (a DR read takes a byte).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bothy.exits import El2Entry, el2_entries, summary
from bothy.guest.initramfs import LINUX_READY_MARKER
from bothy.guest.shell import COMMAND_TIMEOUT, PROMPT, run, settle
from bothy.paths import DEFAULT_CONFIG
from bothy.runner import QemuSession
from conftest import log_path, qemu_argv

UART_DR = 0x000
UART_FR = 0x018
BOOT_TIMEOUT = 120.0  # QEMU's logging of every exception slows the boot a little


@pytest.fixture
def traced_linux(default_image, tmp_path: Path) -> Iterator[tuple[QemuSession, Path]]:  # type: ignore[no-untyped-def]
    trace = tmp_path / "int.log"
    argv = [*qemu_argv(DEFAULT_CONFIG, default_image), "-d", "int", "-D", str(trace)]
    with QemuSession(argv, log_path=log_path("vuart-shadow")) as session:
        session.expect(LINUX_READY_MARKER, BOOT_TIMEOUT)
        session.expect(PROMPT, COMMAND_TIMEOUT)
        settle()
        yield session, trace


def uart_pages(entries: list[El2Entry]) -> set[int]:
    """The guest pages the UART is mapped at (Linux's earlycon and its driver each map it):
    those taking many DR writes, which no other device gets at offset 0."""
    writes = Counter(
        e.far >> 12
        for e in entries
        if e.is_data_abort and e.far is not None and e.write and e.page_offset == UART_DR
    )
    return {page for page, n in writes.items() if n > 100}


def uart_traps(entries: list[El2Entry], pages: set[int], offset: int, *, write: bool) -> int:
    return sum(
        1
        for e in entries
        if e.is_data_abort
        and e.far is not None
        and e.far >> 12 in pages
        and e.page_offset == offset
        and e.write == write
    )


@pytest.mark.qemu
def test_flag_reads_do_not_trap_while_no_input_waits(
    traced_linux: tuple[QemuSession, Path],
) -> None:
    linux, trace = traced_linux
    # Typed input unmaps the shadow until Linux has read it all; twice, so the shadow must
    # come back (and go again) for the second command to work.
    assert run(linux, "echo $((6 * 7))") == "42"
    assert run(linux, "echo $((5 + 8))") == "13"
    linux.sendline("poweroff -f")  # QEMU exits, and its log is complete
    assert linux.wait_exit(COMMAND_TIMEOUT) == 0
    with trace.open(encoding="utf-8", errors="replace") as log:
        entries = list(el2_entries(log))
    pages = uart_pages(entries)
    dr_writes = uart_traps(entries, pages, UART_DR, write=True)
    fr_reads = uart_traps(entries, pages, UART_FR, write=False)
    dr_reads = uart_traps(entries, pages, UART_DR, write=False)
    # Every byte Linux printed is a DR write, and Linux reads FR before each: without the
    # shadow there are at least as many FR reads as DR writes.
    assert dr_writes > 5000, summary(entries)[:8]
    assert fr_reads < dr_writes // 50, summary(entries)[:8]
    # Both commands' bytes (and their newlines) were read from DR by trapping reads.
    typed = len("echo $((6 * 7))\n") + len("echo $((5 + 8))\n")
    assert dr_reads >= typed, summary(entries)[:8]
    assert fr_reads > 0, "Linux's receive path reads FR while input waits: it must trap"
