"""Settled causes open no op (issue 51 item 3), on the real queue, its SQLite ledger and
real pytest: a failing test's work, seen failing at one HEAD, is settled "fixed by
<commit>" when a commit since then makes every one of its tests pass; while HEAD has not
moved, or a test still fails, the op opens. An op whose candidate is empty relative to its
base, overtaken by a commit that changed its target files, is fixed by that commit."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from governance.git.fixed_by import fixed_by
from governance.oracle.testrun import TestRunner
from governance.schemas import SignalEnvelope, Urgency
from ledger import Ledger
from tests.helpers import (
    OPS_BROKEN,
    OPS_PY,
    PYTEST,
    TEST_OPS,
    commit_files,
    git,
    intake_queue,
    work_memory,
)

TESTS = ["tests/test_ops.py::test_add"]


def broken_repo(tmp_path: Path) -> tuple[Path, str]:
    repo = commit_files(tmp_path / "repo", {
        "calc/__init__.py": "", "calc/ops.py": OPS_BROKEN, "tests/test_ops.py": TEST_OPS})
    return repo, git(repo, "rev-parse", "HEAD").strip()


def failing(head: str) -> SignalEnvelope:
    return SignalEnvelope(source="test_failure", urgency=Urgency.HIGH,
                          target_files=("tests/test_ops.py", "calc/ops.py"),
                          goal="Make test_add pass", confidence=0.9, dedup_key="k1",
                          session_id="s", evidence={"test_id": TESTS[0], "tests": TESTS,
                                                    "causes": ["fn:calc/ops.py::add"],
                                                    "head": head})


def queue_on(ledger: Ledger, repo: Path, tmp_path: Path):
    runner = TestRunner(PYTEST, 60)

    async def rerun(tests):
        return await runner.run(repo, list(tests), scratch=tmp_path / "scratch")
    return intake_queue(ledger, work=work_memory(ledger, repo), runner=lambda: rerun)


def _thoughts(ledger: Ledger) -> list[str]:
    with contextlib.closing(sqlite3.connect(ledger.path)) as db:
        return [m for (m,) in db.execute("SELECT msg FROM thoughts").fetchall()]


async def test_a_commit_that_fixed_the_tests_settles_the_work_and_no_op_opens(tmp_path):
    repo, seen = broken_repo(tmp_path)
    (repo / "calc/ops.py").write_text(OPS_PY)
    git(repo, "commit", "-qam", "add: fixed by the human")
    fix = git(repo, "rev-parse", "HEAD").strip()
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = queue_on(ledger, repo, tmp_path)
    assert await q.put(failing(seen))
    assert await q.pop_ready() is None  # no op
    [said] = _thoughts(ledger)
    assert said.startswith(f"fixed by {fix[:12]}") and "POSTMORTEM" not in said
    assert await ledger.wal_pending() == []
    assert q.work.records["k1"].reason.startswith(f"fixed by {fix[:12]}")
    assert not await q.put(failing(seen))  # the same work again: held back, fixed
    await ledger.close()


async def test_work_opens_while_head_has_not_moved_or_a_test_still_fails(tmp_path):
    repo, seen = broken_repo(tmp_path)
    ledger = await Ledger.open(tmp_path / "l.sqlite3")
    q = queue_on(ledger, repo, tmp_path)
    assert await q.put(failing(seen))
    assert (await q.pop_ready()).dedup_key == "k1"  # HEAD is still where it failed
    q.done("k1")
    (repo / "README.md").write_text("unrelated\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "docs")
    q.router.queued.clear()
    assert await q.put(failing(seen).model_copy(update={"dedup_key": "k2"}))
    assert (await q.pop_ready()).dedup_key == "k2"  # HEAD moved, the test still fails
    assert _thoughts(ledger) == []
    await ledger.close()


def test_an_empty_change_is_fixed_by_the_commit_that_changed_its_files(tmp_path):
    repo, seen = broken_repo(tmp_path)
    (repo / "notes.txt").write_text("notes\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-qm", "notes")
    assert fixed_by(repo, seen, git(repo, "rev-parse", "HEAD").strip(),
                    ["calc/ops.py"]) is None  # nothing of its files changed since
    (repo / "calc/ops.py").write_text(OPS_PY)
    git(repo, "commit", "-qam", "add: fixed")
    fix = git(repo, "rev-parse", "HEAD").strip()
    (repo / "notes.txt").write_text("more notes\n")
    git(repo, "commit", "-qam", "notes again")
    base = git(repo, "rev-parse", "HEAD").strip()
    assert fixed_by(repo, seen, base, ["tests/test_ops.py", "calc/ops.py"]) == fix
    assert fixed_by(repo, base, base, ["calc/ops.py"]) is None


def test_a_file_whose_collection_failed_passes_only_when_its_tests_run_and_pass():
    from sensors.run_results import TestResult
    from sensors.settled import _passes
    ok, bad = TestResult(outcome="passed"), TestResult(outcome="failed")
    assert _passes("t.py", {"t.py::a": ok, "t.py::b": ok})  # it collects now, its tests pass
    assert not _passes("t.py", {"t.py::a": ok, "t.py::b": bad})
    assert not _passes("t.py", {"u.py::a": ok})  # none of its tests ran: cannot decide
    assert not _passes("t.py", {"t.py": TestResult(outcome="error")})  # still broken
    assert not _passes("t.py::a", {"t.py::a": TestResult(outcome="skipped")})
