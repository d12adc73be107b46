"""governance.proof.rules.assess, pure: texts and structured reports in, evidence out."""

from __future__ import annotations

import dataclasses

from daemon.config.settings import Settings
from governance.oracle.differential import Counterexample, DiffReport, FunctionCheck
from governance.oracle.mutants import MutantResult, MutationReport
from governance.oracle.oracle import Coverage, Report
from governance.oracle.oracle_run import Sessions
from governance.proof.rules import (
    PRESERVE_UNCHECKED,
    Claim,
    Evidence,
    FileText,
    Intent,
    assess,
    intent_of,
)
from governance.proof.symbols import enclosing_symbol


def sessions_of(**sessions: object) -> Sessions:
    """Sessions whose mutation check ran and found every line checked, unless given:
    absent, it is a reason (issue 49)."""
    return Sessions(**{"mutation": MutationReport(), **sessions})  # type: ignore[arg-type]

MUL = "\n\ndef mul(a, b):\n    return a * b\n"
OLD = "def clamp(x, lo, hi):\n    # TODO: clamp\n    return x\n" + MUL
NEW = "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n" + MUL
T = "tests/test_core.py::test_clamp"


def _report(tests: dict[str, str], lines: dict[int, set] | None = None) -> Report:
    cov = Coverage(lines={"calc/core.py": {n: frozenset(t) for n, t in (lines or {}).items()}})
    return Report(finished=True, exitstatus=0, tests=tests, coverage=cov)


def _claim(intent: Intent = Intent.PRESERVE, **kw: object) -> Claim:
    """A claim on calc/core.py. The coverage rules are tested with proof.preserve_on_coverage
    on (what a preserve change must show before it may land on that evidence at all); the
    default keeps every preserve change for review (test_a_preserve_change_waits_...)."""
    return _make(intent, {"calc/core.py"}, **{"preserve_on_coverage": True, **kw})


def _make(intent: Intent, targets: set[str], **kw: object) -> Claim:
    """A claim with [proof]'s default knobs (daemon/config/settings.py), `kw` changed."""
    p = Settings().proof
    fields = {"symbols": None, "failing_test": None, "max_new_files": p.max_new_files,
              "autocommit_new_behaviour": p.autocommit_new_behaviour,
              "preserve_on_coverage": p.preserve_on_coverage, **kw}
    return Claim(intent, frozenset(targets), **fields)  # type: ignore[arg-type]


def test_a_covered_preserving_change_is_proven() -> None:
    sessions = sessions_of(original=_report({T: "passed"}, {2: {T}}))
    ev = assess(_claim(), [FileText("calc/core.py", OLD, NEW)], sessions,
                _report({T: "passed"}))
    assert ev.proven and ev.trailer() == "proven (preserve)"


def test_a_preserve_change_waits_for_review_by_default_however_well_covered() -> None:
    sessions = sessions_of(original=_report({T: "passed"}, {2: {T}}))
    ev = assess(_make(Intent.PRESERVE, {"calc/core.py"}), [FileText("calc/core.py", OLD, NEW)],
                sessions, _report({T: "passed"}))
    assert not ev.proven and ev.reasons == (PRESERVE_UNCHECKED,)
    assert ev.trailer().startswith("unproven: behaviour preserved is not shown")


def test_a_line_run_only_by_a_test_that_failed_before_is_not_covered_for_preserve() -> None:
    sessions = sessions_of(original=_report({T: "passed"}, {2: {T}}))
    ev = assess(_claim(), [FileText("calc/core.py", OLD, NEW)], sessions,
                _report({T: "failed"}))
    assert not ev.proven and ev.uncovered == ("calc/core.py:2",)
    assert "calc/core.py:2" in ev.trailer()


def test_a_repair_needs_the_named_failing_test_to_pass_now() -> None:
    sessions = sessions_of(original=_report({T: "passed"}, {2: {T}}))
    fixed = assess(_claim(Intent.REPAIR, failing_test=T), [FileText("calc/core.py", OLD, NEW)],
                   sessions, _report({T: "failed"}))
    assert fixed.proven and fixed.fail_to_pass == (T,)
    other = assess(_claim(Intent.REPAIR, failing_test="tests/x.py::t"),
                   [FileText("calc/core.py", OLD, NEW)], sessions, _report({T: "failed"}))
    assert not other.proven and "does not pass now" in other.reasons[0]


def test_new_behaviour_needs_a_fail_to_pass_test_and_then_waits_unless_allowed() -> None:
    new_test = "tests/test_new.py::t"
    own = Report(finished=True, exitstatus=0, tests={new_test: "passed"},
                 coverage=Coverage(lines={"calc/core.py": {2: frozenset({new_test})}}))
    on_base = Report(finished=True, exitstatus=1, tests={"tests/test_new.py::t": "failed"})
    files = [FileText("calc/core.py", OLD, NEW), FileText("tests/test_new.py", None, "x")]
    none = assess(_claim(Intent.NEW), files, sessions_of(own=own), Report.empty())
    assert not none.proven and "fails on the base" in none.reasons[0]
    waits = assess(_claim(Intent.NEW), files, sessions_of(own=own, own_on_base=on_base),
                   Report.empty())
    assert not waits.proven and waits.reasons == (
        "new behaviour waits for review (proof.autocommit_new_behaviour is off)",)
    allowed = assess(_claim(Intent.NEW, autocommit_new_behaviour=True), files,
                     sessions_of(own=own, own_on_base=on_base), Report.empty())
    assert allowed.proven and allowed.fail_to_pass == ("tests/test_new.py::t",)


def test_other_files_other_functions_too_many_files_and_breaking_names() -> None:
    sessions = sessions_of(original=_report({T: "passed"}, {2: {T}, 7: {T}}))
    changed_mul = NEW.replace("a * b", "a + b")
    files = [FileText("calc/core.py", OLD, changed_mul.replace("def mul", "def times")),
             FileText("calc/text.py", "x = 1\n", "x = 2\n"),
             *(FileText(f"calc/n{i}.txt", None, "n") for i in range(3))]
    ev = assess(_claim(symbols=frozenset({"clamp"})), files, sessions, _report({T: "passed"}))
    text = " | ".join(ev.reasons)
    assert "calc/text.py" in text and "adds 3 new files" in text
    assert "removes public name mul" in text and "times, not what the op is about" in text
    assert ev.breaking


def test_tests_only_changes_are_proven_by_their_own_tests_unless_they_skip_the_work() -> None:
    new_test = [FileText("tests/test_x.py", None, "def test(): pass\n")]
    about_tests = _make(Intent.NEW, {"tests/test_x.py"})
    ev = assess(about_tests, new_test, None, None)
    assert ev.proven and ev.intent is Intent.TESTS
    skipped = assess(_claim(Intent.NEW), new_test, None, None)
    assert not skipped.proven and "changes none of its targets" in skipped.reasons[0]
    many = [FileText(f"tests/test_{i}.py", None, "") for i in range(3)]
    assert not assess(about_tests, many, None, None).proven


def test_intents_and_enclosing_symbols() -> None:
    assert intent_of("test_failure") is Intent.REPAIR
    assert intent_of("todo_scanner") is Intent.NEW and intent_of("anything") is Intent.NEW
    text = "class A:\n    def f(self):\n        # TODO\n        pass\n\n# TODO top\n"
    assert enclosing_symbol(text, 3) == "A.f"
    assert enclosing_symbol(text, 6) == "<module>"
    assert enclosing_symbol("def (:\n", 1) == "<module>"


# -- where a real fix lives: the failing test's own run says ---------------------------------

HELPER_OLD = "def mode(xs):\n    return max(xs)\n"
HELPER_NEW = "def mode(xs):\n    return max(set(xs), key=xs.count)\n"
RIDER = "def other():\n    return 2\n"


def _repair_reports(ran: dict[str, dict[int, set]], *, before: str = "failed",
                    collect_errors: tuple[str, ...] = ()) -> tuple[Sessions, Report]:
    cov = Coverage(lines={p: {n: frozenset(t) for n, t in lines.items()}
                          for p, lines in ran.items()})
    after = Report(finished=True, exitstatus=0, tests={T: "passed"}, coverage=cov)
    base = Report(finished=True, exitstatus=1, collect_errors=collect_errors,
                  tests={} if before == "missing" else {T: before})
    return sessions_of(original=after), base


def test_a_fix_where_the_failing_tests_run_leads_is_part_of_the_work() -> None:
    """The failing test's target was its helper or a package's re-export; the maintainer's
    fix is in the module that defines the function, which the failing test runs."""
    sessions, base = _repair_reports({"pkg/stats.py": {2: {T}}})
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/__init__.py"}, failing_test=T)
    ev = assess(claim, [FileText("pkg/stats.py", HELPER_OLD, HELPER_NEW)], sessions, base)
    assert ev.proven, ev.reasons


def test_a_rider_in_a_file_the_failing_test_never_runs_is_still_refused() -> None:
    sessions, base = _repair_reports({"pkg/stats.py": {2: {T}}, "pkg/other.py": {2: {None}}})
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/__init__.py"}, failing_test=T)
    files = [FileText("pkg/stats.py", HELPER_OLD, HELPER_NEW),
             FileText("pkg/other.py", RIDER, RIDER.replace("2", "3"))]
    ev = assess(claim, files, sessions, base)
    assert not ev.proven and "changes files it was not asked to: pkg/other.py" in ev.reasons[0]


def test_a_test_module_that_did_not_import_at_base_is_resolved_to_its_tests() -> None:
    """`from pkg.stats import mode` fails at collection on the base: the module's tests that
    pass now are the fail-to-pass evidence for the file the signal named."""
    sessions, base = _repair_reports({"pkg/stats.py": {1: {None}, 2: {T}}}, before="missing",
                                     collect_errors=("tests/test_core.py",))
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/stats.py"},
                  failing_test="tests/test_core.py")
    ev = assess(claim, [FileText("pkg/stats.py", None, HELPER_NEW)], sessions, base)
    assert ev.proven, ev.reasons
    assert ev.fail_to_pass == (T,)


# -- preserve: the differential check decides ------------------------------------------------

def _preserve(diff: DiffReport | None) -> Evidence:
    sessions = sessions_of(original=_report({T: "passed"}, {2: {T}}), differential=diff)
    return assess(_make(Intent.PRESERVE, {"calc/core.py"}),
                  [FileText("calc/core.py", OLD, NEW)], sessions, _report({T: "passed"}))


def test_a_preserve_change_shown_unchanged_by_the_differential_check_is_proven() -> None:
    ev = _preserve(DiffReport((FunctionCheck("calc/core.py::clamp", 3, 40, 43),)))
    assert ev.proven and ev.trailer() == "proven (preserve)"


def test_a_counterexample_or_no_evidence_keeps_a_preserve_change_for_review() -> None:
    seen = Counterexample("calc/core.py::clamp", "20, 0, 10", "20", "10")
    ev = _preserve(DiffReport((FunctionCheck("calc/core.py::clamp", 3, 40, 43, (seen,)),)))
    assert ev.reasons == ("behaviour changed: calc/core.py::clamp(20, 0, 10): base 20, "
                          "candidate 10",)
    ev = _preserve(DiffReport((FunctionCheck("calc/core.py::clamp", problem="no test "
                                             "calls it"),)))
    assert ev.reasons == ("behaviour not shown unchanged: calc/core.py::clamp: no test calls it",)
    assert _preserve(DiffReport(problem="replay failed: timed out")).reasons == (
        "behaviour not checked: replay failed: timed out",)
    assert _preserve(None).reasons == (PRESERVE_UNCHECKED,)


def test_a_private_table_a_refactor_adds_is_part_of_the_work() -> None:
    old = "def tier(n):\n    if n > 10:\n        return 'b'\n    return 'a'\n"
    new = "_TIERS = ((10, 'b'),)\n\n\ndef tier(n):\n    return next((t for m, t in _TIERS " \
          "if n > m), 'a')\n"
    claim = _make(Intent.PRESERVE, {"calc/core.py"}, symbols=frozenset({"tier"}))
    sessions = sessions_of(original=_report({T: "passed"}, {n: {T} for n in range(1, 6)}),
                        differential=DiffReport((FunctionCheck("calc/core.py::tier", 2, 9, 11),)))
    ev = assess(claim, [FileText("calc/core.py", old, new)], sessions, _report({T: "passed"}))
    assert ev.proven, ev.reasons
    public = new.replace("_TIERS", "TIERS")  # a new public name is API, not the work's own
    ev = assess(claim, [FileText("calc/core.py", old, public)], sessions, _report({T: "passed"}))
    assert not ev.proven


def test_a_repair_line_no_test_notices_is_covered_but_unchecked() -> None:
    sessions, base = _repair_reports({"pkg/stats.py": {2: {T}}})
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/stats.py"}, failing_test=T)
    files = [FileText("pkg/stats.py", HELPER_OLD, HELPER_NEW)]
    killed = MutationReport((MutantResult("pkg/stats.py", 2, "returns None", "killed"),))
    ev = assess(claim, files, dataclasses.replace(sessions, mutation=killed), base)
    assert ev.proven, ev.reasons
    survived = MutationReport((MutantResult("pkg/stats.py", 2, "returns None", "survived"),))
    ev = assess(claim, files, dataclasses.replace(sessions, mutation=survived), base)
    assert ev.reasons == ("changed lines covered but unchecked (no test notices when they "
                          "change): pkg/stats.py:2 (returns None)",)


# -- lines that ran only at import: evidence from the at-import mutants ----------------------

TABLE_OLD = "KEYWORDS = {'SELECT': 1}\n"
TABLE_NEW = "KEYWORDS = {'SELECT': 1, 'MATERIALIZED': 1}\n"
CLASS_OLD = ("class V:\n    PATTERN = 'a'\n\n    def ok(self, t):\n"
             "        return t == self.PATTERN\n")
CLASS_NEW = CLASS_OLD.replace("'a'", "'b'")


def _at_import(outcome: str, *where: tuple[str, int]) -> MutationReport:
    return MutationReport(tuple(MutantResult(f, n, "a string constant changed", outcome,
                                             at_import=True) for f, n in where))


def test_a_table_the_failing_test_depends_on_at_import_is_part_of_the_work() -> None:
    """The fix is a key added to a module-level table in another file: the table ran at
    import, under no test; the failing test failing again with the key's mutant shows it."""
    sessions, base = _repair_reports({"pkg/keywords.py": {1: {None}}})
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/__init__.py"}, failing_test=T)
    files = [FileText("pkg/keywords.py", TABLE_OLD, TABLE_NEW)]
    shown = dataclasses.replace(sessions, mutation=_at_import("killed", ("pkg/keywords.py", 1)))
    assert assess(claim, files, shown, base).proven
    # survived: no evidence either way, and no finding of its own (never required checked)
    quiet = dataclasses.replace(sessions, mutation=_at_import("survived", ("pkg/keywords.py", 1)))
    ev = assess(claim, files, quiet, base)
    assert ev.reasons == ("changes files it was not asked to: pkg/keywords.py",
                          "changes none of its targets (pkg/__init__.py)")


def test_a_class_attribute_the_failing_test_depends_on_is_entered() -> None:
    sessions, base = _repair_reports({"pkg/v.py": {2: {None}, 4: {None}, 5: {T}}})
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/v.py"}, failing_test=T)
    files = [FileText("pkg/v.py", CLASS_OLD, CLASS_NEW)]
    assert not assess(claim, files, sessions, base).proven  # V: entered by no test
    shown = dataclasses.replace(sessions, mutation=_at_import("killed", ("pkg/v.py", 2)))
    ev = assess(claim, files, shown, base)
    assert ev.proven, ev.reasons


def test_a_new_class_whose_body_is_its_docstring_has_nothing_to_enter() -> None:
    old = "class Assignment:\n    pass\n"
    new = old + "\n\nclass NamedExprAssignment(Assignment):\n    \"\"\"A walrus.\"\"\"\n"
    sessions, base = _repair_reports({"pkg/b.py": {1: {None}, 5: {None}, 6: {None}}})
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/b.py"}, failing_test=T)
    assert assess(claim, [FileText("pkg/b.py", old, new)], sessions, base).proven
    busy = new.replace('"""A walrus."""', "KIND = 'walrus'")
    ev = assess(claim, [FileText("pkg/b.py", old, busy)], sessions, base)
    assert "NamedExprAssignment: no test showing the change enters it" in ev.reasons[0]


def test_a_class_the_fix_adds_is_entered_through_its_methods() -> None:
    """A new message class: its template and header ran at import; the failing test that
    reports it enters its __init__. An existing class's attribute is not entered so."""
    old = "class Message:\n    pass\n"
    new = old + ("\n\nclass Unused(Message):\n    message = '%s is unused'\n\n"
                 "    def __init__(self, name):\n        self.args = (name,)\n")
    sessions, base = _repair_reports({"pkg/m.py": {5: {None}, 6: {None}, 8: {None}, 9: {T}}})
    claim = _make(Intent.REPAIR, {"tests/test_core.py", "pkg/m.py"}, failing_test=T)
    ev = assess(claim, [FileText("pkg/m.py", old, new)], sessions, base)
    assert ev.proven, ev.reasons
    changed = new.replace("%s is unused", "%s is never used")
    ev = assess(claim, [FileText("pkg/m.py", new, changed)], sessions, base)
    assert "(Unused: no test showing the change enters it)" in ev.reasons[0]
