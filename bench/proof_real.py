"""What proof costs on a real library whose whole suite takes over a minute on a 2-core box:
mpmath 1.3.0 from PyPI (BSD; 339 tests, pure Python), through the daemon's own machinery.

    .venv/bin/python bench/proof.py --real [--cache DIR] [--no-whole] [--jail]

Set-up (cached under DIR, by default $TMPDIR/ouroboros-bench/proof-real: nothing of it is
in this repository): the sdist, downloaded with pip; a venv with pytest, which the daemon
uses as the repository's interpreter (`governance.test_python`, bound read-only into the
jail); each run commits the sdist's tree to a fresh git repository in a temp dir, less
its runner script (LEFT_OUT: it would make every op's scope the whole suite). Then, as
the daemon does (in bubblewrap with `--jail`; without it the tests run as
local processes, so that their CPU time can be counted: bubblewrap's outer process does not
wait for the tests, and their CPU time is lost to getrusage):

1. the whole suite once, untraced (its time, for scale; `--no-whole` skips it);
2. the suite profile, learnt by daemon.suite_profile's learner as the daemon's background
   task learns it (the whole suite with the profile plugin): its one-off cost;
3. ops through VALIDATE (governance.phases.validate.validate_candidate, then GATE's proof
   decision), the profile adopted from the state dir as every op adopts it: refactors
   (preserve changes, judged by the differential check) of functions in
   mpmath/libmp/gammazeta.py on the library's own tree;
4. the human commits a one-function break; the learner refreshes the profile
   incrementally (only the tests that entered the changed function rerun);
5. the repair of the test the human broke (judged by the fail-to-pass test and the
   mutation check), on the human's new HEAD.

Per op it prints the affected scope's size, the narrow scope's time (the test files naming
the changed module, base and candidate: the oracle before the affected scope), the proven
run's (VALIDATE whole: baseline unless cached, the candidate's session with coverage, and
the differential or mutation check), their ratio, CPU seconds beside wall seconds (the box
is shared: CPU time is what the work cost), and the profile's age. VALIDATE's limit is
raised to `--limit` seconds: the daemon's default 60 s cannot hold this suite's scope.

Where its figures go: each run worth keeping is written down verbatim, with its tree, CPU
and load, in docs/proof-measurements.md ("On a real library: mpmath 1.3.0"); docs/proof.md
is the specification they are measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.host import machine
from daemon.config.settings import Settings
from daemon.phase_deps import policy_from, runners_from
from daemon.suite_profile import ProfileLearner
from governance.git.gitops import GitOps
from governance.oracle import profile_store
from governance.oracle.sandbox import Sandbox
from governance.oracle.testrun import TestRunner, scope_tests, text_reader
from governance.phases.deps import PhaseDeps
from governance.phases.validate import validate_candidate
from governance.proof.claim import evidence_for
from governance.schemas import Candidate, FileChange, Source
from ledger import Ledger
from tests.helpers import commit_files, git, op_context, pipeline_deps
from tools.jail import bwrap_available

NAME, VERSION = "mpmath", "1.3.0"
MODULE = "mpmath/libmp/gammazeta.py"
# The library's own runner script, not a pytest file: its `__import__` makes the affected
# scope untrusted (governance.oracle.scope), so every op would run the whole suite, its
# baseline profiled again at VALIDATE whenever VALIDATE's limit holds the suite.
LEFT_OUT = ("mpmath/tests/runtests.py",)
T = TypeVar("T")


@dataclass(frozen=True)
class Edit:
    """One op: a change of MODULE, the op's signal, and what it claims."""

    label: str
    before: str
    after: str
    source: str
    evidence: dict


REFACTORS = (
    Edit("refactor borwein_coefficients", "        d = d * 4 * (n+i-1) * (n-i+1)\n",
         "        d *= 4 * (n+i-1) * (n-i+1)\n", Source.OPPORTUNITY,
         {"function": "borwein_coefficients"}),
    Edit("refactor bernoulli_size", "    return int(2.326 + 0.5*lgn + n*(lgn - 4.094))\n",
         "    size = 2.326 + 0.5*lgn + n*(lgn - 4.094)\n    return int(size)\n",
         Source.OPPORTUNITY, {"function": "bernoulli_size"}),
)
# The human's slip: small factorials read one place off. (stirling_coefficient's
# `n*(n-1)` made `n*(n+1)` was the slip before: no test of mpmath's suite notices it, so
# the repair had no failing test and was refused as 'does not pass now'.)
_EXACT = "    if n < SMALL_FACTORIAL_CACHE_SIZE:\n        return mpf_pos(small_factorial_cache"
BREAK = (f"{_EXACT}[n-1], prec, rnd)\n", f"{_EXACT}[n], prec, rnd)\n")
# It fails test_bernoulli run with its own file, but in the whole suite an earlier test
# leaves what test_bernoulli reads right; this one fails both ways.
BROKEN_TEST = "mpmath/tests/test_functions2.py::test_hyper_param_accuracy"
REPAIR = Edit("repair mpf_gamma_int", BREAK[1], BREAK[0], Source.TEST_FAILURE,
              {"test_id": BROKEN_TEST})


class Clock:
    """Wall and CPU seconds of a step (CPU: this process and the test processes it waited
    for; a jailed pytest is reaped through bubblewrap, so it counts)."""

    @staticmethod
    def cpu() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    @classmethod
    async def measure(cls, work: Callable[[], Awaitable[T]]) -> tuple[T, float, float]:
        wall, cpu = time.monotonic(), cls.cpu()
        out = await work()
        return out, time.monotonic() - wall, cls.cpu() - cpu


def library(cache: Path) -> tuple[Path, Path]:
    """(the sdist's extracted tree, the venv's python), made once under `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    tree = cache / f"{NAME}-{VERSION}"
    if not tree.is_dir():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", "-d", str(cache), f"{NAME}=={VERSION}"],
                       check=True)
        with tarfile.open(cache / f"{NAME}-{VERSION}.tar.gz") as sdist:
            sdist.extractall(cache, filter="data")
    venv = cache / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pytest"], check=True)
    return tree, python


def repository(tree: Path, dest: Path) -> Path:
    """The sdist's files (less its egg-info and LEFT_OUT) committed as the human's
    repository."""
    files = {str(p.relative_to(tree)): p.read_text(encoding="utf-8", errors="replace")
             for p in sorted(tree.rglob("*")) if p.is_file() and ".egg-info" not in str(p)}
    return commit_files(dest, {k: v for k, v in files.items() if k not in LEFT_OUT})


async def _never_busy() -> None:
    return None


@dataclass
class Bench:
    repo: Path
    state: Path
    runner: TestRunner
    learner: ProfileLearner
    deps: PhaseDeps  # one daemon's: every op shares its baseline cache and suite knowledge

    def profile_age(self) -> str:
        p = profile_store.load(self.state / profile_store.PROFILE_FILE).profile
        return "none" if p is None else f"{time.time() - p.at:.0f}s"

    async def narrow(self, edit: Edit, scratch: Path) -> tuple[int, float, float]:
        """(test files, wall, CPU) of the narrow scope's two sessions: base, candidate."""
        files = git(self.repo, "ls-files").split()
        tests = scope_tests([MODULE], files, text_reader(self.repo))
        assert tests, "the narrow scope must name a test file"
        wall = cpu = 0.0
        for side in ("base", "candidate"):
            box = Sandbox.create(self.repo, files, scratch / side, "", ())
            if side == "candidate":
                box.apply([change(self.repo, edit)])
            out, w, c = await Clock.measure(lambda root=box.root: self.runner.run(root, tests))
            assert out.report.finished, out.output_tail[-600:]
            wall, cpu = wall + w, cpu + c
            box.destroy()
        return len(tests), wall, cpu

    async def proven(self, edit: Edit) -> tuple[dict, str, float, float]:
        """(VALIDATE's payload, GATE's proof, wall, CPU) of one op."""
        ctx = op_context(MODULE, source=edit.source, evidence=edit.evidence,
                         goal=edit.label)
        d = self.deps.for_op(ctx.op_id)
        cand = change(self.repo, edit)
        result, wall, cpu = await Clock.measure(lambda: validate_candidate(
            ctx, d, Candidate(file_path=cand.file_path, full_content=cand.full_content),
            d.validate_runner))
        if not result.passed:
            return result.payload, f"refused: {result.detail[:300]}", wall, cpu
        return result.payload, evidence_for(ctx, d, [cand]).trailer(), wall, cpu

    async def op(self, edit: Edit, scratch: Path) -> None:
        files, n_wall, n_cpu = await self.narrow(edit, scratch)
        payload, verdict, wall, cpu = await self.proven(edit)
        scope = payload.get("tests", [])
        size = "the whole suite" if "<full suite>" in scope else f"{len(scope)} test files"
        checks = [k for k in ("behaviour", "mutants") if k in payload]
        print(f"  {edit.label}: scope {size} ({payload.get('scope', '')[:120]})\n"
              f"    narrow ({files} test file) {n_wall:6.1f}s wall {n_cpu:6.1f}s CPU; proven "
              f"(scope + {' + '.join(checks) or 'no check'}) {wall:6.1f}s wall {cpu:6.1f}s "
              f"CPU, baseline {payload.get('baseline_duration_s', 0):.1f}s of it: "
              f"{wall / n_wall:5.1f}x wall {cpu / n_cpu:5.1f}x CPU\n"
              f"    profile age {self.profile_age()}; {verdict[:200]}")


def change(repo: Path, edit: Edit) -> FileChange:
    text = (repo / MODULE).read_text()
    assert edit.before in text, edit.label
    return FileChange(file_path=MODULE, full_content=text.replace(edit.before, edit.after, 1))


def settings(python: Path, limit_s: float, jail: bool) -> Settings:
    """The daemon's defaults, but the repository's venv and room for this suite."""
    return Settings.model_validate({
        "provider": {"name": "none"}, "tools": {"allow_unsandboxed_tests": not jail},
        "governance": {"validate_timeout_s": limit_s, "verify_timeout_s": limit_s,
                       "test_python": str(python)},
        "proof": {"profile_timeout_s": limit_s}})


async def learn(bench: Bench, what: str) -> None:
    """One look of the background learner, as the daemon's task makes it."""
    said, wall, cpu = await Clock.measure(bench.learner.once)
    p = profile_store.load(bench.state / profile_store.PROFILE_FILE).profile
    ran = "the whole suite" if p is None or p.rerun is None else f"{p.rerun} tests"
    tests = len(p.tests) if p else 0
    print(f"{what}: {said}, {ran} run, {wall:.1f}s wall {cpu:.1f}s CPU "
          f"({tests} test files profiled)")


async def run(args: argparse.Namespace) -> None:
    tree, python = library(Path(args.cache))
    jail = bwrap_available() if args.jail else None
    with tempfile.TemporaryDirectory(prefix="proof-real-") as tmp:
        repo, state = repository(tree, Path(tmp) / "repo"), Path(tmp) / "state"
        state.mkdir()
        config = settings(python, args.limit, args.jail)
        runner, _ = runners_from(config, repo, state, jail if args.jail else "--jail not given")
        ledger = await Ledger.open(state / "ledger.db")
        try:
            learner = ProfileLearner(repo, state, "", GitOps(repo), runner, (), _never_busy,
                                     1.0)
            bench = Bench(repo, state, runner, learner, pipeline_deps(
                repo, ledger, None, state_dir=state, policy=policy_from(config),
                runner=runner))
            await steps(bench, args, Path(tmp) / "narrow", jail)
        finally:
            await ledger.close()


async def steps(bench: Bench, args: argparse.Namespace, scratch: Path,
                jail: str | None) -> None:
    how = "no (CPU counted)" if not args.jail else "yes (CPU not counted)" if jail is None \
        else f"unavailable: {jail}"
    print(f"{machine()}, python {platform.python_version()}; {NAME} {VERSION}; jail: {how}")
    if not args.no_whole:
        out, wall, cpu = await Clock.measure(lambda: bench.runner.run(bench.repo, []))
        print(f"whole suite, untraced: {len(out.report.tests)} tests, {wall:.1f}s wall "
              f"{cpu:.1f}s CPU ({out.summary})")
    await learn(bench, "suite profile learnt (the background task's one-off cost)")
    for edit in REFACTORS:
        await bench.op(edit, scratch)
    bench.repo.joinpath(MODULE).write_text(
        bench.repo.joinpath(MODULE).read_text().replace(*BREAK, 1))
    git(bench.repo, "commit", "-qam", "mpf_gamma_int: the human's slip")
    print(f"the human commits a one-function break ({BROKEN_TEST} fails)")
    await learn(bench, "suite profile refreshed")
    await bench.op(REPAIR, scratch)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
        epilog=__doc__.rstrip().rsplit("\n\n", 1)[-1])
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir())
                                              / "ouroboros-bench" / "proof-real"))
    parser.add_argument("--limit", type=float, default=3600.0,
                        help="VALIDATE's and the profile's time limit, seconds")
    parser.add_argument("--no-whole", action="store_true",
                        help="skip the untraced whole-suite run")
    parser.add_argument("--jail", action="store_true", help="run pytest in bubblewrap")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
