"""What the daemon builds from its settings for every op's phases: the governance Policy,
the jail the VALIDATE and VERIFY test runs use, Venom (the tool loop) when tools are on, and
grounding memory when it is on. Tests build the same parts through tests/helpers.py.

Without bubblewrap the test runners refuse with the reason instead of running the repo's
code unjailed, unless `tools.allow_unsandboxed_tests` says otherwise.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
from pathlib import Path
from typing import Any, Protocol

import structlog

from daemon.config.settings import Settings
from daemon.host.pause import host_yield
from daemon.host.slow_runs import GateLoad
from governance.memory.digest import Digest
from governance.memory.lessons import Lessons
from governance.memory.memory import Memory
from governance.oracle.interpreter import detect as detect_test_env
from governance.oracle.testrun import TestRunner
from governance.phases.deps import PhaseDeps
from governance.policy import Policy
from governance.routes.deadlines import CHARS_PER_TOKEN, WorkShape
from governance.routes.routing import Route, RouteSpec, RouteTable
from governance.routes.throughput import ASSUMED, PlanRecord, Speed
from ledger import Ledger
from tools.jail import JailExecutor, JailLimits, JailResult
from tools.loop import LoopLimits
from tools.mcp_hub import McpHub
from tools.venom import Venom, VenomConfig

log = structlog.get_logger("daemon")


class Dispatching(Protocol):
    """What the phases' parts are built from (daemon.service.Daemon honours it)."""

    settings: Settings
    root: Path
    state_dir: Path
    jail_reason: str | None
    mcp: McpHub | None
    ledger: Ledger | None
    memory: Memory | None
    brains: Any  # daemon.brains.routes.Brains: its routes, speeds and plans
    provider: Any  # governance.brains.provider.CandidateProvider
    git: Any
    reviews: Any
    questions: Any
    model_gate: Any
    reflex_stats: Any
    host: Any  # daemon.host.gate's gate
    ops: Any  # op id -> daemon.op_handle.OpHandle

    async def op_host_line(self, op_id: str, msg: str, data: dict[str, Any]) -> None: ...


def state_rel(root: Path, state_dir: Path) -> str:
    """The state dir relative to the repository ("" when it lies outside)."""
    with contextlib.suppress(ValueError):
        return state_dir.resolve().relative_to(root.resolve()).as_posix()
    return ""


def deps_for(daemon: Dispatching) -> PhaseDeps:
    """What every op's phases use, built once when the dispatcher starts: the policy with
    the routes' brains resolved at start, the jailed runners, Venom, the daemon's shared
    parts (model gate, questions, reviews, memory) and the host's yield."""
    assert daemon.ledger is not None
    settings, brains = daemon.settings, daemon.brains
    policy = policy_from(settings)
    if brains is not None:
        policy = dataclasses.replace(policy, routes=brains.routes)
    validate, verify = runners_from(settings, daemon.root, daemon.state_dir, daemon.jail_reason)
    say_test_env(settings, daemon.root, daemon.state_dir)
    return PhaseDeps(root=daemon.root, state_dir=daemon.state_dir,
                     state_rel=state_rel(daemon.root, daemon.state_dir),
                     policy=policy, provider=daemon.provider, git=daemon.git,
                     validate_runner=validate, verify_runner=verify,
                     reviews=daemon.reviews, ledger=daemon.ledger,
                     tools=venom_from(settings, daemon.jail_reason, daemon.mcp),
                     questions=daemon.questions, model_gate=daemon.model_gate,
                     reflex_stats=daemon.reflex_stats, memory=daemon.memory,
                     speeds=brains.speeds if brains else None,
                     plans=brains.plans if brains else PlanRecord(),
                     host_yield=host_yield(daemon.host, daemon.ops, daemon.op_host_line),
                     host=GateLoad(daemon.host, settings.health, daemon.ops))


def policy_from(settings: Settings) -> Policy:
    g, c, p = settings.governance, settings.commit, settings.proof
    return Policy(protected_globs=tuple(g.protected_globs), approval_globs=tuple(g.approval_globs),
                  notify_globs=tuple(g.notify_globs), max_generate_retries=g.max_generate_retries,
                  max_validate_retries=g.max_validate_retries,
                  notify_apply_delay_s=g.notify_apply_delay_s,
                  context_expansion=g.context_expansion,
                  per_op_usd=settings.cost.per_op_usd,
                  allow_non_ascii_paths=g.allow_non_ascii_paths,
                  ascii_literals=g.ascii_literals,
                  model_wait_timeout_s=g.model_wait_timeout_s, op_ceiling_s=g.op_ceiling_s,
                  l2_enabled=g.l2_enabled, l2_max_iters=g.l2_max_iters,
                  l2_timebox_s=g.l2_timebox_s, l2_iter_test_timeout_s=g.l2_iter_test_timeout_s,
                  l2_max_diff_lines=g.l2_max_diff_lines, l2_max_files=g.l2_max_files,
                  reground_budget=g.reground_budget, reground_spook=g.reground_spook,
                  collapse_threshold=settings.provider.canary_threshold,
                  author_name=c.author_name, author_email=c.author_email,
                  full_suite_budget_s=p.full_suite_budget_s,
                  autocommit_new_behaviour=p.autocommit_new_behaviour,
                  preserve_on_coverage=p.preserve_on_coverage,
                  max_new_files=p.max_new_files, review_branch_prefix=p.review_branch_prefix,
                  missing_test_questions=p.missing_test_questions,
                  missing_test_budget_s=p.missing_test_budget_s,
                  routes=route_table(settings), work=work_shape(settings),
                  plan_trials=g.plan_trials, samples=settings.generate.samples,
                  lint=p.lint, lint_timeout_s=p.lint_timeout_s)


def route_table(settings: Settings) -> RouteTable:
    """[routes] as governance reads it; a route's empty brain list stays empty here (every
    brain) until the daemon resolves it against the brains it built (daemon.brains.routes)."""
    r = settings.routes
    return RouteTable(
        {route: RouteSpec(route, e.timeout_s, e.budget_s, tuple(e.brains))
         for route, e in ((route, getattr(r, route.value.lower())) for route in Route)},
        primary_share=r.primary_share, fallback_reserve_s=r.fallback_reserve_s,
        margin=r.deadline_margin,
        assumed=Speed(r.assumed_prompt_tps, r.assumed_decode_tps, ASSUMED))


def work_shape(settings: Settings) -> WorkShape:
    t = settings.tools
    return WorkShape(reply_tokens=settings.provider.max_new_tokens,
                     tool_rounds=t.max_rounds if t.enabled else 1,
                     round_tokens=t.output_cap_bytes // CHARS_PER_TOKEN)


def jail_limits(settings: Settings, **overrides: float) -> JailLimits:
    """A jailed run's limits from `tools.*`; `overrides` (a sensor's own timeout) win."""
    t = settings.tools
    knobs = {"timeout_s": t.timeout_s, "cpu_s": t.cpu_s, "memory_bytes": t.memory_mb << 20,
             "file_bytes": t.file_mb << 20, "max_procs": t.max_procs}
    return JailLimits(**{**knobs, **overrides})  # type: ignore[arg-type]


def loop_limits(settings: Settings) -> LoopLimits:
    t = settings.tools
    return LoopLimits(max_rounds=t.max_rounds, max_exploration_rounds=t.max_exploration_rounds,
                      tool_timeout_s=t.timeout_s, max_concurrent=t.max_concurrent,
                      output_cap_bytes=t.output_cap_bytes,
                      budget_chars=t.compact_threshold_chars,
                      preserve_chunks=t.compact_preserve_chunks)


def venom_config(settings: Settings) -> VenomConfig:
    g, t = settings.governance, settings.tools
    return VenomConfig(
        loop=loop_limits(settings), jail=jail_limits(settings),
        disabled=frozenset(t.disabled_tools), web_allowlist=tuple(t.web_allowlist),
        test_timeout_s=g.validate_timeout_s, ask_timeout_s=t.ask_timeout_s,
        min_exploration_calls=t.min_exploration_calls,
        allow_unsandboxed_tests=t.allow_unsandboxed_tests)


def refuse_unsandboxed(reason: str):
    """An executor that explains why tests cannot run, instead of running them unjailed."""

    async def refuse(root: Path, argv, timeout_s: float, writable: bool, *, binds=(),
                     env=None) -> JailResult:
        return JailResult(None, f"tests not run: {reason} (set tools.allow_unsandboxed_tests "
                          "= true to run them without a sandbox)", False, False, 0.0)

    return refuse


def runners_from(settings: Settings, root: Path, state_dir: Path,
                 jail_reason: str | None, shown_at: Path | None = None,
                 ) -> tuple[TestRunner, TestRunner]:
    """(VALIDATE's runner, writable sandbox; VERIFY's, read-only on the live tree).
    `shown_at`: where the jail shows the tree under test (default `root`): eval's scratch
    clones are shown at the user's repository, so its environment's absolute paths into
    the repository (an editable install) reach the clone, as a sandbox of the daemon's
    reaches its copy."""
    g, home = settings.governance, Path.home()
    executor = None
    if jail_reason is None:
        executor = JailExecutor([home, root, state_dir], jail_limits(settings),
                                [Path(sys.prefix), Path(sys.base_prefix)],
                                protected_globs=policy_from(settings).protected_globs,
                                live_root=shown_at or root)
    elif not settings.tools.allow_unsandboxed_tests:
        executor = refuse_unsandboxed(jail_reason)
    oracle = {"plugin_autoload": g.pytest_plugin_autoload, "plugins": g.pytest_plugins,
              "test_env": env_finder(settings, root, state_dir)}  # read before every run
    return (TestRunner(g.test_command, g.validate_timeout_s, executor, writable=True, **oracle),
            TestRunner(g.test_command, g.verify_timeout_s, executor, writable=False, **oracle))


def env_finder(settings: Settings, root: Path, state_dir: Path) -> functools.partial:
    """What finds the interpreter and command that run the repository's tests."""
    g = settings.governance
    return functools.partial(detect_test_env, root, g.test_python, g.test_command,
                             state_dir=state_dir, home=Path.home())


def say_test_env(settings: Settings, root: Path, state_dir: Path) -> None:
    """The test environment, logged once when the dispatcher starts (a warning when it has
    a problem). runners_from says nothing: the suite profile, every eval op and every eval
    suite run build runners of their own, and each said it again."""
    found = env_finder(settings, root, state_dir)()
    (log.warning if found.problem else log.info)("test environment", env=found.describe())


def memory_from(settings: Settings, ledger: Ledger, root: Path,
                session_id: str) -> Memory | None:
    """Grounding memory (advisory: outcomes, reputation, trust, lessons, the digest), or
    None when `governance.memory` is off."""
    g = settings.governance
    if not g.memory:
        return None
    lessons = (Lessons(session_id, g.lessons_max, g.lessons_check_interval)
               if g.lessons else None)
    digest = Digest(root, g.digest_chars) if g.digest else None
    return Memory(ledger, g.memory_ttl_h * 3600, lessons=lessons, digest=digest)


def venom_from(settings: Settings, jail_reason: str | None, mcp: McpHub | None) -> Venom | None:
    """The tool loop for GENERATE, or None when `tools.enabled` is off."""
    if not settings.tools.enabled:
        return None
    return Venom(venom_config(settings), jail_reason, Path.home(), mcp)
