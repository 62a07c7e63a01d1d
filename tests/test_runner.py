"""Host-only tests for bothy.runner, driving tests/fake_qemu.py instead of a real QEMU."""

import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from bothy import runner
from bothy.errors import BothyError
from bothy.runner import (
    DEFAULT_PANIC_PATTERNS,
    INTERACTIVE_HINT,
    QemuSession,
    RunFailure,
    run_batch,
    run_interactive,
)

FAKE_QEMU = Path(__file__).with_name("fake_qemu.py")


def fake(script: str) -> list[str]:
    return [sys.executable, str(FAKE_QEMU), "--script", script]


def reaped(pid: int) -> bool:
    """True once the process no longer exists at all (exited and waited for)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def dead_soon(pid: int, within: float = 1.0) -> bool:
    """For processes we do not reap ourselves: gone, or a zombie awaiting its new parent."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if reaped(pid):
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.01)
    return False


def console_pid(lines: list[str] | str, label: str = "pid") -> int:
    text = lines if isinstance(lines, str) else "\n".join(lines)
    found = re.search(rf"^{label}: (\d+)$", text, re.MULTILINE)
    assert found, f"no '{label}:' line in console output"
    return int(found.group(1))


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "build" / "logs" / "run.log"


def test_default_panic_patterns_are_a_tuple() -> None:
    assert isinstance(DEFAULT_PANIC_PATTERNS, tuple)
    assert set(DEFAULT_PANIC_PATTERNS) == {
        "BOTHY PANIC",
        "Kernel panic - not syncing",
        "VM fault:",
    }


def test_markers_found_in_order_with_times(log_path: Path) -> None:
    script = "print:boot;sleep:0.2;print:RM: ready;sleep:0.2;print:RM: self-test passed;exit:0"
    pattern = re.compile(r"self-test (passed|failed)")

    result = run_batch(fake(script), markers=["RM: ready", pattern], timeout=5, log_path=log_path)

    assert result.exit_status == 0
    assert list(result.marker_times) == ["RM: ready", pattern.pattern]
    ready, passed = result.marker_times["RM: ready"], result.marker_times[pattern.pattern]
    assert 0.2 <= ready < passed <= result.elapsed
    assert passed - ready >= 0.15
    assert "RM: self-test passed" in result.output
    assert "\r" not in result.output
    assert result.log_path == log_path


def test_string_markers_match_literally(log_path: Path) -> None:
    # As a regex "a+b" would need an "ab"; only a literal search finds it here.
    with QemuSession(fake("print:a+b (x.y);hang"), log_path=log_path) as session:
        assert session.expect("a+b (x.y)", timeout=2) == "a+b (x.y)"


def test_regex_marker_returns_match(log_path: Path) -> None:
    with QemuSession(fake("print:cpus online: 4;hang"), log_path=log_path) as session:
        found = session.expect(re.compile(r"cpus online: (\d+)"), timeout=2)
        assert isinstance(found, re.Match)
        assert found.group(1) == "4"


def test_expected_nonzero_exit_is_accepted(log_path: Path) -> None:
    result = run_batch(
        fake("print:done;exit:3"), markers=["done"], timeout=2, log_path=log_path, expect_exit=3
    )
    assert result.exit_status == 3


def test_wrong_exit_status_fails(log_path: Path) -> None:
    with pytest.raises(RunFailure) as caught:
        run_batch(fake("print:done;exit:3"), markers=["done"], timeout=2, log_path=log_path)

    failure = caught.value
    assert failure.reason == "exit-status"
    assert failure.exit_status == 3
    assert "status 3, expected 0" in failure.detail
    assert failure.last_lines == ["done"]


def test_expect_exit_none_kills_qemu_after_last_marker(log_path: Path) -> None:
    start = time.monotonic()
    result = run_batch(
        fake("pid;print:ready;hang"),
        markers=["ready"],
        timeout=2,
        log_path=log_path,
        expect_exit=None,
    )

    assert time.monotonic() - start < 1.5
    assert result.exit_status == -signal.SIGTERM
    assert reaped(console_pid(result.output))


def test_timeout_on_hang_kills_qemu(log_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(RunFailure) as caught:
        run_batch(
            fake("pid;print:almost;print:last words;hang"),
            markers=["never printed"],
            timeout=0.5,
            log_path=log_path,
        )
    elapsed = time.monotonic() - start

    failure = caught.value
    assert failure.reason == "timeout"
    assert 0.5 <= elapsed < 1.5
    assert failure.detail == "timeout after 0.5 s waiting for 'never printed'"
    assert failure.last_lines[-2:] == ["almost", "last words"]
    assert failure.exit_status is None
    assert reaped(console_pid(failure.last_lines))


def test_timeout_is_one_deadline_for_all_markers(log_path: Path) -> None:
    # Each marker arrives 0.25 s after the previous one: within a per-marker timeout of
    # 0.4 s, but not within 0.4 s overall.
    script = "print:go;sleep:0.25;print:first;sleep:0.25;print:second;exit:0"
    with pytest.raises(RunFailure) as caught:
        run_batch(fake(script), markers=["go", "first", "second"], timeout=0.4, log_path=log_path)

    assert caught.value.reason == "timeout"
    assert caught.value.detail == "timeout after 0.4 s waiting for 'second'"


def test_panic_captures_report_printed_after_it(log_path: Path) -> None:
    script = (
        "print:booting;print:BOTHY PANIC: synchronous abort at EL2;print:ESR_EL2: 0x96000045;"
        "sleep:0.1;print:FAR_EL2: 0x0000dead;print:ELR_EL2: 0x40001000;exit:1"
    )
    with pytest.raises(RunFailure) as caught:
        run_batch(fake(script), markers=["RM: ready"], timeout=5, log_path=log_path)

    failure = caught.value
    assert failure.reason == "panic"
    assert failure.detail == "panic detected: BOTHY PANIC: synchronous abort at EL2"
    assert failure.last_lines[-3:] == [
        "ESR_EL2: 0x96000045",
        "FAR_EL2: 0x0000dead",
        "ELR_EL2: 0x40001000",
    ]
    assert failure.exit_status == 1
    assert "ELR_EL2: 0x40001000" in log_path.read_text()


def test_panic_then_hang_is_killed_within_a_second(log_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(RunFailure) as caught:
        run_batch(
            fake("pid;print:VM fault: guest 1 data abort;print:  FAR 0x10;hang"),
            markers=["never"],
            timeout=5,
            log_path=log_path,
        )

    assert caught.value.reason == "panic"
    assert "VM fault: guest 1 data abort" in caught.value.detail
    assert caught.value.last_lines[-1] == "  FAR 0x10"
    assert time.monotonic() - start < 1.8
    assert reaped(console_pid(caught.value.last_lines))


def test_panic_before_marker_wins_even_in_one_read(log_path: Path) -> None:
    with pytest.raises(RunFailure) as caught:
        run_batch(
            fake("write:Kernel panic - not syncing: VFS\nRM: ready\n;exit:0"),
            markers=["RM: ready"],
            timeout=2,
            log_path=log_path,
        )
    assert caught.value.reason == "panic"
    assert caught.value.detail == "panic detected: Kernel panic - not syncing: VFS"


def test_panic_while_waiting_for_exit_is_a_panic(log_path: Path) -> None:
    with pytest.raises(RunFailure) as caught:
        run_batch(
            fake("print:done;print:BOTHY PANIC: on shutdown;exit:1"),
            markers=["done"],
            timeout=2,
            log_path=log_path,
        )
    assert caught.value.reason == "panic"


def test_panic_patterns_can_be_overridden(log_path: Path) -> None:
    result = run_batch(
        fake("print:BOTHY PANIC: expected by this test;print:done;exit:0"),
        markers=["done"],
        timeout=2,
        log_path=log_path,
        panic_patterns=("OOPS",),
    )
    assert "BOTHY PANIC" in result.output


def test_eof_before_marker(log_path: Path) -> None:
    with pytest.raises(RunFailure) as caught:
        run_batch(fake("print:bye;exit:4"), markers=["RM: ready"], timeout=5, log_path=log_path)

    failure = caught.value
    assert failure.reason == "eof"
    assert failure.exit_status == 4
    assert "status 4" in failure.detail
    assert "'RM: ready'" in failure.detail
    assert failure.last_lines == ["bye"]


def test_log_has_everything_and_creates_parent_dirs(log_path: Path) -> None:
    result = run_batch(
        fake("print:first;lines:3000;print:done;exit:0"),
        markers=["done"],
        timeout=5,
        log_path=log_path,
    )

    log_text = log_path.read_text()
    assert log_text == result.output
    assert "line 001500 of console filler\n" in log_text
    assert log_text.endswith("line 002999 of console filler\ndone\n")
    assert "\r" not in log_text


def test_log_is_flushed_while_qemu_runs(log_path: Path) -> None:
    with QemuSession(fake("print:early line;hang"), log_path=log_path) as session:
        session.expect("early line", timeout=2)
        assert "early line" in log_path.read_text()


def test_last_lines_are_the_last_twenty(log_path: Path) -> None:
    with pytest.raises(RunFailure) as caught:
        run_batch(fake("lines:50;exit:0"), markers=["never"], timeout=2, log_path=log_path)

    last = caught.value.last_lines
    assert len(last) == 20
    assert last[0] == "line 000030 of console filler"
    assert last[-1] == "line 000049 of console filler"


def test_failure_message_is_complete(log_path: Path) -> None:
    with pytest.raises(RunFailure) as caught:
        run_batch(
            fake("print:one;print:two;hang"), markers=["three"], timeout=0.3, log_path=log_path
        )

    assert isinstance(caught.value, BothyError)
    assert str(caught.value) == (
        "QEMU run failed: timeout after 0.3 s waiting for 'three'\n"
        f"last 2 console lines (full log: {log_path}):\n"
        "  | one\n"
        "  | two"
    )


def test_failure_message_without_output(log_path: Path) -> None:
    with pytest.raises(RunFailure) as caught:
        run_batch(fake("exit:2"), markers=["x"], timeout=2, log_path=log_path)
    assert "no console output" in str(caught.value)
    assert "QEMU run failed: QEMU exited (status 2)" in str(caught.value)


def test_sendline_reaches_child(log_path: Path) -> None:
    with QemuSession(fake("print:login;readline;exit:0"), log_path=log_path) as session:
        session.expect("login", timeout=2)
        session.sendline("uname -a")
        session.expect("echo: uname -a", timeout=2)
        assert session.wait_exit(timeout=2) == 0


def test_wait_exit_timeout(log_path: Path) -> None:
    with (
        QemuSession(fake("print:up;hang"), log_path=log_path) as session,
        pytest.raises(RunFailure) as caught,
    ):
        session.wait_exit(timeout=0.3)
    assert caught.value.reason == "timeout"
    assert "waiting for QEMU to exit" in caught.value.detail


def test_close_is_idempotent_and_kills(log_path: Path) -> None:
    session = QemuSession(fake("print:up;hang"), log_path=log_path)
    session.expect("up", timeout=2)

    assert session.close() == -signal.SIGTERM
    assert reaped(session.pid)
    assert session.close() == -signal.SIGTERM
    with pytest.raises(ValueError):
        session.sendline("too late")
    with pytest.raises(ValueError):
        session.expect("up", timeout=1)


def test_close_after_normal_exit_reports_status(log_path: Path) -> None:
    with QemuSession(fake("print:bye;exit:6"), log_path=log_path) as session:
        session.expect("bye", timeout=2)
        session.wait_exit(timeout=2)
    assert session.close() == 6


def test_close_forces_a_qemu_that_ignores_sigterm(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "_TERM_GRACE", 0.2)
    with QemuSession(fake("ignore-term;print:stubborn;hang"), log_path=log_path) as session:
        session.expect("stubborn", timeout=2)
        assert session.close() == -signal.SIGKILL
    assert reaped(session.pid)


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt])
def test_exception_inside_session_kills_child(
    log_path: Path, exc_type: type[BaseException]
) -> None:
    pid = None
    with pytest.raises(exc_type), QemuSession(fake("print:up;hang"), log_path=log_path) as s:
        s.expect("up", timeout=2)
        pid = s.pid
        raise exc_type("interrupted")
    assert pid is not None
    assert reaped(pid)


def test_grandchildren_are_killed_too(log_path: Path) -> None:
    with QemuSession(fake("grandchild;hang"), log_path=log_path) as session:
        # The console is a pty: lines end in "\r\n" in what regex markers see.
        session.expect(re.compile(r"grandchild: \d+\r\n"), timeout=2)
        grandchild = console_pid(session.output, "grandchild")
    assert dead_soon(grandchild)


def test_missing_binary_is_a_bothy_error(log_path: Path) -> None:
    missing = str(log_path.parent / "no-such-qemu")
    with pytest.raises(BothyError, match="no-such-qemu") as caught:
        QemuSession([missing], log_path=log_path)
    assert not isinstance(caught.value, RunFailure)
    with pytest.raises(BothyError, match="no-such-qemu"):
        run_interactive([missing])


def test_run_interactive_inherits_terminal(capfd: pytest.CaptureFixture[str]) -> None:
    status = run_interactive(fake("print:on the console;exit:5"))

    out, err = capfd.readouterr()
    assert status == 5
    assert err == INTERACTIVE_HINT + "\n"
    assert out == "on the console\n"


def test_empty_argv_is_rejected(log_path: Path) -> None:
    with pytest.raises(ValueError):
        QemuSession([], log_path=log_path)
