"""`python -m bothy.boot_check`: the README's `./bothy boot`, driven as a person at a terminal.

Owns CI's proof that a fresh machine boots to the Linux shell: it runs `./bothy boot` on a pty,
waits for the shell prompt, types a command, checks what it printed, types `poweroff -f`,
and requires `./bothy boot` (so QEMU) to end with status 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from bothy.errors import BothyError
from bothy.guest.initramfs import LINUX_READY_MARKER
from bothy.guest.shell import COMMAND_TIMEOUT, PROMPT, run, settle
from bothy.paths import REPO_ROOT
from bothy.runner import QemuSession

LOG = REPO_ROOT / "build" / "logs" / "boot-check.log"
# `./bothy boot` builds first: on a fresh machine that includes the guest download.
DEFAULT_BOOT_TIMEOUT = 900.0
EXIT_TIMEOUT = 30.0
# The shell must compute this; the typed line itself only echoes the expression.
COMMAND, ANSWER = "echo bothy-$((6 * 7))", "bothy-42"


BOOT = (str(REPO_ROOT / "bothy"), "boot")


def check(boot_timeout: float, argv: Sequence[str] = BOOT) -> float:
    """Boot, type, power off; return the seconds to the shell. Raises BothyError."""
    with QemuSession(argv, log_path=LOG, name="./bothy boot") as session:
        session.expect(LINUX_READY_MARKER, boot_timeout)
        session.expect(PROMPT, COMMAND_TIMEOUT)
        to_shell = session.elapsed
        settle()
        answer = run(session, COMMAND)
        if answer != ANSWER:
            raise BothyError(f"boot check: '{COMMAND}' printed {answer!r}, expected {ANSWER!r}")
        session.sendline("poweroff -f")
        status = session.wait_exit(EXIT_TIMEOUT)
        if status != 0:
            raise BothyError(f"boot check: ./bothy boot ended with status {status}, expected 0")
        return to_shell


def main(args: list[str] | None = None, argv: Sequence[str] = BOOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m bothy.boot_check", description=__doc__)
    parser.add_argument("--boot-timeout", type=float, default=DEFAULT_BOOT_TIMEOUT)
    options = parser.parse_args(args)
    started = time.monotonic()
    try:
        to_shell = check(options.boot_timeout, argv)
    except BothyError as exc:  # RunFailure included: it names the reason and the last lines
        print(f"boot check FAILED: {exc}\n(full console log: {LOG})", file=sys.stderr)
        return 1
    total = time.monotonic() - started
    print(
        f"boot check passed: shell after {to_shell:.1f} s, typed '{COMMAND}' -> {ANSWER}, "
        f"poweroff -f -> status 0 ({total:.1f} s in all)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
