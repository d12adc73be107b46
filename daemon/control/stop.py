"""`stop` on the control socket: the daemon stops as SIGTERM stops it (daemon.service's drain:
no new op starts, in-flight ops get `shutdown_grace_s` to end, then each is cancelled at its
next safe point; the process exits 0). `ouroboros stop` (daemon/cli/stop.py) asks, then follows
the drain on the event stream and waits for the process to exit.

Under systemd the unit owns the daemon's life: a stop behind its back would be read by
systemd as the service ending by itself (and a unit with Restart=always starts it again), so
the daemon refuses and names the command that stops it. It knows it runs under systemd as
daemon.status.sd_notify does: $NOTIFY_SOCKET is set (the unit is Type=notify). The unit's
name is the last `.service` of its cgroup (/proc/self/cgroup), under a user manager when the
path passes through `user@UID.service`.

The reply, typed for the client (never read from the message's text):
    {"ok": true, "data": {"pid", "grace_s", "in_flight": [{"op_id", "phase"}], "ends"}}
    {"ok": false, "error": "...", "systemd_unit": NAME or null}
`ends`: the phases an op ends in (ledger.phases), so the client needs no ledger to tell.
"""

from __future__ import annotations

import asyncio
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from ledger.phases import TERMINAL_PHASES

if TYPE_CHECKING:
    from daemon.config.settings import Settings
    from daemon.op_handle import OpHandle

log = structlog.get_logger("daemon.control.stop")
CGROUP = Path("/proc/self/cgroup")


class StopHost(Protocol):
    """What `stop` uses of the daemon (daemon.service.Daemon honours it)."""

    settings: Settings
    ops: Mapping[str, OpHandle]
    stop_event: asyncio.Event | None  # serve()'s: the one way in, as SIGTERM's handler


@dataclass(frozen=True)
class SystemdUnit:
    """The unit the daemon runs as; `name` None when its cgroup does not say."""

    name: str | None
    user: bool  # under a user manager (`systemctl --user`)

    def stop_command(self) -> str:
        return " ".join(["systemctl", *(["--user"] if self.user else []), "stop",
                         shlex.quote(self.name) if self.name else "UNIT"])


def systemd_unit(environ: Mapping[str, str] | None = None,
                 cgroup: Path = CGROUP) -> SystemdUnit | None:
    """The systemd unit this process runs as, or None when systemd did not start it."""
    env = os.environ if environ is None else environ
    if not env.get("NOTIFY_SOCKET"):
        return None
    try:
        lines = cgroup.read_text().splitlines()
    except OSError:
        lines = []
    # v2's one line `0::/path`, or v1's hierarchies (`1:name=systemd:/path`): the first path
    # that names a service
    paths = [line.split(":", 2)[2] for line in lines if line.count(":") >= 2]
    parts = next((p.split("/") for p in paths if ".service" in p), [])
    units = [p for p in parts if p.endswith(".service") and not p.startswith("user@")]
    return SystemdUnit(units[-1] if units else None,
                       any(p.startswith("user@") and p.endswith(".service") for p in parts))


def stop_reply(host: StopHost, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Set the daemon stopping (or say why not); the reply the client follows the drain by."""
    unit = systemd_unit(environ)
    if unit is not None:
        named = f" as {unit.name}" if unit.name else ""
        hint = "" if unit.name else f" (`systemctl status {os.getpid()}` names the unit)"
        return {"ok": False, "systemd_unit": unit.name, "error": (
            f"the daemon runs under systemd{named}, which owns its life: stop it with "
            f"`{unit.stop_command()}`{hint}; the same drain, and systemd knows it stopped")}
    if host.stop_event is None:  # the socket answers only inside serve(): never in practice
        return {"ok": False, "error": "the daemon is not serving; nothing to stop"}
    if not host.stop_event.is_set():
        log.info("stop asked over the control socket", in_flight=len(host.ops))
    host.stop_event.set()
    return {"ok": True, "data": {
        "pid": os.getpid(), "grace_s": host.settings.daemon.shutdown_grace_s,
        "in_flight": [{"op_id": i, "phase": h.phase.value} for i, h in host.ops.items()],
        "ends": list(TERMINAL_PHASES)}}
