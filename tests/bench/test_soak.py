"""The soak harness's short form (bench/soak.py --short): a real `ouroboros run` on a real
repository, about sixteen ops of every outcome, one kill -9 and restart, one suspend, one
full state dir (as root; skipped otherwise), one storm of saves, one branch switch with a
mass rename; every invariant of bench/soak_checks.py holds after the kill and at the end,
and the figures the long run reports are all there."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import SHORT, report, run
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None,
                                 reason="bubblewrap is unusable: the daemon jails its tests")]


def _warnings(where: Path, last: int = 40) -> str:
    """The daemons' warnings and errors, newest last: what a failed run leaves to read
    (its directory goes with the test)."""
    lines = [line for log in sorted(where.glob("daemon-*.log"))
             for line in log.read_text(errors="replace").splitlines()
             if '"level": "warning"' in line or '"level": "error"' in line]
    return "\n".join(line[:600] for line in lines[-last:])


def test_a_short_soak_keeps_every_invariant(short_tmp: Path):
    r, soak = run(SHORT, short_tmp)
    print(report(r, soak))
    if r["problems"]:
        print(_warnings(short_tmp))
    assert r["problems"] == []
    assert r["items_given"] == SHORT.ops or r["ops"] >= SHORT.ops, r["items_given"]
    assert sum(r["items_settled"].values()) == r["items_given"]
    assert set(r["items_by_kind"]) == {"proven", "proposed", "refused", "deadline", "collapse"}
    events = [e["event"] for e in r["events"]]
    assert sorted(set(events) - {"state dir", "stopped"}) == [
        "disk", "kill", "stop", "storm", "switch"], events
    [kill] = [e for e in r["events"] if e["event"] == "kill"]
    assert kill["recovery_s"] < 30
    disk = next(e for e in r["events"] if e["event"] == "disk")
    if "skipped" not in disk:  # a tmpfs of its own: it filled, paused, and resumed
        assert disk["paused_after_s"] is not None and disk["resumed_after_s"] is not None
    m, led = r["metrics"], r["ledger"]
    assert m["fds"]["max"] < 100 and m["threads"]["max"] < 64 and m["tasks"]["max"] < 64, m
    assert m["status_ms"]["p50"] is not None
    assert all(s.status_floor_ms <= s.status_ms for s in soak.samples
               if s.status_ms is not None), "the floor is the fastest of three calls"
    # Retention kept up: the newest keep_ops stay, the rest moved to segments.
    assert led["archived_ops"] > 0, led
    assert led["inline_ops"] <= (SHORT.keep_ops + SHORT.quiet_every_ops
                                 + SHORT.segment_min_rows // 10), led
