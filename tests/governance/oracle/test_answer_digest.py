"""An answer's digest hashes each part of its form once (canon repeats a part it meets again
as the same list, which JSON wrote out each time: 15 MB for configparser's parser held by
its 101 section proxies), and tells answers apart exactly as their JSON did."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.oracle import replay_answer
from governance.oracle.canon import canon
from governance.oracle.replay_answer import digest

_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2),
                    st.text(max_size=3))
_FORMS = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=2), inner, max_size=3)),
    max_leaves=12)


def _json(value) -> str:
    return json.dumps(value, sort_keys=True)


@given(_FORMS, _FORMS)
def test_two_answers_share_a_digest_exactly_where_their_json_is_alike(a, b) -> None:
    assert (digest(a) == digest(b)) == (_json(a) == _json(b))


@given(_FORMS)
def test_a_part_held_twice_digests_as_two_copies_of_it(part) -> None:
    shared = [part, {"again": part}]
    copied = [json.loads(_json(part)), {"again": json.loads(_json(part))}]
    assert digest(shared) == digest(copied)


def test_the_parts_of_an_answer_digested_after_it_read_their_own_hashes() -> None:
    seen: dict = {}
    answer = {"kind": "return", "value": canon([1, "a"]), "args": canon(("x",))}
    whole = digest(answer, seen)
    assert whole == digest(answer)
    assert digest(answer["value"], seen) == digest(canon([1, "a"]))
    assert digest(answer.get("printed"), seen) == digest(None) != digest("None")
    assert digest(answer["args"], seen) != digest(answer["value"], seen)


def test_a_form_shared_a_hundred_times_is_hashed_once(monkeypatch) -> None:
    class Proxy:
        def __init__(self, owner) -> None:
            self.owner = owner

    owner = {f"k{i}": "v" * 50 for i in range(150)}
    form = canon([Proxy(owner) for _ in range(100)])
    calls = []
    real = replay_answer._hashed
    monkeypatch.setattr(replay_answer, "_hashed",
                        lambda part, seen: calls.append(1) or real(part, seen))
    digest(form)
    assert len(calls) < 1000  # the owner's 150 pairs once, not 100 times (over 45,000)


def test_a_form_json_cannot_write_raises_as_it_did() -> None:
    """No answer is hashed by a repr (which may hold an address): the runner answers
    nothing for it, no evidence, as when JSON refused it."""
    with pytest.raises(TypeError):
        json.dumps(["x", object()])
    with pytest.raises(TypeError):
        digest(["x", object()])
    with pytest.raises(TypeError):
        digest(object())
