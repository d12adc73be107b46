"""The `status` answer as a typed contract: what the daemon builds (daemon.status.view), what
the control socket sends (`Status.model_dump(mode="json")`) and what the CLI and the REPL
read back (`Status.model_validate`) before daemon.cli.render shows it.

The wire keeps the keys the daemon has always sent: a key that was only present sometimes
(`reviews.error`, `grounding.lessons`) is left out when it is None, and a queue entry is
either a queued envelope (with its `priority`) or one waiting behind a running op's file
lock (with `waiting_for`), never a mix.

Unknown keys are ignored, so a newer daemon that adds a field still reads; a missing or
mistyped one is refused (`ValidationError` names it). tests/daemon/status/test_status_model.py
checks that what a real daemon answers survives the round trip unchanged.

Only pydantic is imported here: the CLI loads this module for `status` and nothing else
of the daemon's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# daemon.op_handle.ServiceState's values (a test keeps the two equal): that module imports
# governance, far too heavy for the CLI.
ServiceStateName = Literal["INACTIVE", "STARTING", "ACTIVE", "DEGRADED", "STOPPING", "FAILED"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


def _none(value: object) -> bool:
    return value is None


def _zero(value: object) -> bool:  # an older daemon's answer had no such part: the same wire
    return value == 0


def _zero_length(value: list) -> bool:
    return not value


class HostSnapshot(_Part):
    """daemon.host.gate.HostGate.snapshot: whether heavy work waits for the machine."""

    enabled: bool
    waiting: bool
    since: float | None  # epoch seconds the wait began
    waited_s: float | None
    reasons: list[str]
    load1: float | None
    own_load: float
    cores: int | None
    on_battery: bool | None
    temp_c: float | None
    zone: str | None  # the hottest thermal zone's type
    # while the load holds it: the measure, its value and the marks (daemon.host.gate)
    measure: str | None = None
    value: float | None = None
    threshold: float | None = None
    resumes_below: float | None = None
    bound: str = ""  # what the bound does about the wait (daemon.host.overdue)
    runs_anyway_at: float | None = None  # epoch seconds one op runs at idle priority anyway
    overdue_op: str | None = None  # the op running on the bound


class StorageSnapshot(_Part):
    """daemon.host.state_gate.StateGate.snapshot: whether new ops wait for room in the state dir."""

    waiting: bool
    reason: str  # "" when they do not wait
    since: float | None  # epoch seconds the wait began
    waited_s: float | None
    free_mb: float | None  # at the last look (None before the first)
    min_free_mb: float
    path: str


class ProfileTimedOut(_Part):
    """A background profile run that ran past `proof.profile_timeout_s` (not retried at
    that HEAD)."""

    tree: str
    head: str
    at: float  # epoch seconds it gave up
    limit_s: float


class SuiteProfileStatus(_Part):
    """governance.oracle.profile_store.describe: the suite profile daemon.suite_profile
    learns in the background, which picks every op's affected scope."""

    tree: str | None  # the tree digest it is for (12 characters); None: no profile yet
    head: str | None
    age_s: float | None
    suite_s: float | None  # the last whole-suite run's seconds
    tests: int  # test files profiled
    files: int  # code files they entered
    rerun: int | None  # tests the last incremental refresh reran (None: a whole run)
    learning_since: float | None  # epoch seconds a run under way began
    timed_out: ProfileTimedOut | None


class Failback(_Part):
    """governance.brains.provider_chain.ProviderChain.snapshot: the chain's state."""

    state: str  # governance.brains.failback.ChainState (PRIMARY_ACTIVE, ..., QUEUE_ONLY)
    # brain name -> "healthy" or why it is down: the names are the configured brains
    providers: dict[str, str]
    next_probe_s: float | None
    down: list[BrainDown] = []  # each brain failing now (daemon.status.outage_text)
    # a brain whose server answers without listing its model: the configuration's to fix
    unlisted: list[str] = []


class BrainDown(_Part):
    """ProviderChain.down: a brain failing now, since when, what to start, who waits."""

    name: str
    mode: str | None
    since: float | None  # epoch seconds
    url: str | None
    fix: str
    waiting: int = 0  # ops waiting in place for a brain this one is of


class Queued(_Part):
    """An envelope in the intake queue, in dispatch order (sensors.queue.snapshot)."""

    goal: str
    source: str
    files: list[str]
    priority: int


class BehindLock(_Part):
    """An envelope waiting for a running op to free one of its files."""

    goal: str
    source: str
    files: list[str]
    waiting_for: str  # the dedup key of the op holding the file


class HeldBack(_Part):
    """sensors.work_memory.WorkMemory.snapshot: work not taken again before `until` (or a
    change of its code, the brain or the settings), or a source the brain is futile for."""

    key: str  # the dedup key ("*": every envelope of `source`)
    op_id: str  # its last op
    event: str  # failed, refused, rejected or futile
    source: str
    until: str | None  # ISO time; None: until a change (refused, rejected: of the context;
    # futile: of the brain)
    reason: str


class ReviewItem(_Part):
    op_id: str
    goal: str
    evidence: str
    files: list[str]
    age_s: float


class Reviews(_Part):
    """daemon.reviews.status_entry: changes waiting on review branches."""

    count: int
    items: list[ReviewItem]  # the newest 50 (daemon.reviews.STATUS_ITEMS), newest first
    # per kind, cheapest first (governance.git.review_order); left out while none waits
    kinds: dict[str, int] | None = Field(default=None, exclude_if=_none)
    error: str | None = Field(default=None, exclude_if=_none)  # git could not list them


class Mcp(_Part):
    servers: list[str]
    problems: list[str]


class InFlight(_Part):
    op_id: str
    phase: str  # governance.phase.Phase's value (governance is not imported here)
    goal: str
    risk: str | None  # None until CLASSIFY decided
    cost_usd: float
    # of cost_usd, the in-process model's nominal charge
    nominal_usd: float = Field(default=0.0, exclude_if=_zero)
    age_s: float
    waiting_for_model_s: float | None  # queueing for its turn at the model, or None
    l2_iteration: str | None  # "2 of 5" while in L2_REPAIR
    # yielding to the host before a model call or test run, and why (daemon.host.pause)
    waiting_for_host: str | None = Field(default=None, exclude_if=_none)
    # waiting for a brain since (epoch seconds): its brains are down (governance.brains.outage)
    waiting_for_brain_since: float | None = Field(default=None, exclude_if=_none)


class Reflex(_Part):
    """governance.brains.reflex.ReflexStats: counters since the daemon started."""

    spooks: int
    collapses: int
    regrounds: int
    recoveries: int


class Lessons(_Part):
    """governance.memory.lessons.Lessons.describe: this run's buffer."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    count: int
    cap: int
    cleared: int
    with_: list[int] = Field(alias="with")  # [hits, n] of ops that were shown lessons
    without: list[int]


class Grounding(_Part):
    """governance.memory.memory.Memory.summary: the outcome records' calibration."""

    outcomes: int
    brier: float | None
    drift: float | None
    lessons: Lessons | None = Field(default=None, exclude_if=_none)  # lessons switched on


class Signing(_Part):
    """governance.git.signing.Signing.status."""

    signed: bool
    fingerprint: str
    allowed_signers: str
    warning: str  # "" when commits are signed


class Status(_Part):
    """The daemon's whole `status` answer."""

    state: ServiceStateName
    degraded_reason: str
    paused: bool
    host: HostSnapshot
    # daemon.suite_profile; an older daemon sends none
    suite_profile: SuiteProfileStatus | None = Field(default=None, exclude_if=_none)
    # daemon.host.state_gate; None from an older daemon (and then left off the wire)
    storage: StorageSnapshot | None = Field(default=None, exclude_if=_none)
    repo: str
    session_id: str
    provider: str | None
    failback: Failback | None  # only with a failback chain
    brain_note: str | None  # daemon.brains.embedded: the embedded model is the only brain
    queue: list[Queued | BehindLock]
    held_back: list[HeldBack] = Field(default_factory=list)  # an older daemon sends none
    # the tests that failed in the suite's last runs (daemon.start_failures' file), the
    # first FAILING_SHOWN of them, and how many in all: after an op gave up on them, nothing
    # else said they still fail (a first hour with Qwen2.5-Coder on python-semver)
    failing_tests: list[str] = Field(default_factory=list, exclude_if=_zero_length)
    failing_count: int = Field(default=0, exclude_if=_zero)
    reviews: Reviews
    sensor_problems: dict[str, str]  # sensor name -> its standing problem (configured set)
    questions: dict[str, str]  # op id -> its open ask_human question
    mcp: Mcp
    in_flight: list[InFlight]
    model_turn: str | None  # the op holding the model
    cost_today_usd: float
    # of it, the nominal charge of brains that spend no money (governance ModelUsage.nominal)
    cost_today_nominal_usd: float = Field(default=0.0, exclude_if=_zero)
    budget_exhausted: bool
    daily_budget_usd: float
    reflex: Reflex
    grounding: Grounding | None  # None when grounding memory is off
    commit_signing: Signing
    live_view: str | None  # daemon.live_port's page, token included
    # asyncio tasks alive in the daemon (a count that grows without bound is a leak:
    # bench/soak.py watches it); an older daemon sends none
    tasks: int | None = Field(default=None, exclude_if=_none)


class LiveOp(_Part):
    """An op in flight as the live view shows it (InFlight's fields that need no wait)."""

    op_id: str
    phase: str
    goal: str
    files: list[str]  # its first target files
    source: str
    age_s: float


class LiveSnapshot(_Part):
    """The picture a live watcher starts from (daemon.live.sources.snapshot_of): the part of
    `status` the daemon knows without waiting (no git, no ledger, so it is taken between two
    events), under Status's names and with its types."""

    state: ServiceStateName
    paused: bool
    in_flight: list[LiveOp]
    queue: list[Queued | BehindLock]
    reviews: int  # Reviews.count as last listed
    review_kinds: dict[str, int] = {}  # per kind, as last read, while they add up to it


def wire(status: Status) -> dict:
    """What the control socket sends: the JSON object clients have always read."""
    return status.model_dump(mode="json", by_alias=True)
