"""Work memory (sensors.work_memory) over a real ledger: what failed, waits for review or
completed is held back across restarts (a new memory over the same ledger file), until its
backoff passes or its code, brain or settings change (refused and rejected work: only the
change); a brain that never gave a usable candidate for a source gets none of its work."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from governance.schemas import SignalEnvelope, Urgency
from ledger import Ledger
from ledger.verify import verify_file
from sensors.work_memory import WorkMemory, backoff
from tests.helpers import intake_queue, work_memory

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STEPS = (60.0, 300.0, 1800.0)


class _Now:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def _env(key: str = "todo:1", source: str = "todo_scanner") -> SignalEnvelope:
    return SignalEnvelope(source=source, target_files=("pkg/m.py",), goal=f"work {key}",
                          dedup_key=key, session_id="s-1")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("x = 1  # TODO: more\n")
    return tmp_path


async def _memory(root: Path, now: _Now, brain: str = "replay", settings: str = "s1",
                  reviews: set[str] | None = None, **knobs: object) -> tuple[Ledger, WorkMemory]:
    """A fresh memory over the ledger in `root`: what a restarted daemon loads."""
    ledger = await Ledger.open(root / "ledger.sqlite3")

    async def review_open(op_id: str) -> bool:
        return reviews is not None and op_id in reviews

    memory = work_memory(ledger, root, brain=lambda: brain, settings=settings, now=now,
                         backoff_s=STEPS, review_open=review_open, **knobs)
    await memory.load()
    return ledger, memory


def test_the_backoff_grows_then_stays_at_its_cap():
    assert [backoff(STEPS, n) for n in range(1, 6)] == [60, 300, 1800, 1800, 1800]


async def test_failed_work_waits_across_restarts_and_its_wait_grows_to_the_cap(root):
    now = _Now()
    waits = []
    for attempt in range(4):
        ledger, memory = await _memory(root, now)  # a restart before every attempt
        assert await memory.held_back(_env()) is None, f"attempt {attempt} may run"
        rec = await memory.ended(_env(), f"op-{attempt}", "POSTMORTEM", "tests failed")
        waits.append((rec.not_before - now.at).total_seconds())
        await ledger.close()
        ledger, memory = await _memory(root, now)
        why = await memory.held_back(_env())
        assert why and f"op-{attempt}" in why and "retried after" in why
        now.at = rec.not_before - timedelta(seconds=1)
        assert await memory.held_back(_env())  # still inside its wait
        now.at = rec.not_before
        await ledger.close()
    assert waits == [60, 300, 1800, 1800]
    ledger = await Ledger.open(root / "ledger.sqlite3")
    assert [r["count"] for r in await ledger.latest_work()] == [4]
    await ledger.close()
    assert verify_file(root / "ledger.sqlite3").ok  # the records are chained like the rest


@pytest.mark.parametrize("change", ["code", "brain", "settings"])
async def test_a_change_of_code_brain_or_settings_lets_failed_work_run_at_once(root, change):
    now = _Now()
    ledger, memory = await _memory(root, now)
    await memory.ended(_env(), "op-1", "POSTMORTEM", "tests failed")
    await ledger.close()
    if change == "code":
        (root / "pkg" / "m.py").write_text("x = 2  # TODO: more\n")
    ledger, memory = await _memory(root, now, brain="ollama:qwen" if change == "brain"
                                   else "replay",
                                   settings="s2" if change == "settings" else "s1")
    assert await memory.held_back(_env()) is None
    rec = await memory.ended(_env(), "op-2", "POSTMORTEM", "again")
    assert rec.count == 1  # a new context starts the backoff over
    await ledger.close()


async def test_a_waiting_review_is_not_proposed_again_until_closed_or_the_code_changes(root):
    now, reviews = _Now(), {"op-1"}
    ledger, memory = await _memory(root, now, reviews=reviews)
    await memory.ended(_env(), "op-1", "PROPOSED", "not proven")
    await ledger.close()
    for _restart in range(3):
        ledger, memory = await _memory(root, now, reviews=reviews)
        assert "waits for review (op-1)" in await memory.held_back(_env())
        await ledger.close()
    (root / "pkg" / "m.py").write_text("x = 3  # TODO: more\n")  # the human edited it
    ledger, memory = await _memory(root, now, reviews=reviews)
    assert await memory.held_back(_env()) is None
    (root / "pkg" / "m.py").write_text("x = 1  # TODO: more\n")
    reviews.clear()  # the branch is gone (accepted, pruned or deleted by hand)
    assert await memory.held_back(_env()) is None
    await ledger.close()


async def test_a_rejected_review_is_not_proposed_again_until_its_context_changes(root):
    """The human's word stands: no timer brings rejected work back (issue 51, item 4)."""
    now = _Now()
    ledger, memory = await _memory(root, now, reviews={"op-1"})
    await memory.ended(_env(), "op-1", "PROPOSED", "not proven")
    rec = await memory.rejected("op-1", "wrong idea")
    assert rec is not None and rec.event.value == "rejected" and rec.count == 1
    assert rec.not_before is None
    assert await memory.rejected("op-unknown", "x") is None
    await ledger.close()
    now.at += timedelta(days=30)
    ledger, memory = await _memory(root, now)  # the branch is gone now
    why = await memory.held_back(_env())
    assert "rejected 1 time(s)" in why and "not asked again in the same context" in why
    assert [(h["event"], h["until"]) for h in memory.snapshot()] == [("rejected", None)]
    (root / "pkg" / "m.py").write_text("x = 2  # TODO: more\n")
    assert await memory.held_back(_env()) is None
    await ledger.close()


@pytest.mark.parametrize("change", ["code", "test", "brain", "settings", "none"])
async def test_a_refused_brain_is_not_asked_again_until_something_changes(root, change):
    """Issue 51 item 4: an op whose brain answered and was refused holds its work, across
    restarts and any wait, until the code or its failing tests, the brain or the settings
    change; work that failed without a judged answer still backs off by the timer."""
    (root / "t.py").write_text("def test_a(): assert False\n")
    now = _Now()
    ledger, memory = await _memory(root, now)
    env = _failing("k1")
    rec = await memory.ended(env, "op-1", "POSTMORTEM", "refused", refused=True)
    assert rec.event.value == "refused" and rec.not_before is None
    await ledger.close()
    now.at += timedelta(days=365)
    if change == "code":
        (root / "pkg" / "m.py").write_text("x = 2\n")
    if change == "test":
        (root / "t.py").write_text("def test_a(): assert True\n")
    ledger, memory = await _memory(root, now, brain="ollama:qwen" if change == "brain"
                                   else "replay",
                                   settings="s2" if change == "settings" else "s1")
    why = await memory.held_back(env)
    if change == "none":
        assert why and "refused 1 time(s)" in why and "op-1" in why
    else:
        assert why is None
    rec = await memory.ended(_env("todo:9"), "op-2", "POSTMORTEM", "deadline")
    assert rec.event.value == "failed" and rec.not_before is not None  # not refused: timed
    await ledger.close()


async def test_completed_work_whose_marker_stayed_is_not_taken_again_after_a_restart(root):
    now = _Now()
    ledger, memory = await _memory(root, now)
    await memory.ended(_env(), "op-1", "COMPLETE", "")
    await ledger.close()
    ledger, memory = await _memory(root, now)
    assert "completed by op-1" in await memory.held_back(_env())
    assert memory.snapshot() == []  # nothing backs off: status has nothing to say
    await ledger.close()


async def test_a_revert_of_a_landed_change_is_not_undone_by_the_same_work(root):
    now = _Now()
    ledger, memory = await _memory(root, now)
    target = root / "pkg" / "m.py"
    before = target.read_text()
    await memory.began(_env())
    target.write_text("x = 1\n")  # the op's change landed (its marker gone)
    await memory.ended(_env(), "op-1", "COMPLETE", "")
    target.write_text(before)  # the human's `git revert`
    assert "completed by op-1" in await memory.held_back(_env())
    target.write_text(before + "y = 2\n")  # then edits the file: new work
    assert await memory.held_back(_env()) is None
    await ledger.close()


async def test_blocked_backs_off_in_this_process_only(root):
    now = _Now()
    ledger, memory = await _memory(root, now)
    assert await memory.ended(_env(), "op-1", "BLOCKED", "dirty") is None
    assert "blocked 1 time(s)" in await memory.held_back(_env())
    await ledger.close()
    ledger, memory = await _memory(root, now)
    assert await memory.held_back(_env()) is None
    assert await ledger.latest_work() == []
    await ledger.close()


async def _outcomes(ledger: Ledger, provider: str, source: str, results: list[str]) -> None:
    for n, result in enumerate(results):
        await ledger.record_outcome(f"op-{provider}-{n}", files=["pkg/m.py"], source=source,
                                    route="standard", provider=provider, confidence=0.8,
                                    result=result,
                                    failure_class="" if result == "COMPLETE" else "model")


async def test_a_brain_that_never_gave_a_usable_candidate_gets_no_more_of_that_work(root):
    now = _Now()
    ledger, memory = await _memory(root, now, futile_after=5)
    await _outcomes(ledger, "replay", "todo_scanner", ["POSTMORTEM"] * 4)
    assert await memory.refresh_futile() == []  # four is not yet enough evidence
    await _outcomes(ledger, "replay", "todo_scanner", ["POSTMORTEM"] * 5)
    assert await memory.refresh_futile() == ["todo_scanner"]
    assert await memory.refresh_futile() == []  # said once
    assert "gave no usable candidate" in await memory.held_back(_env("todo:new"))
    assert await memory.held_back(_env("opportunity:1", source="opportunity")) is None
    assert [h["event"] for h in memory.snapshot()] == ["futile"]
    await ledger.close()
    with sqlite3.connect(root / "ledger.sqlite3") as db:
        said = db.execute("SELECT data FROM thoughts WHERE phase = 'INTAKE'").fetchall()
    assert [json.loads(d)["source"] for (d,) in said] == ["todo_scanner"]
    ledger, other = await _memory(root, now, brain="ollama:qwen", futile_after=5)
    assert await other.held_back(_env("todo:new")) is None  # another brain may try
    await _outcomes(ledger, "ollama:qwen", "todo_scanner", ["POSTMORTEM"] * 6 + ["PROPOSED"])
    assert await other.refresh_futile() == []  # one usable candidate is enough
    await ledger.close()


async def test_the_queue_takes_the_memory_s_word_and_records_before_it_releases(root):
    ledger = await Ledger.open(root / "ledger.sqlite3")
    now = _Now()
    q = intake_queue(ledger, work=work_memory(ledger, root, now=now, backoff_s=STEPS),
                     clock=lambda: now.at.timestamp())  # the repeat window's clock too
    assert await q.put(_env())
    env = await q.pop_ready()
    await q.finished(env, "op-1", "POSTMORTEM", "tests failed")
    now.at += timedelta(seconds=59)  # past nothing: the memory alone holds it
    assert not await q.put(_env())
    assert "retried after" in await q.work.held_back(_env())
    await q.finished(_env("todo:2"), "op-2", None, "")  # a shutdown's cancel: no record
    assert [r["dedup_key"] for r in await ledger.latest_work()] == ["todo:1"]
    now.at += timedelta(seconds=2)
    assert await q.put(_env())
    await ledger.close()


async def test_a_retry_of_failed_work_runs_after_work_never_tried_at_the_same_priority(root):
    """getting-started §8: a TODO that just failed came back after its backoff and, queued
    first, would take the loaded box's one op of the bound from work never tried."""
    (root / "pkg" / "n.py").write_text("y = 2  # TODO: less\n")
    failed = _env("todo:1")
    fresh = _env("todo:2").model_copy(update={"target_files": ("pkg/n.py",)})
    ledger = await Ledger.open(root / "ledger.sqlite3")
    now = _Now()
    q = intake_queue(ledger, work=work_memory(ledger, root, now=now, backoff_s=STEPS),
                     clock=lambda: now.at.timestamp())
    assert await q.put(failed)
    await q.finished(await q.pop_ready(), "op-1", "POSTMORTEM", "no usable candidate")
    assert q.work.retries("todo:1") == 1 and q.work.retries("todo:2") == 0
    now.at += timedelta(seconds=61)  # its backoff passed: queued again, first
    assert await q.put(failed) and await q.put(fresh)
    assert [e["goal"] for e in q.snapshot()] == ["work todo:2", "work todo:1"]
    assert (await q.pop_ready()).dedup_key == "todo:2"  # the untried work takes the turn
    await ledger.close()
    # after a restart too (the memory is the ledger's), and only at the same priority
    ledger = await Ledger.open(root / "ledger.sqlite3")
    memory = work_memory(ledger, root, now=now, backoff_s=STEPS)
    await memory.load()
    q = intake_queue(ledger, work=memory, clock=lambda: now.at.timestamp())
    urgent = failed.model_copy(update={"urgency": Urgency.HIGH})
    assert await q.put(urgent) and await q.put(fresh)
    assert (await q.pop_ready()).dedup_key == "todo:1"  # a surer priority still comes first
    await ledger.close()


async def test_a_retry_in_the_context_its_work_failed_in_says_how_often_it_failed(root):
    """The first hour with Qwen2.5-Coder: a failed op's work taken again after its backoff,
    nothing changed, got the same greedy answer at the same cost. The queue says how many
    ops failed in a row in the context the new op starts from (the dispatcher puts it on
    the op: governance.phases.repeats.variation then asks otherwise); a change of the code
    makes it a first question again."""
    ledger = await Ledger.open(root / "ledger.sqlite3")
    now = _Now()
    q = intake_queue(ledger, work=work_memory(ledger, root, now=now, backoff_s=STEPS),
                     clock=lambda: now.at.timestamp())
    assert await q.put(_env())
    env = await q.pop_ready()
    assert q.work.failed_before("todo:1") == 0  # never tried
    await q.finished(env, "op-1", "POSTMORTEM", "no usable candidate")
    for count, wait in ((1, 61), (2, 301)):
        now.at += timedelta(seconds=wait)
        assert await q.put(_env())
        env = await q.pop_ready()
        assert q.work.failed_before("todo:1") == count  # at dispatch: what the op carries
        await q.finished(env, f"op-{count + 1}", "POSTMORTEM", "again")
    (root / "pkg" / "m.py").write_text("x = 3  # TODO: more\n")  # the code changed
    now.at += timedelta(seconds=61)  # past the queue's repeat window, not the backoff
    assert await q.put(_env())
    await q.pop_ready()
    assert q.work.failed_before("todo:1") == 0
    await ledger.close()


def _failing(key: str, *causes: str) -> SignalEnvelope:
    return SignalEnvelope(source="test_failure", urgency=Urgency.HIGH,
                          target_files=("pkg/m.py",), goal=f"tests of {key}", dedup_key=key,
                          session_id="s-1", confidence=0.9,
                          evidence={"tests": [f"t.py::{key}"], "causes": list(causes)})


async def test_a_brain_refused_for_a_cause_is_not_asked_again_under_another_key(root):
    """Issue 51 item 4: one cause is one piece of work whatever key its failures come under
    (a group that gained a test has another anchor): its failed work holds the other key
    back, across a restart, until the code changes; a completed one holds nothing."""
    now = _Now()
    ledger, memory = await _memory(root, now)
    await memory.ended(_failing("k1", "fn:pkg/m.py::f", "test:t.py::a"), "op-1", "POSTMORTEM",
                       "the candidate failed its tests")
    await ledger.close()
    ledger, memory = await _memory(root, now)  # a restart: the causes are in the record
    why = await memory.held_back(_failing("k2", "fn:pkg/m.py::f", "test:t.py::b"))
    assert why and "op-1" in why and "its cause's work, k1" in why and "waits for a change" in why
    assert await memory.held_back(_failing("k3", "fn:pkg/m.py::g")) is None  # another cause
    (root / "pkg" / "m.py").write_text("x = 2  # TODO: more\n")
    assert await memory.held_back(_failing("k2", "fn:pkg/m.py::f")) is None  # the code moved
    await memory.ended(_failing("k4", "fn:pkg/m.py::h"), "op-4", "COMPLETE", "landed")
    assert await memory.held_back(_failing("k5", "fn:pkg/m.py::h")) is None
    await ledger.close()


def test_the_watched_files_are_inside_the_tree_and_bounded() -> None:
    """A failing test's id is what a repository's test run reported: one climbing out of
    the tree, absolute or holding a NUL is never read, and a flood of them hashes at most
    WATCHED_TESTS files (the context is read on the queue's every offer)."""
    from sensors.work_memory import WATCHED_TESTS, watched

    tests = ["../../etc/passwd::t", "/etc/shadow::t", "a\0b.py::t", "t.py::a", "t.py::b",
             *(f"tests/test_{n}.py::t" for n in range(500))]
    env = SignalEnvelope(source="test_failure", target_files=("pkg/m.py",), goal="g",
                         dedup_key="k", session_id="s", evidence={"tests": tests})
    files = watched(env)
    assert files[0] == "pkg/m.py" and len(files) == 1 + WATCHED_TESTS
    assert not [f for f in files if ".." in f or f.startswith("/") or "\0" in f]
    assert "t.py" in files

