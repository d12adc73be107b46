"""Policy: the governance knobs every phase reads, one frozen value built from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from governance.routes.deadlines import WorkShape
from governance.routes.routing import RouteTable


@dataclass(frozen=True)
class Policy:
    """Governance knobs. Their defaults live in daemon/config/settings.py alone; the daemon builds
    this from its settings (daemon.phase_deps.policy_from), and tests do the same."""

    protected_globs: tuple[str, ...]
    approval_globs: tuple[str, ...]
    notify_globs: tuple[str, ...]
    allow_non_ascii_paths: bool
    ascii_literals: bool  # the ASCII gate refuses non-ASCII in literals and comments too
    max_generate_retries: int
    max_validate_retries: int
    notify_apply_delay_s: float
    context_expansion: bool
    per_op_usd: float
    author_name: str
    author_email: str
    # Queueing for the model before a generation attempt, and the op's whole wall clock.
    model_wait_timeout_s: float | None
    op_ceiling_s: float | None
    # L2 self-repair (governance.phases.l2) and the re-ground reflex (governance.brains.reflex).
    l2_enabled: bool
    l2_max_iters: int
    l2_timebox_s: float
    l2_iter_test_timeout_s: float
    l2_max_diff_lines: int
    l2_max_files: int
    reground_budget: int
    reground_spook: float
    collapse_threshold: float  # provider.canary_threshold
    # What a change must show to land on the human's branch (governance.proof.rules, [proof]).
    full_suite_budget_s: float
    autocommit_new_behaviour: bool
    preserve_on_coverage: bool
    max_new_files: int
    review_branch_prefix: str
    missing_test_questions: int  # the missing-test step's bound (phases.missing_test_step)
    missing_test_budget_s: float
    # Which brains each route asks and how long a model step may take ([routes]).
    routes: RouteTable
    work: WorkShape  # the bounds of a model step that its deadline is sized to
    plan_trials: int  # PLAN is skipped for a brain with this many tries and no usable plan
    samples: int  # candidates per generation attempt (best of N: governance.phases.samples)
    # The repository's own linters as a gate (governance.oracle.linters, [proof]).
    lint: bool
    lint_timeout_s: float
