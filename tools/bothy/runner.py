"""Runs an already-built QEMU command line, interactively or as a scripted console session.

Owns console capture and logging, marker/panic/EOF/timeout detection, and QEMU's cleanup.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

import pexpect  # type: ignore[import-untyped]

from bothy.errors import BothyError

__all__ = [
    "DEFAULT_PANIC_PATTERNS",
    "INTERACTIVE_HINT",
    "QemuSession",
    "RunFailure",
    "RunResult",
    "run_batch",
    "run_interactive",
]

DEFAULT_PANIC_PATTERNS: tuple[str, ...] = (
    "BOTHY PANIC",
    "Kernel panic - not syncing",
    "VM fault:",
)
INTERACTIVE_HINT = "bothy: serial console attached; Ctrl-A X quits QEMU"

FailureReason = Literal["panic", "eof", "timeout", "exit-status"]
Marker = str | re.Pattern[str]

LAST_LINES = 20
# Big reads keep a chatty Linux boot from re-searching the buffer every few bytes; a wide
# pty keeps guests that format to the terminal size (shells, dmesg) from wrapping lines.
_MAXREAD = 65536
_DIMENSIONS = (500, 4096)
# The panic report (ESR/FAR/ELR...) follows the panic line at once; these bound how long
# we keep reading for it so a wedged guest cannot stall the failure report.
_PANIC_TAIL_LIMIT = 1.0
_PANIC_TAIL_QUIET = 0.25
# QEMU shuts down cleanly on SIGTERM; SIGKILL is for a wedged QEMU that ignores it.
_TERM_GRACE = 2.0
_KILL_GRACE = 2.0
# A child that closed its console is normally already exiting; bounded so a
# process that closed stdout but keeps running cannot hang us.
_REAP_GRACE = 2.0
_POLL_INTERVAL = 0.01


class RunFailure(BothyError):
    """QEMU panicked, exited early, timed out or exited with the wrong status."""

    def __init__(
        self,
        reason: FailureReason,
        detail: str,
        *,
        last_lines: Sequence[str],
        log_path: Path,
        exit_status: int | None,
    ) -> None:
        self.reason: FailureReason = reason
        self.detail = detail
        self.last_lines = list(last_lines)
        self.log_path = log_path
        self.exit_status = exit_status
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"QEMU run failed: {self.detail}"
        if not self.last_lines:
            return f"{head}\nno console output (full log: {self.log_path})"
        count = len(self.last_lines)
        noun = "line" if count == 1 else "lines"
        body = "\n".join(f"  | {line}" for line in self.last_lines)
        return f"{head}\nlast {count} console {noun} (full log: {self.log_path}):\n{body}"


@dataclass(frozen=True)
class RunResult:
    """Outcome of a successful run_batch."""

    exit_status: int | None
    log_path: Path
    output: str
    elapsed: float
    marker_times: dict[str, float]


def run_interactive(argv: Sequence[str]) -> int:
    """Run QEMU on the caller's terminal and return its exit status (negative: signal)."""
    _check_argv(argv)
    print(INTERACTIVE_HINT, file=sys.stderr, flush=True)
    with _terminal_restored():
        try:
            return subprocess.run(list(argv), check=False).returncode
        except OSError as exc:
            raise _launch_error(argv, exc) from exc


def run_batch(
    argv: Sequence[str],
    *,
    markers: Sequence[Marker],
    timeout: float,
    log_path: Path,
    expect_exit: int | None = 0,
    exit_timeout: float = 10.0,
    panic_patterns: Sequence[str] = DEFAULT_PANIC_PATTERNS,
) -> RunResult:
    """Wait for every marker in order within `timeout` seconds in total, then check the exit.

    With expect_exit=None QEMU is killed once the last marker is seen.
    """
    with QemuSession(argv, log_path=log_path, panic_patterns=panic_patterns) as session:
        deadline = time.monotonic() + timeout
        marker_times: dict[str, float] = {}
        for marker in markers:
            remaining = max(0.0, deadline - time.monotonic())
            session._expect(marker, remaining, reported_timeout=timeout)
            marker_times[_describe(marker)] = session.elapsed
        if expect_exit is None:
            status = session.close()
        else:
            status = session.wait_exit(exit_timeout)
            if status != expect_exit:
                detail = f"QEMU exited with {_describe_status(status)}, expected {expect_exit}"
                raise session._failure("exit-status", detail, status)
        return RunResult(
            exit_status=status,
            log_path=session.log_path,
            output=session.output,
            elapsed=session.elapsed,
            marker_times=marker_times,
        )


class QemuSession:
    """A QEMU process on a pty whose console is logged and matched against markers.

    Always use as a context manager (or call close()): leaving the block kills QEMU.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        log_path: Path,
        panic_patterns: Sequence[str] = DEFAULT_PANIC_PATTERNS,
        name: str = "qemu",
    ) -> None:
        _check_argv(argv)
        self.name = name
        self._log_path = log_path
        self._panics = [re.compile(re.escape(p)) for p in panic_patterns]
        self._closed = False
        self._exit_status: int | None = None
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._console = _ConsoleTee(log_path.open("w", encoding="utf-8", newline=""))
        self._started = time.monotonic()
        try:
            self._child: Any = pexpect.spawn(
                argv[0],
                list(argv[1:]),
                encoding="utf-8",
                codec_errors="replace",
                maxread=_MAXREAD,
                dimensions=_DIMENSIONS,
                echo=False,
            )
        except pexpect.ExceptionPexpect as exc:
            self._console.close()
            raise _launch_error(argv, exc) from exc
        except BaseException:
            self._console.close()
            raise
        # Only what QEMU prints is logged; nothing is read before this, so nothing is lost.
        self._child.logfile_read = self._console

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def output(self) -> str:
        """Console text read so far, with carriage returns removed."""
        return self._console.text

    @property
    def log_path(self) -> Path:
        return self._log_path

    @property
    def pid(self) -> int:
        return int(self._child.pid)

    @property
    def elapsed(self) -> float:
        """Seconds since QEMU was started."""
        return time.monotonic() - self._started

    def expect(self, marker: Marker, timeout: float) -> re.Match[str] | str:
        """Wait for `marker`; raise RunFailure on a panic pattern, EOF or timeout.

        A plain-string marker matches literally and returns the matched text; a compiled
        pattern returns its match object. Patterns see the raw console stream, where
        lines end in CR LF (only `output` and the log have carriage returns removed).
        """
        return self._expect(marker, timeout, reported_timeout=timeout)

    def sendline(self, text: str) -> None:
        """Type `text` and Enter on the console."""
        self._check_open()
        self._child.sendline(text)

    def wait_exit(self, timeout: float) -> int:
        """Wait for QEMU to exit and return its status (negative: killed by that signal).

        Panic patterns are still watched: a panic on the way out is reported as a panic.
        """
        self._check_open()
        deadline = time.monotonic() + timeout
        if self._wait_for(None, timeout) == "eof":
            status = self._reap(deadline - time.monotonic())
            if status is not None:
                return status
        raise self._failure("timeout", f"timeout after {timeout:.1f} s waiting for QEMU to exit")

    def close(self) -> int | None:
        """Kill QEMU if it is still running and return its exit status if known.

        Safe to call repeatedly; only the first call does anything.
        """
        if self._closed:
            return self._exit_status
        self._closed = True
        try:
            if self._child.isalive():
                self._read_tail(limit=0.1, quiet=0.0)
            self._stop()
            self._exit_status = self._status()
        finally:
            self._release()
        return self._exit_status

    def _expect(
        self, marker: Marker, timeout: float, *, reported_timeout: float
    ) -> re.Match[str] | str:
        self._check_open()
        pattern = marker if isinstance(marker, re.Pattern) else re.compile(re.escape(marker))
        outcome = self._wait_for(pattern, timeout)
        if outcome == "match":
            found: re.Match[str] | str = (
                self._child.after if isinstance(marker, str) else self._child.match
            )
            return found
        if outcome == "eof":
            status = self._reap(_REAP_GRACE)
            detail = f"QEMU exited ({_describe_status(status)}) before {_describe(marker)!r}"
            raise self._failure("eof", detail, status)
        detail = f"timeout after {reported_timeout:.1f} s waiting for {_describe(marker)!r}"
        raise self._failure("timeout", detail)

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"{self.name}: session is closed")

    def _wait_for(
        self, wanted: re.Pattern[str] | None, timeout: float
    ) -> Literal["match", "eof", "timeout"]:
        """Wait for `wanted`, EOF or the timeout; a panic pattern is handled and raised here.

        pexpect reports whichever pattern matches earliest in the stream, so a panic
        printed before the marker wins even when both arrive in one read.
        """
        wanted_list = [] if wanted is None else [wanted]
        patterns = [*wanted_list, *self._panics, pexpect.EOF, pexpect.TIMEOUT]
        index = int(self._child.expect_list(patterns, timeout=max(0.0, timeout)))
        index -= len(wanted_list)
        if index < 0:
            return "match"
        if index < len(self._panics):
            raise self._panic()
        return "eof" if index == len(self._panics) else "timeout"

    def _panic(self) -> RunFailure:
        # Locate the match in the whole stream before reading more, since pexpect's
        # buffer only holds what followed it.
        end = self._console.raw_length - len(self._child.buffer)
        start = end - len(self._child.after)
        self._read_tail(limit=_PANIC_TAIL_LIMIT, quiet=_PANIC_TAIL_QUIET)
        line = self._console.line_around(start)
        status = self.close()
        return self._failure("panic", f"panic detected: {line}", status)

    def _read_tail(self, *, limit: float, quiet: float) -> None:
        """Read (and so log) output until EOF, `quiet` seconds of silence or `limit`."""
        deadline = time.monotonic() + limit
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._child.read_nonblocking(_MAXREAD, timeout=min(quiet, left))
            except (pexpect.EOF, pexpect.TIMEOUT):
                return

    def _reap(self, timeout: float) -> int | None:
        """Exit status once the child has exited within `timeout`, else None."""
        _poll_until(lambda: not self._child.isalive(), max(timeout, _POLL_INTERVAL))
        return self._status()

    def _stop(self) -> None:
        # Signal the whole process group (the pty made QEMU its session and group
        # leader) so a wrapper script cannot leave a QEMU behind.
        for sig, grace in ((signal.SIGTERM, _TERM_GRACE), (signal.SIGKILL, _KILL_GRACE)):
            if not self._child.isalive():
                break
            _signal_group(self.pid, sig)
            _poll_until(lambda: not self._child.isalive(), grace)
        # Sweep stragglers whose leader already exited; while any member lives the
        # kernel cannot hand this group id to an unrelated process.
        _signal_group(self.pid, signal.SIGKILL)

    def _status(self) -> int | None:
        if self._child.isalive():
            return None
        if self._child.exitstatus is not None:
            return int(self._child.exitstatus)
        if self._child.signalstatus is not None:
            return -int(self._child.signalstatus)
        return None

    def _release(self) -> None:
        # The child is reaped or unkillable by now; ptyprocess's post-close sleep is wasted time.
        self._child.ptyproc.delayafterclose = 0.0
        try:
            self._child.close(force=True)
        except pexpect.ExceptionPexpect:
            pass
        finally:
            self._console.close()

    def _failure(self, reason: FailureReason, detail: str, status: int | None = None) -> RunFailure:
        return RunFailure(
            reason,
            detail,
            last_lines=self.output.splitlines()[-LAST_LINES:],
            log_path=self._log_path,
            exit_status=status,
        )


class _ConsoleTee:
    """pexpect's logfile_read: keeps the raw stream and writes a CR-free copy to the log."""

    def __init__(self, log: IO[str]) -> None:
        self._log = log
        self._chunks: list[str] = []
        self.raw_length = 0

    def write(self, data: str) -> None:
        self._chunks.append(data)
        self.raw_length += len(data)
        if not self._log.closed:
            self._log.write(data.replace("\r", ""))

    def flush(self) -> None:
        # Flushed per chunk so a crashed or killed run still leaves a complete log.
        if not self._log.closed:
            self._log.flush()

    def close(self) -> None:
        self._log.close()

    @property
    def text(self) -> str:
        return self._raw().replace("\r", "")

    def line_around(self, offset: int) -> str:
        raw = self._raw()
        start = raw.rfind("\n", 0, offset) + 1
        end = raw.find("\n", offset)
        return raw[start : len(raw) if end < 0 else end].replace("\r", "").strip()

    def _raw(self) -> str:
        if len(self._chunks) > 1:
            self._chunks = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""


@contextlib.contextmanager
def _terminal_restored() -> Iterator[None]:
    """Restore the caller's tty settings if QEMU dies without undoing its raw mode."""
    try:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd) if os.isatty(fd) else None
    except (OSError, ValueError):
        saved = None
    try:
        yield
    finally:
        if saved is not None:
            with contextlib.suppress(OSError):
                termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _check_argv(argv: Sequence[str]) -> None:
    if isinstance(argv, str) or not argv:
        raise ValueError(f"expected a non-empty argv list, got {argv!r}")


def _launch_error(argv: Sequence[str], exc: BaseException) -> BothyError:
    return BothyError(
        f"could not start {argv[0]!r}: {exc}\n"
        "Is QEMU installed and on PATH (e.g. qemu-system-aarch64)?"
    )


def _describe(marker: Marker) -> str:
    return marker if isinstance(marker, str) else marker.pattern


def _describe_status(status: int | None) -> str:
    if status is None:
        return "status unknown, still running"
    if status < 0:
        return f"signal {signal.Signals(-status).name}"
    return f"status {status}"


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _poll_until(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_INTERVAL)
    return True
