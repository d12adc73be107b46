"""Running commands under bubblewrap: the boundary for everything the model causes to run.

It must hold when the daemon is root. Inside the jail a command runs as uid/gid 65534 in
its own user, PID, mount, IPC, UTS, cgroup and network namespaces, with every capability
dropped, no_new_privs set, no further user namespaces (--disable-userns), and the seccomp
filter of `tools.seccomp` (mount family, namespaces, ptrace, keyrings, bpf, ...: EPERM).
Its filesystem (`tools.jail_mounts`) is a read-only root holding only the system
directories, the interpreter and the work tree (a sandbox copy shown at the live
repository's path when the executor knows it, so absolute paths into the repository, such
as an editable install's, reach the copy), the project's venv and its Python read-only at
their own paths (`governance.oracle.interpreter`); /proc is read-only (a root daemon's jail
still has kernel uid 0, for which /proc/sys would otherwise be writable); /tmp and /dev/shm
are small private tmpfs; protected files in the work tree are masked. bubblewrap itself
starts with only PATH and LANG in its environment (its own environment is what
/proc/1/environ shows inside), and only the fds bubblewrap reads its arguments, seccomp
program and masked data from: no host fd leaks in. Rlimits cap CPU time, address space and
file size; `tools.proclimit` caps the process count (a pids cgroup per run) and, where a
memory controller is at hand, the run's total memory; the runner caps wall-clock time and
output. A jail that cannot be set up is a failed run (exit code 125, with the reason):
the command never runs outside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import resource
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from governance.oracle.testrun import Bind
from tools import jail_mounts as mounts
from tools import proctree
from tools.errors import JailError
from tools.proclimit import RunLimit, limiter
from tools.seccomp import SeccompUnsupported, filter_bytes
from tools.spawn import Spawned, spawn

BWRAP = "bwrap"
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
BWRAP_ENV = {"PATH": SAFE_PATH, "LANG": "C.UTF-8"}  # all bubblewrap itself may see
JAIL_UID = 65534
NOT_STARTED = 125  # the exit code of a run whose jail could not be set up
MAX_MASKS = 512  # bubblewrap needs ~0.6 s for 512 masks, and time grows faster than linearly
SECURITY_ARGS = ("--unshare-all", "--unshare-user", "--uid", str(JAIL_UID), "--gid",
                 str(JAIL_UID), "--disable-userns", "--cap-drop", "ALL", "--die-with-parent",
                 "--new-session", "--hostname", "jail")


@dataclass(frozen=True)
class JailLimits:
    """One jailed run's limits. The knobs come from the settings (daemon.phase_deps.
    jail_limits builds them), so their defaults live in the config alone."""

    timeout_s: float
    cpu_s: int
    memory_bytes: int
    file_bytes: int
    max_procs: int  # processes and threads of one run (pids cgroup / RLIMIT_NPROC)
    output_bytes: int = 64 << 10  # not a setting: what a run may print before it is cut
    tmp_bytes: int = 512 << 20  # not a setting: each of /tmp and /dev/shm


# `true` under the real jail, to learn whether bubblewrap runs here at all.
PROBE_LIMITS = JailLimits(timeout_s=10.0, cpu_s=10, memory_bytes=1 << 30, file_bytes=1 << 20,
                          max_procs=16)


@dataclass
class JailResult:
    exit_code: int | None
    output: str
    truncated: bool
    timed_out: bool
    duration_s: float


def _bwrap_path() -> str:
    path = shutil.which(BWRAP)
    if path is None:
        raise JailError("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    return path


@functools.cache
def _supported(path: str) -> frozenset[str]:
    """The options this bubblewrap knows (--disable-userns is 0.8+, --size 0.6+)."""
    try:
        out = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10,
                             env=BWRAP_ENV)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JailError(f"bubblewrap does not run here: {exc}") from exc
    return frozenset(re.findall(r"^\s+(--[a-z0-9-]+)", out.stdout + out.stderr, re.MULTILINE))


def _fit(args: list[mounts.Arg], supported: frozenset[str]) -> list[mounts.Arg]:
    """Drop the hardening options an older bubblewrap lacks; the seccomp filter and the
    remounts still hold without them (nested user namespaces: EPERM; tmpfs: unsized)."""
    out: list[mounts.Arg] = []
    skip = 0
    for arg in args:
        if skip:
            skip -= 1
        elif arg in ("--disable-userns", "--size") and arg not in supported:
            skip = 1 if arg == "--size" else 0
        else:
            out.append(arg)
    return out


class Jail:
    def __init__(self, sandbox: Path, hidden: Sequence[Path], limits: JailLimits,
                 extra_ro: Sequence[Path] = (), writable: bool = True,
                 binds: Sequence[Bind] = (), env: Mapping[str, str] | None = None,
                 protected_globs: Sequence[str] = (), alias: Path | None = None):
        self.sandbox = sandbox.resolve()
        # The sandbox shown at this path instead of its own (the live repository's): absolute
        # paths into the repository (an editable install's .pth) reach the copy under test.
        self.alias = alias.resolve() if alias is not None else None
        self.binds = list(binds)
        self.env = dict(env or {})
        self.writable = writable
        self.hidden = [p.resolve() for p in hidden if p.exists()]
        self.extra_ro = [p.resolve() for p in extra_ro if p.exists()]
        self.limits = limits
        self.protected_globs = tuple(protected_globs)

    def arguments(self, empty: Path, cwd: Path | None = None) -> list[mounts.Arg]:
        """bubblewrap's options (everything before `--`), in mount order: later mounts sit
        on top of earlier ones. `empty` is an empty host file that masks protected files."""
        lim = self.limits
        args: list[mounts.Arg] = [*SECURITY_ARGS, *mounts.system_args(empty),
                                  "--dev", "/dev", "--size", str(lim.tmp_bytes),
                                  "--tmpfs", "/dev/shm", "--proc", "/proc",
                                  "--size", str(lim.tmp_bytes), "--tmpfs", "/tmp"]
        mode = "--bind" if self.writable else "--ro-bind"
        at = self._shown_at()
        args += [mode, str(self.sandbox), str(at)]
        masks = mounts.protected_masks(self.sandbox, self.hidden, self.protected_globs)
        if len(masks) > MAX_MASKS:
            raise JailError(f"{len(masks)} protected files or directories would need hiding in "
                            f"{self.sandbox} (at most {MAX_MASKS}): gather them in fewer "
                            "directories")
        for path in masks:
            args += mounts.mask(path, empty, at / path.relative_to(self.sandbox))
        args += mounts.git_args(self.sandbox, at)
        # The interpreter stays usable even where it lives under a hidden home or repo.
        for path in mounts.interpreter_dirs(self.extra_ro):
            args += ["--ro-bind", str(path), str(path)]
        for bind in self.binds:  # after the masks: a shown venv is not hidden by its mask
            if bind.dest == str(bind.source) and not bind.writable:
                self._check_shown(bind.source)
            elif not bind.dest.startswith("/tmp/"):
                raise JailError(f"extra bind {bind.dest!r} must be under /tmp/")
            args += ["--bind" if bind.writable else "--ro-bind", str(bind.source), bind.dest]
        args += ["--remount-ro", "/", "--remount-ro", "/proc", "--remount-ro", "/dev"]
        # --clearenv acts where it stands: the fixed variables and the caller's come after it.
        inside = at / cwd.relative_to(self.sandbox) if cwd is not None else at
        args += ["--chdir", str(inside), "--clearenv",
                 "--setenv", "PATH", SAFE_PATH, "--setenv", "HOME", "/tmp",
                 "--setenv", "LANG", "C.UTF-8", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                 "--setenv", "PYTHONUNBUFFERED", "1",
                 # The daemon's own pytest results plugin (an entry point of its install) has
                 # nothing to do in here (no state dir is shown), and under an editable
                 # install its source is hidden: pytest would fail to load it. Never load it.
                 "--setenv", "PYTEST_ADDOPTS", "-p no:ouroboros_results"]
        for key, value in self.env.items():
            args += ["--setenv", key, value]
        return [*args, "--seccomp", mounts.Data(filter_bytes())]

    def _check_shown(self, path: Path) -> None:
        """A host directory shown read-only at its own path (a project's venv, the Python
        it was made from) must be a resolved directory below the top level that reveals
        neither the work tree nor anything the jail hides."""
        if not path.is_absolute() or path != path.resolve() or not path.is_dir():
            raise JailError(f"read-only bind {path} is not a resolved directory")
        if len(path.parts) < 3:
            raise JailError(f"read-only bind {path} is the root or a top-level directory")
        for other in (self.sandbox, *self.hidden):
            if path == other or path in other.parents:
                raise JailError(f"read-only bind {path} would reveal {other}")

    def _shown_at(self) -> Path:
        """Where the work tree shows in the jail: its own path, or the alias. The alias
        shows only the sandbox (it reveals nothing) but must not cover what the jail
        needs: the root, a system directory, /tmp, /proc, /dev."""
        path = self.alias
        if path is None or path == self.sandbox:
            return self.sandbox
        needed = [Path(d) for d in (*mounts.SYSTEM_DIRS, "/tmp", "/proc", "/dev")]
        if not path.is_absolute() or len(path.parts) < 2 or any(
                path == d or path in d.parents for d in needed):
            raise JailError(f"the sandbox cannot be shown at {path}")
        return path

    def _mount_points(self) -> None:
        """A copy shown at the live repository's path lacks what the live tree has and
        binds show inside it (the project's .venv, untracked): bubblewrap makes a missing
        mount point only in a writable tree, so a read-only copy (eval's scratch clone,
        the tree VERIFY and the signal's run read) gets it here, an empty directory of the
        copy's own. Never through a link or over a file: that is refused."""
        at = self._shown_at()
        if at == self.sandbox:
            return  # the tree at its own path: what binds show inside it is there
        for bind in self.binds:
            dest = Path(bind.dest)
            if at not in dest.parents:
                continue
            point = self.sandbox
            for part in dest.relative_to(at).parts:
                point = point / part
                if point.is_symlink() or (point.exists() and not point.is_dir()):
                    raise JailError(f"{dest} cannot be shown in the copy: {point} is not a "
                                    "directory")
                if not point.exists():
                    point.mkdir()

    @contextlib.contextmanager
    def prepared(self, command: Sequence[str], cwd: Path | None = None
                 ) -> Iterator[tuple[list[str], list[int]]]:
        """(argv, fds to pass): the options travel NUL-separated through one fd (no argv
        length limit however many files are masked), each Data item through its own."""
        fds: list[int] = []
        scratch = None
        try:
            self._mount_points()
            empty = _shared_empty_file()
            if empty is None:  # the shared place is not safely ours: a private one per run
                scratch = tempfile.TemporaryDirectory(prefix="ob-jail-")
                empty = Path(scratch.name) / "empty"
                empty.touch(mode=0o444)
            bwrap = _bwrap_path()
            options: list[str] = []
            for arg in _fit(self.arguments(empty, cwd), _supported(bwrap)):
                if isinstance(arg, mounts.Data):
                    fds.append(_memfd(arg.content))
                    options.append(str(fds[-1]))
                else:
                    options.append(arg)
            fds.append(_memfd(b"".join(o.encode() + b"\0" for o in options)))
            yield [bwrap, "--args", str(fds[-1]), "--", *command], fds
        finally:
            for fd in fds:
                os.close(fd)
            if scratch is not None:
                scratch.cleanup()

    def _rlimits(self) -> None:  # runs in the child before exec
        lim = self.limits
        resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_s, lim.cpu_s))
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_bytes, lim.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_bytes, lim.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    async def run(self, command: Sequence[str], cwd: Path | None = None) -> JailResult:
        """Run `command`; a jail that cannot be set up is a failed run (exit code 125) that
        says why, never a run without the jail."""
        start = time.monotonic()
        try:
            run_limit = limiter(self.limits.max_procs, self.limits.memory_bytes).new_run()
        except OSError as exc:
            return _not_started(f"no process limit could be set: {exc}", start)
        try:
            with self.prepared(command, cwd) as (argv, fds):  # bwrap reads them after spawn
                proc = await self._spawn(argv, fds, run_limit)
                return await self._collect(proc, start)
        except (JailError, mounts.MountPlanError, SeccompUnsupported, OSError,
                subprocess.SubprocessError) as exc:
            return _not_started(str(exc), start)  # e.g. the child could not join its cgroup
        finally:
            await asyncio.to_thread(run_limit.close)

    async def _spawn(self, argv: list[str], fds: list[int], run_limit: RunLimit) -> Spawned:
        def preexec() -> None:
            self._rlimits()
            run_limit.enter()

        # off the loop: a fork with a preexec copies the whole daemon (tools.spawn)
        return await spawn(argv, env=BWRAP_ENV, pass_fds=fds, preexec=preexec)

    async def _collect(self, proc: Spawned, start: float) -> JailResult:
        chunks: list[bytes] = []
        size, truncated, timed_out = 0, False, False
        try:
            async with asyncio.timeout(self.limits.timeout_s):
                assert proc.stdout is not None
                while chunk := await proc.stdout.read(65536):
                    if size < self.limits.output_bytes:
                        chunks.append(chunk[: self.limits.output_bytes - size])
                    size += len(chunk)
                    if size > self.limits.output_bytes:
                        truncated = True  # keep draining so the child never blocks on a pipe
                await proc.wait()
        except TimeoutError:
            timed_out = True
        finally:
            if proc.returncode is None:  # the deadline, or the caller cancelled the run
                await proctree.end(proc)
            proc.close()
        return JailResult(None if timed_out else proc.returncode,
                          b"".join(chunks).decode("utf-8", "replace"), truncated, timed_out,
                          time.monotonic() - start)


def _shared_empty_file() -> Path | None:
    """The empty read-only file the masks bind, kept in a directory private to this user
    and reused by every run (a daemon killed mid-run leaves nothing behind). None when that
    directory or file is not what it must be (another user made it first, say)."""
    base = Path(tempfile.gettempdir()) / f"ob-jail-{os.getuid()}"
    empty = base / "empty"
    with contextlib.suppress(FileExistsError):
        base.mkdir(mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(empty, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o444))
    try:
        d, f = os.lstat(base), os.lstat(empty)
    except OSError:
        return None
    private_dir = stat.S_ISDIR(d.st_mode) and not d.st_mode & 0o077
    sound_file = stat.S_ISREG(f.st_mode) and f.st_size == 0 and not f.st_mode & 0o222
    owned = d.st_uid == f.st_uid == os.getuid()
    return empty if private_dir and sound_file and owned else None


def _not_started(reason: str, start: float) -> JailResult:
    return JailResult(NOT_STARTED, f"jail not started: {reason}\n", False, False,
                      time.monotonic() - start)


def _memfd(content: bytes) -> int:
    fd = os.memfd_create("ouroboros-jail", 0)
    try:
        os.write(fd, content)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd


def bwrap_available() -> str | None:
    """None when the full jail (namespaces, dropped capabilities, seccomp) works here, else
    the reason it does not."""
    try:
        _bwrap_path()
        filter_bytes()
    except (JailError, SeccompUnsupported) as exc:
        return str(exc)
    with tempfile.TemporaryDirectory(prefix="ob-jail-probe-") as tmp:
        jail = Jail(Path(tmp), [], PROBE_LIMITS)
        try:
            with jail.prepared(["true"]) as (argv, fds):
                probe = subprocess.run(argv, capture_output=True, timeout=10, env=BWRAP_ENV,
                                       pass_fds=fds)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap does not run here: {exc}"
    if probe.returncode != 0:
        return f"bubblewrap does not run here: {probe.stderr.decode(errors='replace').strip()}"
    return None


def process_limit_reason(max_procs: int) -> str | None:
    """None when jailed commands get a process-count limit, else why they do not."""
    return limiter(max_procs).reason


class JailExecutor:
    """Runs the daemon's own test commands (VALIDATE, VERIFY) in a jail: the tree under test
    is the only visible work area, writable for a sandbox copy, read-only for the live tree."""

    def __init__(self, hidden: Sequence[Path], limits: JailLimits, extra_ro: Sequence[Path],
                 protected_globs: Sequence[str] = (), live_root: Path | None = None):
        self.hidden, self.limits, self.extra_ro = list(hidden), limits, list(extra_ro)
        self.protected_globs = tuple(protected_globs)
        self.live_root = live_root  # a sandbox copy is also shown at this path

    async def __call__(self, root: Path, argv: Sequence[str], timeout_s: float,
                       writable: bool, *, binds: Sequence[Bind] = (),
                       env: Mapping[str, str] | None = None) -> JailResult:
        limits = replace(self.limits, timeout_s=timeout_s,
                         cpu_s=max(self.limits.cpu_s, int(timeout_s)))
        jail = Jail(root, [*self.hidden], limits, self.extra_ro, writable=writable,
                    binds=binds, env=env, protected_globs=self.protected_globs,
                    alias=self.live_root)
        return await jail.run(argv)
