"""The command tools: `bash` and `run_tests`, both run in the op's jail (tools.jail); a run
that cannot be jailed is refused unless the settings opt out for tests."""

from __future__ import annotations

from governance.fs import nofollow
from tools.args import Bash, RunTests
from tools.command_policy import check_command
from tools.env import ToolEnv
from tools.errors import ToolFailed
from tools.sandbox_files import refusing


def _jailed_output(result, what: str) -> str:
    if result.timed_out:
        raise ToolFailed(f"{what} timed out after {result.duration_s:.0f}s")
    tail = "\n[output truncated]" if result.truncated else ""
    return f"exit code {result.exit_code}\n{result.output}{tail}"


async def bash(a: Bash, env: ToolEnv) -> str:
    verdict = check_command(a.command, str(env.workspace.root.resolve()))
    if not verdict.allowed:  # the policy already said so; this is the second lock
        raise ToolFailed(f"denied: {verdict.reason}")
    jail = env.jail(project=await env.project())  # the project's python and pytest first
    return _jailed_output(await jail.run(["bash", "-c", a.command]), "command")


async def run_tests(a: RunTests, env: ToolEnv) -> str:
    """pytest on `paths` (all tests when none) in the sandbox, exactly as VALIDATE runs them:
    the oracle's runner, the project's interpreter and venv, the same jail."""
    for rel in a.paths:
        file = rel.split("::", 1)[0]
        with refusing(file):
            if nofollow.lstat(env.workspace.root, file) is None:
                raise FileNotFoundError(file)
    if env.jail_reason is not None and not env.allow_unsandboxed_tests:
        raise ToolFailed(f"tests cannot run: {env.jail_reason}")
    if env.jail_reason is None and env.tests.executor is None:  # never unjailed by mistake
        raise ToolFailed("tests cannot run: the test runner has no jail")
    outcome = await env.tests.run(env.workspace.root, a.paths, scratch=env.test_scratch)
    if outcome.timed_out:
        raise ToolFailed(f"tests timed out after {outcome.duration_s:.0f}s")
    if outcome.exit_code is None:  # nothing ran: the test environment was refused
        raise ToolFailed(f"tests cannot run: {outcome.report.problem or outcome.describe()}")
    note = f" (NOT sandboxed: {env.jail_reason})" if env.jail_reason else ""
    return f"exit code {outcome.exit_code}{note}\n{outcome.output_tail}"
