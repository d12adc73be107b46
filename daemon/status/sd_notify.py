"""systemd notification (Type=notify): READY, STATUS, STOPPING and the watchdog keep-alive,
sent to $NOTIFY_SOCKET. A no-op outside systemd.

A send never blocks: the datagram goes out non-blocking, so a manager that is not reading (a
full queue) costs one dropped message, never a stalled event loop; the next keep-alive
retries. A STATUS text is one line: control characters become spaces, so text that came from
a repository (a goal, a reason) can never add a second assignment such as MAINPID= or READY=.

`keepalive` runs as a task on the daemon's event loop: WATCHDOG=1 every half WatchdogSec=
(from $WATCHDOG_USEC, when $WATCHDOG_PID is unset or names this process), and STATUS= whenever
the status line changes. A blocked loop sends nothing, so systemd restarts a stalled daemon.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence

MAX_STATUS_CHARS = 400  # `systemctl status` shows one line; the journal keeps the rest
STATUS_PERIOD_S = 2.0  # how often the status line is compared (sent only when it changed)
MAX_OPS_SHOWN = 4
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one notification; False when there is no socket or the send failed."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.connect(address)
            sock.send(message.encode("utf-8", "replace"))
        return True
    except (OSError, ValueError):  # ValueError: a NUL inside a path-named socket
        return False


def status_text(text: str) -> str:
    """A STATUS= value: one line, bounded."""
    line = _CONTROL.sub(" ", text).strip()
    return line if len(line) <= MAX_STATUS_CHARS else line[:MAX_STATUS_CHARS - 1] + "…"


def status_line(state: str, why: str, queued: int,
                in_flight: Sequence[tuple[str, str]]) -> str:
    """`ACTIVE; queue: 2 waiting; in flight: 1 (op-ab12 GENERATE)[; reason]`."""
    ops = ", ".join(f"{op_id} {phase}" for op_id, phase in in_flight[:MAX_OPS_SHOWN])
    if len(in_flight) > MAX_OPS_SHOWN:
        ops += f", +{len(in_flight) - MAX_OPS_SHOWN} more"
    parts = [state, f"queue: {queued} waiting",
             f"in flight: {len(in_flight)}" + (f" ({ops})" if ops else "")]
    return status_text("; ".join(parts + ([why] if why else [])))


def watchdog_period(environ: Mapping[str, str] | None = None) -> float | None:
    """Half the watchdog timeout in seconds, or None when no watchdog is meant for us
    (unset, garbage, zero, or $WATCHDOG_PID naming another process)."""
    env = os.environ if environ is None else environ
    if not env.get("NOTIFY_SOCKET"):
        return None
    pid = env.get("WATCHDOG_PID")
    if pid is not None and pid.strip() != str(os.getpid()):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None


async def keepalive(status: Callable[[], str],
                    environ: Mapping[str, str] | None = None) -> None:
    """WATCHDOG=1 at half the watchdog interval and STATUS= on change, from this loop,
    until cancelled. Returns at once outside systemd."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("NOTIFY_SOCKET"):
        return
    half = watchdog_period(env)
    tick = min(half, STATUS_PERIOD_S) if half else STATUS_PERIOD_S
    last_ping, last_status = float("-inf"), None
    while True:
        lines = []
        now = time.monotonic()
        if half and now - last_ping >= half - tick / 2:
            lines.append("WATCHDOG=1")
            last_ping = now
        try:
            current = status_text(status())
        except Exception as exc:  # a status bug must not stop the keep-alive or the daemon
            current = status_text(f"status unavailable: {type(exc).__name__}")
        if current != last_status:
            lines.append(f"STATUS={current}")
            last_status = current
        if lines:
            notify("\n".join(lines), env)
        await asyncio.sleep(tick)
