"""JailedBench: the performance sensor's benchmark command, run in the VERIFY jail.

The live tree is read-only; the only writable place is a private out/ directory bound at
`JAIL_OUT`, where `{json}` in the command points. `{python}` is the repository's test
interpreter (governance.oracle.interpreter), whose directories are bound read-only as for tests. The
JSON is read back without following links, at most RESULTS_CAP bytes; the run directory is
removed whatever the benchmark left in it.
"""

from __future__ import annotations

import asyncio
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from governance.fs import nofollow_write
from governance.oracle.interpreter import PYTHON, TestEnv
from governance.oracle.testrun import Bind, Executor
from sensors.perf_regression import RESULTS_CAP, BenchRun

JAIL_OUT = "/tmp/.ouroboros-bench/out"
JSON = "{json}"
OUTPUT_TAIL = 300


def argv_for(command: Sequence[str], python: str) -> list[str]:
    return [python if part == PYTHON else part.replace(JSON, f"{JAIL_OUT}/benchmark.json")
            for part in command]


def read_capped(path: Path) -> str | None:
    """The file's text when it is a regular file (not a link) within RESULTS_CAP, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, RESULTS_CAP + 1)
    finally:
        os.close(fd)
    if len(data) > RESULTS_CAP:
        return None
    return data.decode("utf-8", "replace")


class JailedBench:
    def __init__(self, root: Path, command: Sequence[str], timeout_s: float,
                 executor: Executor, test_env: Callable[[], TestEnv], scratch: Path):
        self.root, self.command, self.timeout_s = root, list(command), timeout_s
        self.executor, self.test_env, self.scratch = executor, test_env, scratch

    async def __call__(self) -> BenchRun:
        env = await asyncio.to_thread(self.test_env)
        if env.problem:
            return BenchRun(None, env.problem)
        run_dir = await asyncio.to_thread(self._run_dir)
        try:
            out = run_dir / "out"
            binds = [Bind(out, JAIL_OUT, True), *(Bind(p, str(p)) for p in env.ro_paths)]
            result = await self.executor(self.root, argv_for(self.command, env.python),
                                         self.timeout_s, False, binds=binds)
            if result.timed_out:
                return BenchRun(None, f"the benchmark command timed out after "
                                      f"{result.duration_s:.0f}s")
            text = await asyncio.to_thread(read_capped, out / "benchmark.json")
            if text is None:
                tail = result.output.strip()[-OUTPUT_TAIL:]
                return BenchRun(None, f"the benchmark command (exit code {result.exit_code}) "
                                      f"wrote no readable JSON to {JSON}: {tail}")
            return BenchRun(text)
        finally:
            await asyncio.to_thread(nofollow_write.remove_tree, run_dir)

    def _run_dir(self) -> Path:
        self.scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = Path(tempfile.mkdtemp(prefix="bench-", dir=self.scratch))  # 0700
        (path / "out").mkdir()
        os.chmod(path / "out", 0o777)  # the jail may map to another uid; the parent guards it
        return path
