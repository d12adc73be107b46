"""A blocking client for the control socket, used by the CLI verbs and the REPL."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from daemon.errors import DaemonNotRunning


class ControlClient:
    def __init__(self, path: Path, timeout_s: float = 10.0):
        self.path = path
        self.timeout_s = timeout_s

    def request(self, cmd: str, op: str | None = None, reason: str = "",
                fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """`fields`: the verb's own request fields (daemon.control.verbs FIELDS), sent as given."""
        payload: dict[str, Any] = {"cmd": cmd, **(fields or {})}
        if op is not None:
            payload["op"] = op
        if reason:
            payload["reason"] = reason
        return self.send_raw(json.dumps(payload).encode() + b"\n")

    def send_raw(self, data: bytes) -> dict[str, Any]:
        try:
            if not self.path.exists():
                raise DaemonNotRunning(
                    f"daemon is not running (no control socket at {self.path})")
            reply = self._exchange(data)
        except (ConnectionRefusedError, FileNotFoundError) as exc:
            raise DaemonNotRunning(
                f"daemon is not running (stale control socket at {self.path})") from exc
        except OSError as exc:  # not ours to open (0600), timed out, reset mid-reply
            raise DaemonNotRunning(f"cannot talk to the daemon at {self.path}: "
                                   f"{exc.strerror or exc}") from exc
        if not reply:
            raise DaemonNotRunning("daemon closed the connection without answering")
        try:
            return json.loads(reply)
        except ValueError as exc:
            raise DaemonNotRunning(f"{self.path} answered something that is not the "
                                   f"daemon's JSON ({reply[:60]!r})") from exc

    def _exchange(self, data: bytes) -> bytes:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout_s)
            sock.connect(str(self.path))
            sock.sendall(data)
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply
