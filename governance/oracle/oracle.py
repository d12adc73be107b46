"""The test oracle: reading what really ran, and judging a change against its baseline.

A change is judged on the structured report written by our pytest plugin (oracle_plugin),
never on pytest's exit code. `judge` is a pure function of two reports:

- the run must be sane: a report exists, carries our nonce, reached sessionfinish, ended
  with exit status 0 or 1 (or 5, 'no tests'), and collected every file without error;
- every test that ran after the change passed (a skip or xfail is tolerated only for a test
  that did not pass in the baseline): a test that fails in the baseline and still fails
  blocks the op too, named as pre-existing, because the op's own scoped tests must pass —
  unless the whole suite ran and the test is outside the affected scope (governance.oracle.scope);
- every test that passed in the baseline (the op's base: HEAD plus the human's working
  tree, before the candidate) still passes: skipped, xfailed, deselected, errors, never ran
  or missing are regressions, each named;
- at least one test ran and passed. When the whole suite ran and the repository has no
  tests at all, the verdict passes with evidence 'none', and GATE then requires a human.

`evidence` says what proves the change: 'baseline' when a test that existed before the
change passed after it, 'own' when only tests the candidate wrote passed, 'none' when the
repository has no tests. GATE raises a change to code to APPROVAL_REQUIRED unless the
evidence is 'baseline' (a candidate must not grade its own homework). Where no existing
test imports the changed code, the whole original suite is what must still pass.

A failed verdict carries what the tests it names said (`failures`, governance.oracle.
failure_text): the phases put them in the ledger as the refusal's evidence.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from governance.oracle.failure_text import FailureText, parse, texts_of
from governance.oracle.line_tests import line_tests

REPORT_CAP = 16 << 20
OUTCOMES = frozenset({"passed", "failed", "error", "skipped", "xfailed", "xpassed",
                      "deselected", "collected", "forged"})
GOOD = frozenset({"passed", "xpassed"})
TOLERATED = frozenset({"skipped", "xfailed", "deselected"})  # only for tests not passing before
SANE_EXIT = frozenset({0, 1, 5})  # all passed / some failed / none collected


class FailureKind(StrEnum):
    """Why a session or a verdict failed, set where its message is written: the message is
    for humans, the kind for code (L2 classifies on it, governance.phases.l2_repair)."""

    NONE = "none"  # no failure of the session itself: judged test by test (or passed)
    NO_REPORT = "no_report"  # the plugin's report: missing, too big, unreadable, forged, malformed
    PYTEST_ABORTED = "pytest_aborted"  # exit status: interrupted, internal or usage error
    TIMED_OUT = "timed_out"  # the test process ran past its timeout
    ENV_REFUSED = "env_refused"  # the repository's test environment is refused: nothing ran
    UNFINISHED = "unfinished"  # the session never reached its end (exited, killed, crashed)
    COLLECTION_ERRORS = "collection_errors"  # a test module no longer imports
    FAILING = "failing"  # regressions or failing tests, each named in `failing`
    NOTHING_RAN = "nothing_ran"  # no test ran and passed where tests were expected


@dataclass(frozen=True)
class Coverage:
    """What ran during one session (oracle_plugin): per watched file and line, every test
    during which it ran (None: outside any test, at import or collection; lines that ran
    under the same tests share one set, governance.oracle.line_tests), and per test the
    repository files it entered (when the run profiled)."""

    lines: dict[str, dict[int, AbstractSet[str | None]]] = field(default_factory=dict)
    files: dict[str | None, frozenset[str]] = field(default_factory=dict)

    def hits(self, rel: str, lines: Iterable[int]) -> set[str | None]:
        """The tests (None: import time) during which any of `lines` of `rel` ran."""
        per_line = self.lines.get(rel, {})
        return {t for n in lines for t in per_line.get(n, ())}


@dataclass(frozen=True)
class Report:
    """One pytest session as our plugin saw it; `problem` says why there is none."""

    finished: bool = False
    exitstatus: int | None = None
    tests: dict[str, str] = field(default_factory=dict)  # nodeid -> outcome
    collect_errors: tuple[str, ...] = ()
    problem: str | None = None
    coverage: Coverage | None = None  # when the run asked for it
    problem_kind: FailureKind = FailureKind.NONE  # what `problem` is, for code
    # What the first failed tests and collection errors said (governance.oracle.failure_text)
    failures: dict[str, FailureText] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Report:
        """A session that ran nothing, by design (no scoped test exists on this side)."""
        return cls(finished=True, exitstatus=5)

    def with_outcome(self, nodeid: str) -> str:
        return self.tests.get(nodeid, "missing")


def read_report(path: Path, nonce: str) -> Report:
    """Parse the plugin's report; anything odd is a Report with a `problem`, never a raise."""
    try:
        if path.is_symlink() or not path.is_file():
            return _no_report("no test report was written (the test process exited "
                              "before pytest started, or pytest never loaded the oracle plugin)")
        if path.stat().st_size > REPORT_CAP:
            return _no_report(f"the test report is larger than {REPORT_CAP} bytes")
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return _no_report(f"the test report is unreadable: {exc}")
    if not isinstance(data, dict) or not hmac.compare_digest(
            str(data.get("nonce")).encode(), nonce.encode()):
        return _no_report("the test report does not carry this run's nonce (forged, or "
                          "written by something other than the oracle plugin)")
    tests = data.get("tests")
    errors = data.get("collect_errors")
    if not isinstance(tests, dict) or not isinstance(errors, list):
        return _no_report("the test report is malformed")
    clean = {str(k): (v if v in OUTCOMES else "error") for k, v in tests.items()}
    status = data.get("exitstatus")
    return Report(finished=data.get("finished") is True,
                  exitstatus=status if isinstance(status, int) else None,
                  tests=clean, collect_errors=tuple(str(e) for e in errors),
                  coverage=_coverage(data.get("coverage")),
                  failures=parse(data.get("failures")))


def _no_report(problem: str) -> Report:
    return Report(problem=problem, problem_kind=FailureKind.NO_REPORT)


def _coverage(data: object) -> Coverage | None:
    """The plugin's coverage section, or None when absent or malformed (coverage that is
    not read proves nothing: every line reads as not run)."""
    if not isinstance(data, dict):
        return None
    order, sets, lines, files = (data.get(k) for k in ("tests", "sets", "lines", "files"))
    if not (isinstance(order, list) and isinstance(sets, list) and isinstance(lines, dict)
            and isinstance(files, dict)):
        return None
    members = line_tests(sets, [str(t) for t in order])
    nobody: frozenset[str | None] = frozenset()

    def test(index: object) -> str | None:
        if index == -1:
            return None  # outside any test: import and collection
        ok = isinstance(index, int) and 0 <= index < len(order)
        return str(order[index]) if ok else "<no such test>"  # type: ignore[index]

    def of(number: object) -> AbstractSet[str | None]:
        ok = isinstance(number, int) and 0 <= number < len(members)
        return members[number] if ok else nobody  # type: ignore[index]

    def ints(raw: object) -> list[object]:
        return raw if isinstance(raw, list) else []

    return Coverage(
        lines={str(rel): {int(n): of(k) for n, k in per.items() if str(n).isdigit()}
               for rel, per in lines.items() if isinstance(per, dict)},
        files={test(int(i)) if str(i).lstrip("-").isdigit() else "<no such test>":
               frozenset(str(f) for f in ints(names)) for i, names in files.items()})


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str
    regressions: tuple[str, ...] = ()
    evidence: str = "none"  # 'baseline' | 'own' | 'none'
    counts: dict[str, int] = field(default_factory=dict)
    failing: tuple[str, ...] = ()  # node ids of the regressions and failures, sorted
    kind: FailureKind = FailureKind.NONE  # why it failed, for code; `reason` is for humans
    failures: tuple[FailureText, ...] = ()  # what the failing tests (or modules) said


def _session_problem(after: Report) -> Verdict | None:
    """The failed verdict of a session that cannot be judged test by test, or None."""
    if after.problem:
        return Verdict(False, after.problem, kind=after.problem_kind)
    if not after.finished:
        ran = [n for n, o in after.tests.items() if o != "collected"]
        return Verdict(False, "the test session did not finish: the process exited or was "
                       f"killed after {len(ran)} of {len(after.tests)} tests (os._exit, a "
                       "signal, or a crash)", kind=FailureKind.UNFINISHED)
    # Collection errors first: pytest stops with exit status 2 for them, and "a test module
    # no longer imports" is what a change that removed or renamed a name needs to hear.
    if after.collect_errors:
        return Verdict(False, "collection errors in " + ", ".join(after.collect_errors[:10]),
                       kind=FailureKind.COLLECTION_ERRORS,
                       failures=texts_of(after.failures, after.collect_errors))
    if after.exitstatus not in SANE_EXIT:
        return Verdict(False, f"pytest ended with exit status {after.exitstatus} "
                       "(interrupted, internal error or usage error)",
                       kind=FailureKind.PYTEST_ABORTED)
    return None


def _failures(after: Report, baseline: Report, unaffected: Callable[[str], bool]) -> list[str]:
    out = []
    for nodeid, outcome in sorted(after.tests.items()):
        if outcome in GOOD:
            continue
        before = baseline.with_outcome(nodeid)
        if outcome in TOLERATED and before not in GOOD:
            continue
        if before not in GOOD and before != "missing" and unaffected(nodeid):
            continue  # failing before, outside what the change can reach: not its business
        if outcome == "collected":
            outcome = "never ran"
        note = " (failing before the change too)" if before in ("failed", "error") else ""
        out.append(f"{nodeid}: {outcome}{note}")
    return out


def _regressions(after: Report, baseline: Report) -> list[str]:
    def now(nodeid: str) -> str:
        outcome = after.with_outcome(nodeid)
        return "never ran" if outcome == "collected" else outcome

    return [f"{nodeid}: passed before the change, now {now(nodeid)}"
            for nodeid, outcome in sorted(baseline.tests.items())
            if outcome in GOOD and after.with_outcome(nodeid) not in GOOD]


def judge(after: Report, baseline: Report, full_suite: bool,
          affected: frozenset[str] | None = None) -> Verdict:
    """The oracle's decision for one run (see the module docstring for the rule). With
    `affected` (the test files that can observe the change, when the whole suite ran), a
    test elsewhere that failed before the change and still fails is not held against it."""
    unjudged = _session_problem(after)
    if unjudged is not None:
        return unjudged
    regressions = _regressions(after, baseline)

    def unaffected(nodeid: str) -> bool:
        return affected is not None and nodeid.split("::", 1)[0] not in affected

    failures = [f for f in _failures(after, baseline, unaffected)
                if f.split(": ", 1)[0] not in {r.split(": ", 1)[0] for r in regressions}]
    counts = {o: sum(1 for v in after.tests.values() if v == o) for o in sorted(OUTCOMES)}
    counts = {k: v for k, v in counts.items() if v}
    if regressions or failures:
        named = regressions + failures
        head = "; ".join(named[:10]) + (f"; and {len(named) - 10} more" if len(named) > 10
                                         else "")
        ids = tuple(sorted({n.split(": ", 1)[0] for n in named}))
        return Verdict(False, f"regressions: {head}" if regressions else f"failing: {head}",
                       tuple(regressions), counts=counts, failing=ids, kind=FailureKind.FAILING,
                       failures=texts_of(after.failures, ids))
    good = [n for n, o in after.tests.items() if o in GOOD]
    if not good:
        if full_suite and not after.tests and not baseline.tests:
            return Verdict(True, "the repository has no tests: nothing proves this change",
                           evidence="none", counts=counts)
        return Verdict(False, "no test ran and passed where tests were expected",
                       counts=counts, kind=FailureKind.NOTHING_RAN)
    evidence = "baseline" if any(n in baseline.tests for n in good) else "own"
    return Verdict(True, f"{len(good)} passed" + _summary(counts), evidence=evidence,
                   counts=counts)


def _summary(counts: dict[str, int]) -> str:
    rest = [f"{v} {k}" for k, v in counts.items() if k not in GOOD]
    return f" ({', '.join(rest)})" if rest else ""


def tree_digest(root: Path, files: Sequence[str]) -> str:
    """A digest of the files under `root` (content, or link target for a symlink): two trees
    with the same digest give the same baseline for the same tests."""
    h = hashlib.sha256()
    for rel in sorted(set(files)):
        path = root / rel
        if path.is_symlink():
            blob = b"L" + os.readlink(path).encode("utf-8", "surrogateescape")
        elif path.is_file():
            blob = b"F" + hashlib.sha256(path.read_bytes()).digest()
        else:
            continue
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + blob + b"\0")
    return h.hexdigest()


class BaselineCache:
    """Baseline reports by (base digest, scoped tests); bounded, oldest evicted first."""

    def __init__(self, capacity: int = 16):
        self.capacity = capacity
        self._reports: dict[tuple[str, tuple[str, ...] | None], Report] = {}

    def get(self, key: tuple[str, tuple[str, ...] | None]) -> Report | None:
        return self._reports.get(key)

    def put(self, key: tuple[str, tuple[str, ...] | None], report: Report) -> None:
        self._reports.pop(key, None)
        self._reports[key] = report
        while len(self._reports) > self.capacity:
            self._reports.pop(next(iter(self._reports)))
