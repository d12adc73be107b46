"""Path attacks through the tool policy, symlink escapes, and what the jail contains."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from governance.git.gitops import GitOps
from tests.helpers import jail_limits, loop_limits, make_repo, tool_env, tool_loop
from tools.args import ReadFile
from tools.builtin import ToolFailed, read_file
from tools.jail import Jail, bwrap_available
from tools.policy import PolicyContext, evaluate
from tools.workspace import Workspace

needs_bwrap = pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")


def _workspace(repo: Path) -> Workspace:
    (repo / ".env").write_text("SECRET=hunter2\n")
    return Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "op-test", ["calc/ops.py"],
                            ".ouroboros")


@pytest.fixture
def ws(repo: Path) -> Workspace:
    return _workspace(repo)


@pytest.fixture(scope="module")
def policy_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace for the policy tables: evaluate() only reads it."""
    return _workspace(make_repo(tmp_path_factory.mktemp("policy")))


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
def test_policy_denies_path_and_schema_attacks(policy_ws, tool, args):
    decision = evaluate(tool, args, _ctx(policy_ws), {})
    assert not decision.allowed, (tool, args)
    assert decision.rule and decision.reason


@pytest.mark.slow
def test_protected_files_are_never_materialized_in_the_sandbox(ws):
    assert not (ws.root / ".env").exists()
    assert (ws.root / "calc" / "ops.py").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("target", ["/etc/passwd", "/root", "..", "../../.."])
async def test_symlink_made_in_the_sandbox_cannot_be_read_out(ws, repo, target):
    os.symlink(target, ws.root / "leak")
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    assert not evaluate("read_file", {"path": "leak"}, _ctx(ws), {}).allowed
    with pytest.raises((ToolFailed, ValueError)):  # and the handler re-checks (second lock)
        await read_file(ReadFile(path="leak"), env)


@pytest.mark.slow
def test_rate_limits_and_human_tier(ws):
    assert not evaluate("bash", {"command": "ls"}, _ctx(ws), {"bash": 20}).allowed
    assert evaluate("bash", {"command": "ls"}, _ctx(ws), {"bash": 19}).allowed
    ok = evaluate("ask_human", {"question": "?"}, _ctx(ws, risk_tier="APPROVAL_REQUIRED"), {})
    assert ok.allowed
    no_jail = _ctx(ws, jail_reason="bubblewrap missing")
    assert evaluate("bash", {"command": "ls"}, no_jail, {}).rule == "sandbox"


def _jail(ws: Workspace, repo: Path, timeout: float = 20.0) -> Jail:
    return Jail(ws.root, [Path.home(), repo, repo / ".ouroboros"],
                jail_limits(timeout_s=timeout, output_bytes=4096),
                extra_ro=[Path(sys.prefix), Path(sys.base_prefix)])


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
@needs_bwrap
async def test_hostile_conftest_in_validate_is_contained(repo, short_tmp):
    """A repo test that tries to write outside its sandbox and reach the network."""
    from governance.oracle.testrun import TestRunner
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
    executor = JailExecutor([Path.home(), repo, repo / ".ouroboros"], jail_limits(),
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
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    with pytest.raises(ToolFailed, match="no such file"):  # a literal name inside the sandbox
        await read_file(ReadFile(path=path), env)


@pytest.mark.slow
async def test_run_tests_without_a_jail_needs_the_explicit_opt_in(ws, repo):
    from tools.args import RunTests
    from tools.commands import run_tests

    missing = "bubblewrap (bwrap) is not installed"
    assert evaluate("run_tests", {}, _ctx(ws, jail_reason=missing), {}).rule == "sandbox"
    opted = _ctx(ws, jail_reason=missing, allow_unsandboxed_tests=True)
    assert evaluate("run_tests", {}, opted, {}).allowed
    assert evaluate("bash", {"command": "ls"}, opted, {}).rule == "sandbox"  # bash never
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[],
                  jail_reason=missing, allow_unsandboxed_tests=True)
    out = await run_tests(RunTests(paths=["tests/test_ops.py"]), env)
    assert "NOT sandboxed" in out and "2 passed" in out
    env.allow_unsandboxed_tests = False
    with pytest.raises(ToolFailed, match="tests cannot run"):
        await run_tests(RunTests(), env)


# --- issue 8 section 3: text-level path games, refused by the policy before any disk access --
LONG = "a" * 300
MORE_PATH_ATTACKS = [
    # ENAMETOOLONG: a 300-byte component and a 4 KiB path, for every kind of path tool
    ("read_file", {"path": f"calc/{LONG}.py"}), ("write_file", {"path": f"{LONG}.py",
                                                                "content": "x"}),
    ("edit_file", {"path": f"calc/{LONG}", "old": "a", "new": "b"}),
    ("delete_file", {"path": f"{LONG}/x.py"}), ("list_dir", {"path": LONG}),
    ("search_code", {"pattern": "x", "path": LONG}), ("get_callers", {"name": "f", "path": LONG}),
    ("list_symbols", {"path": "x/" * 2100 + "y.py"}), ("read_file", {"path": "a/" * 2100}),
    ("run_tests", {"paths": [f"tests/{LONG}.py"]}), ("git_blame", {"path": "d/" * 2100 + "x"}),
    # `..` never resolved textually (a symlinked dir before it means something else on disk)
    ("read_file", {"path": "calc/../calc/ops.py"}), ("write_file", {"path": "dir_link/../x.py",
                                                                    "content": "x"}),
    ("delete_file", {"path": "calc/../README.md"}), ("list_dir", {"path": "calc/.."}),
    ("search_code", {"pattern": "x", "path": "calc/../.."}),
    ("run_tests", {"paths": ["tests/../tests/test_ops.py"]}),
    # NUL bytes anywhere
    ("write_file", {"path": "calc/x.py\x00.txt", "content": "x"}),
    ("list_dir", {"path": "calc\x00"}),
    ("search_code", {"pattern": "x", "path": "\x00"}), ("run_tests", {"paths": ["tests\x00/x"]}),
    # case tricks and trailing dots on protected names
    ("read_file", {"path": ".ENV"}), ("read_file", {"path": "config/.Env.Local"}),
    ("write_file", {"path": ".GIT/hooks/post-commit", "content": "x"}),
    ("read_file", {"path": ".env."}), ("read_file", {"path": ".SSH/ID_RSA"}),
    ("list_dir", {"path": ".Git"}), ("search_code", {"pattern": "x", "path": ".OUROBOROS"}),
    # credential files of the common tools
    ("read_file", {"path": ".npmrc"}), ("read_file", {"path": "web/.npmrc"}),
    ("read_file", {"path": ".docker/config.json"}), ("read_file", {"path": ".aws/credentials"}),
    ("list_dir", {"path": ".aws"}), ("read_file", {"path": ".kube/config"}),
    ("read_file", {"path": ".git-credentials"}), ("read_file", {"path": "certs/client.p12"}),
    ("read_file", {"path": "certs/client.PFX"}), ("read_file", {"path": "deploy/.htpasswd"}),
    ("write_file", {"path": ".npmrc", "content": "//registry/:_authToken=x"}),
    # look-alike and invisible characters (NFKC changes them, or non-ASCII is off)
    ("read_file", {"path": "\u2024env"}), ("read_file", {"path": "\uff0eenv"}),
    ("read_file", {"path": ".e\u200bnv"}), ("read_file", {"path": "calc\u2215ops.py"}),
    ("read_file", {"path": "calc\u2044ops.py"}), ("write_file", {"path": "\ufb01le.py",
                                                                 "content": "x"}),
    ("read_file", {"path": "\uff23alc/ops.py"}), ("read_file", {"path": "calc/ops\u2024py"}),
    ("write_file", {"path": "\u202ecalc/x.py", "content": "x"}),
    ("write_file", {"path": "calc/caf\u00e9.py", "content": "x"}),
    ("list_dir", {"path": "\u0441alc"}), ("read_file", {"path": "calc/ops.py\n"}),
    ("search_code", {"pattern": "x", "path": "calc\t"}),
    # option injection into the argv of jailed pytest / git
    ("run_tests", {"paths": ["-p", "evil_plugin"]}), ("run_tests", {"paths": ["--rootdir=/"]}),
    ("git_log", {"path": "--output=/tmp/x"}), ("git_blame", {"path": "-L1,5"}),
    # directory tools on files, file tools on directories and the root
    ("list_dir", {"path": "calc/ops.py"}), ("read_file", {"path": "calc"}),
    ("read_file", {"path": "."}), ("write_file", {"path": "calc", "content": "x"}),
    ("delete_file", {"path": "tests"}), ("edit_file", {"path": "./", "old": "a", "new": "b"}),
    ("list_symbols", {"path": "calc/"}), ("git_blame", {"path": "calc"}),
]


@pytest.mark.parametrize(("tool", "args"), MORE_PATH_ATTACKS,
                         ids=[f"{t}-{i}" for i, (t, _) in enumerate(MORE_PATH_ATTACKS)])
def test_policy_refuses_path_games(policy_ws, tool, args):
    decision = evaluate(tool, args, _ctx(policy_ws), {})
    assert not decision.allowed, (tool, args)
    assert decision.rule == "paths", decision
    assert decision.reason


BENIGN = [
    ("list_dir", {"path": "calc"}, "ops.py"), ("list_dir", {"path": "calc/"}, "ops.py"),
    ("list_dir", {"path": "."}, "calc/"), ("list_dir", {"path": "./tests"}, "test_ops.py"),
    ("search_code", {"pattern": "def clamp", "path": "calc"}, "calc/ops.py:"),
    ("search_code", {"pattern": "add", "path": "tests/"}, "tests/test_ops.py:"),
    ("search_code", {"pattern": "def add", "path": "calc/ops.py"}, "calc/ops.py:4"),
    ("get_callers", {"name": "add", "path": "tests"}, "tests/test_ops.py:5"),
    ("glob_files", {"pattern": "calc/*.py"}, "calc/ops.py"),
    ("read_file", {"path": "calc//ops.py"}, "def clamp"),
    ("read_file", {"path": "./calc/ops.py"}, "def clamp"),
    ("list_symbols", {"path": "calc/ops.py"}, "def clamp"),
    ("git_log", {"path": "calc"}, "initial"),
]


@pytest.mark.parametrize(("tool", "args", "expect"), BENIGN,
                         ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(BENIGN)])
async def test_directory_and_file_arguments_that_must_work(ws, repo, tool, args, expect):
    from tools.builtin import TOOLS

    decision = evaluate(tool, args, _ctx(ws), {})
    assert decision.allowed, decision
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    assert expect in await TOOLS[tool].handler(decision.args, env)


def test_non_ascii_paths_only_when_configured(ws):
    (ws.root / "calc" / "caf\u00e9.py").write_text("x = 1\n")
    args = {"path": "calc/caf\u00e9.py"}
    assert evaluate("read_file", args, _ctx(ws), {}).rule == "paths"
    assert evaluate("read_file", args, _ctx(ws, allow_non_ascii=True), {}).allowed
    # a look-alike stays refused even when non-ASCII is allowed
    lookalike = {"path": "calc/ops\u2024py"}
    assert not evaluate("read_file", lookalike, _ctx(ws, allow_non_ascii=True), {}).allowed


@pytest.mark.slow
def test_policy_that_cannot_judge_refuses(ws):
    decision = evaluate("read_file", {"path": "calc/ops.py"}, _ctx(ws), None)  # type: ignore[arg-type]
    assert not decision.allowed and decision.rule == "internal"
    assert not evaluate(["read_file"], {}, _ctx(ws), {}).allowed  # type: ignore[arg-type]
    gone = PolicyContext(ws.root / "missing", ".ouroboros")
    assert not evaluate("read_file", {"path": "calc/ops.py"}, gone, {}).allowed


# --- committed symlinks: never fatal, materialised only when they stay inside -------------
COMMITTED_LINKS = [
    ("abs_passwd", "/etc/passwd", False), ("cfg/app.cfg", "../.env", True),
    ("tools/hook", "../.git/hooks/post-commit", True), ("home", "/root", False),
    ("up", "..", False), ("calc/up2", "../..", False), ("calc/twisty", "s/../../x", False),
    ("calc/alias.py", "ops.py", True), ("docs_link", "calc", True),
    ("calc/sib", "../tests/test_ops.py", True), ("dot", ".", True),
]


def _commit_links(repo: Path) -> None:
    from tests.helpers import git

    for name, target, _ in COMMITTED_LINKS:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, repo / name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")


@pytest.mark.slow
def test_committed_symlinks_never_break_the_workspace(repo):
    _commit_links(repo)
    ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "links", ["calc/ops.py"],
                          ".ouroboros")
    for name, target, kept in COMMITTED_LINKS:
        path = ws.root / name
        assert os.path.islink(path) == kept, (name, target)
        if kept:
            assert os.readlink(path) == target
        else:
            assert any(n.startswith(name + ":") for n in ws.notes), ws.notes
    assert (ws.root / "calc" / "ops.py").is_file()
    assert ws.changed() == ([], [], [])


@pytest.mark.slow
def test_committed_symlinks_in_the_validate_sandbox(repo, short_tmp):
    from governance.git.gitops import GitOps as Ops
    from governance.oracle.sandbox import Sandbox

    _commit_links(repo)
    (repo / "loose_link").symlink_to(short_tmp)  # the human's untracked absolute link
    files = Ops(repo).listed_files()
    sandbox = Sandbox.create(repo, files, short_tmp / "sb", ".ouroboros")
    for name, _target, kept in COMMITTED_LINKS:
        assert os.path.islink(sandbox.root / name) == kept, name
    assert not os.path.lexists(sandbox.root / "loose_link")
    assert any(s.startswith("loose_link:") for s in sandbox.skipped)
    assert (sandbox.root / "calc" / "ops.py").read_text() == (repo / "calc/ops.py").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("path", ["cfg/app.cfg", "tools/hook", "calc/alias.py", "docs_link/x.py"])
def test_candidate_never_writes_through_a_sandbox_symlink(repo, short_tmp, path):
    from governance.oracle.sandbox import Sandbox
    from governance.schemas import FileChange

    _commit_links(repo)
    sandbox = Sandbox.create(repo, GitOps(repo).listed_files(), short_tmp / "sb", ".ouroboros")
    with pytest.raises(ValueError):  # nofollow.UnsafePath is a PathEscape is a ValueError
        sandbox.apply([FileChange(file_path=path, full_content="pwned\n")])
    assert "pwned" not in (sandbox.root / "calc" / "ops.py").read_text()
    assert not (repo / ".git" / "hooks" / "post-commit").exists()


# --- the loop survives whatever the model sends ------------------------------------------
HOSTILE_CALL_LINES = [
    '{"tool": "read_file", "arguments": {"path": "x", "n": ' + "9" * 5000 + "}}",
    '{"tool": "read_file", "arguments": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"tool": "read_file", "arguments": {"path": "' + "a/" * 3000 + '"}}',
    '{"tool": "read_file", "arguments": {"path": "calc/' + "b" * 300 + '.py"}}',
    '{"tool": ["read_file"], "arguments": {}}',
    '{"tool": "read_file", "arguments": {"path": ["calc/ops.py"]}}',
    '{"tool": "list_dir", "arguments": {"path": null}}',
    '{"tool": "search_code", "arguments": {"pattern": "(a+)+$", "regex": true, "path": "."}}',
    '{"tool": "write_file", "arguments": {"path": "calc/\\ud800.py", "content": "x"}}',
    '{"tool": "write_file", "arguments": {"path": "calc/x.py", "content": "\\ud800"}}',
    '{"tool": "edit_file", "arguments": {"path": "calc/ops.py", "old": "\\udfff", "new": ""}}',
    '{"tool": "run_tests", "arguments": {"paths": ["' + "c" * 300 + '"]}}',
]


@pytest.mark.slow
@pytest.mark.parametrize("line", HOSTILE_CALL_LINES, ids=range(len(HOSTILE_CALL_LINES)))
async def test_tool_loop_turns_hostile_calls_into_results(ws, repo, line):
    import time

    from governance.brains.reflex import Band
    from kernel.replay import ReplayProvider, ReplayTurn

    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    events = []

    async def on_tool(e):
        events.append(e)

    provider = ReplayProvider([ReplayTurn(purpose="generate", text=line),
                               ReplayTurn(purpose="generate", text="done")])
    # The parser and the policy are under test here, not the re-ground reflex, which would
    # discard the degenerate lines first (tests/tools/test_loop_reflex.py): a band that
    # never reads a collapse.
    loop = tool_loop(env, _ctx(ws), loop_limits(), on_tool=on_tool,
                               band=Band(spook=1.0, threshold=1.0))
    reply = await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    assert reply.text == "done"
    assert all(e.verdict in ("denied", "failed", "ok") for e in events)
    assert len(events) + provider.prompts[1].count("[malformed tool call]") >= 1
    assert (repo / "calc" / "ops.py").read_text() == (ws.root / "calc" / "ops.py").read_text()


@pytest.mark.slow
async def test_undecodable_file_names_never_reach_the_prompt_raw(ws, repo):
    import time

    from kernel.replay import ReplayProvider, ReplayTurn

    os.close(os.open(os.fsencode(ws.root / "calc") + b"/bad\xff\xfe.py", os.O_CREAT | os.O_WRONLY))
    env = tool_env(workspace=ws, git=GitOps(repo), state_rel=".ouroboros", hidden=[])
    calls = "\n".join(['{"tool": "list_dir", "arguments": {"path": "calc"}}',
                       '{"tool": "glob_files", "arguments": {"pattern": "calc/*"}}'])
    provider = ReplayProvider([ReplayTurn(purpose="generate", text=calls),
                               ReplayTurn(purpose="generate", text="done")])
    loop = tool_loop(env, _ctx(ws), loop_limits())
    await loop.run(provider, "goal", deadline=time.monotonic() + 30)
    provider.prompts[1].encode("utf-8")  # strict: raises on a lone surrogate
    assert provider.prompts[1].count("bad?") == 2
