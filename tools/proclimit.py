"""A process-count limit for one jail run that holds for root too.

RLIMIT_NPROC is not enforced for processes whose real kernel uid is 0 (the kernel exempts
the initial user), and inside bubblewrap's user namespace a root daemon's jail still runs as
kernel uid 0. So each run gets its own `pids` cgroup (v1 hierarchy, or v2 where the daemon's
cgroup delegates the controller): the child joins it before it execs bubblewrap, so every
process of the run is counted, and on close the leftovers are killed and the cgroup removed.
Where no pids cgroup can be made, a non-root daemon falls back to RLIMIT_NPROC; a root
daemon then has no limit at all, and `reason()` says so for the operator to see.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PARENT_NAME = "ouroboros-jails"
_counter = itertools.count()


def _mounts() -> list[tuple[str, Path, str]]:
    """(fstype, mount point, super options) of each cgroup mount."""
    out = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, rfields = left.split(), right.split()
            if len(fields) > 4 and len(rfields) >= 3 and rfields[0] in ("cgroup", "cgroup2"):
                out.append((rfields[0], Path(fields[4]), rfields[2]))
    return out


def _own_cgroup(v1_controller: str | None) -> str:
    """This process's cgroup path in the v1 hierarchy holding the controller, or in v2."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if (v1_controller in controllers.split(",")) if v1_controller else controllers == "":
                return path
    return "/"


def _parent_dir() -> tuple[Path, str]:
    """A directory under which this daemon may create per-run pids cgroups, and its kind."""
    problems = []
    for fstype, mount, options in _mounts():
        if fstype == "cgroup" and "pids" in options.split(","):
            parent = mount / _own_cgroup("pids").lstrip("/") / PARENT_NAME
            try:
                parent.mkdir(exist_ok=True)
                if not os.access(parent, os.W_OK):
                    raise PermissionError(13, "not writable by this user")
                return parent, "v1"
            except OSError as exc:
                problems.append(f"{parent}: {exc.strerror}")
        if fstype == "cgroup2":
            parent = mount / _own_cgroup(None).lstrip("/") / PARENT_NAME
            try:
                parent.mkdir(exist_ok=True)
                if not os.access(parent, os.W_OK):
                    raise PermissionError(13, "not writable by this user")
                if "pids" not in (parent / "cgroup.controllers").read_text().split():
                    raise OSError(0, "the pids controller is not delegated here")
                (parent / "cgroup.subtree_control").write_text("+pids")
                return parent, "v2"
            except OSError as exc:
                problems.append(f"{parent}: {exc.strerror}")
    raise OSError(0, "; ".join(problems) or "no cgroup filesystem with a pids controller")


@dataclass
class RunLimit:
    """The limit for one run: `enter()` runs in the child before exec, `close()` after."""

    max_procs: int
    cgroup: Path | None = None
    nproc: int | None = None  # RLIMIT_NPROC to set when there is no cgroup

    def enter(self) -> None:
        if self.cgroup is not None:
            fd = os.open(self.cgroup / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
        elif self.nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.nproc, self.nproc))

    def close(self) -> None:
        """Kill whatever is left in the cgroup and remove it."""
        if self.cgroup is None:
            return
        _drain(self.cgroup)


def _drain(cgroup: Path, wait_s: float = 2.0) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            pids = [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            cgroup.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return  # left for the next sweep; the processes in it are being killed
            time.sleep(0.02)


def _sweep(parent: Path) -> None:
    """Remove run cgroups whose daemon is gone (a crash left them behind)."""
    with contextlib.suppress(OSError):
        for child in parent.iterdir():
            owner = child.name.split("-", 1)[0]
            if child.is_dir() and owner.isdigit() and not Path(f"/proc/{owner}").exists():
                _drain(child, wait_s=0.2)


def _user_tasks(uid: int) -> int:
    """How many tasks (threads) the real uid has now: RLIMIT_NPROC counts them all."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = dict(line.split(":", 1) for line in
                          Path(entry.path, "status").read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields["Threads"])
    return total


class ProcessLimiter:
    """Makes a RunLimit per jail run. `reason` is None when a real limit is in force."""

    def __init__(self, max_procs: int):
        self.max_procs = max_procs
        self.parent: Path | None = None
        self.kind = "none"
        self.reason: str | None = None
        try:
            self.parent, self.kind = _parent_dir()
            _sweep(self.parent)
        except OSError as exc:
            if os.getuid() != 0:
                self.kind = "rlimit"
            else:
                self.reason = (f"no process-count limit for jailed commands: no pids cgroup "
                               f"could be made ({exc.strerror}) and RLIMIT_NPROC does not "
                               "bind root")

    def new_run(self) -> RunLimit:
        if self.parent is not None:
            cgroup = self.parent / f"{os.getpid()}-{next(_counter)}"
            try:
                cgroup.mkdir()
                (cgroup / "pids.max").write_text(str(self.max_procs))
                return RunLimit(self.max_procs, cgroup=cgroup)
            except OSError:
                with contextlib.suppress(OSError):
                    cgroup.rmdir()
                if os.getuid() == 0:
                    raise
        if os.getuid() != 0:
            return RunLimit(self.max_procs, nproc=_user_tasks(os.getuid()) + self.max_procs)
        return RunLimit(self.max_procs)


_limiters: dict[int, ProcessLimiter] = {}


def limiter(max_procs: int) -> ProcessLimiter:
    """One limiter per limit value per process: finding the cgroup mount is done once."""
    if max_procs not in _limiters:
        _limiters[max_procs] = ProcessLimiter(max_procs)
    return _limiters[max_procs]
