"""llama.cpp's own OpenAI-compatible server (`python -m llama_cpp.server`, PyPI
`llama-cpp-python[server]`, installed by `make bench-setup`) serving the embedded GGUF, as a
real third-party brain: started as a subprocess on a loopback port, killed (SIGKILL, as a
crash or an OOM kill does) and started again on the same port.

tests/daemon/brains/test_llamacpp_server.py and bench/brain_outage.py share it. Light to
import: nothing of llama_cpp is imported here (the server runs in its own process).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import wait_sync

ALIAS = "smollm2"  # the model name the server lists and the brain asks for
# What `llama-cpp-python[server]` adds to llama_cpp: without any of them the server cannot start.
SERVER_MODULES = ("llama_cpp", "sse_starlette", "starlette_context", "pydantic_settings")


def missing() -> str | None:
    """Why llama.cpp's server cannot run here (None: it can)."""
    absent = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if absent:
        return (f"llama-cpp-python[server] is not installed ({', '.join(absent)} missing): "
                "`make bench-setup` installs it")
    return None


def free_port() -> int:
    """A loopback port nothing listens on now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """One `python -m llama_cpp.server` on `port`, its output appended to `log`. One thread
    by default: on two cores other work keeps busy, llama.cpp's two threads wait on each
    other at every step (measured: 4-6 reply tokens/s with two, 36-57 with one, load 5-6)."""

    n_ctx_default = 4096

    def __init__(self, gguf: Path, port: int, log: Path, *, n_ctx: int = n_ctx_default,
                 threads: int = 1):
        self.gguf, self.port, self.log = gguf, port, log
        self.n_ctx, self.threads = n_ctx, threads
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 120.0) -> float:
        """Start the server and wait until it lists its model; seconds that took."""
        began = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf),
                 "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(self.port),
                 "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
                 "--n_threads_batch", str(self.threads)],
                stdout=out, stderr=out, start_new_session=True)
        self.starts += 1
        wait_sync(self._answers, timeout, "llama.cpp's server to list its model",
                  interval=0.05)
        return time.monotonic() - began

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"llama.cpp's server exited {self.proc.returncode}: "
                                 + self.log.read_text(errors="replace")[-3000:])
        try:
            reply = httpx.get(f"{self.base_url}/models", timeout=2.0)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200 and ALIAS in reply.text

    def kill(self) -> None:
        """SIGKILL, reaped: the port refuses connections from now on."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
