"""llama.cpp's own OpenAI-compatible server (`python -m llama_cpp.server`, PyPI
`llama-cpp-python[server]`, installed by `make bench-setup`) serving the embedded GGUF, as a
real third-party brain: started as a subprocess on a loopback port, killed (SIGKILL, as a
crash or an OOM kill does) and started again on the same port.

tests/daemon/brains/test_llamacpp_server.py and bench/brain_outage.py share it. Light to
import: nothing of llama_cpp is imported here (the server runs in its own process).
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

from tests.server_process import ServerProcess

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


class LlamaServer(ServerProcess):
    """One `python -m llama_cpp.server` on `port`, its output appended to `log`. One thread
    by default: on two cores other work keeps busy, llama.cpp's two threads wait on each
    other at every step (measured: 4-6 reply tokens/s with two, 36-57 with one, load 5-6)."""

    name = "llama.cpp's server"
    n_ctx_default = 4096

    def __init__(self, gguf: Path, port: int, log: Path, *, n_ctx: int = n_ctx_default,
                 threads: int = 1):
        super().__init__(port, log, ALIAS)
        self.gguf, self.n_ctx, self.threads = gguf, n_ctx, threads

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def models_url(self) -> str:
        return f"{self.base_url}/models"

    def start(self, timeout: float = 120.0) -> float:
        """Start the server and wait until it lists its model; seconds that took."""
        return self.launch(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf),
             "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(self.port),
             "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
             "--n_threads_batch", str(self.threads)], timeout)
