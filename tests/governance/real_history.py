"""Real maintainers' fixes replayed through the daemon's pipeline (the runner; the cases are
data in tests/data/real_history/, mined by bench/real_history_mine.py).

One case is one fix commit of a real library. Its repository is the library's code and
tests at the commit's parent, committed; then the human (us) commits the maintainer's test
change and runs the changed test files twice with pytest, as a developer would: the
`ouroboros_results` plugin leaves the results in the state dir, the daemon's
TestFailureSensor turns the stable failures into envelopes (its targets() and
envelope_for()), and the daemon's IntakeRouter picks the op (coalescing what it would).

The op then runs through the real Orchestrator and phase table with the parts the daemon
builds from its default settings (daemon.phase_deps: its policy, its jailed VALIDATE and
VERIFY runners, Venom's tool loop), one attempt and no L2 (the stand-in would answer the
same again). The model is the replay provider, the named stand-in: a plan naming the fix's
files, an exploration turn (a read of every target and every file the fix changes, a
list_dir and a glob), then the maintainer's own fix as full file contents. The careless
twin answers the same with one more public function's behaviour changed (the case's rider).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import lzma
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from daemon.config.settings import Settings
from daemon.eval.standins import fix_script
from daemon.phase_deps import policy_from, runners_from, venom_from
from governance.oracle.oracle import BaselineCache
from governance.oracle.oracle_run import OracleMemo
from governance.oracle.scope import SuiteKnowledge
from governance.phase import Phase
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.schemas import OperationContext, SignalEnvelope
from kernel.replay import ReplayProvider
from ledger import Ledger
from sensors.failing_tests import TestFailureSensor
from sensors.router import IntakeRouter
from tests import trials
from tests.helpers import HEALTH_IN_TESTS, commit_files, git, pipeline_deps

DATA = Path(__file__).resolve().parents[1] / "data" / "real_history"
HUMAN_RUNS = 2  # a failing test becomes work once it fails twice in a row (the sensor)
ENV_ALL = "OUROBOROS_REAL_HISTORY"  # "all": every case (the default: SUITE_CASES)
# The sample of OUROBOROS_TRIALS=full (`make test-full`) and bench/real_history.py --ci: one
# landing case from each of three libraries (sqlparse's cases take twice as long), each with
# a twin whose rider the library's own suite does not notice: only proof keeps it off the
# human's branch.
CI_CASES = ("semver-b5317af9a7e9", "cachetools-bb4b37cfc76b", "pyflakes-b1f8362e45aa")
# `make test`'s: the cheapest of the three (fix and twin ~50 s of 168 s for all three on a
# loaded 2-core EPYC; cachetools's twin alone took 140 s), so that the suite keeps to its
# 15 minutes; the other two libraries run in the full lane.
SUITE_CASES = CI_CASES[:1]
LANDED, REVIEW, POSTMORTEM = "landed", "review", "postmortem"
# Why a correct fix does not land today. A daemon class is the daemon's gap (reduced to a
# few lines in test_real_history_gaps.py); a fair one is the fix's own shape, for which
# review is the right answer.
CLASSES = {
    "untested": "fair: the fix changes code no failing test runs (sibling variants, a "
                "CLI, untested branches, code for another Python)",
    "unchecked": "fair: a mutant of a fix line that no test of the library notices (a "
                 "raise no test reaches, an argument both of whose values exit, a call whose "
                 "removal the whole suite passes)",
    "breaking": "fair: the fix removes a public name",
}
# case -> (its classes, the ledger's words that show it). A case refused for a daemon
# class alone would land once that class is fixed.
REFUSED: dict[str, tuple[tuple[str, ...], str]] = {
    "cachetools-18e5930ced2c": (("untested",), "_locked_info.Descriptor.Wrapper.__call__: "
                                "no test showing the change enters it"),
    "cachetools-902dce4b450e": (("untested",), "_cached_locked.wrapper: no test showing"),
    "cachetools-da5819a86379": (("unchecked",), "_cachedmethod.py:16 (`not in` to `in`)"),
    "pyflakes-13cad915e6b1": (("untested",), "runs: pyflakes/checker.py:731"),
    "pyflakes-84da8cdaad57": (("unchecked",), "checker.py:2390 (statement removed)"),
    "pyflakes-9228d609b3fc": (("breaking", "untested", "unchecked"),
                              "removes public name FunctionScope.unused_indirect_assignments"),
    "pyflakes-cadcd60a70c1": (("untested",), "(Checker.handleNodeDelete: no test showing the "
                              "change enters it)"),
    "pyflakes-e02336c3d47c": (("unchecked",), "pyflakes/checker.py:1318 (`and` to `or`)"),
    "pyflakes-e5d4ba166d3b": (("untested",), "(Checker.TEMPLATESTR: no test showing"),
    "semver-f2c23f638220": (("untested",), "(main: no test showing the change enters it)"),
    "semver-f8a182f5ec52": (("untested",), "(Version.bump_build: no test showing"),
    "sqlparse-111b35cffcfe": (("unchecked",), "grouping.py:384 (`==` to `!=`)"),
    "sqlparse-1a3bfbd50b82": (("unchecked",), "statement_splitter.py:23 (`False` to `True`)"),
    "sqlparse-5ca50a2ee9b3": (("unchecked",), "statement_splitter.py:72 (`False` to `True`)"),
    "sqlparse-da67ac16b8fa": (("untested", "unchecked"), "runs: sqlparse/engine/grouping.py:488"),
}


@dataclass(frozen=True)
class Case:
    id: str
    library: str
    repo: str
    sha: str
    license: str
    subject: str
    base: dict[str, str]
    binary: dict[str, str]  # base64 of the base's files that are not UTF-8 text
    tests: dict[str, str | None]
    fix: dict[str, str | None]
    rider: dict | None

    @property
    def twin(self) -> dict[str, str | None]:
        """The careless twin's files: the fix plus the rider's mutated file."""
        assert self.rider is not None
        return {**self.fix, self.rider["path"]: self.rider["text"]}


def load(path: Path) -> Case:
    raw = json.loads(lzma.decompress(path.read_bytes()))
    fields = {f.name for f in dataclasses.fields(Case)} - {"id"}
    return Case(id=path.name.removesuffix(".json.xz"), **{k: raw.get(k, {}) for k in fields})


def cases(which: str | None = None, data: Path = DATA) -> list[Case]:
    """Every case (`which` "all"), CI_CASES ("ci") or SUITE_CASES ("suite"); by default
    "all" with $ENV_ALL=all, else "ci" with OUROBOROS_TRIALS=full, else "suite"."""
    if which is None:
        which = os.environ.get(ENV_ALL, "") or ("ci" if trials.FULL else "suite")
    paths = sorted(data.glob("*.json.xz"))
    if which != "all":
        sample = SUITE_CASES if which == "suite" else CI_CASES
        paths = [p for p in paths if p.name.removesuffix(".json.xz") in sample]
    return [load(p) for p in paths]


# -- the human's side ------------------------------------------------------------------


def human_repo(case: Case, where: Path) -> Path:
    """The library at the fix's parent, committed; then the maintainer's test change,
    committed by the human."""
    for rel, data in case.binary.items():
        (where / rel).parent.mkdir(parents=True, exist_ok=True)
        (where / rel).write_bytes(base64.b64decode(data))
    repo = commit_files(where, case.base)  # commits the binary files too
    for rel, text in case.tests.items():
        if text is None:
            git(repo, "rm", "-q", rel)
        else:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
            git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", f"tests from {case.repo}@{case.sha[:12]}")
    return repo


def human_pytest(repo: Path, state: Path, tests: list[str]) -> None:
    """The human runs the changed test files; the results plugin writes to `state`."""
    env = {**os.environ, "OUROBOROS_STATE_DIR": str(state), "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                   cwd=repo, env=env, capture_output=True, timeout=300)


async def signal(case: Case, repo: Path, state: Path) -> SignalEnvelope | None:
    """What the daemon would queue first from the human's runs: the sensor's envelopes,
    offered to the router; None when no test failed twice."""
    emitted: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        emitted.append(env)
        return True

    state.mkdir(parents=True, exist_ok=True)
    files = git(repo, "ls-files").splitlines()
    sensor = TestFailureSensor(repo, state, "real-history", emit)
    tests = [t for t, text in case.tests.items() if text is not None and t.endswith(".py")]
    for _ in range(HUMAN_RUNS):
        await asyncio.to_thread(human_pytest, repo, state, tests)
        await sensor.scan_once(files)
    intake = Settings().intake
    router = IntakeRouter(intake.queue_capacity, intake.coalesce_window_s,
                          intake.file_lock_ttl_s)
    for env in emitted:
        router.offer(env)
    return router.next_ready()


# -- the stand-in model's answers --------------------------------------------------------


def answers(case: Case, envelope: SignalEnvelope, files: dict[str, str | None],
            repo: Path) -> ReplayProvider:
    """A plan naming `files`, the exploration, then `files` as the candidate: eval's
    `replay:fix` stand-in (daemon.eval.standins), the one script both play."""
    return fix_script(case.subject, envelope, files, repo)


# -- one op through the pipeline -------------------------------------------------------


def settings() -> Settings:
    """The daemon's defaults, one attempt: no retries, no L2, no notify window."""
    return Settings.model_validate({
        "provider": {"name": "replay"}, "health": dict(HEALTH_IN_TESTS),
        "governance": {"max_generate_retries": 0, "max_validate_retries": 0,
                       "l2_enabled": False, "notify_apply_delay_s": 0}})


@dataclass
class Shared:
    """The oracle's memory, shared by every op (its keys hold the base tree's digest)."""

    cache: BaselineCache = field(default_factory=lambda: BaselineCache(capacity=64))
    suite: SuiteKnowledge = field(default_factory=SuiteKnowledge)


@dataclass
class Outcome:
    case: Case
    twin: bool
    got: str  # landed, review, postmortem, or the end phase's name
    end: str
    reason: str  # the last transition's reason
    reasons: list[str]
    why: list[str]  # GATE's reasons a change is unproven, whole ([] when proven or none)
    targets: tuple[str, ...]
    evidence: str  # the commit's Evidence trailer ('' when nothing landed on the branch)
    seconds: float

    @property
    def said(self) -> str:
        """Everything the ledger said of why it did not land."""
        return "; ".join([*self.why, self.reason])

    @property
    def on_branch(self) -> bool:
        """Whether the human's branch moved (proven or not)."""
        return self.got == LANDED or self.got.startswith("moved")


async def run_op(case: Case, repo: Path, state: Path, envelope: SignalEnvelope,
                 files: dict[str, str | None], shared: Shared) -> tuple[Phase, list[dict]]:
    s = settings()
    validate, verify = runners_from(s, repo, state, None)
    ledger = await Ledger.open(state / "ledger.sqlite3")
    ctx = OperationContext(envelope=envelope)
    try:
        deps = pipeline_deps(
            repo, ledger, answers(case, envelope, files, repo), state_dir=state,
            policy=policy_from(s), validate_runner=validate, verify_runner=verify,
            tools=venom_from(s, None, None),
            oracle=OracleMemo(cache=shared.cache, suite=shared.suite))
        end = await Orchestrator(PHASES, deps).run(ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    return end, chain["transitions"]


def judged(case: Case, twin: bool, repo: Path, head: str, end: Phase,
           transitions: list[dict], envelope: SignalEnvelope, seconds: float) -> Outcome:
    moved = git(repo, "rev-parse", "HEAD") != head
    message = git(repo, "log", "-1", "--format=%B") if moved else ""
    evidence = next((line.removeprefix("Evidence: ") for line in message.splitlines()
                     if line.startswith("Evidence: ")), "")
    if moved and end is Phase.COMPLETE and evidence.startswith("proven"):
        got = LANDED
    elif moved:
        got = f"moved ({end.value}, evidence {evidence!r})"  # never expected
    else:
        got = {Phase.PROPOSED: REVIEW, Phase.POSTMORTEM: POSTMORTEM}.get(end, end.value)
    reasons = [t["reason"] for t in transitions]
    proofs = [p["evidence"] for t in transitions if isinstance(p := t["payload"] or {}, dict)
              and isinstance(p.get("evidence"), dict)]
    why = list(proofs[-1].get("reasons", [])) if proofs else []
    return Outcome(case, twin, got, end.value, reasons[-1] if reasons else "", reasons, why,
                   envelope.target_files, evidence, seconds)


async def run_case(case: Case, work: Path, shared: Shared) -> list[Outcome]:
    """The correct fix, then its careless twin, each on its own copy of the human's repo."""
    human = await asyncio.to_thread(human_repo, case, work / "human")
    envelope = await signal(case, human, work / "human-state")
    if envelope is None:
        raise AssertionError(f"{case.id}: the maintainer's test change fails no test twice")
    out = []
    for twin, files in ((False, case.fix), (True, case.twin if case.rider else None)):
        if files is None:
            continue
        started = time.monotonic()
        name = "twin" if twin else "fix"
        repo, state = work / name / "repo", work / name / "state"
        await asyncio.to_thread(shutil.copytree, human, repo, symlinks=True)
        git(repo, "update-index", "-q", "--refresh")
        head = git(repo, "rev-parse", "HEAD")
        end, transitions = await run_op(case, repo, state, envelope, files, shared)
        out.append(judged(case, twin, repo, head, end, transitions, envelope,
                          time.monotonic() - started))
    return out


async def run_all(chosen: list[Case], work: Path, workers: int = 2) -> list[Outcome]:
    shared, gate = Shared(), asyncio.Semaphore(workers)

    async def one(n: int, case: Case) -> list[Outcome]:
        async with gate:
            return await run_case(case, work / f"c{n}", shared)

    done = await asyncio.gather(*(one(n, c) for n, c in enumerate(chosen)))
    return [o for pair in done for o in pair]


# -- the report ------------------------------------------------------------------------


def table(outcomes: list[Outcome], width: int = 110) -> str:
    """One row per op: case, fix or twin, outcome, seconds, and the ledger's last reason."""
    head = f"{'case':<26}{'ran':<6}{'outcome':<12}{'s':>6}  reason"
    rows = [head, "-" * width]
    for o in outcomes:
        why = "" if o.got == LANDED else " ".join(o.reason.split())
        kind = "twin" if o.twin else "fix"
        rows.append(f"{o.case.id:<26}{kind:<6}{o.got:<12}{o.seconds:>6.1f}  "
                    f"{(o.evidence if o.got == LANDED else why)[:width - 52]}")
    return "\n".join(rows)


def totals(outcomes: list[Outcome]) -> dict[str, int]:
    fixes = [o for o in outcomes if not o.twin]
    twins = [o for o in outcomes if o.twin]
    got = Counter(o.got for o in fixes)
    return {"fixes": len(fixes), "landed": got[LANDED], "review": got[REVIEW],
            "postmortem": got[POSTMORTEM],
            "other": len(fixes) - got[LANDED] - got[REVIEW] - got[POSTMORTEM],
            "twins": len(twins), "twins_landed": sum(o.on_branch for o in twins),
            "twins_review": sum(o.got == REVIEW for o in twins),
            "twins_postmortem": sum(o.got == POSTMORTEM for o in twins)}
