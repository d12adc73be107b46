"""Hostile sandbox layouts against every host-side file tool.

A jailed command can leave anything in the op's sandbox: symlinks (absolute, relative,
chained, looping, dangling) to HOME, the live repo, the state dir or `.git`, hard links,
FIFOs, sockets, device nodes, huge or binary files, absurdly deep paths. Each row builds
one such layout for real and calls one tool twice: through the policy as the loop does,
and straight into the handler (the second lock, as if the layout appeared right after the
policy looked). Every call must end in a denial, a ToolFailed or a result from inside the
sandbox; no secret from outside may appear, nothing outside may change, nothing may raise.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from governance.git.gitops import GitOps
from tests.helpers import tool_env
from tools.builtin import TOOLS, ToolFailed
from tools.policy import PolicyContext, evaluate
from tools.workspace import Workspace

SECRETS = ("LIVE_SECRET", "HOME_SECRET", "STATE_SECRET", "GIT_SECRET", "HARD_SECRET")


class Arena:
    """The op's sandbox plus the places a hostile layout points at."""

    def __init__(self, repo: Path, short_tmp: Path):
        self.repo = repo
        self.home = short_tmp / "home"
        self.outside = short_tmp / "outside"
        for d in (self.home, self.outside, repo / ".ouroboros"):
            d.mkdir(exist_ok=True)
        (repo / ".env").write_text("TOKEN=LIVE_SECRET\n")
        (self.home / ".env").write_text("TOKEN=HOME_SECRET\n")
        (self.home / "ops.py").write_text("def f():\n    return 'HOME_SECRET'\nf()\n")
        (repo / ".ouroboros" / "ledger.txt").write_text("STATE_SECRET\n")
        (repo / ".git" / "secret_note.py").write_text("# GIT_SECRET\nf()\n")
        (self.outside / "hard.py").write_text("x = 'HARD_SECRET'\nf()\n")
        self.ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "hostile",
                                   ["calc/ops.py"], ".ouroboros")
        self.root = self.ws.root
        self.env = tool_env(workspace=self.ws, git=GitOps(repo), state_rel=".ouroboros",
                           hidden=[self.home])
        self.ctx = PolicyContext(self.root, ".ouroboros")

    def snapshot(self) -> dict[str, bytes]:
        """Everything outside the sandbox a hostile call could change."""
        out = {}
        for base in (self.home, self.outside, self.repo):
            for p in sorted(base.rglob("*")):
                if "sandboxes" in p.parts or "objects" in p.parts or p.is_symlink():
                    continue
                if p.is_file():
                    out[str(p)] = p.read_bytes()
                elif p.is_dir():
                    out[str(p)] = b"<dir>"
        return out

    def link(self, name: str, target: str | Path) -> None:
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, self.root / name)


# --- layouts: name -> builder(arena) ---------------------------------------------------

def _device(a: Arena) -> None:
    try:
        os.mknod(a.root / "calc" / "dev.py", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs CAP_MKNOD")


def _socket(a: Arena) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(a.root / "calc" / "sock.py"))
    sock.close()


def _deep(a: Arena) -> None:
    path = a.root / Path(*["d" * 200] * 19)
    path.mkdir(parents=True)
    (path / "x.py").write_text("f()\n")


LAYOUTS: dict[str, Callable[[Arena], None]] = {
    "dir link to home": lambda a: a.link("h", a.home),
    "dir link to live repo": lambda a: a.link("live", a.repo),
    "dir link to state dir": lambda a: a.link("st", a.repo / ".ouroboros"),
    "dir link to .git": lambda a: a.link("g", a.repo / ".git"),
    "relative dir link climbing out": lambda a: a.link("up", "../../.."),
    "leaf link to live .env": lambda a: a.link("calc/cfg.py", a.repo / ".env"),
    "relative leaf link to live .env": lambda a: a.link("calc/cfg.py", "../../../../.env"),
    "chain of links to home": lambda a: (a.link("c1", "c2"), a.link("c2", "c3"),
                                          a.link("c3", a.home)),
    "link loop": lambda a: (a.link("l1", "l2"), a.link("l2", "l1")),
    "self loop": lambda a: a.link("me", "me"),
    "dangling link": lambda a: a.link("calc/gone.py", "nowhere/at/all.py"),
    "calc replaced by link to home": lambda a: (os.rename(a.root / "calc", a.root / "old"),
                                                a.link("calc", a.home)),
    "fifo as leaf": lambda a: os.mkfifo(a.root / "calc" / "pipe.py"),
    "socket as leaf": _socket,
    "device as leaf": _device,
    "hard link to outside file": lambda a: os.link(a.outside / "hard.py",
                                                   a.root / "calc" / "alias.py"),
    "huge file": lambda a: (a.root / "calc" / "huge.py").write_bytes(b"f()\n" * 600_000),
    "binary file": lambda a: (a.root / "calc" / "bin.py").write_bytes(b"\x00\xff" * 100),
    "deep tree": _deep,
}

# (layout, tool, arguments, must the call be refused)
ROWS: list[tuple[str, str, dict, bool]] = []
for _layout, _dir in (("dir link to home", "h"), ("dir link to live repo", "live"),
                      ("dir link to state dir", "st"), ("dir link to .git", "g"),
                      ("relative dir link climbing out", "up"),
                      ("chain of links to home", "c1"), ("calc replaced by link to home", "calc")):
    ROWS += [
        (_layout, "read_file", {"path": f"{_dir}/.env"}, True),
        (_layout, "read_file", {"path": f"{_dir}/ops.py"}, True),
        (_layout, "list_dir", {"path": _dir}, True),
        (_layout, "search_code", {"pattern": "SECRET", "path": _dir}, True),
        (_layout, "write_file", {"path": f"{_dir}/pwned.py", "content": "x"}, True),
        (_layout, "delete_file", {"path": f"{_dir}/ops.py"}, True),
    ]
ROWS += [
    ("dir link to home", "search_code", {"pattern": "SECRET", "path": "."}, False),
    ("dir link to home", "get_callers", {"name": "f", "path": "."}, False),
    ("dir link to home", "glob_files", {"pattern": "h/*"}, False),
    ("dir link to live repo", "glob_files", {"pattern": "*"}, False),
    ("dir link to live repo", "list_symbols", {"path": "live/calc/ops.py"}, True),
    ("dir link to .git", "write_file", {"path": "g/hooks/post-commit", "content": "x"}, True),
    ("dir link to .git", "get_callers", {"name": "f", "path": "g"}, True),
    ("dir link to live repo", "edit_file", {"path": "live/calc/ops.py", "old": "x",
                                            "new": "y"}, True),
    ("leaf link to live .env", "read_file", {"path": "calc/cfg.py"}, True),
    ("leaf link to live .env", "write_file", {"path": "calc/cfg.py", "content": "x"}, True),
    ("leaf link to live .env", "edit_file", {"path": "calc/cfg.py", "old": "T", "new": "U"},
     True),
    ("leaf link to live .env", "search_code", {"pattern": "SECRET", "path": "calc"}, False),
    ("leaf link to live .env", "git_diff", {}, False),
    ("relative leaf link to live .env", "read_file", {"path": "calc/cfg.py"}, True),
    ("relative leaf link to live .env", "list_symbols", {"path": "calc/cfg.py"}, True),
    ("relative leaf link to live .env", "get_callers", {"name": "f", "path": "calc"}, False),
    ("link loop", "read_file", {"path": "l1"}, True),
    ("link loop", "read_file", {"path": "l1/x.py"}, True),
    ("link loop", "list_dir", {"path": "l2"}, True),
    ("link loop", "write_file", {"path": "l1/x.py", "content": "x"}, True),
    ("link loop", "search_code", {"pattern": "x", "path": "."}, False),
    ("self loop", "read_file", {"path": "me/me/me"}, True),
    ("self loop", "delete_file", {"path": "me/x"}, True),
    ("dangling link", "read_file", {"path": "calc/gone.py"}, True),
    ("dangling link", "write_file", {"path": "calc/gone.py", "content": "x"}, True),
    ("dangling link", "list_dir", {"path": "calc"}, False),
    ("fifo as leaf", "read_file", {"path": "calc/pipe.py"}, True),
    ("fifo as leaf", "edit_file", {"path": "calc/pipe.py", "old": "a", "new": "b"}, True),
    ("fifo as leaf", "search_code", {"pattern": "x", "path": "calc"}, False),
    ("fifo as leaf", "get_callers", {"name": "f", "path": "calc"}, False),
    ("fifo as leaf", "git_diff", {}, False),
    ("socket as leaf", "read_file", {"path": "calc/sock.py"}, True),
    ("socket as leaf", "write_file", {"path": "calc/sock.py", "content": "x"}, True),
    ("device as leaf", "read_file", {"path": "calc/dev.py"}, True),
    ("device as leaf", "list_symbols", {"path": "calc/dev.py"}, True),
    ("device as leaf", "delete_file", {"path": "calc/dev.py"}, True),
    ("hard link to outside file", "read_file", {"path": "calc/alias.py"}, True),
    ("hard link to outside file", "search_code", {"pattern": "SECRET", "path": "calc"}, False),
    ("hard link to outside file", "get_callers", {"name": "f", "path": "calc"}, False),
    ("hard link to outside file", "write_file", {"path": "calc/alias.py", "content": "x"},
     False),
    ("hard link to outside file", "edit_file", {"path": "calc/alias.py", "old": "x",
                                                "new": "y"}, True),
    ("huge file", "read_file", {"path": "calc/huge.py"}, True),
    ("huge file", "search_code", {"pattern": "f", "path": "calc/huge.py"}, False),
    ("huge file", "edit_file", {"path": "calc/huge.py", "old": "f", "new": "g"}, True),
    ("binary file", "read_file", {"path": "calc/bin.py"}, True),
    ("binary file", "list_symbols", {"path": "calc/bin.py"}, True),
    ("deep tree", "search_code", {"pattern": "f", "path": "."}, False),
    ("deep tree", "read_file", {"path": "/".join(["d" * 200] * 19) + "/x.py"}, False),
    ("deep tree", "read_file", {"path": "/".join(["d" * 200] * 21) + "/x.py"}, True),
    ("deep tree", "write_file", {"path": "d" * 300 + "/x.py", "content": "x"}, True),
    ("deep tree", "list_dir", {"path": "e" * 256}, True),
]


async def _through_policy(a: Arena, tool: str, args: dict) -> tuple[bool, str]:
    decision = evaluate(tool, args, a.ctx, {})
    if not decision.allowed:
        return True, f"denied by {decision.rule}: {decision.reason}"
    return await _handler(a, tool, decision.args)


async def _handler(a: Arena, tool: str, args) -> tuple[bool, str]:
    if isinstance(args, dict):
        args = TOOLS[tool].args.model_validate(args)
    try:
        return False, await TOOLS[tool].handler(args, a.env)
    except ToolFailed as exc:
        return True, f"failed: {exc}"


@pytest.mark.slow
@pytest.mark.parametrize(("layout", "tool", "args", "refused"), ROWS,
                         ids=[f"{r[0]}|{r[1]}|{i}" for i, r in enumerate(ROWS)])
async def test_hostile_layout(repo, short_tmp, layout, tool, args, refused):
    a = Arena(repo, short_tmp)
    LAYOUTS[layout](a)
    before = a.snapshot()
    for run in (_through_policy, _handler):
        was_refused, out = await run(a, tool, args)
        assert not any(s in out for s in SECRETS), (run.__name__, out[:500])
        if run is _through_policy:
            assert was_refused == refused, out[:500]
        assert a.snapshot() == before, run.__name__


@pytest.mark.slow
async def test_committed_absolute_symlinks_do_not_stop_a_tools_on_op(repo, short_tmp):
    """Absolute and climbing symlinks committed anywhere in the repo: the op still explores,
    edits, tests and lands (they are left out of its sandboxes, with a note)."""
    import json

    from tests.helpers import (
        FIX_TODO_EDIT,
        OPS_FIXED,
        git,
        run_todo,
        script_turn,
        settings_for,
        tool_call,
    )

    for name, target in (("abs_passwd", "/etc/passwd"), ("docs/home", str(Path.home())),
                         ("calc/up", "../.."), ("calc/alias.py", "ops.py")):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, repo / name)
    # a suite collected through calc/up (-> ../.., the repo again, dozens deep) would import
    # this module from beneath the link first: VERIFY's live session skips what no
    # sandbox, hence no baseline, ever held
    (repo / "tests" / "test_not_through_links.py").write_text(
        'def test_imported_from_its_own_path():\n    assert "/up/" not in __file__\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")

    script = short_tmp / "script.jsonl"
    script.write_text("\n".join([
        script_turn(tool_call("list_dir", path="calc"), tool_call("read_file", path="calc/ops.py"),
                    tool_call("search_code", pattern="clamp", path="calc")),
        script_turn(FIX_TODO_EDIT),
        script_turn("Clamped x into [lo, hi]; removed the TODO."),
    ]) + "\n")
    run = await run_todo(repo, settings_for(script))
    op, chain = run.op, run.chain
    assert op["phase"] == "COMPLETE", json.dumps([(t["to_phase"], t["reason"], t.get("payload"))
                                       for t in chain["transitions"][-4:]])[:6000]
    assert (repo / "calc" / "ops.py").read_text() == OPS_FIXED
    assert [(c["tool"], c["verdict"]) for c in chain["tool_calls"]] == [
        ("list_dir", "ok"), ("read_file", "ok"), ("search_code", "ok"), ("edit_file", "ok")]
    notes = [t for t in chain["thoughts"] if t["msg"] == "sandbox entries left out"]
    assert notes and "abs_passwd" in json.dumps(notes)
    assert os.readlink(repo / "abs_passwd") == "/etc/passwd"  # the human's links untouched
