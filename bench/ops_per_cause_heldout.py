"""Ops per cause on a held-out set (tests/data/heldout_causes/): libraries the cause rules
were not grown on, each case one human commit breaking one library function.

The set was frozen (manifest committed) before the rules were tuned for issue 51: webcolors
(a `src/` layout, unittest-style tests), uncertainties (`from .core import *` in its
`__init__.py`), pathspec (unittest-style, functions reached through `PathSpec`). Per case:
the library at its release, committed; the human's commit breaking `function` in `path`
(the manifest's `old` -> `new`); the human runs the whole suite twice through the
ouroboros_results plugin; the daemon's TestFailureSensor reads both runs and its router
queues the ops. An op names the broken function when its anchor cause (what its key and goal
are known by) is `fn:<path>::<function>`.

    .venv/bin/python bench/ops_per_cause.py --heldout [--cases ID-PREFIX ...]
"""

from __future__ import annotations

import asyncio
import json
import lzma
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.config.settings import Settings
from governance.schemas import SignalEnvelope
from sensors.failing_tests import TestFailureSensor
from sensors.failure_causes import causes_in
from sensors.router import IntakeRouter, Outcome
from tests.helpers import commit_files, git

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "heldout_causes"
HUMAN_RUNS = 2  # a failing test is work once it fails twice in a row


@dataclass(frozen=True)
class Case:
    id: str
    library: str
    path: str
    function: str
    old: str
    new: str

    @property
    def cause(self) -> str:
        return f"fn:{self.path}::{self.function}"


@dataclass(frozen=True)
class Result:
    case: Case
    failing: int
    ops: int
    named: int  # ops whose anchor is the broken function
    anchors: tuple[str, ...]


def cases(data: Path = DATA) -> list[Case]:
    manifest = json.loads((data / "manifest.json").read_text())
    return [Case(**{k: c[k] for k in ("id", "library", "path", "function", "old", "new")})
            for c in manifest["cases"]]


def library_repo(case: Case, where: Path) -> Path:
    """The library at its release, committed; then the human's breaking commit."""
    base = json.loads(lzma.decompress((DATA / f"{case.library}.json.xz").read_bytes()))
    repo = commit_files(where, base["base"])
    target = repo / case.path
    text = target.read_text()
    if text.count(case.old) != 1:
        raise ValueError(f"{case.id}: the breaking edit's old text is not in {case.path} once")
    target.write_text(text.replace(case.old, case.new))
    git(repo, "commit", "-q", "-am", f"{case.function}: a change (the human's)")
    return repo


def human_pytest(repo: Path, state: Path) -> None:
    env = {**os.environ, "OUROBOROS_STATE_DIR": str(state), "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                   cwd=repo, env=env, capture_output=True, timeout=600)


async def one(case: Case, work: Path) -> Result:
    repo = library_repo(case, work / "repo")
    state = work / "state"
    state.mkdir()
    emitted: list[SignalEnvelope] = []

    async def emit(env: SignalEnvelope) -> bool:
        emitted.append(env)
        return True

    sensor = TestFailureSensor(repo, state, "heldout", emit)
    files = git(repo, "ls-files").splitlines()
    for _ in range(HUMAN_RUNS):
        await asyncio.to_thread(human_pytest, repo, state)
        await sensor.scan_once(files)
    i = Settings().intake
    router = IntakeRouter(i.queue_capacity, i.coalesce_window_s, i.file_lock_ttl_s)
    ops = sum(router.offer(e).outcome is Outcome.QUEUED for e in emitted)
    queued = [q.env for q in router.queued.values()]
    anchors = tuple(_anchor(e) for e in queued)
    failing = {t for e in emitted for t in e.evidence.get("tests", [e.evidence["test_id"]])}
    return Result(case, len(failing), ops, sum(a == case.cause for a in anchors), anchors)


def _anchor(env: SignalEnvelope) -> str:
    causes = sorted(causes_in(env))
    fns = [c for c in causes if not c.startswith("test:")]
    return (fns or causes or [env.dedup_key])[0]


async def run(prefixes: list[str]) -> list[Result]:
    out = []
    for case in cases():
        if prefixes and not any(case.id.startswith(p) for p in prefixes):
            continue
        with tempfile.TemporaryDirectory(prefix="ob-heldout.") as tmp:
            r = await one(case, Path(tmp))
        print(f"{case.id:36} failing tests {r.failing:3}  ops {r.ops}  naming "
              f"{case.function}: {r.named}  anchors {', '.join(r.anchors)}", flush=True)
        out.append(r)
    ops = sum(r.ops for r in out)
    named = sum(r.named for r in out)
    print(f"{len(out)} held-out causes: {sum(r.failing for r in out)} failing tests, {ops} ops "
          f"({ops / max(len(out), 1):.2f} per cause), {named} of them naming the broken "
          f"function")
    return out
