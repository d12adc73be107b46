"""A captured value whose pickle is over a megabyte is not varied itself, and the inputs
that hold it are told apart without pickling it again (governance.oracle.replay_inputs,
`_MAX_VARIED`, `pickler.tokened`): wonderwords' RandomWord (1.8 MB with its word lists) as
a receiver took the replay 76-100 s of making inputs on a loaded 2-core box, and seven of
held-out wave 25's cases timed out. The smaller arguments beside it are varied as ever."""

from __future__ import annotations

import pickle

from governance.oracle import replay_runner as rr
from governance.oracle.pickler import tokened


class Words:
    def __init__(self, n: int) -> None:
        self.words = [f"w{i:07d}" for i in range(n)]


def _calls(*calls: tuple[list, dict]) -> list[bytes]:
    return [pickle.dumps(c, protocol=4) for c in calls]


def test_a_big_value_is_kept_as_captured_and_its_neighbours_still_vary() -> None:
    big = Words(120_000)  # about 1.6 MB pickled
    assert len(pickle.dumps(big, protocol=4)) > 1 << 20
    calls = _calls(([big, 3], {}), ([Words(120_000), 5], {}))
    made = [pickle.loads(b) for b in rr.generated(calls, [10], 30)]
    firsts = [args[0] for args, _ in made if args]
    # the big value is passed as captured, or left out (None, a default), never varied
    assert all(a is None or (isinstance(a, Words) and a.words == big.words) for a in firsts)
    # the number beside it still moves: to its neighbours and the function's constant
    seconds = {args[1] for args, _ in made if len(args) > 1 and isinstance(args[1], int)}
    assert {2, 4, 10} <= seconds
    assert len(set(map(pickle.dumps, made))) == len(made)  # each input once
    # a small object of the same shape is varied (its words list changes)
    small = Words(3)
    made = [pickle.loads(b) for b in rr.generated(_calls(([small, 3], {})), [10], 30)]
    assert any(isinstance(a[0], Words) and a[0].words != small.words for a, _ in made if a)


def test_a_listed_object_is_written_as_its_token_and_alike_ones_share_it() -> None:
    a, b, c = Words(5), Words(5), Words(6)
    tokens = [(a, "big0"), (b, "big0")]  # alike in pickle: one token
    assert tokened(([a, 1], {}), tokens) == tokened(([b, 1], {}), tokens)
    assert tokened(([a, 1], {}), tokens) != tokened(([a, 2], {}), tokens)
    # an object not listed is written whole: its content tells it apart
    assert tokened(([c, 1], {}), tokens) != tokened(([a, 1], {}), tokens)
    assert tokened(([Words(6), 1], {}), tokens) == tokened(([c, 1], {}), tokens)
    assert tokened(lambda: 0, []) is None  # what does not pickle has no key
