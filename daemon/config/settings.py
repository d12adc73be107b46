"""Configuration: one pydantic model, from `ouroboros.toml` plus `OUROBOROS_*` overrides.

Environment keys name a section and a knob joined by a double underscore, e.g.
`OUROBOROS_GOVERNANCE__NOTIFY_APPLY_DELAY_S=0`. Defaults are the design documents' numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from daemon.config.base import Section
from daemon.config.eval import EvalSection
from daemon.config.explain import Key, refused
from daemon.config.health import HealthSection
from daemon.config.provider import ProviderSection
from daemon.config.routes import RoutesSection
from daemon.config.serve import ServeSection
from daemon.config.state import LedgerSection, StorageSection
from daemon.errors import ConfigError
from sensors.defaults import TEST_FAILURE_DEBOUNCE_S
from tools.exploration import MIN_EXPLORATION_CALLS

CONFIG_NAME = "ouroboros.toml"
ENV_PREFIX = "OUROBOROS_"


class DaemonSection(Section):
    state_dir: str = ".ouroboros"  # relative to the repository root unless absolute
    workers: int = Field(default=3, ge=1, le=16)
    shutdown_grace_s: float = Field(default=30.0, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # auto: short readable lines on a terminal, JSON lines otherwise (journald, pipes).
    log_format: Literal["auto", "console", "json"] = "auto"
    # A "still working" log line for an op that stays in one phase this long, and again
    # every heartbeat_s while it stays; 0 = off.
    heartbeat_s: float = Field(default=30.0, ge=0)
    # Control socket: at the cap the longest-idle connection is closed to make room, so
    # idle clients can never starve `status`; a line must arrive within the idle timeout.
    control_max_connections: int = Field(default=32, ge=1, le=1024)
    control_idle_timeout_s: float = Field(default=30.0, gt=0)
    control_request_timeout_s: float = Field(default=30.0, gt=0)
    # The live view over HTTP (daemon.live.http): Server-Sent Events and a page, bound to
    # 127.0.0.1 only; 0 = off.
    live_port: int = Field(default=0, ge=0, le=65535)


class GovernanceSection(Section):
    max_generate_retries: int = Field(default=2, ge=0, le=10)
    max_validate_retries: int = Field(default=2, ge=0, le=10)
    notify_apply_delay_s: float = Field(default=5.0, ge=0)
    validate_timeout_s: float = Field(default=60.0, gt=0)
    verify_timeout_s: float = Field(default=60.0, gt=0)
    # How long an op may queue for its turn at the (single) model before a generation
    # attempt; its generation deadline (the route's) starts only once the turn comes.
    # Below op_ceiling_s, so a starved op ends with this reason rather than the ceiling's.
    model_wait_timeout_s: float = Field(default=300.0, gt=0)
    # Wall-clock ceiling of one op from intake to its terminal row; past it the op is
    # reaped to POSTMORTEM (rolled back if it had been applied). The seed's 360 s assumed
    # a hosted API; each model step now has its own deadline sized to its brain ([routes]),
    # and this only reaps a wedged op: it holds a COMPLEX route's budget plus PLAN,
    # VALIDATE and VERIFY with room to spare.
    op_ceiling_s: float = Field(default=1800.0, gt=0)
    # L2 self-repair (governance.phases.l2): entered once the validate retries are spent, and
    # once after a VERIFY failure. Its timebox starts fresh when it starts.
    l2_enabled: bool = True
    l2_max_iters: int = Field(default=5, ge=1, le=50)
    l2_timebox_s: float = Field(default=120.0, gt=0)
    l2_iter_test_timeout_s: float = Field(default=60.0, gt=0)
    l2_max_diff_lines: int = Field(default=150, ge=1)
    l2_max_files: int = Field(default=3, ge=1)
    # The re-ground reflex (governance.brains.reflex): a reply whose collapse proximity reaches
    # provider.canary_threshold is discarded and the op re-grounds, at most this many
    # times per op; from reground_spook on, proximity deflates the remaining budget.
    reground_budget: int = Field(default=2, ge=0, le=10)
    reground_spook: float = Field(default=0.3, ge=0, lt=1)
    context_expansion: bool = True
    # PLAN is skipped for a brain that produced no usable plan in this many tries (a small
    # model's plan is noise that costs a prompt); 0 never plans.
    plan_trials: int = Field(default=2, ge=0, le=100)
    # Grounding memory (governance.memory.memory): outcome records of finished ops, read back at
    # CLASSIFY. Advisory: a fragile target raises the tier one step, never lowers it.
    memory: bool = True
    memory_ttl_h: float = Field(default=168.0, gt=0)  # seed §27: a week, then records decay
    # Session lessons (governance.memory.lessons, seed §49): one line per finished op of this run
    # in the generation prompt, at most lessons_max; cleared when the ops run with them land
    # less often than those without (checked every lessons_check_interval such ops).
    # The strategic digest (governance.memory.digest, §37): README and the last 50 commits'
    # momentum, at most digest_chars. Both ride on memory (off when it is off); advisory.
    lessons: bool = True
    lessons_max: int = Field(default=20, ge=1, le=200)
    lessons_check_interval: int = Field(default=10, ge=1, le=1000)
    digest: bool = True
    digest_chars: int = Field(default=2500, ge=300, le=20_000)
    test_command: list[str] = Field(default=["{python}", "-m", "pytest"], min_length=1)
    # {python} in test_command: "auto" = the repo's .venv/ or venv/, else the daemon's own
    # interpreter; or a path (absolute or repo-relative). See governance.oracle.interpreter.
    test_python: str = Field(default="auto", min_length=1)
    # The oracle's test process: entry-point plugins stay off unless this is true; plugins
    # the repo's tests need (e.g. "pytest_asyncio.plugin") are safer named here instead.
    pytest_plugin_autoload: bool = False
    pytest_plugins: list[str] = Field(default_factory=list)
    protected_globs: list[str] = Field(default_factory=list)
    approval_globs: list[str] = Field(default_factory=list)
    notify_globs: list[str] = Field(default_factory=list)
    # Paths with non-ASCII characters (after NFKC) are refused unless this is on;
    # look-alike and invisible characters are refused either way.
    allow_non_ascii_paths: bool = False
    # The ASCII gate (governance.gates.ascii_gate) takes a string literal's or a comment's
    # printable non-ASCII on a changed Python line as content, as written; true refuses
    # it there too. Invisible and bidirectional control characters are refused either way.
    ascii_literals: bool = False


class GenerateSection(Section):
    """How GENERATE asks the brain for a candidate (governance.phases.samples)."""

    # Best of N: this many candidates per generation attempt, judged by VALIDATE and the
    # proof in turn, smallest change first; the first proven goes on. 1: one candidate.
    samples: int = Field(default=1, ge=1, le=8)


class ProofSection(Section):
    """What a change must show before it lands on the human's branch (governance.proof.rules);
    anything short of it is committed to a review branch instead (governance.git.review)."""

    # The whole suite runs at VALIDATE and VERIFY when its last measured baseline took at
    # most this long; above it, the affected scope (reverse-import closure plus the tests
    # that executed a changed file at baseline).
    full_suite_budget_s: float = Field(default=30.0, ge=0)
    # The whole-suite baseline and per-test profile that pick the affected scope are learnt
    # in the background (daemon.suite_profile) whenever HEAD moves, under this time limit
    # rather than VALIDATE's; a run that passes it is remembered for that tree, not retried.
    profile_timeout_s: float = Field(default=1800.0, gt=0)
    profile_poll_s: float = Field(default=30.0, gt=0)  # how often HEAD is checked for a move
    # New behaviour (TODO, backlog, a human's goal, an issue, a schedule) is the model's
    # claim even with a fail-to-pass test: it waits for review unless this is on, and then
    # lands only with a test that fails on the base, passes on the candidate, and every
    # changed line covered.
    autocommit_new_behaviour: bool = False
    # A behaviour-preserving change (a refactor, a doc or speed fix) lands only when this
    # is on, on the old, weaker evidence: its changed lines ran under passing tests. Off:
    # a line that ran is not a line a test checked (a refactor that moves a boundary
    # passes a suite that runs it loosely), so such a change waits for review until the
    # differential and mutation checks show its behaviour unchanged (issue 30).
    preserve_on_coverage: bool = False
    # New files a change may add beyond its targets before it counts as "more than asked".
    max_new_files: int = Field(default=2, ge=0, le=100)
    # The repository's own linters and type checkers (ruff, flake8, pylint, mypy, pyright),
    # where it configures them and its test environment has them, run on the changed files
    # for the base and the candidate: a finding the candidate adds refuses it
    # (governance.oracle.linters). Each tool's run in the jail is limited to lint_timeout_s.
    lint: bool = True
    lint_timeout_s: float = Field(default=120.0, gt=0)
    review_branch_prefix: str = Field(default="ouroboros/", min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*/$")
    review_max_age_days: float = Field(default=30.0, gt=0)  # older review branches are pruned
    # The missing-test step after a review is made (governance.phases.missing_test_step): at
    # most this many questions to the brain, one per reason a test could decide, cheapest
    # first, and this long for all of them with their jailed checks (docs/proof.md).
    missing_test_questions: int = Field(default=4, ge=0, le=20)
    missing_test_budget_s: float = Field(default=600.0, gt=0)


class ToolsSection(Section):
    enabled: bool = True  # Venom's tool loop in GENERATE; false = single-turn generation
    allow_unsandboxed_tests: bool = False  # run tests without bubblewrap (explicit opt-in)
    disabled_tools: list[str] = Field(default=["web_fetch"])
    web_allowlist: list[str] = Field(default_factory=list)
    memory_mb: int = Field(default=4096, ge=256)
    cpu_s: int = Field(default=120, ge=1)
    max_procs: int = Field(default=256, ge=8, le=65536)  # tasks per jailed run (pids cgroup)
    file_mb: int = Field(default=64, ge=1)  # largest file a jailed run may write
    ask_timeout_s: float = Field(default=600.0, gt=0)
    mcp_config: str | None = None  # {"mcpServers": {...}} JSON; relative to the repo
    max_rounds: int = Field(default=5, ge=1)
    max_exploration_rounds: int = Field(default=5, ge=1)
    min_exploration_calls: int = Field(default=MIN_EXPLORATION_CALLS, ge=0)
    timeout_s: float = Field(default=30.0, gt=0)
    max_concurrent: int = Field(default=2, ge=1)
    output_cap_bytes: int = Field(default=4096, ge=256)
    compact_threshold_chars: int = Field(default=98_304, ge=1024)
    compact_preserve_chunks: int = Field(default=6, ge=1)


class ScheduleEntry(Section):
    """One [[intake.schedules]] entry: when `cron` comes due, `goal` on `files`."""

    cron: str = Field(min_length=1, max_length=200)  # five fields or @daily..., local time
    goal: str = Field(min_length=1, max_length=2000)
    files: list[str] = Field(min_length=1, max_length=16)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from sensors.scheduled import cron_problem  # croniter only when a schedule exists

        if why := cron_problem(value):
            raise ValueError(why)
        return value

    @field_validator("files")
    @classmethod
    def _files(cls, value: list[str]) -> list[str]:
        from governance.fs.protected import normalize  # PathEscape is a ValueError

        return [normalize(f, allow_non_ascii=True) for f in value]


class IntakeSection(Section):
    queue_capacity: int = Field(default=16, ge=1)
    debounce_s: float = Field(default=0.3, ge=0)
    coalesce_window_s: float = Field(default=30.0, ge=0)
    file_lock_ttl_s: float = Field(default=300.0, gt=0)
    todo_scanner: bool = True
    # Every sensor's scan_once runs at start and then this often, as a safety net for
    # file events the watcher missed (inotify overflow, a sleep, edits over NFS).
    scan_interval_s: float = Field(default=300.0, ge=5)
    # GitHub issue webhooks on 127.0.0.1:webhook_port (0: no endpoint). The secret is read
    # from webhook_secret_file (absolute, outside the repo, mode 0600; never inline);
    # issues opened or labelled with webhook_label become work.
    webhook_port: int = Field(default=0, ge=0, le=65535)
    webhook_secret_file: str = ""
    webhook_label: str = Field(default="ouroboros", min_length=1, max_length=256)
    opportunity_miner: bool = True
    # McCabe's own suggested ceiling (1976) and flake8's customary max-complexity: above 10
    # a function has more paths than its tests usually cover.
    complexity_threshold: int = Field(default=10, ge=1)
    # Reads what `ouroboros install-hooks`' post-commit hook records; idle without it.
    doc_staleness: bool = True
    # Cron-driven work ([[intake.schedules]] tables); fired by the scheduled sensor's timer.
    schedules: list[ScheduleEntry] = Field(default_factory=list, max_length=64)
    # TestFailure: every pytest run's results (the ouroboros_results plugin) and, this long
    # after the last .py change, a jailed run of the tests that exercise the changed files.
    test_failure: bool = True
    test_failure_debounce_s: float = Field(default=TEST_FAILURE_DEBOUNCE_S, ge=0)
    # PerformanceRegression: this command (run jailed, once per new HEAD) writes
    # pytest-benchmark JSON to {json}; empty: the sensor is off. A benchmark whose median
    # exceeds its stored baseline by more than perf_threshold (0.25 = 25% slower: above the
    # run-to-run noise of a busy developer box) becomes work.
    perf_command: list[str] = Field(default_factory=list, max_length=64)
    perf_threshold: float = Field(default=0.25, gt=0)
    perf_timeout_s: float = Field(default=600.0, gt=0)
    # A WAL entry older than this at start is dropped, not replayed (seed §56.2): after a
    # day its file has likely changed, and the start-up scan finds whatever is still real.
    wal_ttl_s: float = Field(default=86400.0, gt=0)
    # Work whose op failed with no judged answer waits this long before the same brain tries
    # it again on the same code with the same settings (sensors.work_memory), across
    # restarts: the n-th failure in a row waits the n-th step, and every later one the last
    # step (the cap). A change of code, brain or settings lets it be tried at once. Work the
    # proof refused or a human rejected waits for such a change, with no timer.
    retry_backoff_s: list[float] = Field(
        default_factory=lambda: [60.0, 300.0, 1800.0, 7200.0, 28800.0, 86400.0],
        min_length=1, max_length=32)
    # A brain that finished at least this many ops of one source and never gave a usable
    # candidate (one that landed or waits for review) gets no more of that source's work;
    # 0: never held back so.
    futile_after: int = Field(default=5, ge=0)

    @field_validator("retry_backoff_s")
    @classmethod
    def _growing(cls, value: list[float]) -> list[float]:
        if any(not 0 < v <= 31_536_000 for v in value) or value != sorted(value):
            raise ValueError("retry_backoff_s must be growing steps of seconds, each above "
                             "0 and at most a year, e.g. [60, 300, 1800, 86400]")
        return value

    @field_validator("perf_command")
    @classmethod
    def _perf_json(cls, value: list[str]) -> list[str]:
        if value and not any("{json}" in part for part in value):
            raise ValueError("perf_command must write pytest-benchmark JSON to {json}, e.g. "
                             "--benchmark-json={json}")
        return value


class CommitSection(Section):
    author_name: str = Field(default="Ouroboros", min_length=1)
    author_email: str = Field(default="ouroboros@localhost", pattern=r"^[^<>\s]+@[^<>\s]+$")


class CostSection(Section):
    per_op_usd: float = Field(default=0.50, ge=0)
    daily_usd: float = Field(default=5.00, ge=0)


class Settings(Section):
    daemon: DaemonSection = Field(default_factory=DaemonSection)
    provider: ProviderSection = Field(default_factory=ProviderSection)
    governance: GovernanceSection = Field(default_factory=GovernanceSection)
    routes: RoutesSection = Field(default_factory=RoutesSection)
    generate: GenerateSection = Field(default_factory=GenerateSection)
    proof: ProofSection = Field(default_factory=ProofSection)
    tools: ToolsSection = Field(default_factory=ToolsSection)
    intake: IntakeSection = Field(default_factory=IntakeSection)
    commit: CommitSection = Field(default_factory=CommitSection)
    cost: CostSection = Field(default_factory=CostSection)
    health: HealthSection = Field(default_factory=HealthSection)
    serve: ServeSection = Field(default_factory=ServeSection)
    ledger: LedgerSection = Field(default_factory=LedgerSection)
    storage: StorageSection = Field(default_factory=StorageSection)
    eval: EvalSection = Field(default_factory=EvalSection)  # `ouroboros eval` (docs/eval.md)

    @model_validator(mode="after")
    def _spook_below_threshold(self) -> Settings:
        spook, threshold = self.governance.reground_spook, self.provider.canary_threshold
        if spook >= threshold:
            raise ValueError(f"governance.reground_spook ({spook:g}) must be below "
                             f"provider.canary_threshold ({threshold:g}): at or above it no "
                             "reply is ever a spook, so nothing deflates before a collapse")
        return self

    def work_digest(self) -> str:
        """A digest of the settings that shape what an op does (a change lets failed work
        be tried again: sensors.work_memory); the daemon's, intake's, host's and serve's
        own knobs are not among them."""
        shaping = self.model_dump(mode="json", include={
            "provider", "governance", "routes", "generate", "proof", "tools", "commit",
            "cost"})
        return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:24]

    def state_path(self, repo: Path) -> Path:
        p = Path(self.daemon.state_dir).expanduser()
        return p if p.is_absolute() else repo / p


def _env_value(raw: str) -> Any:
    """Env values stay strings for pydantic to coerce, except JSON lists/objects."""
    if raw.strip().startswith(("[", "{")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _overlay_env(data: dict[str, Any], environ: Mapping[str, str]) -> dict[Key, str]:
    """Each OUROBOROS_SECTION__KNOB over the file's data; where each landed -> its name (the
    name is what an error about its value says)."""
    landed: dict[Key, str] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key[len(ENV_PREFIX):]:
            continue
        section, _, knob = key[len(ENV_PREFIX):].lower().partition("__")
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"{key}: [{section}] is not a section", env=(key,))
        target[knob] = _env_value(raw)
        landed[(section, knob)] = key
    return landed


def load_settings(repo: Path, config_path: Path | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (explicit path, or `<repo>/ouroboros.toml` if present), apply
    environment overrides, validate. Raises ConfigError with a message naming key,
    value and expectation."""
    environ = os.environ if environ is None else environ
    path = config_path or repo / CONFIG_NAME
    data: dict[str, Any] = {}
    if config_path is not None and not path.is_file():
        raise ConfigError(f"config file not found: {path}", file=path)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})", file=path) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}", file=path) from exc
    from_env = _overlay_env(data, environ)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise refused(exc, path if path.is_file() else None, from_env) from None
