"""A minimal client for QEMU's machine protocol (QMP) on a unix socket: enough to ask a running
QEMU a question. bench.py uses it to read QEMU's instruction count once a guest has stopped the
machine (QEMU started with `-qmp unix:PATH,server=on,wait=off -no-shutdown`).

The protocol: QEMU greets with {"QMP": ...}; the client sends {"execute": "qmp_capabilities"};
then each command gets one {"return": ...} or {"error": {"class", "desc"}}, and asynchronous
{"event": ...} messages may arrive in between. One JSON object per line.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bothy.errors import BothyError

__all__ = ["QmpClient", "QmpError"]

_CONNECT_RETRY = 0.01
_STATUS_POLL = 0.01


class QmpError(BothyError):
    """QEMU's monitor could not be reached, answered with an error or broke the protocol."""


class QmpClient:
    """A QMP connection to the QEMU listening on `path`; raises QmpError on any problem.

    Connecting retries until `timeout` seconds have passed (QEMU creates the socket shortly
    after it starts); every later read waits at most `timeout` seconds."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._sock = _connect(path, timeout)
        self._file = self._sock.makefile("rwb")
        try:
            greeting = self._read()
            if "QMP" not in greeting:
                raise QmpError(f"{path}: expected a QMP greeting, found {greeting!r}")
            self.execute("qmp_capabilities")
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def execute(self, command: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """Run `command` and return its "return" value; events that arrive first are kept
        in `events`."""
        request: dict[str, Any] = {"execute": command}
        if arguments is not None:
            request["arguments"] = dict(arguments)
        try:
            self._file.write(json.dumps(request).encode() + b"\n")
            self._file.flush()
        except OSError as e:
            raise QmpError(f"{self.path}: cannot send {command!r}: {e}") from e
        while True:
            message = self._read()
            if "return" in message:
                return message["return"]
            if "error" in message:
                error = message["error"]
                desc = error.get("desc", error) if isinstance(error, dict) else error
                raise QmpError(f"QMP {command!r} failed: {desc}")
            if "event" in message:
                self.events.append(message)
                continue
            raise QmpError(f"{self.path}: unexpected QMP message {message!r}")

    def wait_for_status(self, status: str, timeout: float) -> None:
        """Poll query-status until the VM's run state is `status` (e.g. "shutdown": stopped
        after the guest powered off under -no-shutdown), at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.execute("query-status")
            current = state.get("status") if isinstance(state, dict) else None
            if current == status:
                return
            if time.monotonic() >= deadline:
                raise QmpError(
                    f"timeout after {timeout:.1f} s waiting for run state {status!r} "
                    f"(QEMU reports {current!r})"
                )
            time.sleep(_STATUS_POLL)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self._sock.close()

    def _read(self) -> dict[str, Any]:
        try:
            line = self._file.readline()
        except TimeoutError as e:
            raise QmpError(f"{self.path}: no answer from QEMU within {self.timeout:.1f} s") from e
        except OSError as e:
            raise QmpError(f"{self.path}: cannot read from QEMU: {e}") from e
        if not line:
            raise QmpError(f"{self.path}: QEMU closed the monitor connection")
        try:
            message: Any = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise QmpError(f"{self.path}: malformed QMP message {line!r}: {e}") from e
        if not isinstance(message, dict):
            raise QmpError(f"{self.path}: expected a JSON object, found {line!r}")
        return message


def _connect(path: Path, timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError) as e:
            sock.close()
            if time.monotonic() >= deadline:
                raise QmpError(f"{path}: cannot connect to QEMU's QMP socket: {e}") from e
            time.sleep(_CONNECT_RETRY)
        except OSError as e:
            sock.close()
            raise QmpError(f"{path}: cannot connect to QEMU's QMP socket: {e}") from e
