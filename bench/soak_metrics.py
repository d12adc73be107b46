"""The soak's measurements: samples of the running daemon over time, and their summary.

A sample reads the daemon's process from /proc (resident memory, open fds, threads), asks
`status` over the control socket (its round trip, and the asyncio tasks it reports), and
sizes the ledger (the database with its WAL, and the archive segments). The summary gives
each series' start, end, maximum and growth after warm-up, in numbers.

"Growth after warm-up" compares the median of the samples in the run's last fifth with the
median of those in its second fifth (the first fifth is warm-up: imports, caches, the first
segment). A daemon killed and restarted starts its memory afresh, so memory is also given
per process lifetime (the longest one's growth is the figure that shows a leak).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from daemon.control.client import ControlClient
from daemon.errors import DaemonNotRunning
from ledger.segments import ARCHIVE_DIR
from tests.daemon_process import ledger_ro


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the soak began
    pid: int
    rss_mb: float
    fds: int
    threads: int
    tasks: int | None  # asyncio tasks alive (status), None if it did not answer
    status_ms: float | None
    # the fastest of three back-to-back calls: the daemon's own cost with the scheduler's
    # noise (two cores shared with workers and pytest) mostly taken out, for growth
    status_floor_ms: float | None
    ledger_mb: float  # ledger.sqlite3
    wal_mb: float  # its -wal (reused, checkpointed every ~16 MB: ledger.db) and -shm
    archive_mb: float  # ledger-archive/
    inline_ops: int  # ops whose rows are still in the database
    ended_ops: int  # ops ended so far (inline and archived)


def proc(pid: int) -> tuple[float, int, int]:
    """(resident MB, open fds, threads) of one process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return int(fields["VmRSS"][0]) / 1024, fds, int(fields["Threads"][0])


def status(sock: Path, timeout_s: float = 10.0) -> tuple[float | None, dict | None]:
    """(round trip in ms, the answer) of one `status`, or (None, None)."""
    began = time.perf_counter()
    try:
        answer = ControlClient(sock, timeout_s).request("status")
    except DaemonNotRunning:
        return None, None
    return (time.perf_counter() - began) * 1000, answer.get("data")


def _mb(paths: list[Path]) -> float:
    return sum(p.stat().st_size for p in paths if p.is_file()) / 1e6


def take(t: float, pid: int, state: Path, ended: int) -> Sample:
    rss, fds, threads = proc(pid)
    took, answer = status(state / "control.sock")
    again = [status(state / "control.sock")[0] for _ in range(2)]
    floor = min((ms for ms in (took, *again) if ms is not None), default=None)
    db = state / "ledger.sqlite3"
    with ledger_ro(state) as conn:
        inline = conn.execute("SELECT COUNT(*) FROM operations").fetchone()[0]
    archive = state / ARCHIVE_DIR
    return Sample(t, pid, rss, fds, threads, (answer or {}).get("tasks"), took, floor,
                  _mb([db]),
                  _mb([db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]),
                  _mb(list(archive.iterdir())) if archive.is_dir() else 0.0, inline, ended)


def growth(values: list[float]) -> float | None:
    """Relative growth of the last fifth's median over the second fifth's (None if too
    few values)."""
    if len(values) < 10:
        return None
    fifth = len(values) // 5
    base = statistics.median(values[fifth:2 * fifth])
    return statistics.median(values[-fifth:]) / base - 1 if base else None


def _series(samples: list[Sample], name: str) -> list[float]:
    return [float(v) for s in samples if (v := getattr(s, name)) is not None]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(samples: list[Sample]) -> dict:
    """Per series: first, last, max, growth after warm-up; status latency percentiles;
    memory growth within the longest-lived process."""
    out: dict = {"samples": len(samples)}
    for name in ("rss_mb", "fds", "threads", "tasks", "status_ms", "status_floor_ms",
                 "ledger_mb", "wal_mb", "archive_mb", "inline_ops"):
        values = _series(samples, name)
        if values:
            out[name] = {"first": values[0], "last": values[-1], "max": max(values),
                         "growth": growth(values)}
    ms = _series(samples, "status_ms")
    out["status_ms"] = {**out.get("status_ms", {}), "p50": _percentile(ms, 0.5),
                        "p99": _percentile(ms, 0.99)}
    lives: dict[int, list[float]] = {}
    for s in samples:
        lives.setdefault(s.pid, []).append(s.rss_mb)
    longest = max(lives.values(), key=len, default=[])
    out["rss_longest_life"] = {"samples": len(longest), "growth": growth(longest),
                               "first": longest[0] if longest else None,
                               "last": longest[-1] if longest else None}
    return out


def timeline(samples: list[Sample], rows: int = 12) -> list[str]:
    """The samples thinned to about `rows` lines, for the report."""
    step = max(1, len(samples) // rows)
    lines = ["     t_s  ops  rss_MB  fds  thr  tasks  status_ms  ledger_MB  wal_MB  "
             "archive_MB  inline"]
    for s in [*samples[::step], *samples[-1:]][:rows + 1]:
        lines.append(f"{s.t:8.0f} {s.ended_ops:4d} {s.rss_mb:7.1f} {s.fds:4d} {s.threads:4d} "
                     f"{s.tasks if s.tasks is not None else '-':>6} "
                     f"{s.status_ms if s.status_ms is not None else float('nan'):10.1f} "
                     f"{s.ledger_mb:10.2f} {s.wal_mb:7.2f} {s.archive_mb:11.3f} {s.inline_ops:7d}")
    return lines
