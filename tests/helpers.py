"""Shared test helpers: real git repositories, replay scripts, an in-process daemon."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from daemon.config import Settings
from daemon.service import Daemon

OPS_PY = '''"""Small arithmetic helpers."""


def add(a, b):
    return a + b


def clamp(x, lo, hi):
    return x
'''
OPS_FIXED = OPS_PY.replace("    return x\n", "    return max(lo, min(x, hi))\n")
OPS_BROKEN = OPS_PY.replace("return a + b", "return a - b")
TEST_OPS = '''from calc.ops import add


def test_add():
    assert add(2, 3) == 5
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def make_repo(root: Path) -> Path:
    """A small package with passing tests, committed."""
    repo = root / "repo"
    (repo / "calc").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "calc" / "__init__.py").write_text("")
    (repo / "calc" / "ops.py").write_text(OPS_PY)
    (repo / "tests" / "test_ops.py").write_text(TEST_OPS)
    (repo / "README.md").write_text("# calc\n")
    (repo / "notes.txt").write_text("notes\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Human")
    git(repo, "config", "user.email", "human@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def candidate_turn(file_path: str, content: str, rationale: str = "clamp into range") -> str:
    text = json.dumps({"schema": "candidate.1", "file_path": file_path,
                       "full_content": content, "rationale": rationale})
    return json.dumps({"purpose": "generate", "text": text, "cost_usd": 0.001})


def write_script(path: Path, *turns: str) -> Path:
    path.write_text("\n".join(turns) + "\n")
    return path


def tree_bytes(repo: Path) -> dict[str, bytes]:
    """Every file outside .git and the state dir, for byte-identical comparisons."""
    out = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo)
        if rel.parts[0] in (".git", ".ouroboros") or not p.is_file():
            continue
        out[rel.as_posix()] = p.read_bytes()
    return out


def settings_for(script: Path | None, **overrides: dict) -> Settings:
    data: dict = {"provider": {"name": "replay", "replay_script": str(script)} if script
                  else {"name": "none"},
                  "intake": {"debounce_s": 0.1},
                  "daemon": {"shutdown_grace_s": 2.0}}
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    return Settings.model_validate(data)


@contextlib.asynccontextmanager
async def running_daemon(repo: Path, settings: Settings,
                         daemon: Daemon | None = None) -> AsyncIterator[Daemon]:
    daemon = daemon or Daemon(repo, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(daemon.serve(stop))
    ready = asyncio.create_task(daemon.ready.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()
    try:
        yield daemon
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def wait_for(predicate: Callable[[], object], timeout: float = 30.0,
                   what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def terminal_ops(daemon: Daemon) -> list[dict]:
    assert daemon.ledger is not None
    ops = await daemon.ledger.operations()
    return [o for o in ops if o["phase"] in ("COMPLETE", "POSTMORTEM", "CANCELLED", "BLOCKED",
                                             "FAILED_PERMANENT")]


async def wait_terminal(daemon: Daemon, count: int = 1, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = await terminal_ops(daemon)
        if len(done) >= count:
            return done
        await asyncio.sleep(0.1)
    raise AssertionError(f"no terminal op within {timeout}s: {await daemon.status()}")


def add_todo_and_commit(repo: Path) -> None:
    """The human writes a TODO and commits it (a TODO in a dirty file is held back)."""
    ops = repo / "calc" / "ops.py"
    ops.write_text(ops.read_text().replace(
        "def clamp(x, lo, hi):\n", "def clamp(x, lo, hi):\n    # TODO: clamp x into [lo, hi]\n"))
    time.sleep(0.3)
    git(repo, "commit", "-q", "-m", "note a TODO", "--", "calc/ops.py")
