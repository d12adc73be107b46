"""A third-party server run as a subprocess for a test or a bench (llama.cpp's server, LiteLLM's
proxy): started on a loopback port and waited for until it lists its model, killed with
SIGKILL (as a crash or an OOM kill does) and reaped, so the port refuses connections after."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

import httpx

from tests.helpers import wait_sync


class ServerProcess:
    """One server process on `port`, its output appended to `log`; a subclass names itself,
    where it lists its models and the model it must list."""

    name = "the server"

    def __init__(self, port: int, log: Path, model: str):
        self.port, self.log, self.model = port, log, model
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def models_url(self) -> str:
        raise NotImplementedError

    def headers(self) -> Mapping[str, str]:
        return {}

    def launch(self, argv: Sequence[str], timeout: float,
               env: Mapping[str, str] | None = None) -> float:
        """Start `argv` and wait until the server lists its model; seconds that took."""
        began = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(list(argv), stdout=out, stderr=out, env=env,
                                         start_new_session=True)
        self.starts += 1
        wait_sync(self._answers, timeout, f"{self.name} to list its model", interval=0.05)
        return time.monotonic() - began

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited {self.proc.returncode}: "
                                 + self.log.read_text(errors="replace")[-3000:])
        try:
            reply = httpx.get(self.models_url(), timeout=2.0, headers=dict(self.headers()))
        except httpx.HTTPError:
            return False
        return reply.status_code == 200 and self.model in reply.text

    def kill(self) -> None:
        """SIGKILL, reaped: the port refuses connections from now on."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
