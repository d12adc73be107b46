"""Path attacks through the tool policy, symlink escapes, and what the jail contains."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from governance.gitops import GitOps
from tools.builtin import ReadFile, ToolFailed, read_file
from tools.env import ToolEnv
from tools.jail import Jail, JailLimits, bwrap_available
from tools.policy import PolicyContext, evaluate
from tools.workspace import Workspace

needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")


@pytest.fixture
def ws(repo: Path) -> Workspace:
    (repo / ".env").write_text("SECRET=hunter2\n")
    return Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "op-test", ["calc/ops.py"],
                            ".ouroboros")


def _ctx(ws: Workspace, **kw) -> PolicyContext:
    return PolicyContext(ws.root, ".ouroboros", ("vendor/*",), **kw)


PATH_ATTACKS = [
    ("read_file", {"path": "../../etc/passwd"}), ("read_file", {"path": "/etc/passwd"}),
    ("read_file", {"path": "calc/../../x"}), ("read_file", {"path": "..\\..\\x"}),
    ("read_file", {"path": "./../x"}), ("read_file", {"path": "calc/../../../root/.ssh/id_rsa"}),
    ("read_file", {"path": ".env"}), ("read_file", {"path": "config/.env.local"}),
    ("read_file", {"path": ".git/config"}), ("read_file", {"path": ".ouroboros/ledger.sqlite3"}),
    ("read_file", {"path": ".ssh/id_rsa"}), ("read_file", {"path": "deploy/server.pem"}),
    ("read_file", {"path": "aws_credentials.json"}), ("read_file", {"path": "vendor/lib.py"}),
    ("read_file", {"path": ".venv/bin/activate"}), ("read_file", {"path": "a\x00b"}),
    ("read_file", {"path": "C:/Windows/win.ini"}), ("read_file", {"path": ""}),
    ("write_file", {"path": "../escape.py", "content": "x"}),
    ("write_file", {"path": "/tmp/escape.py", "content": "x"}),
    ("write_file", {"path": ".git/hooks/pre-commit", "content": "x"}),
    ("write_file", {"path": ".github/../.git/HEAD", "content": "x"}),
    ("write_file", {"path": ".env", "content": "SECRET=stolen"}),
    ("edit_file", {"path": "../../etc/hosts", "old": "a", "new": "b"}),
    ("delete_file", {"path": "../repo/calc/ops.py"}), ("delete_file", {"path": "/etc/passwd"}),
    ("list_dir", {"path": ".."}), ("list_dir", {"path": "/"}), ("list_symbols", {"path": "/x.py"}),
    ("search_code", {"pattern": "x", "path": "../.."}), ("get_callers", {"name": "f", "path": "/"}),
    ("run_tests", {"paths": ["../other/test_x.py"]}), ("run_tests", {"paths": ["/etc/x.py"]}),
    ("git_blame", {"path": "../../x"}), ("git_log", {"path": "/etc"}),
    ("read_file", {"path": "x", "bogus": 1}), ("read_file", {}),
    ("read_file", "not an object"), ("write_file", {"path": "a.py", "content": "x" * 1_000_001}),
    ("get_callers", {"name": "a; rm -rf /"}), ("web_fetch", {"url": "http://example.com"}),
    ("web_fetch", {"url": "https://example.com"}), ("ask_human", {"question": "may I?"}),
    ("mcp_evil_tool", {}), ("", {}),
]


@pytest.mark.parametrize("tool,args", PATH_ATTACKS)
def test_policy_denies_path_and_schema_attacks(ws, tool, args):
    decision = evaluate(tool, args, _ctx(ws), {})
    assert not decision.allowed, (tool, args)
    assert decision.rule and decision.reason


def test_protected_files_are_never_materialized_in_the_sandbox(ws):
    assert not (ws.root / ".env").exists()
    assert (ws.root / "calc" / "ops.py").is_file()


@pytest.mark.parametrize("target", ["/etc/passwd", "/root", "..", "../../.."])
async def test_symlink_made_in_the_sandbox_cannot_be_read_out(ws, repo, target):
    os.symlink(target, ws.root / "leak")
    env = ToolEnv(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    assert not evaluate("read_file", {"path": "leak"}, _ctx(ws), {}).allowed
    with pytest.raises((ToolFailed, ValueError)):  # and the handler re-checks (second lock)
        await read_file(ReadFile(path="leak"), env)


def test_rate_limits_and_human_tier(ws):
    assert not evaluate("bash", {"command": "ls"}, _ctx(ws), {"bash": 20}).allowed
    assert evaluate("bash", {"command": "ls"}, _ctx(ws), {"bash": 19}).allowed
    ok = evaluate("ask_human", {"question": "?"}, _ctx(ws, risk_tier="APPROVAL_REQUIRED"), {})
    assert ok.allowed
    no_jail = _ctx(ws, jail_reason="bubblewrap missing")
    assert evaluate("bash", {"command": "ls"}, no_jail, {}).rule == "sandbox"


def _jail(ws: Workspace, repo: Path, timeout: float = 20.0) -> Jail:
    return Jail(ws.root, [Path.home(), repo, repo / ".ouroboros"],
                JailLimits(timeout_s=timeout, output_bytes=4096),
                extra_ro=[Path(sys.prefix), Path(sys.base_prefix)])


@needs_bwrap
async def test_jail_hides_secrets_and_refuses_writes_outside(ws, repo):
    home_before = sorted(p.name for p in Path.home().iterdir())
    script = ("cat ../../.env; cat $HOME/.bashrc; ls /root; "
              f"echo x > {repo}/calc/ops.py; echo y > /tmp/inside-only; "
              f"touch {Path.home()}/owned; echo z > ok.txt; echo done")
    result = await _jail(ws, repo).run(["bash", "-c", script])
    assert "hunter2" not in result.output and result.output.rstrip().endswith("done")
    assert (ws.root / "ok.txt").read_text() == "z\n"
    assert "clamp" in (repo / "calc" / "ops.py").read_text()  # live file untouched
    assert not Path("/tmp/inside-only").exists()  # the jail's /tmp is private
    assert sorted(p.name for p in Path.home().iterdir()) == home_before


@needs_bwrap
async def test_jail_has_no_network_and_enforces_limits(ws, repo):
    net = await _jail(ws, repo).run([sys.executable, "-c", (
        "import socket\ntry:\n socket.create_connection(('127.0.0.1', 22), 2)\n print('OPEN')\n"
        "except OSError as e:\n print('BLOCKED', e)")])
    assert "BLOCKED" in net.output
    slow = await _jail(ws, repo, timeout=1.0).run(["sleep", "30"])
    assert slow.timed_out and slow.duration_s < 10
    loud = await _jail(ws, repo).run(["bash", "-c", "yes | head -c 1000000"])
    assert loud.truncated and len(loud.output) <= 4096
    pid = await _jail(ws, repo).run(["bash", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"])
    assert int(pid.output.split()[1]) < 10  # its own PID namespace


@needs_bwrap
async def test_hostile_conftest_in_validate_is_contained(repo, short_tmp):
    """A repo test that tries to write outside its sandbox and reach the network."""
    from governance.testrun import TestRunner
    from tools.jail import JailExecutor

    (repo / "tests" / "conftest.py").write_text(
        "import pathlib, socket\n"
        "def pytest_sessionstart(session):\n"
        "    for target in ['/root/pwned', '/etc/pwned', "
        f"'{repo}/calc/pwned', '{repo}/.ouroboros/pwned']:\n"
        "        try:\n"
        "            pathlib.Path(target).write_text('x')\n"
        "        except OSError:\n"
        "            pass\n"
        "    try:\n"
        "        socket.create_connection(('1.1.1.1', 53), 2)\n"
        "    except OSError:\n"
        "        pass\n")
    # The untracked conftest reaches the sandbox the way a human's working-tree state does.
    sandbox = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "v",
                               ["tests/conftest.py"], ".ouroboros")
    executor = JailExecutor([Path.home(), repo, repo / ".ouroboros"], JailLimits(),
                            [Path(sys.prefix), Path(sys.base_prefix)])
    outcome = await TestRunner(["{python}", "-m", "pytest"], 60, executor).run(sandbox.root, [])
    assert outcome.passed, outcome.output_tail
    for target in [Path("/root/pwned"), Path("/etc/pwned"), repo / "calc" / "pwned",
                   repo / ".ouroboros" / "pwned"]:
        assert not target.exists(), target


UNICODE_TRICKS = ["\uff0e\uff0e/\uff0e\uff0e/etc/passwd", "calc/\u202e/../../x",
                  "..\u2215..\u2215etc\u2215passwd", "\u2024\u2024/etc/passwd", "calc/\u0000x"]


@pytest.mark.parametrize("path", UNICODE_TRICKS)
async def test_unicode_path_tricks_are_denied_or_contained(ws, repo, path):
    decision = evaluate("read_file", {"path": path}, _ctx(ws), {})
    if not decision.allowed:
        return  # denied outright
    env = ToolEnv(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    with pytest.raises(ToolFailed, match="no such file"):  # a literal name inside the sandbox
        await read_file(ReadFile(path=path), env)


async def test_run_tests_without_a_jail_needs_the_explicit_opt_in(ws, repo):
    from tools.builtin import RunTests, run_tests

    missing = "bubblewrap (bwrap) is not installed"
    assert evaluate("run_tests", {}, _ctx(ws, jail_reason=missing), {}).rule == "sandbox"
    opted = _ctx(ws, jail_reason=missing, allow_unsandboxed_tests=True)
    assert evaluate("run_tests", {}, opted, {}).allowed
    assert evaluate("bash", {"command": "ls"}, opted, {}).rule == "sandbox"  # bash never
    env = ToolEnv(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[],
                  jail_reason=missing, allow_unsandboxed_tests=True)
    out = await run_tests(RunTests(paths=["tests/test_ops.py"]), env)
    assert "NOT sandboxed" in out and "1 passed" in out
    env.allow_unsandboxed_tests = False
    with pytest.raises(ToolFailed, match="tests cannot run"):
        await run_tests(RunTests(), env)
