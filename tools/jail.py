"""Running commands under bubblewrap: the boundary for everything the model causes to run.

The jail sees a read-only root filesystem, a private /tmp, no network, its own PID
namespace, and exactly one writable directory: the op's sandbox. The user's home, the live
repository and the daemon's state dir are hidden behind empty tmpfs mounts (so a test or
a model-chosen command cannot read `.env`, `~/.ssh` or the ledger and copy them into a
candidate). CPU time, address space, file size and process count are capped with rlimits;
wall-clock time and output are capped by the runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from governance.testrun import Bind

BWRAP = "bwrap"
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class JailLimits:
    timeout_s: float = 30.0
    cpu_s: int = 120
    memory_bytes: int = 4 << 30
    file_bytes: int = 64 << 20
    output_bytes: int = 64 << 10


@dataclass
class JailResult:
    exit_code: int | None
    output: str
    truncated: bool
    timed_out: bool
    duration_s: float


def bwrap_available() -> str | None:
    """None when bubblewrap works here, else the reason it does not."""
    path = shutil.which(BWRAP)
    if path is None:
        return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    import subprocess

    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent",
                                "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap does not run here: {exc}"
    if probe.returncode != 0:
        return f"bubblewrap does not run here: {probe.stderr.decode(errors='replace').strip()}"
    return None


class Jail:
    def __init__(self, sandbox: Path, hidden: Sequence[Path], limits: JailLimits,
                 extra_ro: Sequence[Path] = (), writable: bool = True,
                 binds: Sequence[Bind] = (), env: Mapping[str, str] | None = None):
        self.sandbox = sandbox.resolve()
        self.binds = list(binds)
        self.env = dict(env or {})
        self.writable = writable
        self.hidden = [p.resolve() for p in hidden if p.exists()]
        self.extra_ro = [p.resolve() for p in extra_ro if p.exists()]
        self.limits = limits

    def argv(self, command: Sequence[str], cwd: Path | None = None) -> list[str]:
        args = [BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--tmpfs", "/tmp", "--unshare-all", "--die-with-parent", "--new-session"]
        # Hide first, then re-expose: later mounts sit on top of earlier ones, so the
        # sandbox (which lives inside a hidden directory) is bound back in afterwards.
        for path in sorted(self.hidden, key=lambda p: len(p.parts)):
            args += ["--tmpfs", str(path)]
        for path in self.extra_ro:
            args += ["--ro-bind", str(path), str(path)]
        args += ["--bind" if self.writable else "--ro-bind", str(self.sandbox), str(self.sandbox)]
        for path in self.hidden:  # hidden places inside the work area stay hidden
            if self.sandbox in path.parents:
                args += ["--tmpfs", str(path)]
        git_dir = self.sandbox / ".git"
        if git_dir.exists():
            args += ["--ro-bind", str(git_dir), str(git_dir)]
        for bind in self.binds:
            args += ["--bind" if bind.writable else "--ro-bind", str(bind.source), bind.dest]
        # --clearenv acts where it stands: the fixed variables and the caller's come after it.
        args += ["--chdir", str(cwd or self.sandbox), "--clearenv",
                 "--setenv", "PATH", SAFE_PATH, "--setenv", "HOME", "/tmp",
                 "--setenv", "LANG", "C.UTF-8", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                 "--setenv", "PYTHONUNBUFFERED", "1"]
        for key, value in self.env.items():
            args += ["--setenv", key, value]
        return [*args, "--", *command]

    def _rlimits(self) -> None:  # runs in the child before exec
        lim = self.limits
        resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_s, lim.cpu_s))
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_bytes, lim.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_bytes, lim.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    async def run(self, command: Sequence[str], cwd: Path | None = None) -> JailResult:
        start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *self.argv(command, cwd), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True, preexec_fn=self._rlimits)
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
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(Exception):
                    await asyncio.shield(proc.wait())
        return JailResult(None if timed_out else proc.returncode,
                          b"".join(chunks).decode("utf-8", "replace"), truncated, timed_out,
                          time.monotonic() - start)


class JailExecutor:
    """Runs the daemon's own test commands (VALIDATE, VERIFY) in a jail: the tree under test
    is the only visible work area, writable for a sandbox copy, read-only for the live tree."""

    def __init__(self, hidden: Sequence[Path], limits: JailLimits, extra_ro: Sequence[Path]):
        self.hidden, self.limits, self.extra_ro = list(hidden), limits, list(extra_ro)

    async def __call__(self, root: Path, argv: Sequence[str], timeout_s: float,
                       writable: bool, *, binds: Sequence[Bind] = (),
                       env: Mapping[str, str] | None = None) -> JailResult:
        limits = replace(self.limits, timeout_s=timeout_s,
                         cpu_s=max(self.limits.cpu_s, int(timeout_s)))
        jail = Jail(root, [*self.hidden], limits, self.extra_ro, writable=writable,
                    binds=binds, env=env)
        return await jail.run(argv)
