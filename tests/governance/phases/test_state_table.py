"""governance.phases.state_table: the checks both state machines' tables pass at import, on a
small machine of its own (the shipped tables are tested in test_fsm.py and test_l2.py)."""

from __future__ import annotations

from enum import StrEnum

import pytest

from governance.phases import state_table


class T(StrEnum):
    START = "START"
    WORK = "WORK"
    DONE = "DONE"
    STOP = "STOP"


END = frozenset({T.DONE, T.STOP})
GOOD = {T.START: frozenset({T.WORK, T.STOP}), T.WORK: frozenset({T.DONE, T.WORK, T.STOP}),
        T.DONE: frozenset(), T.STOP: frozenset()}


def _check(table, sink=None):
    state_table.validate(table, name="toy", states=T, initial=T.START, terminal=END, sink=sink)


@pytest.mark.parametrize("sink", [None, T.STOP])
def test_a_good_table_passes(sink):
    _check(GOOD, sink)


@pytest.mark.parametrize(("table", "sink", "message"), [
    ({k: v for k, v in GOOD.items() if k is not T.WORK}, None, "toy states missing.*WORK"),
    ({**GOOD, "ELSEWHERE": frozenset()}, None, "unknown states: \\['ELSEWHERE'\\]"),
    ({**GOOD, T.WORK: frozenset({T.DONE, "NOWHERE"})}, None, "WORK exits to unknown"),
    ({**GOOD, T.DONE: frozenset({T.START})}, None, "terminal toy state DONE has exits"),
    ({**GOOD, T.WORK: frozenset()}, None, "non-terminal toy state WORK is a dead end"),
    ({**GOOD, T.START: frozenset({T.STOP})}, None, "unreachable toy states: \\['DONE', 'WORK'\\]"),
    ({**GOOD, T.WORK: frozenset({T.DONE})}, T.STOP, "toy state WORK cannot stop"),
])
def test_a_broken_table_is_refused_naming_the_state(table, sink, message):
    with pytest.raises(ValueError, match=message):
        _check(table, sink)


def test_without_a_sink_a_state_need_not_reach_one():
    _check({**GOOD, T.WORK: frozenset({T.DONE})})
