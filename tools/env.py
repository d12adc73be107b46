"""What a tool call may use: the op's workspace, read-only history, the jail, the test
runner, the human."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from governance.git.gitops import GitOps
from governance.oracle.interpreter import TestEnv
from governance.oracle.testrun import TestRunner
from tools.jail import SAFE_PATH, Bind, Jail, JailLimits
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
    # run_tests: VALIDATE's own runner (governance.oracle.testrun): the same test command, the
    # project's interpreter and venv (governance.oracle.interpreter), jail and plugins as the
    # oracle.
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

    async def project(self) -> TestEnv | None:
        """The project's interpreter and venv as VALIDATE's runner finds them (its own
        .venv, governance.test_python, ...), or None where none is set up or it was refused
        (run_tests reports the refusal; a command simply gets the system's PATH)."""
        if self.tests.test_env is None:
            return None
        found = await asyncio.to_thread(self.tests.test_env)
        return None if found.problem else found

    def jail(self, timeout_s: float | None = None, project: TestEnv | None = None) -> Jail:
        """The op's jail; with `project`, its venv is shown read-only and its bin/ leads
        PATH, so the model's `python`, `pytest` and the project's tools are the ones its
        tests run with."""
        limits = self.limits if timeout_s is None else replace(self.limits, timeout_s=timeout_s)
        # The interpreter's prefix stays readable even when it lives under a hidden home.
        python_prefix = Path(sys.prefix)
        binds = [Bind(p, str(p)) for p in project.ro_paths] if project else []
        env = {"PATH": f"{Path(project.python).parent}:{SAFE_PATH}"} if project else None
        return Jail(self.workspace.root, self.hidden, limits,
                    extra_ro=[python_prefix, Path(sys.base_prefix)], binds=binds, env=env,
                    protected_globs=self.protected_globs)
