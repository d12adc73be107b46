"""The intake router's rules: the seed's priority formula and worked example, file locks as a
DAG with release and TTL, coalescing, capacity with evict-lowest."""

from __future__ import annotations

import pytest

from governance.schemas import SignalEnvelope, Urgency
from sensors.router import IntakeRouter, Outcome, file_penalty, priority


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def env(key: str, *files: str, source: str = "todo_scanner", urgency: Urgency = Urgency.NORMAL,
        confidence: float = 0.8, session: str = "s", goal: str | None = None,
        focus: tuple[int, ...] = ()) -> SignalEnvelope:
    return SignalEnvelope(source=source, urgency=urgency, target_files=files or ("a.py",),
                          goal=goal or f"goal {key}", confidence=confidence, dedup_key=key,
                          session_id=session, focus_lines=focus)


def router(capacity: int = 16, clock: Clock | None = None) -> IntakeRouter:
    return IntakeRouter(capacity, 30.0, 300.0, clock or Clock())


def drain(r: IntakeRouter) -> list[str]:
    out = []
    while (e := r.next_ready()) is not None:
        out.append(e.dedup_key)
        r.release(e.dedup_key)
    return out


# The seed's worked example (§50.2): (source, urgency, files, confidence, dep credit, priority)
SEED = {"A": ("test_failure", Urgency.CRITICAL, 1, 0.95, 0, -2),
        "B": ("opportunity_miner", Urgency.NORMAL, 4, 0.70, 0, 6),
        "C": ("doc_staleness", Urgency.LOW, 1, 0.85, 2, 4)}


@pytest.mark.parametrize("name", SEED)
def test_the_seed_formula_gives_the_seed_numbers(name):
    source, urgency, n, conf, credit, want = SEED[name]
    e = env(name, *[f"f{i}.py" for i in range(n)], source=source, urgency=urgency,
            confidence=conf)
    assert priority(e, credit) == want


def test_the_seed_example_orders_a_then_c_then_b_through_the_router():
    r = router()
    r.offer(env("B", "b1.py", "b2.py", "b3.py", "b4.py", source="opportunity_miner",
                confidence=0.70))
    r.offer(env("C", "c.py", source="doc_staleness", urgency=Urgency.LOW, confidence=0.85))
    # Two envelopes of an unranked source that need C's file: C's dependency credit is 2.
    for n in (1, 2):
        r.offer(env(f"W{n}", "c.py", source="exploration", session=f"other{n}"))
    r.offer(env("A", "a.py", source="test_failure", urgency=Urgency.CRITICAL,
                confidence=0.95))
    assert [r.rank(k) for k in ("A", "C", "B")] == [-2, 4, 6]
    assert drain(r) == ["A", "C", "B", "W1", "W2"]


@pytest.mark.parametrize(("n", "penalty"), [(1, 0), (2, 1), (4, 1), (5, 2), (40, 2)])
def test_file_count_penalty(n, penalty):
    assert file_penalty(n) == penalty


def test_credit_is_capped_at_three():
    e = env("x", source="backlog")
    assert priority(e, 3) == priority(e, 10) == priority(e, 0) - 3


def test_a_signal_waits_behind_the_op_holding_its_file_and_is_reoffered_on_release():
    r = router()
    r.offer(env("A", "f.py"))
    assert r.next_ready().dedup_key == "A"
    # Multi-file: g.py is free, f.py is busy: it waits for A all the same.
    assert r.offer(env("B", "g.py", "f.py")).outcome is Outcome.WAITING
    assert r.offer(env("C", "h.py")).outcome is Outcome.QUEUED
    assert r.next_ready().dedup_key == "C"  # B is not ready, C is
    assert r.next_ready() is None
    assert [e.dedup_key for e in r.release("A")] == ["B"]
    assert r.next_ready().dedup_key == "B" and r.locks["g.py"].owner == "B"


def gone(_key: str) -> bool:
    return False


def test_a_gone_ops_lock_past_its_ttl_is_force_released_and_what_waited_runs():
    clock = Clock()
    r = router(clock=clock)
    r.offer(env("A", "f.py"))
    r.next_ready()  # A crashed without a release
    r.offer(env("B", "f.py"))
    clock.now += 299
    assert r.expire_locks(gone) == []  # within the TTL even a gone op keeps its files
    clock.now += 2
    [(owner, waited)] = r.expire_locks(gone)
    assert owner == "A" and [e.dedup_key for e in waited] == ["B"]
    assert "f.py" not in r.locks or r.locks["f.py"].owner != "A"
    assert r.next_ready().dedup_key == "B"


def test_a_live_op_keeps_its_files_however_long_it_runs():
    """Issue 20 §5: an op on a local model (an approval wait, an L2 repair) runs past the
    TTL; its files stay locked and what needs them keeps waiting until it ends."""
    clock = Clock()
    r = router(clock=clock)
    r.offer(env("A", "f.py", "g.py"))
    r.next_ready()
    r.offer(env("B", "f.py"))
    live = {"A"}
    clock.now += 3600
    assert r.expire_locks(live.__contains__) == []
    assert {f: lock.owner for f, lock in r.locks.items()} == {"f.py": "A", "g.py": "A"}
    assert r.next_ready() is None and r.offer(env("C", "g.py")).outcome is Outcome.WAITING
    live.clear()  # A's task ended without a release
    [(owner, waited)] = r.expire_locks(live.__contains__)
    assert owner == "A" and [e.dedup_key for e in waited] == ["B", "C"]
    assert sorted(e.dedup_key for e in (r.next_ready(), r.next_ready())) == ["B", "C"]


def test_same_file_same_session_within_the_window_coalesces_into_one_op():
    clock = Clock()
    r = router(clock=clock)
    r.offer(env("t1", "f.py", goal="resolve TODO 1", focus=(40,)))
    clock.now += 29
    offer = r.offer(env("t2", "f.py", goal="resolve TODO 2", confidence=0.6, focus=(7, 40)))
    assert offer.outcome is Outcome.COALESCED and offer.key == "t1"
    [merged] = [q.env for q in r.queued.values()]
    assert merged.evidence["goals"] == ["resolve TODO 1", "resolve TODO 2"]
    assert merged.evidence["merged_keys"] == ["t2"] and merged.confidence == 0.6
    assert "resolve TODO 1" in merged.goal and "resolve TODO 2" in merged.goal
    assert merged.focus_lines == (7, 40)  # both goals' lines of the file
    assert r.offer(env("t2", "f.py")).outcome is Outcome.DUPLICATE  # merged keys are known


@pytest.mark.parametrize(("later", "why"), [
    (dict(session="other"), "different sessions never merge"),
    (dict(urgency=Urgency.HIGH), "HIGH bypasses"),
    (dict(urgency=Urgency.CRITICAL), "CRITICAL bypasses"),
])
def test_what_never_coalesces(later, why):
    r = router()
    r.offer(env("t1", "f.py"))
    assert r.offer(env("t2", "f.py", **later)).outcome is Outcome.QUEUED, why
    assert len(r.queued) == 2


def test_the_window_closes_after_thirty_seconds():
    clock = Clock()
    r = router(clock=clock)
    r.offer(env("t1", "f.py"))
    clock.now += 31
    assert r.offer(env("t2", "f.py")).outcome is Outcome.QUEUED


def test_a_full_queue_evicts_the_lowest_and_says_so():
    r = router(capacity=2)
    r.offer(env("low", "a.py", source="doc_staleness", session="1"))
    r.offer(env("mid", "b.py", source="backlog", session="2"))
    offer = r.offer(env("high", "c.py", source="test_failure", session="3"))
    assert offer.outcome is Outcome.QUEUED and [e.dedup_key for e in offer.evicted] == ["low"]
    worse = r.offer(env("worse", "d.py", source="exploration", session="4"))
    assert worse.outcome is Outcome.EVICTED and worse.evicted == ()
    assert set(r.queued) == {"mid", "high"}


def test_a_running_or_waiting_key_is_a_duplicate():
    r = router()
    r.offer(env("A", "f.py"))
    r.next_ready()
    assert r.offer(env("A", "f.py")).outcome is Outcome.DUPLICATE
    r.offer(env("B", "f.py"))
    assert r.offer(env("B", "g.py")).outcome is Outcome.DUPLICATE


def test_signals_waiting_behind_an_op_count_against_the_capacity():
    r = router(capacity=3)
    r.offer(env("A", "f.py"))
    r.next_ready()
    assert r.offer(env("B", "f.py", session="1")).outcome is Outcome.WAITING
    assert r.offer(env("C", "g.py", session="2")).outcome is Outcome.QUEUED
    assert r.offer(env("D", "f.py", session="3")).outcome is Outcome.WAITING
    assert r.offer(env("E", "f.py", session="4")).outcome is Outcome.EVICTED
    assert sum(len(w) for w in r.behind.values()) + len(r.queued) == 3
