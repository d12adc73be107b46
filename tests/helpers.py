"""Shared test helpers: real git repositories, replay scripts, one op through the real
pipeline, an in-process daemon."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from daemon import phase_deps
from daemon.brains import providers
from daemon.config.provider import HttpProviderEntry
from daemon.config.settings import Settings
from daemon.phase_deps import policy_from
from daemon.service import Daemon
from governance.brains.reflex import Band
from governance.git.gitops import GitOps
from governance.oracle.testrun import TestRunner
from governance.phase import Phase
from governance.phases.deps import PhaseDeps
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from governance.policy import Policy
from governance.schemas import OperationContext, SignalEnvelope
from kernel.http.providers import HttpProviderConfig
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from ledger.store import TERMINAL_PHASES
from sensors.queue import IntakeQueue
from sensors.work_memory import WorkMemory
from tools.env import ToolEnv
from tools.jail import JailLimits
from tools.loop import LoopLimits, ToolLoopCoordinator
from tools.venom import VenomConfig

OPS_PY = '''"""Small arithmetic helpers."""


def add(a, b):
    return a + b


def clamp(x, lo, hi):
    return x
'''
OPS_FIXED = OPS_PY.replace("    return x\n", "    return max(lo, min(x, hi))\n")
OPS_BROKEN = OPS_PY.replace("return a + b", "return a - b")
TEST_OPS = '''from calc.ops import add, clamp


def test_add():
    assert add(2, 3) == 5


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5
'''
# The kind of op the pipeline tests run unless they say otherwise: a refactor of clamp
# (preserve intent) whose changed lines test_clamp_inside runs, so OPS_FIXED is *proven*
# and lands; what proof refuses or sends to review is tested in tests/governance/
# test_proof*.py and test_quiet_harm.py. A TODO op (new behaviour) waits for review.
PROVEN_SOURCE = "opportunity_miner"
PROVEN_EVIDENCE = {"function": "clamp"}
# Since issue 30 a preserve change whose changed lines merely ran waits for review by
# default (proof.preserve_on_coverage is off: ran is not checked). The tests of the landing
# machinery (APPLY, VERIFY, L2, failback, signing, ...) keep PROVEN_SOURCE as their proven
# shape by opting in; the default is what test_proof*, test_quiet_harm and the daemon's
# end-to-end tests (a TODO with the human's failing test) run with.
LAND_PRESERVE = {"preserve_on_coverage": True}
DEFAULT_PROOF = {"preserve_on_coverage": Settings().proof.preserve_on_coverage}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def checkout_after_the_last_look(monkeypatch, ops, repo: Path, *checkout: str) -> None:
    """Make the human run `git checkout *checkout` right after GitOps.commit_paths' second
    look (the one just before the ref moves): the race a real checkout cannot time."""
    check, looks = ops._check_at_rest, []

    def looking(*args):
        check(*args)
        looks.append(1)
        if len(looks) == 2:
            git(repo, "checkout", "-q", *checkout)

    monkeypatch.setattr(ops, "_check_at_rest", looking)


def commit_files(repo: Path, files: dict[str, str]) -> Path:
    """A new git repository at `repo` holding `files` (relative path -> text), committed."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Human")
    git(repo, "config", "user.email", "human@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def make_repo(root: Path) -> Path:
    """A small package with passing tests, committed."""
    return commit_files(root / "repo", {
        "calc/__init__.py": "", "calc/ops.py": OPS_PY, "tests/test_ops.py": TEST_OPS,
        "README.md": "# calc\n", "notes.txt": "notes\n"})


def candidate_turn(file_path: str, content: str, rationale: str = "clamp into range") -> str:
    text = json.dumps({"schema": "candidate.1", "file_path": file_path,
                       "full_content": content, "rationale": rationale})
    return json.dumps({"purpose": "generate", "text": text, "cost_usd": 0.001})


def tool_call(tool: str, **arguments: object) -> str:
    """One tool call as a Venom model writes it: a JSON line."""
    return json.dumps({"tool": tool, "arguments": arguments})


def replay(*texts: str) -> ReplayProvider:
    """A replay model that answers each generate call with the next text."""
    return ReplayProvider([ReplayTurn(purpose="generate", text=t) for t in texts])


def script_turn(*lines: str, cost_usd: float = 0.0005) -> str:
    """One line of a replay script: a generate turn whose text is `lines`, one a line."""
    return json.dumps({"purpose": "generate", "text": "\n".join(lines), "cost_usd": cost_usd})


def explore_calls(*files: str) -> str:
    """The least exploration Venom's gate accepts before a change to `files` (calc/ops.py
    if none), as a model's text: a read_file of each, then a list_dir, so one file still
    makes 2 calls. Each tools-on attempt explores afresh: script it before every one."""
    calls = [tool_call("read_file", path=f) for f in files or ("calc/ops.py",)]
    return "\n".join([*calls, tool_call("list_dir", path=".")])


def explore_turn(*files: str, match: str | None = None) -> str:
    """explore_calls as one line of a replay script (taken only by a prompt with `match`)."""
    turn = {"purpose": "generate", "text": explore_calls(*files), "cost_usd": 0.0005}
    return json.dumps({**turn, "match": match} if match else turn)


def write_script(path: Path, *turns: str) -> Path:
    path.write_text("\n".join(turns) + "\n")
    return path


def tree_bytes(repo: Path) -> dict[str, bytes]:
    """Every file outside .git and the state dir, for byte-identical comparisons."""
    out = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo)
        if rel.parts[0] in (".git", ".ouroboros") or not p.is_file():
            continue
        out[rel.as_posix()] = p.read_bytes()
    return out


PYTEST = ["{python}", "-m", "pytest"]


def make_policy(**knobs: object) -> Policy:
    """The daemon's policy from the default settings (their one source of truth), with
    LAND_PRESERVE and then `knobs` changed."""
    return dataclasses.replace(policy_from(Settings()), **{**LAND_PRESERVE, **knobs})


def with_routes(policy: Policy, **changes: object) -> Policy:
    """`policy` with every route's RouteSpec changed (e.g. timeout_s, budget_s, grace_s)."""
    table = policy.routes
    routes = {r: dataclasses.replace(spec, **changes) for r, spec in table.routes.items()}
    return dataclasses.replace(policy, routes=dataclasses.replace(table, routes=routes))


def http_config(**entry: object) -> HttpProviderConfig:
    """An HTTP brain's config as the daemon builds it from a [[provider.http]] `entry`."""
    return providers.http_config(HttpProviderEntry.model_validate(entry),
                                 Settings().provider.prices)


def work_memory(ledger: Ledger, root: Path | None = None, **overrides: object) -> WorkMemory:
    """The daemon's work memory for default `[intake]` settings, with `overrides`: the
    brain is "replay", every review branch is open, the files live beside the ledger."""
    i = Settings().intake

    async def review_open(_op_id: str) -> bool:
        return True

    knobs = {"settings": Settings().work_digest(), "brain": lambda: "replay",
             "backoff_s": i.retry_backoff_s, "futile_after": i.futile_after,
             "review_open": review_open}
    return WorkMemory(ledger, root or ledger.path.parent,
                      **{**knobs, **overrides})  # type: ignore[arg-type]


def intake_queue(ledger: Ledger, **overrides: object) -> IntakeQueue:
    """The daemon's intake queue for default `[intake]` settings, with `overrides`. No op
    is alive unless `alive` says so: a lock past the TTL is a crashed op's."""
    i = Settings().intake
    knobs = {"capacity": i.queue_capacity, "coalesce_window_s": i.coalesce_window_s,
             "lock_ttl_s": i.file_lock_ttl_s, "alive": lambda _key: False,
             "work": work_memory(ledger)}
    return IntakeQueue(ledger, **{**knobs, **overrides})  # type: ignore[arg-type]


def tool_loop(*args: object, **fields: object) -> ToolLoopCoordinator:
    """A ToolLoopCoordinator with the daemon's default loop limits and reflex band unless
    given (positional arguments as the class takes them: env, policy, limits, ...)."""
    fields.setdefault("band", Band.of(make_policy()))
    if len(args) < 3:
        fields.setdefault("limits", loop_limits())
    return ToolLoopCoordinator(*args, **fields)  # type: ignore[arg-type]


def jail_limits(**overrides: object) -> JailLimits:
    """The daemon's jail limits for default settings, with `overrides`."""
    return dataclasses.replace(phase_deps.jail_limits(Settings()), **overrides)


def loop_limits(**overrides: object) -> LoopLimits:
    """The daemon's tool-loop limits for default settings, with `overrides`."""
    return dataclasses.replace(phase_deps.loop_limits(Settings()), **overrides)


def tool_env(**fields: object) -> ToolEnv:
    """A ToolEnv with the daemon's default limits and timeouts unless `fields` set them; its
    test runner has no jail (run_tests then runs only where `jail_reason` is set and
    unsandboxed tests are allowed) unless `tests` gives one."""
    c = venom_config()
    return ToolEnv(**{"limits": c.jail, "tests": TestRunner(PYTEST, c.test_timeout_s),
                      "ask_timeout_s": c.ask_timeout_s, **fields})  # type: ignore[arg-type]


def venom_config(**overrides: object) -> VenomConfig:
    """The daemon's Venom config for default settings, with `overrides`."""
    return dataclasses.replace(phase_deps.venom_config(Settings()), **overrides)


def no_retry_policy(**knobs: object) -> Policy:
    """One generation, one validation: a refused candidate ends the op."""
    return make_policy(max_generate_retries=0, max_validate_retries=0, **knobs)


def pipeline_deps(repo: Path, ledger: Ledger, provider: ReplayProvider | None, *,
                  state_dir: Path | None = None, policy: Policy | None = None,
                  runner: TestRunner | None = None, **overrides: object) -> PhaseDeps:
    """The real phases' dependencies for `repo`. The state dir is `<repo>/.ouroboros` unless
    `state_dir` puts it outside the repository; `runner` validates and verifies;
    `overrides` replace any other PhaseDeps field (approvals, oracle, separate runners)."""
    runner = runner or TestRunner(PYTEST, 60)
    fields: dict = {
        "root": repo, "state_dir": state_dir or repo / ".ouroboros",
        "state_rel": "" if state_dir else ".ouroboros", "policy": policy or make_policy(),
        "provider": provider, "git": GitOps(repo), "validate_runner": runner,
        "verify_runner": runner, "ledger": ledger}
    return PhaseDeps(**{**fields, **overrides})


def op_context(*targets: str, goal: str = "fix it", dedup_key: str = "k",
               session_id: str = "s", source: str = PROVEN_SOURCE,
               evidence: dict | None = None) -> OperationContext:
    """A fresh op on `targets` (calc/ops.py if none): by default a refactor of clamp, the
    kind of op OPS_FIXED proves (PROVEN_SOURCE)."""
    if evidence is None:
        evidence = PROVEN_EVIDENCE if source == PROVEN_SOURCE else {}
    return OperationContext(envelope=SignalEnvelope(
        source=source, target_files=targets or ("calc/ops.py",), goal=goal,
        dedup_key=dedup_key, session_id=session_id, evidence=evidence))


async def run_op(repo: Path, ledger_path: Path, target: str, *texts: str,
                 provider: ReplayProvider | None = None, goal: str = "fix it",
                 dedup_key: str = "k", session_id: str = "s",
                 **deps: object) -> tuple[Phase, dict]:
    """One op on `target` through the real Orchestrator and phase table, the model scripted
    by `texts` (or by `provider`); returns the end phase and the op's ledger chain. `deps`
    go to pipeline_deps (state_dir, policy, runner, PhaseDeps fields)."""
    if provider is not None and texts:
        raise ValueError("give the model's texts or a provider, not both")
    ledger = await Ledger.open(ledger_path)
    try:
        ctx = op_context(target, goal=goal, dedup_key=dedup_key, session_id=session_id)
        end = await Orchestrator(PHASES, pipeline_deps(
            repo, ledger, provider or replay(*texts), **deps)).run(ctx)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    return end, chain


# The suite runs on busy machines, the test process hosts its daemons: they neither wait
# for the host nor lower their priority (tests/daemon/host/test_host_gate.py turns both on; the
# conftest sets the same for daemons started as subprocesses).
HEALTH_IN_TESTS = {"enabled": False, "lower_priority": False}


def settings_for(script: Path | None, **overrides: dict) -> Settings:
    data: dict = {"provider": {"name": "replay", "replay_script": str(script)} if script
                  else {"name": "none"},
                  "intake": {"debounce_s": 0.1},
                  "daemon": {"shutdown_grace_s": 2.0},
                  "health": dict(HEALTH_IN_TESTS), "proof": dict(LAND_PRESERVE)}
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    return Settings.model_validate(data)


@contextlib.asynccontextmanager
async def running_daemon(repo: Path, settings: Settings,
                         daemon: Daemon | None = None) -> AsyncIterator[Daemon]:
    daemon = daemon or Daemon(repo, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(daemon.serve(stop))
    ready = asyncio.create_task(daemon.ready.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()
    try:
        yield daemon
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def wait_for(predicate: Callable[[], object], timeout: float = 30.0,
                   what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_sync(predicate: Callable[[], object], timeout: float = 30.0,
              what: str = "condition", interval: float = 0.1) -> object:
    """wait_for for code outside the event loop (a daemon in a subprocess)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


async def terminal_ops(daemon: Daemon) -> list[dict]:
    assert daemon.ledger is not None
    ops = await daemon.ledger.operations()
    return [o for o in ops if o["phase"] in TERMINAL_PHASES]


async def wait_terminal(daemon: Daemon, count: int = 1, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = await terminal_ops(daemon)
        if len(done) >= count:
            return done
        await asyncio.sleep(0.1)
    raise AssertionError(f"no terminal op within {timeout}s: {await daemon.status()}")


# The test the human commits with the TODO: what the TODO means, failing until it is done.
# A TODO is new behaviour; the op that makes this test pass is proven and lands (without
# it the change would wait on a review branch: governance.proof.rules).
CLAMP_TEST = '''from calc.ops import clamp


def test_clamp_bounds():
    assert clamp(-5, 0, 10) == 0
    assert clamp(50, 0, 10) == 10
'''


def add_todo_and_commit(repo: Path) -> None:
    """The human writes a TODO and the failing test that says what it means, and commits
    both (a TODO in a dirty file is held back)."""
    ops = repo / "calc" / "ops.py"
    ops.write_text(ops.read_text().replace(
        "def clamp(x, lo, hi):\n", "def clamp(x, lo, hi):\n    # TODO: clamp x into [lo, hi]\n"))
    (repo / "tests" / "test_clamp.py").write_text(CLAMP_TEST)
    git(repo, "add", "tests/test_clamp.py")
    git(repo, "commit", "-q", "-m", "note a TODO", "--", "calc/ops.py", "tests/test_clamp.py")


# The edit that resolves add_todo_and_commit's TODO, as a Venom model writes it.
FIX_TODO_EDIT = tool_call("edit_file", path="calc/ops.py",
                          old="    # TODO: clamp x into [lo, hi]\n    return x\n",
                          new="    return max(lo, min(x, hi))\n")


def todo_script(path: Path) -> Path:
    """A replay script resolving add_todo_and_commit's TODO: explore (read_file, list_dir),
    then the edit, then the summary."""
    return write_script(path, explore_turn(), script_turn(FIX_TODO_EDIT),
                        script_turn("Clamped x into [lo, hi]; removed the TODO."))


@dataclass
class TodoRun:
    """One TODO op a daemon ran to its end, and the tree as it was once the TODO landed."""

    daemon: Daemon
    op: dict
    chain: dict
    before: dict[str, bytes]  # tree_bytes right after the TODO commit
    head: str  # `git rev-parse HEAD` then, newline included


async def run_todo(repo: Path, settings: Settings, *, daemon: Daemon | None = None,
                   timeout: float = 60.0) -> TodoRun:
    """Serve `repo`, commit a TODO, and wait for the one op it starts to end."""
    async with running_daemon(repo, settings, daemon) as daemon:
        add_todo_and_commit(repo)
        before, head = tree_bytes(repo), git(repo, "rev-parse", "HEAD")
        [op] = await wait_terminal(daemon, timeout=timeout)
        chain = await daemon.ledger.chain(op["op_id"])
    return TodoRun(daemon, op, chain, before, head)
