"""Typing at the Linux VM's busybox shell over the serial console, as a person would.

Owns the shell's prompt pattern, the pause its line editor needs, and one command's round
trip; the Linux tests and the fresh-machine boot check (bothy.boot_check) both use it.
"""

from __future__ import annotations

import re
import time

from bothy.runner import QemuSession

PROMPT = re.compile(r"\n[^\n]*# ")
COMMAND_TIMEOUT = 20.0
SETTLE_SECONDS = 1.0


def settle() -> None:
    """busybox ash prints its prompt, then queries the terminal (ESC [6n) before its line
    editor reads: input typed in that moment can be taken for the answer. A pause avoids it."""
    time.sleep(SETTLE_SECONDS)


def run(session: QemuSession, command: str, timeout: float = COMMAND_TIMEOUT) -> str:
    """Type `command`, wait for the next prompt, return what it printed (CR removed)."""
    start = len(session.output)
    session.sendline(command)
    session.expect(PROMPT, timeout)
    printed = session.output[start:]
    lines = printed.split("\n")
    # Drop the echoed command line and the new prompt.
    return "\n".join(lines[1:-1]).strip()
