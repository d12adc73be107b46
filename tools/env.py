"""What a tool call may use: the op's workspace, read-only history, the jail, the test
runner, the human."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from governance.gitops import GitOps
from governance.testrun import TestRunner
from tools.jail import Jail, JailLimits
from tools.workspace import Workspace

AskHuman = Callable[[str, float], Awaitable[str | None]]


@dataclass(kw_only=True)
class ToolEnv:
    """Per op, from tools.venom (limits and timeouts from the settings, via VenomConfig)."""

    workspace: Workspace
    git: GitOps  # the live repository, for the read-only history tools
    state_rel: str
    hidden: list[Path]  # directories the jail hides (home, live repo, state dir)
    limits: JailLimits
    # run_tests: VALIDATE's own runner (governance.testrun): the same test command, the
    # project's interpreter and venv (governance.test_env), jail and plugins as the oracle.
    tests: TestRunner
    test_scratch: Path | None = None  # its private run dirs (None: a fresh temp dir)
    ask_timeout_s: float
    protected_globs: tuple[str, ...] = ()
    jail_reason: str | None = None  # why bubblewrap is unavailable (None = available)
    allow_unsandboxed_tests: bool = False  # explicit opt-in: run_tests without the jail
    risk_tier: str = "SAFE_AUTO"
    ask_human: AskHuman | None = None  # None: the op has no human to ask
    web_allowlist: tuple[str, ...] = ()

    @property
    def test_timeout_s(self) -> float:
        """How long one run_tests may take: its runner's limit."""
        return self.tests.timeout_s

    def jail(self, timeout_s: float | None = None) -> Jail:
        limits = self.limits if timeout_s is None else replace(self.limits, timeout_s=timeout_s)
        # The interpreter's prefix stays readable even when it lives under a hidden home.
        python_prefix = Path(sys.prefix)
        return Jail(self.workspace.root, self.hidden, limits,
                    extra_ro=[python_prefix, Path(sys.base_prefix)],
                    protected_globs=self.protected_globs)
