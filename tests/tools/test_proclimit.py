"""Choosing the process limit: a pids cgroup (v1 or delegated v2), else RLIMIT_NPROC for a
normal user, else a stated reason. The cgroup filesystems are stood in by plain directories
here; the real v1 hierarchy is exercised by the fork-bomb attacks in test_jail_root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools import proclimit


def _fake_v2(root: Path, controllers: str) -> Path:
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers)
    return root


@pytest.fixture
def fake_v2(short_tmp, monkeypatch):
    mount = _fake_v2(short_tmp / "unified", "cpu pids memory")
    monkeypatch.setattr(proclimit, "_mounts", lambda: [("cgroup2", mount, "rw")])
    monkeypatch.setattr(proclimit, "_own_cgroup", lambda controller: "/")
    # a plain directory does not grow cgroup files by itself: give the new parent some
    real_parent_dir = proclimit._parent_dir

    def parent_dir():
        parent = mount / proclimit.PARENT_NAME
        parent.mkdir(exist_ok=True)
        (parent / "cgroup.controllers").write_text("pids memory")
        return real_parent_dir()

    monkeypatch.setattr(proclimit, "_parent_dir", parent_dir)
    return mount


def test_delegated_v2_gets_a_cgroup_per_run_with_the_limit(fake_v2):
    limiter = proclimit.ProcessLimiter(33)
    assert limiter.kind == "v2" and limiter.reason is None
    assert (fake_v2 / proclimit.PARENT_NAME / "cgroup.subtree_control").read_text() == "+pids"
    run = limiter.new_run()
    assert run.cgroup is not None and (run.cgroup / "pids.max").read_text() == "33"
    (run.cgroup / "cgroup.procs").touch()  # the kernel's file, in a real cgroup
    run.enter()  # what the child does before exec: join by pid
    assert (run.cgroup / "cgroup.procs").read_text() == str(os.getpid())


def test_a_v2_without_the_pids_controller_is_refused_with_its_reason(short_tmp, monkeypatch):
    mount = _fake_v2(short_tmp / "unified", "cpu memory")
    _fake_v2(mount / proclimit.PARENT_NAME, "cpu memory")  # what the child cgroup would offer
    monkeypatch.setattr(proclimit, "_mounts", lambda: [("cgroup2", mount, "rw")])
    monkeypatch.setattr(proclimit, "_own_cgroup", lambda controller: "/")
    monkeypatch.setattr(proclimit.os, "getuid", lambda: 0)
    limiter = proclimit.ProcessLimiter(10)
    assert limiter.kind == "none" and "not delegated" in limiter.reason
    assert limiter.new_run().cgroup is None


def test_stale_run_cgroups_of_dead_daemons_are_swept(fake_v2):
    parent = fake_v2 / proclimit.PARENT_NAME
    parent.mkdir()
    (parent / "999999999-3").mkdir()  # no such pid
    (parent / f"{os.getpid()}-7").mkdir()  # ours: alive, kept
    proclimit.ProcessLimiter(10)
    assert sorted(p.name for p in parent.iterdir() if p.is_dir()) == [f"{os.getpid()}-7"]


def test_own_cgroup_reads_v1_and_v2_lines(monkeypatch, short_tmp):
    table = short_tmp / "cgroup"
    table.write_text("9:name=systemd:/\n8:pids:/user.slice/x\n0::/system.slice/ob.service\n")
    real_path = proclimit.Path
    monkeypatch.setattr(proclimit, "Path",
                        lambda p: table if p == "/proc/self/cgroup" else real_path(p))
    assert proclimit._own_cgroup("pids") == "/user.slice/x"
    assert proclimit._own_cgroup(None) == "/system.slice/ob.service"


def test_delegated_v2_also_caps_the_runs_memory_in_the_same_cgroup(fake_v2):
    limiter = proclimit.ProcessLimiter(33, memory_bytes=1 << 30)
    assert limiter.memory == (fake_v2 / proclimit.PARENT_NAME, "v2")
    assert limiter.memory_reason is None
    run = limiter.new_run()
    assert (run.cgroup / "memory.max").read_text() == str(1 << 30)
    assert (run.cgroup / "memory.swap.max").read_text() == "0"
    assert run.extra == ()  # one cgroup carries both limits
