"""A soak's size and shocks, as bench/soak.py's flags set them.

The loop (bench/soak_run.py) runs to it and the shocks (bench/soak_events.py) are scheduled
from it: a leaf, so that both read it and neither imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """One soak's size and shocks (bench/soak.py's flags)."""

    ops: int = 2000  # ended ops to reach (items given, retries and recoveries counted)
    hours: float = 2.0  # or stop feeding after this long
    kills: int = 10  # SIGKILL (of the daemon, or of its process group) and a restart
    stops: int = 5  # SIGSTOP of the process group, then SIGCONT (a laptop's suspend)
    disks: int = 2  # the state dir's file system filled to the brim, then freed
    storms: int = 6  # bursts of editor saves
    switches: int = 3  # checkouts of a branch that renames a directory, and back
    storm_saves: int = 2000
    slots: int = 40  # modules the work cycles through
    outstanding: int = 6  # items given and not yet settled, at most
    workers: int = 3
    journal_every: int = 4  # a human journal commit after every so many items given
    seed: int = 1
    sample_s: float = 10.0
    suspend_s: float = 5.0  # how long a SIGSTOP lasts
    full_s: float = 5.0  # how long the disk stays full
    give_up_s: float = 300.0
    drain_s: float = 600.0
    disk_mb: int = 128  # the state dir's tmpfs
    scan_interval_s: float = 60.0  # the daemon's safety-net scan (retries after backoff)
    notify_s: float | None = None  # the notify window; None: the daemon's default (5 s)
    keep_ops: int = 100  # [ledger] retention for the soak: it must act within hours
    memory_ttl_h: float = 0.25  # the grounding memory's window, which keeps outcome rows
    segment_min_rows: int = 500
    archive_interval_s: float = 30.0
    quiet_every_ops: int = 50  # [ledger]: retention's places to cut (daemon.quiet_point)
