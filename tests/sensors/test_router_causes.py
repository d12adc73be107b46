"""The router joins work of one cause (sensors.failure_causes): a test_failure envelope whose
cause a queued or waiting envelope names merges into it (targets, tests and causes united,
its key dispatched with the op); one whose cause a running op holds is that op's."""

from __future__ import annotations

from governance.schemas import SignalEnvelope, Urgency
from sensors.router import Outcome, parked_key
from tests.sensors.test_router import router

CAUSE = "fn:wordy/__init__.py::ordinal"


def failing(key: str, tests: list[str], causes: list[str], *files: str) -> SignalEnvelope:
    return SignalEnvelope(source="test_failure", urgency=Urgency.HIGH,
                          target_files=files or ("tests/test_w.py", "wordy/__init__.py"),
                          goal=f"Make {tests} pass", confidence=0.9, dedup_key=key,
                          session_id="s", evidence={"test_id": tests[0], "tests": tests,
                                                    "causes": causes})


def test_a_queued_envelope_takes_in_later_failures_of_its_cause():
    r = router()
    first = failing("k1", ["t.py::test_ordinal[13]"], ["test:t.py::test_ordinal", CAUSE])
    later = failing("k2", ["u.py::test_ordinalize[13]"], ["test:u.py::test_ordinalize",
                                                          CAUSE], "u.py", "wordy/__init__.py")
    other = failing("k3", ["t.py::test_plural"], ["test:t.py::test_plural",
                                                  "fn:wordy/__init__.py::pluralize"])
    assert r.offer(first).outcome is Outcome.QUEUED
    joined = r.offer(later)
    assert (joined.outcome, joined.key) == (Outcome.JOINED, "k1")
    assert r.offer(other).outcome is Outcome.QUEUED  # another cause: its own work
    assert r.known("k2")  # a sensor firing again is a duplicate
    env = r.next_ready()
    assert env is not None and env.dedup_key == "k1"
    assert env.evidence["tests"] == ["t.py::test_ordinal[13]", "u.py::test_ordinalize[13]"]
    assert env.evidence["merged_keys"] == ["k2"]
    assert env.target_files == ("tests/test_w.py", "wordy/__init__.py", "u.py")
    assert "also failing, of the same cause: u.py::test_ordinalize[13]" in env.goal


def test_a_running_op_holds_its_cause_and_a_waiting_envelope_takes_in_more():
    r = router()
    r.offer(failing("k1", ["t.py::a"], [CAUSE]))
    assert r.next_ready() is not None  # k1 runs
    again = failing("k9", ["t.py::b"], [CAUSE])
    assert r.cause_holder(again) == "k1"
    # Work of another cause on a file k1 holds waits behind it, and takes in its cause.
    waiting = failing("k2", ["t.py::c"], ["fn:wordy/__init__.py::other"])
    assert r.offer(waiting).outcome is Outcome.WAITING
    more = failing("k3", ["t.py::d"], ["fn:wordy/__init__.py::other"])
    offer = r.offer(more)
    assert (offer.outcome, offer.key) == (Outcome.JOINED, "k2")
    [parked] = r.behind["k1"]
    assert parked.dedup_key == "k2" and parked.evidence["tests"] == ["t.py::c", "t.py::d"]
    r.release("k1")
    assert r.cause_holder(again) is None


def test_envelopes_without_causes_never_join():
    r = router()
    a = failing("k1", ["t.py::a"], [])
    b = failing("k2", ["t.py::b"], [])
    assert r.offer(a).outcome is Outcome.QUEUED and r.offer(b).outcome is Outcome.QUEUED


def test_a_failure_of_a_running_ops_cause_is_parked_with_it_not_dropped():
    r = router()
    r.offer(failing("k1", ["t.py::a"], [CAUSE]))
    assert r.next_ready() is not None  # k1 runs
    # The sensor's next run: the same group (same key) with one more failing test.
    again = failing("k1", ["t.py::a", "t.py::b"], [CAUSE])
    assert r.news(again)
    offer = r.offer(again)
    assert (offer.outcome, offer.key) == (Outcome.PARKED, parked_key("k1"))
    other = failing("k7", ["u.py::c"], ["test:u.py::c", CAUSE])  # another key, same cause
    assert r.offer(other).outcome is Outcome.PARKED
    assert not r.news(failing("k1", ["t.py::b"], [CAUSE]))  # nothing new: a duplicate
    assert r.offer(failing("k1", ["t.py::b"], [CAUSE])).outcome is Outcome.DUPLICATE
    assert r.known(parked_key("k1")) and r.known("k7")
    held = r.take_parked("k1")
    assert held is not None and held.dedup_key == parked_key("k1")
    assert held.evidence["tests"] == ["t.py::a", "t.py::b", "u.py::c"]
    assert held.evidence["held_by"] == "k1" and not r.queued
    assert r.take_parked("k1") is None


def test_a_queued_key_takes_in_a_new_failing_test_under_the_same_key():
    r = router()
    assert r.offer(failing("k1", ["t.py::a"], [CAUSE])).outcome is Outcome.QUEUED
    assert r.offer(failing("k1", ["t.py::a"], [CAUSE])).outcome is Outcome.DUPLICATE
    offer = r.offer(failing("k1", ["t.py::a", "t.py::b"], [CAUSE]))
    assert (offer.outcome, offer.key) == (Outcome.JOINED, "k1")
    assert r.queued["k1"].env.evidence["tests"] == ["t.py::a", "t.py::b"]


def test_what_a_gone_op_had_parked_is_queued_when_its_lock_is_forced():
    r = router()
    r.offer(failing("k1", ["t.py::a"], [CAUSE]))
    r.next_ready()
    r.offer(failing("k2", ["t.py::b"], [CAUSE]))
    r.clock.now += 301  # past the TTL, and the op is gone
    [(owner, again)] = r.expire_locks(lambda _key: False)
    assert owner == "k1" and [e.dedup_key for e in again] == [parked_key("k1")]
    assert list(r.queued) == [parked_key("k1")]
