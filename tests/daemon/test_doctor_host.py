"""daemon.doctor_host: doctor warns when the load of the last 5 and 15 minutes would hold all
heavy work, when memory is too short for the gate's bound, and says what a running daemon's
gate waits for (the running daemon itself: tests/daemon/host/test_gate_bound_daemon.py)."""

from __future__ import annotations

import pytest

from daemon.config.health import HealthSection
from daemon.doctor import Check, render
from daemon.doctor_host import daemon_check, host_checks, load_check, memory_check
from daemon.host.health import HostReading
from tests.daemon.host.host_tree import idle_laptop

DEFAULTS = HealthSection()


def reading(load5: float | None, load15: float | None, free: float | None = 8000.0,
            cores: int = 2) -> HostReading:
    return HostReading(load1=3.0, cores=cores, own_runnable=0, on_battery=False, temp_c=None,
                       load5=load5, load15=load15, mem_available_mb=free)


LOADS = [  # (5 min, 15 min, cores, level, in the detail)
    (3.6, 3.2, 2, "warn", "the load has been above the gate's mark 1.6 = 0.8 x 2 cores "
     "(3.60 over 5 minutes, 3.20 over 15): every op and sensor run waits for it; after "
     "health.max_wait_s = 600s one op at a time runs at idle priority anyway"),
    (3.6, 1.2, 2, "ok", "3.60 over 5 minutes, 1.20 over 15, under the gate's mark 1.6"),
    (1.0, 3.2, 2, "ok", "under the gate's mark"),  # a spike that is over
    (0.9, 0.85, 1, "warn", "above the gate's mark 0.8 = 0.8 x 1 core "),
    (None, None, 2, "ok", "no load average readable here"),
]


@pytest.mark.parametrize(("five", "fifteen", "cores", "level", "text"), LOADS)
def test_the_load_of_the_last_minutes(five, fifteen, cores, level, text):
    name, got, detail, fix = load_check(reading(five, fifteen, cores=cores), DEFAULTS)
    assert (name, got) == ("host load", level) and text in detail
    assert ("raise health.max_load_share above" in fix) == (level == "warn")


def test_the_fix_names_the_share_the_load_needs_and_no_bound_says_so():
    unbounded = HealthSection(max_wait_s=0)
    _, _, detail, fix = load_check(reading(3.6, 3.2), unbounded)
    assert "health.max_wait_s = 0: nothing runs until the load falls" in detail
    assert "raise health.max_load_share above 1.60 (the 15-minute load / cores)" in fix
    off = HealthSection(enabled=False)
    assert load_check(reading(3.6, 3.2), off)[1:3] == (
        "ok", "the host gate is off (health.enabled = false)")


def test_short_memory_is_said_only_where_the_bound_would_run_an_op():
    assert memory_check(reading(1, 1, free=8000.0), DEFAULTS) is None
    name, level, detail, _ = memory_check(reading(1, 1, free=300.0), DEFAULTS)
    assert (name, level) == ("host memory", "warn")
    assert detail.startswith("300 MiB available < health.min_free_memory_mb = 1024")
    assert memory_check(reading(1, 1, free=300.0), HealthSection(max_wait_s=0)) is None
    assert memory_check(reading(1, 1, free=None), DEFAULTS) is None


def test_a_running_daemon_s_gate():
    assert daemon_check({"waiting": False})[1] == "ok"
    _, level, detail, _ = daemon_check({
        "waiting": True, "since": 1_700_000_000.0, "waited_s": 42.0,
        "reasons": ["load 3.9, resumes below 1.2 = 0.6 x 2 cores"],
        "bound": "one op runs at idle priority anyway at 12:00:00"})
    assert level == "warn" and "(42s): load 3.9, resumes below 1.2 = 0.6 x 2 cores; one op " \
        "runs at idle priority anyway at 12:00:00" in detail


def test_without_a_daemon_the_host_is_read_and_nothing_asked(tmp_path):
    tree = idle_laptop(tmp_path / "host").loads(3.9, 3.6, 3.2)
    (tmp_path / "repo").mkdir()
    checks = host_checks(DEFAULTS, tmp_path / "repo", None, {}, tree.reader())
    assert [(n, level) for n, level, *_ in checks] == [("host load", "warn")]
    report = render(tmp_path, [Check(*c) for c in checks])
    assert "warn    host load" in report and "fix: to let work run at this load" in report
