"""What `ouroboros doctor` asks a daemon running here: its `status` (read-only), one
section of it. None when no daemon answers, its configuration cannot be read, or the section
is not there (an older daemon): doctor's checks of the running daemon then say nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from daemon.config import locate
from daemon.control.client import ControlClient
from daemon.errors import ConfigError, DaemonNotRunning

ASK_TIMEOUT_S = 3.0  # a daemon busy loading its model still answers `status` at once


def running_section(repo: Path, config: Path | None, environ: Mapping[str, str],
                    name: str) -> Any:
    """The running daemon's status section `name` (its JSON value), or None."""
    try:
        sock = locate.control_socket(repo, config, environ)
        reply = ControlClient(sock, timeout_s=ASK_TIMEOUT_S).request("status")
    except (DaemonNotRunning, ConfigError, OSError, ValueError):
        return None
    data = reply.get("data") if isinstance(reply, dict) else None
    return data.get(name) if isinstance(data, dict) else None
