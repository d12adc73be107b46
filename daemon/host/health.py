"""What Linux says about the machine the daemon shares with its human (seed §29, the
HealthCortex for a developer's box): the load averages (1, 5 and 15 minutes), the memory
available, whether the machine runs on battery, its hottest thermal zone, and how many of
the tasks the load average counts right now are the daemon's own.

`HostReader.read()` is a pure reading of small files under a proc root and a sys root
(/proc and /sys; tests point both at a tree built in tmp_path). A file that is missing,
unreadable or garbled is unknown, None in the reading, and never a reason to wait: a
machine without batteries or thermal zones, or a container hiding them, simply does not
say. Each read is a few hundred small files at most (the process table, for the daemon's
descendants), so callers on the event loop run it in a thread (daemon.host.gate does).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# The states the kernel's load average counts: runnable, and uninterruptible sleep.
LOADED_STATES = frozenset("RD")
# A thermal zone reading outside this range (millidegrees) is a sensor that does not know:
# disabled zones read 0 or a negative sentinel, some firmware a fixed 255 °C.
PLAUSIBLE_MILLI_C = range(1, 150_000)
# power_supply types that feed the machine from the wall; a Battery is the other kind.
MAINS_TYPES = frozenset({"Mains", "USB"})


@dataclass(frozen=True)
class HostReading:
    load1: float | None  # /proc/loadavg's first field: machine-wide, all users
    cores: int  # what the load is measured against: every CPU of the machine
    own_runnable: int  # the daemon's tasks (its threads, its children's) in R or D now
    on_battery: bool | None  # None: the machine reports no power supply at all
    temp_c: float | None  # the hottest plausible thermal zone, None when none reads
    hot_zone: str = ""  # that zone's type (x86_pkg_temp, acpitz, ...)
    # /proc/loadavg's 5- and 15-minute figures: what the last minutes were (doctor)
    load5: float | None = None
    load15: float | None = None
    mem_available_mb: float | None = None  # /proc/meminfo's MemAvailable


class HostReader:
    """Reads the host under `proc` and `sys`; `pid` is the daemon (default: this process)."""

    def __init__(self, proc: Path = Path("/proc"), sys: Path = Path("/sys"),
                 pid: int | None = None, cores: int | None = None):
        self.proc, self.sys = proc, sys
        self.pid = os.getpid() if pid is None else pid
        # The load average is machine-wide, so it is judged against every CPU of the
        # machine, not this process's affinity mask.
        self.cores = cores or os.cpu_count() or 1

    def read(self) -> HostReading:
        hottest = hottest_zone(self.sys / "class" / "thermal")
        loads = load_averages(self.proc)
        return HostReading(
            load1=loads[0],
            cores=self.cores,
            # The reading thread itself is running as it reads: it is not load the kernel
            # would see at its own sampling instant.
            own_runnable=own_runnable(self.proc, self.pid, skip_tid=threading.get_native_id()),
            on_battery=on_battery(self.sys / "class" / "power_supply"),
            temp_c=None if hottest is None else hottest[0],
            hot_zone="" if hottest is None else hottest[1],
            load5=loads[1], load15=loads[2],
            mem_available_mb=mem_available_mb(self.proc))


def _text(path: Path | str) -> str | None:
    """A small proc or sys file's text, or None when it cannot be read (gone, denied). Raw
    os calls: the process table is read file by file, ~10x faster than pathlib's."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, 4096).decode("ascii", "replace").strip()
    except OSError:
        return None
    finally:
        os.close(fd)


def load_average(proc: Path) -> float | None:
    """The 1-minute load average (`/proc/loadavg`: "0.52 0.58 0.59 1/389 12345")."""
    return load_averages(proc)[0]


def load_averages(proc: Path) -> tuple[float | None, float | None, float | None]:
    """The 1-, 5- and 15-minute load averages, each None when it cannot be read."""
    fields = (_text(proc / "loadavg") or "").split()[:3]
    out: list[float | None] = []
    for i in range(3):
        try:
            out.append(float(fields[i]))
        except (IndexError, ValueError):
            out.append(None)
    return out[0], out[1], out[2]


def mem_available_mb(proc: Path) -> float | None:
    """MemAvailable from `/proc/meminfo` ("MemAvailable:    8123456 kB"), in MiB: the
    kernel's own estimate of what can be had without swapping."""
    try:
        with open(proc / "meminfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def on_battery(supplies: Path) -> bool | None:
    """True when a system battery discharges and no mains or USB supply is online; None
    when there is no power-supply class at all. A peripheral's battery (a mouse's:
    scope Device) says nothing about the machine."""
    try:
        names = sorted(supplies.iterdir())
    except OSError:
        return None
    discharging = plugged = False
    for supply in names:
        kind = _text(supply / "type")
        if kind in MAINS_TYPES and _text(supply / "online") == "1":
            plugged = True
        elif kind == "Battery" and _text(supply / "scope") != "Device":
            discharging |= _text(supply / "status") == "Discharging"
    return discharging and not plugged


def hottest_zone(thermal: Path) -> tuple[float, str] | None:
    """(°C, zone type) of the hottest thermal zone whose reading is plausible."""
    best: tuple[float, str] | None = None
    for zone in sorted(thermal.glob("thermal_zone*")):
        raw = _text(zone / "temp")
        if raw is None or not raw.lstrip("-").isdigit() or int(raw) not in PLAUSIBLE_MILLI_C:
            continue
        celsius = int(raw) / 1000
        if best is None or celsius > best[0]:
            best = (celsius, _text(zone / "type") or zone.name)
    return best


def _stat(path: str) -> tuple[str, int] | None:
    """(state, ppid) from a `stat` file; the command name may hold spaces and parentheses,
    so the fields are read after its last `)`."""
    text = _text(path)
    if not text or ")" not in text:
        return None
    fields = text[text.rindex(")") + 1:].split()
    try:
        return fields[0], int(fields[1])
    except (IndexError, ValueError):
        return None


def _processes(proc: Path) -> Iterator[tuple[int, int]]:
    """(pid, ppid) of every process the proc root shows."""
    try:
        names = [e.name for e in os.scandir(proc) if e.name.isdigit()]
    except OSError:
        return
    for name in names:
        if (stat := _stat(f"{proc}/{name}/stat")) is not None:
            yield int(name), stat[1]


def descendants(proc: Path, pid: int) -> set[int]:
    """`pid` and every process below it (a jailed run: bwrap, its init, pytest, ...)."""
    children: dict[int, list[int]] = {}
    for child, parent in _processes(proc):
        children.setdefault(parent, []).append(child)
    tree, todo = {pid}, [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in tree:
                tree.add(child)
                todo.append(child)
    return tree


def _loaded_tasks(proc: Path, pids: Iterable[int], skip_tid: int | None) -> int:
    count = 0
    for pid in pids:
        try:
            tids = [e.name for e in os.scandir(f"{proc}/{pid}/task") if e.name != str(skip_tid)]
        except OSError:  # gone since the table was read
            continue
        for tid in tids:
            stat = _stat(f"{proc}/{pid}/task/{tid}/stat")
            count += stat is not None and stat[0] in LOADED_STATES
    return count


def own_runnable(proc: Path, pid: int, skip_tid: int | None = None) -> int:
    """How many of the daemon's tasks (every thread of it and of its descendants) the load
    average would count now: those runnable or in uninterruptible sleep."""
    return _loaded_tasks(proc, sorted(descendants(proc, pid)), skip_tid)
