"""Running a repository's tests: which tests are relevant, and a killable pytest subprocess
whose result is read from the oracle plugin's structured report, never from its exit code.

The test process cannot be steered by repository files: the interpreter runs with `-P` (the
tree is not on sys.path while pytest and our plugin load), our plugin is loaded explicitly
with `-p` from a private directory, entry-point plugin autoload is off unless configured,
the cache provider is off, ini-file `addopts` are neutralised with `-o addopts=`, and
PYTEST_ADDOPTS / PYTEST_PLUGINS never reach it. The plugin and the report directory live in
a private host directory (under the daemon's state dir) bound into the jail under /tmp, so
the report is never written into the tree under test (VERIFY runs on the live tree).

The interpreter is the repository's own where `governance.oracle.interpreter` finds one
(its venv and that venv's Python shown read-only in the jail), checked again before every
run. A test process that never got as far as the oracle plugin (the jail could not exec the
interpreter, pytest is not installed, ...) fails with what it printed, bubblewrap's own
errors first.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import posixpath
import re
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from governance.oracle.failure_frames import FRAMES_CAP, FRAMES_FILE, FailureFrame, parse_frames
from governance.oracle.interpreter import PYTHON, TestEnv
from governance.oracle.oracle import FailureKind, Report, judge
from governance.oracle.run_dir import (
    CAPTURE_MODULE,
    FRAMES_HELPER,
    HELPERS,
    JAIL_DIR,
    MUTATION_MODULE,
    PLUGIN_MODULE,
    SCRIPT_MODULE,
    SCRIPT_RESULT_CAP,
    CoverageRequest,
    ExtraPlugin,
    RunDir,
    private_copy,
    private_json,
)

_FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)
_SUMMARY_LINE = re.compile(r"^=*\s*(.*\b(?:passed|failed|error|errors|no tests ran)\b.*?)\s*=*$",
                           re.MULTILINE)
OUTPUT_CAP = 64 * 1024
_PLUGIN_NAME = re.compile(r"[A-Za-z_][\w.]*")
# Names no repository has a use for: a candidate that spells one out is reaching for the
# oracle itself (VALIDATE refuses it; an obfuscated spelling is beyond a text check).
ORACLE_MARKERS = (PLUGIN_MODULE, CAPTURE_MODULE, MUTATION_MODULE, SCRIPT_MODULE, *HELPERS,
                  "ouroboros-oracle", "OUROBOROS_ORACLE", "_ouroboros_mutant",
                  "_ouroboros_boundary")  # the tripwires' (governance.proof.boundary_wires)
# Variables that would steer pytest or the interpreter from outside our argv.
# A jailed script's own: the replay runner re-executes itself under this seed when it is
# not set (governance.oracle.replay_runner), one interpreter start more, on both trees.
SCRIPT_ENV = {"PYTHONHASHSEED": "0"}
STRIPPED_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
                "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONSAFEPATH", "OUROBOROS_ORACLE_OUT")


def is_test_file(rel: str) -> bool:
    name = posixpath.basename(rel)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def text_reader(root: Path) -> Callable[[str], str]:
    """A reader for scope_tests: a file's text under `root`, or '' when it is not readable."""
    def read(rel: str) -> str:
        try:
            return (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
    return read


def scope_tests(changed: Sequence[str], repo_files: Sequence[str],
                read_text: Callable[[str], str]) -> list[str]:
    """Test files that exercise `changed`: the changed tests themselves, tests named after a
    changed module, and tests that import it. Empty means 'no scoped tests found'."""
    tests = [f for f in repo_files if is_test_file(f)]
    scoped = {f for f in changed if is_test_file(f) and f in tests}
    for rel in changed:
        if not rel.endswith(".py") or is_test_file(rel):
            continue
        stem = posixpath.basename(rel)[:-3]
        if stem == "__init__":
            stem = posixpath.basename(posixpath.dirname(rel)) or stem
        names = {f"test_{stem}.py", f"{stem}_test.py"}
        importer = re.compile(rf"^\s*(?:from|import)\s+[\w.]*\b{re.escape(stem)}\b", re.MULTILINE)
        importer_from = re.compile(rf"^\s*from\s+[\w.]+\s+import\s+.*\b{re.escape(stem)}\b",
                                   re.MULTILINE)
        for test in tests:
            if posixpath.basename(test) in names:
                scoped.add(test)
                continue
            text = read_text(test)
            if text and (importer.search(text) or importer_from.search(text)):
                scoped.add(test)
    return sorted(scoped)


@dataclass
class TestOutcome:
    __test__ = False  # a result type, not a pytest test class

    passed: bool
    exit_code: int | None
    failed: list[str] = field(default_factory=list)
    summary: str = ""
    duration_s: float = 0.0
    output_tail: str = ""
    timed_out: bool = False
    tests: list[str] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    extra: dict | None = None  # what an extra plugin of ours wrote (calls.json, ...)
    # Where each failing test was raised and went through the library (its first
    # MAX_FRAMES): the oracle plugin's frames.json, read with the run's nonce.
    frames: dict[str, FailureFrame] = field(default_factory=dict)

    def describe(self) -> str:
        if self.timed_out:
            return f"tests timed out after {self.duration_s:.0f}s"
        if self.passed:
            return self.summary or "tests passed"
        names = ", ".join(self.failed[:10]) or f"pytest exit code {self.exit_code}"
        return f"failing: {names}" + (f" ({self.summary})" if self.summary else "")


@dataclass(frozen=True)
class Bind:
    """An extra host path made visible to a jailed test run (e.g. the oracle's report dir)."""

    source: Path  # on the host
    dest: str  # absolute path inside the jail (under /tmp, which is the jail's own tmpfs)
    writable: bool = False


class ExecResult(Protocol):
    exit_code: int | None
    output: str
    timed_out: bool
    duration_s: float


class Executor(Protocol):
    """Runs argv with `root` as the only work area (the OS sandbox seam)."""

    async def __call__(self, root: Path, argv: Sequence[str], timeout_s: float,
                       writable: bool, *, binds: Sequence[Bind] = (),
                       env: Mapping[str, str] | None = None) -> ExecResult: ...


class TestRunner:
    """Runs the scoped tests in `root` through the sandbox executor when one is given, else
    (explicit opt-in only) as a local process group that timeouts and cancellation kill
    whole. `plugin_autoload` re-enables entry-point plugins; `plugins` are loaded by name."""

    __test__ = False

    def __init__(self, command: Sequence[str], timeout_s: float,
                 executor: Executor | None = None, writable: bool = True, *,
                 plugin_autoload: bool = False, plugins: Sequence[str] = (),
                 test_env: Callable[[], TestEnv] | None = None):
        self.template = list(command)
        self.command = [sys.executable if c == PYTHON else c for c in command]
        self.test_env = test_env  # None: the daemon's interpreter, nothing more bound
        self.timeout_s = timeout_s
        self.executor = executor
        self.writable = writable
        self.plugin_autoload = plugin_autoload
        bad = [p for p in plugins if not _PLUGIN_NAME.fullmatch(p)]
        if bad:
            raise ValueError(f"pytest plugin names must be module names, not {bad}")
        self.plugins = tuple(plugins)
        self.stop_early = False  # `-x`: the session ends at its first failing test
        self.ignored: tuple[str, ...] = ()  # paths collection never enters (`--ignore`)
        self.before: Callable[[], Awaitable[None]] | None = None  # awaited before each run

    def gated(self, before: Callable[[], Awaitable[None]] | None) -> TestRunner:
        """The same runner awaiting `before` ahead of each run or script (one op's wait for
        its host: governance.phases.deps.PhaseDeps.yield_to_host)."""
        other = copy.copy(self)
        other.before = before
        return other

    def with_timeout(self, timeout_s: float) -> TestRunner:
        """The same runner with another time limit (L2's per-iteration test runs)."""
        other = copy.copy(self)
        other.timeout_s = timeout_s
        return other

    def stopping_early(self) -> TestRunner:
        """The same runner, its sessions ending at the first failing test (the tests after
        it read as never run)."""
        other = copy.copy(self)
        other.stop_early = True
        return other

    def ignoring(self, paths: Sequence[str]) -> TestRunner:
        """The same runner, its sessions never collecting beneath `paths` (relative to the
        tree): VERIFY's live tree keeps the links a sandbox leaves out (a link climbing out
        of the tree makes pytest collect the suite again through it, dozens deep)."""
        other = copy.copy(self)
        other.ignored = tuple(paths)
        return other

    def _command(self, env: TestEnv | None) -> list[str]:
        cmd = list(self.command)
        if env is not None:
            cmd = [env.python if c == PYTHON else c for c in self.template]
            if env.source == "test_command":  # test_command[0] named it: its checked form
                cmd[0] = env.python
        return cmd

    def argv(self, tests: Sequence[str], env: TestEnv | None = None,
             extra_plugin: str | None = None) -> list[str]:
        """The command line: safe path, our plugin, no cache, no ini addopts, explicit paths;
        `{python}` is `env`'s interpreter when given."""
        cmd = self._command(env)
        if len(cmd) >= 3 and cmd[1:3] == ["-m", "pytest"]:
            cmd.insert(1, "-P")
        extra = [a for name in self.plugins for a in ("-p", name)]
        if extra_plugin:
            extra += ["-p", extra_plugin]
        # './' keeps a file named like an option ('-o_test.py') a path.
        paths = [t if t.startswith("/") else f"./{t}" for t in tests]
        # rootdir and confcutdir pinned to the tree: nodeids match between the base and the
        # candidate's copy, and no conftest above the tree is picked up.
        stop = ["-x"] if self.stop_early else []
        stop += [f"--ignore=./{p}" for p in self.ignored]
        return [*cmd, "-p", PLUGIN_MODULE, *extra, "-p", "no:cacheprovider", "-o", "addopts=",
                "--rootdir=.", "--confcutdir=.", "-q", "-rfE", *stop, *paths]

    def env(self, plugin_dir: str, out_dir: str) -> dict[str, str]:
        env = {"PYTHONPATH": plugin_dir, "OUROBOROS_ORACLE_OUT": out_dir}
        if not self.plugin_autoload:
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        return env

    async def run(self, root: Path, tests: Sequence[str], *, scratch: Path | None = None,
                  coverage: CoverageRequest | None = None,
                  extra: ExtraPlugin | None = None) -> TestOutcome:
        """Run `tests` (all of them when empty) in `root`; `scratch` holds the private run
        dir (a fresh temp dir when None); `coverage` asks the plugin to record what ran;
        `extra` loads another plugin of ours (the capture or the mutation plugin); its runs,
        which compare one tree's calls or outcomes with another's, fix the hash seed as
        scripts do (SCRIPT_ENV): sqids builds a tuple from a set of words, and two trees'
        test runs under two seeds left it in two orders, a correct refactor's "difference"
        one run in two."""
        if self.before is not None:
            await self.before()
        test_env = None
        if self.test_env is not None:
            test_env = await asyncio.to_thread(self.test_env)
            if test_env.problem:  # nothing runs: the refusal is the outcome
                refused = Report(problem=test_env.problem, problem_kind=FailureKind.ENV_REFUSED)
                return _outcome(None, "", 0.0, tests, refused, False)
        argv = self.argv(tests, test_env, extra.module if extra else None)
        run_dir = await asyncio.to_thread(RunDir.create, scratch, coverage, extra,
                                          (FRAMES_HELPER,))
        found = None
        try:
            code, text, timed_out, duration = await self._execute(
                root, argv, run_dir, test_env, self.timeout_s,
                SCRIPT_ENV if extra is not None else None)
            report = await asyncio.to_thread(run_dir.report)
            frames = parse_frames(await asyncio.to_thread(run_dir.result, FRAMES_FILE,
                                                          FRAMES_CAP), run_dir.nonce)
            if extra is not None:
                found = await asyncio.to_thread(run_dir.result, extra.result_name,
                                                extra.result_cap)
        finally:
            await asyncio.to_thread(run_dir.remove)
        if timed_out:
            report = Report(problem=f"tests timed out after {duration:.0f}s",
                            problem_kind=FailureKind.TIMED_OUT)
        elif report.problem and not report.tests and (cause := start_failure(text)):
            report = Report(problem=f"{report.problem}; exit code {code}: {cause}",
                            problem_kind=report.problem_kind)
        outcome = _outcome(code, text, duration, tests, report, timed_out)
        outcome.extra, outcome.frames = found, frames
        return outcome

    async def _execute(self, root: Path, argv: Sequence[str], run_dir: RunDir,
                       test_env: TestEnv | None, timeout_s: float,
                       more_env: Mapping[str, str] | None = None,
                       ) -> tuple[int | None, str, bool, float]:
        """argv in `root`, jailed when there is an executor, with the run dir bound;
        `more_env` is set besides the runner's own variables."""
        if self.executor is None:
            env = {**self.env(str(run_dir.path / "plugin"), str(run_dir.path / "out")),
                   **(more_env or {})}
            return await self._local(root, argv, env, timeout_s)
        binds = [Bind(run_dir.path / "plugin", f"{JAIL_DIR}/plugin", False),
                 Bind(run_dir.path / "out", f"{JAIL_DIR}/out", True),
                 *(Bind(p, str(p)) for p in (test_env.ro_paths if test_env else ()))]
        env = {**self.env(f"{JAIL_DIR}/plugin", f"{JAIL_DIR}/out"), **(more_env or {})}
        result = await self.executor(root, argv, timeout_s, self.writable, binds=binds,
                                     env=env)
        return result.exit_code, result.output, result.timed_out, result.duration_s

    async def run_script(self, root: Path, source: Path, job: dict, *,
                         scratch: Path | None = None,
                         helpers: tuple[str, ...] = ()) -> dict | str:
        """Run the stdlib-only script `source` with the test environment's Python in `root`,
        jailed like the tests: `python -P SCRIPT JOB OUT`; its result object, or why none.
        The hash seed is fixed (PYTHONHASHSEED=0): two trees' runs iterate a set of strings
        alike, so an answer that depends on that order compares the same way each time."""
        if self.before is not None:
            await self.before()
        test_env = await asyncio.to_thread(self.test_env) if self.test_env else None
        if test_env is not None and test_env.problem:
            return test_env.problem
        run_dir = await asyncio.to_thread(RunDir.create, scratch, None, None, helpers)
        try:
            script = f"{SCRIPT_MODULE}.py"  # its own name is no clue for the code it runs
            await asyncio.to_thread(private_copy, source, run_dir.path / "plugin" / script)
            await asyncio.to_thread(private_json, run_dir.path / "plugin" / "job.json", job)
            where = f"{JAIL_DIR}" if self.executor is not None else str(run_dir.path)
            argv = [self._command(test_env)[0], "-P", f"{where}/plugin/{script}",
                    f"{where}/plugin/job.json", f"{where}/out/result.json"]
            code, text, timed_out, _ = await self._execute(root, argv, run_dir, test_env,
                                                           self.timeout_s, SCRIPT_ENV)
            result = await asyncio.to_thread(run_dir.result, "result.json", SCRIPT_RESULT_CAP)
        finally:
            await asyncio.to_thread(run_dir.remove)
        if result is None:
            return "timed out" if timed_out else \
                f"no result (exit code {code}): {start_failure(text)}"[:600]
        return result

    async def _local(self, root: Path, argv: Sequence[str], extra: Mapping[str, str],
                     timeout_s: float) -> tuple[int | None, str, bool, float]:
        env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
        env.update(extra, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        host_path = os.environ.get("PYTHONPATH")
        if host_path:
            env["PYTHONPATH"] = f"{extra['PYTHONPATH']}{os.pathsep}{host_path}"
        start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=root, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)
        try:
            async with asyncio.timeout(timeout_s):
                out, _ = await proc.communicate()
        except TimeoutError:
            _kill_group(proc)
            await proc.wait()
            return None, "", True, time.monotonic() - start
        except BaseException:
            _kill_group(proc)
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            raise
        text = out[-OUTPUT_CAP:].decode("utf-8", "replace")
        return proc.returncode, text, False, time.monotonic() - start


def start_failure(output: str) -> str:
    """Why a test process never reached the oracle plugin, from what it printed: the jail's
    own errors (bubblewrap's, or why the jail was not set up) first, else its last lines.
    Only words for people: the verdict never depends on them."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    own = [line for line in lines if line.startswith(("bwrap: ", "jail not started: "))]
    return " | ".join(own[-3:] or lines[-3:])[:600]


def _outcome(code: int | None, text: str, duration: float, tests: Sequence[str],
             report: Report, timed_out: bool) -> TestOutcome:
    """Exit code and text are kept for people to read; `passed` comes from the report."""
    failed = list(dict.fromkeys(m.group(2) for m in _FAILED_LINE.finditer(text)))
    summaries = _SUMMARY_LINE.findall(text)
    summary = summaries[-1].strip("= ") if summaries else ""
    verdict = judge(report, Report.empty(), full_suite=not tests)
    if not verdict.passed and not failed:
        failed = [verdict.reason]
    return TestOutcome(verdict.passed, code, failed, summary or verdict.reason, duration,
                       text[-4000:], timed_out, list(tests), report)


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
