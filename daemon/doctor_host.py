"""`ouroboros doctor`'s look at the host gate (daemon.host.gate): whether the load of the last
minutes would hold all heavy work, whether memory is too short for the gate's bound to run
anything, and, when a daemon runs here, what its gate waits for and since when.

The 1-minute figure is a moment; /proc/loadavg's 5- and 15-minute figures say what the
machine has been. When both are above the gate's pause mark, every op and sensor run waits
(an op only until the bound, `health.max_wait_s`, lets one run at idle priority), and
doctor says so instead of "the daemon can do its work" alone.

Read-only: the running daemon is asked for its `status`, nothing else. The checks come back
as (name, status, detail, fix) tuples, which daemon.doctor makes its own Checks of.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from daemon.config.health import HealthSection
from daemon.doctor_ask import running_section
from daemon.host.health import HostReader, HostReading

Found = tuple[str, str, str, str]  # (name, "ok" | "warn", detail, fix)
RAISE_FIX = ("to let work run at this load, raise health.max_load_share above {need:.2f} "
             "(the 15-minute load / cores); or lower health.max_wait_s so the bound runs an "
             "op sooner; health.enabled = false lifts the gate")


def _cores(n: int) -> str:
    return f"{n} core{'s' if n != 1 else ''}"


def _bound(health: HealthSection) -> str:
    if not health.max_wait_s:
        return "health.max_wait_s = 0: nothing runs until the load falls"
    return (f"after health.max_wait_s = {health.max_wait_s:g}s one op at a time runs at idle "
            "priority anyway")


def load_check(r: HostReading, health: HealthSection) -> Found:
    """Whether the load of the last 5 and 15 minutes would hold all heavy work."""
    name = "host load"
    if not health.enabled:
        return name, "ok", "the host gate is off (health.enabled = false)", ""
    bar = health.max_load_share * r.cores
    scale = f"{bar:.1f} = {health.max_load_share:g} x {_cores(r.cores)}"
    if r.load5 is None or r.load15 is None:
        return name, "ok", "no load average readable here: the gate never waits for it", ""
    figures = f"{r.load5:.2f} over 5 minutes, {r.load15:.2f} over 15"
    if r.load5 > bar and r.load15 > bar:
        return (name, "warn", f"the load has been above the gate's mark {scale} ({figures}): "
                f"every op and sensor run waits for it; {_bound(health)}",
                RAISE_FIX.format(need=r.load15 / r.cores))
    return name, "ok", f"{figures}, under the gate's mark {scale}", ""


def memory_check(r: HostReading, health: HealthSection) -> Found | None:
    """Memory too short for the bound to run an op (None: nothing to say)."""
    free = r.mem_available_mb
    if not health.enabled or not health.max_wait_s or free is None \
            or free >= health.min_free_memory_mb:
        return None
    return ("host memory", "warn", f"{free:.0f} MiB available < health.min_free_memory_mb = "
            f"{health.min_free_memory_mb:g}: while it lasts no op runs on the gate's bound "
            "when the load holds the work", "close what holds the memory, or lower "
            "health.min_free_memory_mb")


def daemon_check(host: Mapping[str, Any]) -> Found:
    """The running daemon's gate: open, or what it waits for and since when."""
    name = "host gate"
    if not host.get("waiting"):
        return name, "ok", "the running daemon's heavy work does not wait for the host", ""
    since = host.get("since")
    at = time.strftime("%H:%M:%S", time.localtime(since)) if since else "?"
    reasons = "; ".join([*host.get("reasons", []), *([host["bound"]] if host.get("bound")
                                                      else [])])
    return (name, "warn", f"the running daemon's heavy work waits for the host since {at} "
            f"({host.get('waited_s') or 0:.0f}s): {reasons}", "")


def running_host(repo: Path, config: Path | None,
                 environ: Mapping[str, str]) -> Mapping[str, Any] | None:
    """The running daemon's host snapshot (daemon.host.gate), None when none answers."""
    host = running_section(repo, config, environ, "host")
    return host if isinstance(host, dict) else None


def host_checks(health: HealthSection, repo: Path, config: Path | None,
                environ: Mapping[str, str], reader: HostReader | None = None) -> list[Found]:
    """doctor's host checks, in the order the report shows them."""
    r = (reader or HostReader()).read()
    out = [load_check(r, health)]
    if (memory := memory_check(r, health)) is not None:
        out.append(memory)
    if (host := running_host(repo, config, environ)) is not None:
        out.append(daemon_check(host))
    return out
