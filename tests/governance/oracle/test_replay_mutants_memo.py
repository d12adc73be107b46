"""replay_mutants.answered_from, in process: a mutant's input answered a second time where
its first answer wrote into the module's tables, and a second answer that ran out of time
is no kill (the check could not decide: a busy box must not make a line look noticed)."""

from __future__ import annotations

from governance.oracle.replay_answer import digest
from governance.oracle.replay_mutants import answered_from

TABLE: dict = {}


def _answers(*answers):
    left = list(answers)

    def answer():
        TABLE["n"] = TABLE.get("n", 0) + 1  # every call writes into the table
        return left.pop(0)
    return answer


def test_a_second_answer_is_asked_only_after_a_write_and_a_timeout_kills_nothing():
    saved = [(TABLE, {})]
    ok = {"kind": "return", "value": 1}
    assert answered_from(saved, _answers(ok, ok), digest) == digest(ok)
    other = {"kind": "raise", "type": "builtins.UnboundLocalError"}
    assert answered_from(saved, _answers(ok, other), digest) == f"again:{digest(other)}"
    assert answered_from(saved, _answers(ok, {"kind": "timeout"}), digest) == digest(ok)
    untouched = [({}, {})]  # nothing written: one call alone
    assert answered_from(untouched, lambda: ok, digest) == digest(ok)
