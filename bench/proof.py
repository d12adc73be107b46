"""What proof costs: the VALIDATE time of a proven op (the affected scope, with coverage of
the changed lines, then the differential check) against the narrow scope the oracle ran
before (only test files importing the changed module by name), on a generated package of
~200 tests, measured in one run.

    .venv/bin/python bench/proof.py [--modules N] [--tests-per-module K] [--ops N] [--jail]
    .venv/bin/python bench/proof.py --real [--no-whole]  (a real library: bench/proof_real.py)

The package is made of groups of GROUP modules: each group's first module is imported by the
others of its group (a change to it is observed by the whole group's tests, one hop away,
which the narrow scope never ran), and each module has K tests of its own. Each op changes
one module's function body, group heads and leaves alike. Per op, both sides run the same
two sessions a VALIDATE runs: the baseline on the base tree and the scoped tests on the
candidate tree.

- narrow: testrun.scope_tests (tests naming the module), no coverage: the old oracle;
- proven: governance.oracle.scope.plan_scope with a measured whole-suite cost above the budget
  (so the affected scope: reverse-import closure plus the profile), the candidate session
  recording per-test line hits of the changed file;
- checked: proven, then the differential check a preserve change gets at VALIDATE
  (governance.proof.differential_check: the tests that entered the changed function rerun on
  the base with the capture plugin, then the replay runner on both trees at once).

Prints, per op, the times and the ratios (targets: proven <= 2x narrow, checked <= 3x), and
their medians; the whole suite's time is printed for scale. The profile is learnt from one
whole-suite run at start (the first op of a daemon pays that once per base). Real pytest
processes throughout; `--jail` runs them in bubblewrap as the daemon does.

Where its figures go: each run worth keeping is written down verbatim, with its tree,
CPU and load, in docs/proof-measurements.md ("What it costs"); docs/proof.md is the
specification they are measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.host import machine
from governance.oracle.scope import SuiteKnowledge, plan_scope
from governance.oracle.testrun import (
    CoverageRequest,
    TestOutcome,
    TestRunner,
    scope_tests,
    text_reader,
)
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour
from governance.schemas import FileChange
from tests.helpers import PYTEST, commit_files, jail_limits

MODULE = '''"""Module {i}."""
{imp}

def f{i}(x):
    y = x + {i}
    return {call}


def g{i}(x):
    return x * {i}
'''
TEST = '''from pkg.mod{i} import f{i}, g{i}
{cases}'''
CASE = '''

def test_{i}_{k}():
    assert g{i}({k}) == {k} * {i}
    assert f{i}(0) == f{i}(0)
'''


GROUP = 5


def package(modules: int, per_module: int) -> dict[str, str]:
    files = {"pkg/__init__.py": ""}
    for i in range(modules):
        head = i - i % GROUP
        imp = f"from pkg.mod{head} import f{head}\n" if i != head else ""
        call = f"f{head}(y)" if i != head else "y"
        files[f"pkg/mod{i}.py"] = MODULE.format(i=i, imp=imp, call=call)
        cases = "".join(CASE.format(i=i, k=k) for k in range(per_module))
        files[f"tests/test_mod{i}.py"] = TEST.format(i=i, cases=cases)
    return files


def changed(files: dict[str, str], i: int) -> FileChange:
    text = files[f"pkg/mod{i}.py"].replace(f"    y = x + {i}\n", f"    y = {i} + x\n")
    return FileChange(file_path=f"pkg/mod{i}.py", full_content=text)


async def session(runner: TestRunner, root: Path, tests: list[str], full: bool,
                  coverage: CoverageRequest | None = None) -> TestOutcome:
    out = await runner.run(root, [] if full else tests, coverage=coverage)
    assert out.report.finished and not out.report.problem, out.output_tail[-800:]
    return out


@dataclass(frozen=True)
class Op:
    """One op's seconds: the narrow scope's two sessions, the affected scope's two, and the
    differential check (wall: its capture session, then both replays at once)."""

    narrow: float
    proven: float
    check: float
    files: int  # test files in the affected scope
    compared: int  # calls the check compared

    @property
    def checked(self) -> float:
        return self.proven + self.check


async def differential(runner: TestRunner, base: Path, cand: Path, path: str, old: str,
                       new: str, ran: TestOutcome, scratch: Path) -> tuple[float, int]:
    """The check VALIDATE runs for a preserve change: (its seconds, calls compared)."""
    started = time.monotonic()
    targets, problems = touched_functions(old, new, path)
    assert targets and not problems, problems
    report = await check_behaviour(runner, base, cand, targets,
                                   covering_tests(targets, ran.report.coverage), scratch)
    # The bench's change preserves behaviour: never a counterexample. mod0's `x + 0` made
    # `0 + x` may wait all the same: its mutant `x - 0` is equivalent, and no input can
    # notice the line (governance.proof.noticed); the time is what counts here.
    assert not any(r.startswith("behaviour changed") for r in report.reasons()), \
        report.reasons()
    return time.monotonic() - started, sum(f.compared for f in report.checks)


async def one_op(runner: TestRunner, base: Path, cand: Path, files: dict[str, str],
                 listed: list[str], suite: SuiteKnowledge, i: int) -> Op:
    change = changed(files, i)
    path, new = change.file_path, change.full_content or ""
    (cand / path).write_text(new)
    try:
        narrow = scope_tests([path], listed, text_reader(base))
        t_narrow = sum([(await session(runner, base, narrow, False)).duration_s,
                        (await session(runner, cand, narrow, False)).duration_s])
        scope = plan_scope([change], base, listed, suite=suite, budget_s=0.0)
        assert not scope.full, scope.why
        wide = list(scope.original)
        before = await session(runner, base, wide, False)
        after = await session(runner, cand, wide, False, CoverageRequest(scope.watch))
        t_check, compared = await differential(runner, base, cand, path, files[path], new,
                                               after, cand.parent / "scratch")
    finally:
        (cand / path).write_text(files[path])
    return Op(t_narrow, before.duration_s + after.duration_s, t_check, len(wide), compared)


async def main(args: argparse.Namespace) -> None:
    files = package(args.modules, args.tests_per_module)
    with tempfile.TemporaryDirectory(prefix="proof-bench-") as tmp:
        base = commit_files(Path(tmp) / "base", files)
        cand = commit_files(Path(tmp) / "cand", files)
        executor = None
        if args.jail:
            from tools.jail import JailExecutor

            executor = JailExecutor([Path(tmp)], jail_limits(),
                                    [Path(sys.prefix), Path(sys.base_prefix)])
        runner = TestRunner(PYTEST, 300, executor)
        listed = sorted(files)
        started = time.monotonic()
        whole = await runner.run(base, [], coverage=CoverageRequest(profile=True))
        suite = SuiteKnowledge()
        suite.learn(whole.duration_s, whole.report.coverage.files if whole.report.coverage
                    else None)
        tests = len(whole.report.tests)
        print(f"{machine()}, python {platform.python_version()}"
              f"; {tests} tests in {args.modules} modules; whole suite (profiled) "
              f"{whole.duration_s:.2f}s; jail: {'yes' if args.jail else 'no'}")
        ops = []
        for i in [(n * 3) % args.modules for n in range(args.ops)]:
            op = await one_op(runner, base, cand, files, listed, suite, i)
            ops.append(op)
            print(f"  change mod{i:<3} narrow {op.narrow:5.2f}s  proven {op.proven:5.2f}s "
                  f"({op.files:2} test files) {op.proven / op.narrow:4.2f}x  + check "
                  f"{op.check:5.2f}s ({op.compared:3} calls) = {op.checked:5.2f}s "
                  f"{op.checked / op.narrow:4.2f}x")
        for what, seconds, target in (("proven", lambda o: o.proven, 2.0),
                                      ("checked (with the differential check)",
                                       lambda o: o.checked, 3.0)):
            median = statistics.median(seconds(o) / o.narrow for o in ops)
            print(f"median ratio {what}/narrow: {median:.2f}x (target <= {target}x: "
                  f"{'met' if median <= target else 'MISSED'})")
        print(f"median differential check {statistics.median(o.check for o in ops):.2f}s; "
              f"bench {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--tests-per-module", type=int, default=10)
    parser.add_argument("--ops", type=int, default=5)
    parser.add_argument("--jail", action="store_true", help="run pytest in bubblewrap")
    if "--real" in sys.argv[1:]:  # a real library instead: bench/proof_real.py
        from bench.proof_real import main as real

        real([a for a in sys.argv[1:] if a != "--real"])
    else:
        asyncio.run(main(parser.parse_args()))
