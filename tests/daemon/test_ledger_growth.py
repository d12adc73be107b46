"""How much the ledger grows per op, measured on real ops, and what retention leaves inline.

A daemon (replay brain) works a repository where the human commits one TODO at a time, each
with the failing test that says what it means; two of every three ops land (COMPLETE), the
third keeps proposing a change that breaks a test and ends POSTMORTEM after its retries and
L2 (the refusals keep their failing tests' texts). Then the sizes are read with SQLite's
dbstat (ledger.sizes), every op but the newest is archived (ledger.retention), and the sizes
are read again. OUROBOROS_GROWTH_OPS sets the op count (default 3); with
OUROBOROS_GROWTH_OUT=path the figures are also written there as JSON
(docs/observability.md#retention quotes a 30-op run).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.ledger_archiver import archive_once
from ledger.retention import Retention
from ledger.segments import ARCHIVE_DIR
from ledger.sizes import file_pages, table_sizes
from ledger.verify import verify_file
from tests.helpers import (
    candidate_turn,
    commit_files,
    explore_turn,
    git,
    running_daemon,
    script_turn,
    settings_for,
    tool_call,
    wait_terminal,
    write_script,
)

pytestmark = pytest.mark.slow

OPS = int(os.environ.get("OUROBOROS_GROWTH_OPS") or 3)
TODO = "    # TODO: clamp x into [lo, hi]\n"


def _module(i: int, todo: bool) -> str:
    return f'"""Helpers {i}."""\n\n\ndef clamp{i}(x, lo, hi):\n{TODO if todo else ""}    return x\n'


def _test(i: int) -> str:
    return (f"from calc.m{i:02d} import clamp{i}\n\n\ndef test_clamp{i}():\n"
            f"    assert clamp{i}(-5, 0, 10) == 0\n    assert clamp{i}(50, 0, 10) == 10\n")


def _turns(i: int) -> list[str]:
    """Op i's model replies, taken only by prompts that name its file."""
    path = f"calc/m{i:02d}.py"
    mine = [explore_turn(path, match=path)]
    if i % 3 != 2:  # lands
        edit = tool_call("edit_file", path=path, old=f"{TODO}    return x\n",
                         new="    return max(lo, min(x, hi))\n")
        replies = [script_turn(edit), script_turn(f"Clamped x in {path}; removed the TODO.")]
        return mine + [json.dumps({**json.loads(r), "match": path}) for r in replies]
    bad = json.dumps({**json.loads(candidate_turn(path, _module(i, True).replace(
        "return x", "return -x"))), "match": path})
    return [*mine, bad, *[explore_turn(path, match=path), bad] * 2, bad, bad]


def _measure(db_path: Path) -> dict:
    with sqlite3.connect(db_path) as db:
        sizes = table_sizes(db)
        page, pages, free = file_pages(db)
    return {"tables": {t: {"rows": s.rows, "bytes": s.bytes, "payload": s.payload}
                       for t, s in sizes.items()},
            "file_bytes": page * pages, "free_bytes": page * free}


async def test_ledger_growth_per_op_and_after_retention(short_tmp: Path):
    files = {"calc/__init__.py": "", "README.md": "# calc\n",
             **{f"calc/m{i:02d}.py": _module(i, False) for i in range(OPS)}}
    repo = commit_files(short_tmp / "repo", files)
    script = write_script(short_tmp / "script.jsonl",
                          *[t for i in range(OPS) for t in _turns(i)])
    began = time.monotonic()
    # No periodic scan: after its backoff a failed TODO would be offered again (a retry,
    # with no scripted reply left) and count as one of the ops.
    settings = settings_for(script, daemon={"workers": 1}, intake={"scan_interval_s": 86400})
    async with running_daemon(repo, settings) as daemon:
        for i in range(OPS):  # the human commits a TODO and its test; the op runs
            (repo / f"calc/m{i:02d}.py").write_text(_module(i, True))
            (repo / "tests").mkdir(exist_ok=True)
            (repo / f"tests/test_m{i:02d}.py").write_text(_test(i))
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", f"TODO {i}")
            ended = await wait_terminal(daemon, count=i + 1, timeout=300)
        assert daemon.ledger is not None
        ledger = daemon.ledger
        phases = sorted(o["phase"] for o in ended)
        grown = _measure(ledger.path)
        with ThreadPoolExecutor(1) as pool:  # every op but the newest leaves
            later = datetime.now(UTC) + timedelta(days=400)
            await archive_once(ledger, Retention(30, 1, 1), pool, now=later,
                               crash=lambda _: None)
        kept = _measure(ledger.path)
    archive = sum(p.stat().st_size for p in (ledger.path.parent / ARCHIVE_DIR).iterdir())
    figures = {"ops": OPS, "phases": phases, "seconds": round(time.monotonic() - began, 1),
               "grown": grown, "after_retention": kept, "archive_bytes": archive}
    if out := os.environ.get("OUROBOROS_GROWTH_OUT"):
        Path(out).write_text(json.dumps(figures, indent=2))

    assert phases.count("COMPLETE") == OPS - OPS // 3, phases
    assert phases.count("POSTMORTEM") == OPS // 3, phases
    rows = sum(t["rows"] for t in grown["tables"].values())
    live = sum(t["bytes"] for t in grown["tables"].values())
    assert 20 * OPS <= rows <= 80 * OPS, grown  # ~33 rows an op
    assert live <= 48 * 1024 * OPS, grown  # ~20 KB an op (docs/observability.md)
    content = sum(t["payload"] for t in grown["tables"].values())
    left = sum(t["payload"] for t in kept["tables"].values())
    assert kept["tables"]["operations"]["rows"] == 1
    # Outcome rows left with their ops, their counts kept (ledger.compaction)...
    assert kept["tables"]["outcomes"]["rows"] == 1
    assert kept["tables"]["outcome_tallies"]["rows"] >= 1
    # ...and a work record per piece of work stays (each TODO here is its own, none was
    # superseded): what stays is the newest op and about a row per op; the pages freed
    # wait in the file for the next rows (a few ops fill whole pages only partly, so
    # pages are compared on longer runs: the docs)...
    assert left < content * (1 / OPS + 0.3), (grown, kept)
    assert kept["file_bytes"] == grown["file_bytes"]
    # ...and the rest is in the archive, compressed.
    assert archive < content / 2
    assert verify_file(ledger.path).ok
