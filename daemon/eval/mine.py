"""`ouroboros eval mine`: tasks from the repository's own history, each validated by its
tests in the jail, cached in the state dir (daemon.eval.task).

For each candidate commit (daemon.eval.history), newest first, in one scratch repository
(daemon.eval.scratch) with the repository's tests run as the daemon runs them
(daemon.eval.suite):

1. *no change fails*: the parent with the commit's test change: some tests fail (a test
   module that no longer collects counts as failing);
2. *the maintainer's fix passes*: the commit's code change on top: those tests pass, and
   every test that passed before still passes (else the commit is not a clean fix);
3. *flaky tests*: both sides run `reruns` more times; a test whose outcome changes between
   runs of the same tree is quarantined (named in the task, judged by neither list);
4. the careless rider (daemon.eval.rider): the first mutant of a function the
   fail-to-pass tests never enter that some pass-to-pass test notices.

Every commit looked at is recorded with its verdict and the digest of the settings it was
judged under (daemon.eval.settings.mine_digest), so a second `mine` goes on where the
first stopped (an interrupted one too), and a task is written whole or not at all. A
refusal made under other settings than now is said, and `--rejudge` judges every refused
commit again.

Before the first commit is judged, daemon.eval.imports checks that the scratch's tests
import the scratch's own code (not an editable install's working tree); MineRefused when
they would not, and then no commit is judged or recorded.
"""

from __future__ import annotations

import ast
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from daemon.eval import history, imports, scratch
from daemon.eval.progress import MineProgress, with_heartbeat
from daemon.eval.render import clip, duration
from daemon.eval.rider import ordered
from daemon.eval.suite import Suite, SuiteRun
from daemon.eval.task import Judged, Rider, Task, TaskCache
from governance.oracle.testrun import CoverageRequest

Say = Callable[[str], None]


@dataclass(frozen=True)
class MineSpec:
    since: str = ""
    max_tasks: int = 20
    max_commits: int = 200
    max_code_lines: int = 80
    max_code_files: int = 2
    reruns: int = 1
    rider_tries: int = 3
    max_s: float | None = None  # the time bound (--max-minutes); None: none
    beat_s: float = 30.0  # a heartbeat line at least this often while a commit is judged
    settings: str = ""  # the mine_digest of the settings now, recorded with each verdict
    rejudge: bool = False  # judge the commits refused before again


@dataclass
class Mined:
    new: list[Task] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # sha -> why not a task
    cached: int = 0  # valid tasks already in the cache
    stopped: str = ""  # why mining stopped before its other limits (the time bound)


class Rejected(Exception):
    """This commit is not a task; the message says why."""


class MineRefused(Exception):
    """No commit can be judged here (the tests would not run the commit's code); says why."""


async def mine(repo: Path, cache: TaskCache, suite: Suite, spec: MineSpec, work: Path,
               say: Say) -> Mined:
    """Judge candidate commits until the cache holds `max_tasks` tasks, `max_commits`
    candidates were judged in this call, or `max_s` seconds have passed (the commit then
    in flight is cut off and left unjudged, for the next `mine`)."""
    out = Mined(cached=len(cache.tasks()))
    judged = cache.verdicts()
    _say_other_settings(judged, spec, say)
    commits = [c for c in history.candidates(
        repo, since=spec.since, max_code_files=spec.max_code_files,
        max_code_lines=spec.max_code_lines)
        if c.sha not in judged or (spec.rejudge and not judged[c.sha].task)]
    progress = MineProgress(len(commits), spec.max_commits, spec.max_tasks, out.cached, say,
                            spec.max_s)
    say(progress.opening())
    root: Path | None = None
    try:
        async with asyncio.timeout(spec.max_s):
            for commit in commits[:spec.max_commits]:
                if out.cached + len(out.new) >= spec.max_tasks:
                    break
                if root is None:
                    root = scratch.clone(repo, work / "mine", commit.parent)
                    await _imports_checked(suite, root, repo, say)
                await _one(repo, root, commit, cache, suite, spec, out, progress)
    except TimeoutError:
        out.stopped = (f"the time bound ({duration(spec.max_s or 0)}) was reached; "
                       "`eval mine` again goes on where this stopped")
        say(f"stopped: {out.stopped}")
    finally:
        if root is not None:
            scratch.remove(root)
    return out


def _say_other_settings(judged: dict[str, Judged], spec: MineSpec, say: Say) -> None:
    other = [sha for sha, j in judged.items() if not j.task and j.settings != spec.settings]
    if other and spec.rejudge:
        say(f"--rejudge: {sum(not j.task for j in judged.values())} refused commit(s) "
            "are judged again")
    elif other:
        say(f"{len(other)} of the refused commit(s) were judged under other settings than "
            "now (the test command or interpreter, pytest's plugins, the jail, reruns, the "
            "suite's time limit, or an older `eval mine`): `ouroboros eval mine --rejudge` "
            "judges them again")


async def _imports_checked(suite: Suite, root: Path, repo: Path, say: Say) -> None:
    """MineRefused unless the scratch's tests import the scratch's own code."""
    found = await imports.check(suite, root, repo)
    for note in found.notes:
        say(f"note: {note}")
    if found.refusal:
        raise MineRefused(found.refusal)


async def _one(repo: Path, root: Path, commit: history.Commit, cache: TaskCache,
               suite: Suite, spec: MineSpec, out: Mined, progress: MineProgress) -> None:
    """Judge one commit, with a heartbeat while its suite runs; record what became of it."""
    started, suite.runs = time.monotonic(), 0

    def beat() -> None:
        progress.say(f"  ... {commit.sha[:12]}: {suite.doing} ({suite.runs} suite run(s), "
                     f"{duration(time.monotonic() - started)} on this commit)")

    try:
        task = await with_heartbeat(judge(repo, root, commit, suite, spec), spec.beat_s, beat)
    except Rejected as why:
        out.skipped[commit.sha] = str(why)
        cache.judge(commit.sha, str(why), spec.settings)
        progress.tick(commit.sha, f"skip: {why}", task=False)
        return
    cache.put(task, spec.settings)
    out.new.append(task)
    progress.tick(commit.sha, f"task: {len(task.fail_to_pass)} fail-to-pass, "
                  f"{len(task.pass_to_pass)} pass-to-pass, {len(task.flaky)} flaky: "
                  f"{commit.subject[:60]}", task=True)


async def judge(repo: Path, root: Path, commit: history.Commit, suite: Suite,
                spec: MineSpec) -> Task:
    """The commit as a validated task, or Rejected."""
    tests = history.after(repo, commit, commit.tests)
    fix = history.after(repo, commit, commit.code)
    if any(v is None for v in fix.values()):
        raise Rejected("a file of the fix is not UTF-8 text")
    if any(tests[p] is None for p, st in commit.tests.items() if st != "D"):
        raise Rejected("a test file is not UTF-8 text")
    runs: list[Sides] = []
    for n in range(1 + spec.reruns):
        runs.append(await _sides(root, commit, tests, fix, suite, first=n == 0))
    f2p, p2p, flaky = split(runs)
    before = {p: history.text_at(repo, commit.parent, p) or "" for p in fix}
    rider = await choose_rider(root, commit, tests, fix, before, f2p, p2p, suite,
                               spec.rider_tries)
    message = history.message(repo, commit.sha)
    return Task(id=commit.sha[:12], sha=commit.sha, parent=commit.parent, date=commit.date,
                subject=commit.subject, message=message or commit.subject, tests=tests,
                fix=fix, fail_to_pass=sorted(f2p), pass_to_pass=sorted(p2p),
                flaky=sorted(flaky), runs=len(runs), suite_s=round(runs[0].green.seconds, 2),
                rider=rider)


@dataclass(frozen=True)
class Sides:
    """One run of each tree: the parent as it was (base), with the commit's test change
    (red), and with its code change too (green: the commit)."""

    base: SuiteRun
    red: SuiteRun
    green: SuiteRun


async def _sides(root: Path, commit: history.Commit, tests: dict[str, str | None],
                 fix: dict[str, str | None], suite: Suite, first: bool) -> Sides:
    """One run of each side. The first time, Rejected as soon as the commit cannot be a
    task: red and green run first, the cheap refusals before the base's run."""
    scratch.reset(root, commit.parent)
    scratch.write(root, tests)
    red = await suite.run(root, what="the suite on the parent with the test change alone")
    if red.problem and not red.tests and not red.collect_errors:
        raise Rejected(f"the suite did not run on the parent: {clip(red.problem, 300)}")
    scratch.write(root, fix)
    green = await suite.run(root, what="the suite on the commit (the maintainer's fix)")
    if green.problem and not green.tests:
        raise Rejected(f"the suite did not run on the commit: {clip(green.problem, 300)}")
    if first and not any(red.failed(t) for t in green.passing):
        raise Rejected("no test fails with the test change alone and passes with the fix")
    scratch.reset(root, commit.parent)
    return Sides(await suite.run(root, what="the suite on the parent as it was"), red, green)


def split(runs: list[Sides]) -> tuple[set[str], set[str], set[str]]:
    """(fail-to-pass, pass-to-pass, flaky) over every run of each side; Rejected when the
    fix breaks a test that passed before, or when every fail-to-pass test is flaky.

    Fail-to-pass: failed with the test change alone (its module not collecting counts),
    passed on the commit, every time. Pass-to-pass: passed on the commit and before it
    (on the parent as it was; a test the change adds, with the change alone), every
    time. Flaky: its outcome changed between runs of one tree."""
    base, red, green = ([getattr(r, side) for r in runs] for side in ("base", "red", "green"))
    names = set().union(*(r.tests for r in [*base, *red, *green]))
    flaky = {t for t in names if _changes(base, t) or _changes(red, t) or _changes(green, t)}
    steady = names - flaky

    def before(t: str) -> bool:
        ran = base if t in base[0].tests else red
        return all(r.passed(t) for r in ran)

    f2p = {t for t in steady if all(r.failed(t) for r in red) and all(g.passed(t) for g in green)}
    p2p = {t for t in steady - f2p if all(g.passed(t) for g in green) and before(t)}
    broken = sorted(t for t in steady if t in base[0].tests and before(t)
                    and all(not g.passed(t) for g in green))
    if broken:
        raise Rejected(f"the fix breaks {len(broken)} test(s) that passed before it: "
                       f"{', '.join(broken[:3])}")
    if not f2p:
        raise Rejected(f"every fail-to-pass test is flaky: {', '.join(sorted(flaky)[:3])}")
    return f2p, p2p, flaky


def _changes(runs: list[SuiteRun], test: str) -> bool:
    """The test's outcome differs between runs of one tree (a test missing from a run whose
    module collected is an outcome of its own)."""
    return len({"passed" if r.passed(test) else "failed" if r.failed(test) else "other"
                for r in runs}) > 1


async def choose_rider(root: Path, commit: history.Commit, tests: dict[str, str | None],
                       fix: dict[str, str | None], before: dict[str, str], f2p: set[str],
                       p2p: set[str], suite: Suite, tries: int) -> Rider | None:
    """The careless rider: the first mutant (daemon.eval.rider's order) that a
    pass-to-pass test notices, else the first one tried; None when none qualifies.
    `before`: the fix's files at the parent."""
    if tries == 0:
        return None
    scratch.reset(root, commit.parent)
    scratch.write(root, {**tests, **fix})
    code = [p for p in scratch.git(root, "ls-files").splitlines()
            if history.kind_of(p) == "code"]
    files = {p: (root / p).read_text(encoding="utf-8", errors="replace") for p in code}
    base = {**files, **before}  # the other code files are the same on both sides
    traced = await suite.run(root, sorted(f2p), CoverageRequest(watch=frozenset(code)),
                             what="the fail-to-pass tests, traced (where the rider may go)")
    lines = traced.outcome.report.coverage if traced.outcome else None

    def entered(path: str, fn: ast.FunctionDef) -> bool:
        hits = lines.hits(path, range(fn.lineno, (fn.end_lineno or fn.lineno) + 1)) \
            if lines else set()
        return bool(hits - {None})

    first: Rider | None = None
    for n, mutant in enumerate(ordered(files, fix, base, entered, code)[:tries]):
        scratch.write(root, {mutant.path: mutant.text})
        run = await suite.run(root, what=f"the suite with careless rider {n + 1} of at most "
                              f"{tries} ({mutant.function})")
        scratch.write(root, {mutant.path: files[mutant.path]})
        noticed = sorted(t for t in p2p if not run.passed(t))
        rider = Rider(path=mutant.path, function=mutant.function, line=mutant.line,
                      mutation=mutant.mutation, noticed=noticed, text=mutant.text)
        if noticed:
            return rider
        first = first or rider
    return first
