"""A process-count limit for one jail run that holds for root too.

RLIMIT_NPROC is not enforced for processes whose real kernel uid is 0 (the kernel exempts
the initial user), and inside bubblewrap's user namespace a root daemon's jail still runs as
kernel uid 0. So each run gets its own `pids` cgroup (v1 hierarchy, or v2 where the daemon's
cgroup delegates the controller): the child joins it before it execs bubblewrap, so every
process of the run is counted, and on close the leftovers are killed and the cgroup removed.
Where no pids cgroup can be made, a non-root daemon falls back to RLIMIT_NPROC; a root
daemon then has no limit at all, and `reason` says so for the operator to see.

Where a memory controller is at hand too (the v1 hierarchy, or v2 next to pids), the run
also gets a memory cgroup capping the sum of its processes' memory (tmpfs pages included):
RLIMIT_AS alone caps each process, not the process count times that. This one is
best-effort; `memory_reason` says when it is missing.
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


def _memory_parent(pids_parent: Path | None, pids_kind: str) -> tuple[Path, str] | None:
    """Where per-run memory cgroups go: the v2 pids parent when it can delegate memory too,
    else the v1 memory hierarchy. None: only RLIMIT_AS bounds memory."""
    if pids_kind == "v2" and pids_parent is not None:
        with contextlib.suppress(OSError):
            if "memory" in (pids_parent / "cgroup.controllers").read_text().split():
                (pids_parent / "cgroup.subtree_control").write_text("+memory")
                return pids_parent, "v2"
        return None
    for fstype, mount, options in _mounts():
        if fstype == "cgroup" and "memory" in options.split(","):
            parent = mount / _own_cgroup("memory").lstrip("/") / PARENT_NAME
            with contextlib.suppress(OSError):
                parent.mkdir(exist_ok=True)
                if os.access(parent, os.W_OK):
                    return parent, "v1"
    return None


@dataclass
class RunLimit:
    """The limit for one run: `enter()` runs in the child before exec, `close()` after."""

    max_procs: int
    cgroup: Path | None = None  # the pids cgroup (on v2 it carries the memory limit too)
    nproc: int | None = None  # RLIMIT_NPROC to set when there is no cgroup
    extra: tuple[Path, ...] = ()  # further cgroups to join: a v1 memory cgroup

    def enter(self) -> None:
        for cgroup in ([self.cgroup] if self.cgroup else []) + list(self.extra):
            fd = os.open(cgroup / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
        if self.cgroup is None and self.nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.nproc, self.nproc))

    def close(self) -> None:
        """Kill whatever is left in the cgroups and remove them."""
        for cgroup in ([self.cgroup] if self.cgroup else []) + list(self.extra):
            _drain(cgroup)


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

    def __init__(self, max_procs: int, memory_bytes: int | None = None):
        self.max_procs = max_procs
        self.memory_bytes = memory_bytes
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
        self.memory = _memory_parent(self.parent, self.kind) if memory_bytes else None
        if self.memory is not None and self.memory[1] == "v1":
            _sweep(self.memory[0])
        self.memory_reason = (None if self.memory or not memory_bytes else
                              "no memory cgroup: only RLIMIT_AS (per process) bounds memory")

    def new_run(self) -> RunLimit:
        if self.parent is not None:
            cgroup = self.parent / f"{os.getpid()}-{next(_counter)}"
            try:
                cgroup.mkdir()
                (cgroup / "pids.max").write_text(str(self.max_procs))
                return RunLimit(self.max_procs, cgroup=cgroup, extra=self._memory(cgroup))
            except OSError:
                with contextlib.suppress(OSError):
                    cgroup.rmdir()
                if os.getuid() == 0:
                    raise
        if os.getuid() != 0:
            return RunLimit(self.max_procs, nproc=_user_tasks(os.getuid()) + self.max_procs)
        return RunLimit(self.max_procs)


    def _memory(self, pids_cgroup: Path) -> tuple[Path, ...]:
        """Set the run's memory limit (best-effort): on v2 in the pids cgroup itself, on v1
        in a sibling cgroup of the memory hierarchy, which the child joins as well."""
        if self.memory is None or not self.memory_bytes:
            return ()
        parent, kind = self.memory
        cgroup = pids_cgroup if kind == "v2" else parent / pids_cgroup.name
        files = (("memory.max", "memory.swap.max") if kind == "v2"
                 else ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"))
        try:
            if kind == "v1":
                cgroup.mkdir()
            (cgroup / files[0]).write_text(str(self.memory_bytes))
        except OSError:
            if kind == "v1":
                _drain(cgroup, wait_s=0)
            return ()
        with contextlib.suppress(OSError):  # absent without swap accounting
            (cgroup / files[1]).write_text("0" if kind == "v2" else str(self.memory_bytes))
        return (cgroup,) if kind == "v1" else ()


_limiters: dict[tuple[int, int | None], ProcessLimiter] = {}


def limiter(max_procs: int, memory_bytes: int | None = None) -> ProcessLimiter:
    """One limiter per limit pair per process: finding the cgroup mounts is done once."""
    key = (max_procs, memory_bytes)
    if key not in _limiters:
        _limiters[key] = ProcessLimiter(max_procs, memory_bytes)
    return _limiters[key]
