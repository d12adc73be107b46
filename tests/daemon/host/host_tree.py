"""A fake /proc and /sys for daemon.host.health, laid out as Linux lays them out: the seam
the host-health tests (and the daemon test of the host gate) read through."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daemon.host.health import HostReader

DAEMON_PID = 100


@dataclass
class HostTree:
    root: Path

    @property
    def proc(self) -> Path:
        return self.root / "proc"

    @property
    def sys(self) -> Path:
        return self.root / "sys"

    def reader(self, cores: int = 2) -> HostReader:
        return HostReader(self.proc, self.sys, pid=DAEMON_PID, cores=cores)

    def load(self, one_minute: float) -> HostTree:
        _write(self.proc / "loadavg", f"{one_minute:.2f} 0.50 0.40 1/312 4242\n")
        return self

    def loads(self, one: float, five: float, fifteen: float) -> HostTree:
        _write(self.proc / "loadavg", f"{one:.2f} {five:.2f} {fifteen:.2f} 1/312 4242\n")
        return self

    def memory(self, available_mb: float, total_mb: float = 16384) -> HostTree:
        """/proc/meminfo's first lines, as Linux writes them (kB)."""
        _write(self.proc / "meminfo", f"MemTotal:       {int(total_mb * 1024)} kB\n"
               f"MemFree:        {int(available_mb * 512)} kB\n"
               f"MemAvailable:   {int(available_mb * 1024)} kB\n")
        return self

    def process(self, pid: int, ppid: int, states: str = "S",
                comm: str = "python3") -> HostTree:
        """A process whose threads are in `states` (one letter each; the first is the
        main thread, whose tid is the pid)."""
        _write(self.proc / str(pid) / "stat", _stat(pid, comm, states[0], ppid))
        for i, state in enumerate(states):
            tid = pid + i
            _write(self.proc / str(pid) / "task" / str(tid) / "stat",
                   _stat(tid, comm, state, ppid))
        return self

    def supply(self, name: str, kind: str, **fields: str) -> HostTree:
        for key, value in {"type": kind, **fields}.items():
            _write(self.sys / "class" / "power_supply" / name / key, f"{value}\n")
        return self

    def zone(self, n: int, kind: str, milli_c: str) -> HostTree:
        zone = self.sys / "class" / "thermal" / f"thermal_zone{n}"
        _write(zone / "type", f"{kind}\n")
        _write(zone / "temp", f"{milli_c}\n")
        return self


def _stat(pid: int, comm: str, state: str, ppid: int) -> str:
    # The fields after ppid as a real stat line has them (pgrp, session, tty, ... nice).
    return f"{pid} ({comm}) {state} {ppid} {pid} {pid} 0 -1 4194560 120 0 0 0 5 2 0 0 20 0\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def idle_laptop(root: Path) -> HostTree:
    """A plugged-in laptop at rest: load 0.3, the daemon asleep, 45 °C."""
    return (HostTree(root).load(0.3).process(DAEMON_PID, 1, "SS")
            .supply("AC", "Mains", online="1")
            .supply("BAT0", "Battery", status="Charging", scope="System")
            .zone(0, "x86_pkg_temp", "45000"))
