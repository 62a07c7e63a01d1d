"""Host-only tests for bothy.boot_check (CI's typed boot to the Linux shell), driving a fake
`./bothy boot` that plays the console: the init marker, a prompt, and a shell that answers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bothy import boot_check

FAKE = """
import itertools, sys
print("bothy-linux: init started, 2 CPUs", flush=True)
for line in itertools.chain([None], sys.stdin):
    if line is not None:
        line = line.strip()
        print(line, flush=True)  # the terminal's echo
        if line == "poweroff -f":
            sys.exit({status})
        if line.startswith("echo bothy-"):
            print({answer!r}, flush=True)
    print("\\n~ # ", end="", flush=True)
"""


def fake_boot(tmp_path: Path, *, answer: str = "bothy-42", status: int = 0) -> list[str]:
    script = tmp_path / "fake_boot.py"
    script.write_text(FAKE.format(answer=answer, status=status))
    return [sys.executable, str(script)]


@pytest.fixture(autouse=True)
def quick_and_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("bothy.guest.shell.SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(boot_check, "LOG", tmp_path / "boot-check.log")


def test_a_shell_that_answers_and_powers_off_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert boot_check.main([], fake_boot(tmp_path)) == 0
    assert "boot check passed" in capsys.readouterr().out


def test_a_wrong_answer_fails_naming_what_was_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert boot_check.main([], fake_boot(tmp_path, answer="sh: syntax error")) == 1
    assert "printed 'sh: syntax error', expected 'bothy-42'" in capsys.readouterr().err


def test_a_nonzero_exit_after_poweroff_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert boot_check.main([], fake_boot(tmp_path, status=3)) == 1
    assert "ended with status 3, expected 0" in capsys.readouterr().err


def test_no_shell_in_time_fails_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hang = tmp_path / "hang.py"
    hang.write_text("import time\nprint('booting', flush=True)\ntime.sleep(60)\n")
    assert boot_check.main(["--boot-timeout", "1"], [sys.executable, str(hang)]) == 1
    err = capsys.readouterr().err
    assert "timeout" in err and "booting" in err, err
