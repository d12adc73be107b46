"""A real HTTP server for tests: an ASGI app under uvicorn on an ephemeral loopback port,
in a thread of the test process. Light to import (no torch), so any test may use it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from daemon.serve.cli import bind


@contextmanager
def serving(app: Any, port: int = 0, config: uvicorn.Config | None = None) -> Iterator[str]:
    """The base URL of `app` under a real uvicorn on loopback `port` (0: an ephemeral one),
    in a thread of this process; stopped on exit, so the same port can be served again.
    `config` (for `app`) replaces the plain one: `ouroboros serve`'s own, for instance."""
    sock = bind("127.0.0.1", port)
    config = config or uvicorn.Config(app, log_level="warning", access_log=False,
                                      lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    # The socket already listens: requests made before the thread accepts wait in its backlog.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
