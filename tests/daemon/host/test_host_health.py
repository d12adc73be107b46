"""daemon.host.health: the load, the power supply, the heat and the daemon's own tasks, read
from a fake /proc and /sys (busy, idle, on battery, hot, missing), and from the real ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.host.health import (
    HostReader,
    descendants,
    hottest_zone,
    load_average,
    on_battery,
    own_runnable,
)
from tests.daemon.host.host_tree import DAEMON_PID, HostTree, idle_laptop
from tests.helpers import wait_sync


def test_an_idle_plugged_in_laptop(tmp_path):
    r = idle_laptop(tmp_path).reader(cores=4).read()
    assert (r.load1, r.cores, r.own_runnable) == (0.3, 4, 0)
    assert r.on_battery is False
    assert (r.temp_c, r.hot_zone) == (45.0, "x86_pkg_temp")


def test_a_busy_machine_reads_its_load(tmp_path):
    assert idle_laptop(tmp_path).load(3.94).reader().read().load1 == 3.94


def test_nothing_to_read_is_unknown_not_a_reason(tmp_path):
    r = HostReader(tmp_path / "proc", tmp_path / "sys", pid=DAEMON_PID, cores=2).read()
    assert (r.load1, r.on_battery, r.temp_c, r.own_runnable) == (None, None, None, 0)


@pytest.mark.parametrize("text", ["", "garbage\n", "\n"])
def test_a_garbled_loadavg_is_unknown(tmp_path, text):
    (tmp_path / "loadavg").write_text(text)
    assert load_average(tmp_path) is None


SUPPLIES = [  # (name, type, fields) for each supply; whether the machine is on battery
    ([("BAT0", "Battery", {"status": "Discharging", "scope": "System"}),
      ("AC", "Mains", {"online": "0"})], True),
    ([("BAT0", "Battery", {"status": "Discharging"})], True),  # no scope file: the machine's
    ([("BAT0", "Battery", {"status": "Discharging"}), ("AC", "Mains", {"online": "1"})],
     False),  # plugged in, still draining (a weak charger): not on battery
    ([("BAT0", "Battery", {"status": "Discharging"}), ("ucsi", "USB", {"online": "1"})],
     False),  # charging over USB-C
    ([("BAT0", "Battery", {"status": "Full"}), ("AC", "Mains", {"online": "1"})], False),
    ([("BAT0", "Battery", {"status": "Not charging"})], False),
    ([("hid-mouse", "Battery", {"status": "Discharging", "scope": "Device"}),
      ("AC", "Mains", {"online": "0"})], False),  # a mouse's battery is not the machine's
    ([("AC", "Mains", {"online": "1"})], False),  # a desktop
    ([], False),  # the class exists, nothing in it
]


@pytest.mark.parametrize(("supplies", "expected"), SUPPLIES)
def test_on_battery(tmp_path, supplies, expected):
    tree = HostTree(tmp_path)
    (tree.sys / "class" / "power_supply").mkdir(parents=True)
    for name, kind, fields in supplies:
        tree.supply(name, kind, **fields)
    assert on_battery(tree.sys / "class" / "power_supply") is expected


def test_no_power_supply_class_is_unknown(tmp_path):
    assert on_battery(tmp_path / "power_supply") is None


def test_the_hottest_plausible_zone_counts(tmp_path):
    tree = (HostTree(tmp_path).zone(0, "acpitz", "45000").zone(1, "x86_pkg_temp", "93500")
            .zone(2, "iwlwifi_1", "-273000").zone(3, "disabled", "0")
            .zone(4, "firmware", "255000").zone(5, "broken", "n/a"))
    assert hottest_zone(tree.sys / "class" / "thermal") == (93.5, "x86_pkg_temp")


def test_no_plausible_zone_is_unknown(tmp_path):
    tree = HostTree(tmp_path).zone(0, "disabled", "0")
    assert hottest_zone(tree.sys / "class" / "thermal") is None
    assert hottest_zone(tmp_path / "nothing") is None


def test_the_daemon_s_own_tasks_are_its_threads_and_descendants_in_r_or_d(tmp_path):
    tree = (HostTree(tmp_path)
            .process(DAEMON_PID, 1, "SRRS")  # event loop asleep, two model threads busy
            .process(200, DAEMON_PID, "S", comm="bwrap")
            .process(201, 200, "RD", comm="py) (test")  # a jailed pytest; a hostile name
            .process(300, 1, "RRRR", comm="cc1plus")  # the human's build: not ours
            .process(301, 300, "R"))
    assert descendants(tree.proc, DAEMON_PID) == {DAEMON_PID, 200, 201}
    assert own_runnable(tree.proc, DAEMON_PID) == 4
    # The thread doing the reading is running as it reads: not load the kernel would see.
    assert own_runnable(tree.proc, DAEMON_PID, skip_tid=DAEMON_PID + 1) == 3


def test_a_process_gone_mid_read_is_skipped(tmp_path):
    tree = HostTree(tmp_path).process(DAEMON_PID, 1, "R")
    (tree.proc / "555").mkdir()  # listed, its stat already gone
    assert own_runnable(tree.proc, DAEMON_PID) == 1


# -- as found: the real /proc and /sys of this machine ----------------------------------


def test_the_real_machine_reads_without_asserting_its_load():
    r = HostReader().read()
    assert r.load1 is not None and r.load1 >= 0  # Linux always has /proc/loadavg
    assert r.cores == os.cpu_count()
    assert r.on_battery in (True, False, None)
    assert r.temp_c is None or 0 < r.temp_c < 150


@pytest.mark.slow
def test_a_busy_child_is_the_daemon_s_own_load_on_the_real_proc():
    """A CPU-bound child is in state R whether it runs or waits for a core, so it counts
    however busy this machine is; a sleeping one never does."""
    reader = HostReader()
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    nap = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        proc = Path("/proc")
        wait_sync(lambda: {spin.pid, nap.pid} <= descendants(proc, os.getpid()),
                  what="the children in the process table")
        wait_sync(lambda: own_runnable(proc, spin.pid) == 1, what="the spinner counted")
        wait_sync(lambda: own_runnable(proc, nap.pid) == 0, what="the sleeper asleep")
        assert reader.read().own_runnable >= 1  # the spinner, at least
    finally:
        for child in (spin, nap):
            child.kill()
            child.wait()
