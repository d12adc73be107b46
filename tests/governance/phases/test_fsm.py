from __future__ import annotations

import pytest

from governance.errors import IllegalTransition
from governance.phase import TERMINAL, Phase
from governance.phases import fsm

P = Phase


def test_the_shipped_table_is_valid_and_complete():
    fsm.validate_table(fsm.TRANSITIONS)
    assert set(fsm.TRANSITIONS) == set(Phase)


@pytest.mark.parametrize("phase", sorted(TERMINAL))
def test_terminal_phases_have_no_exits(phase):
    assert fsm.TRANSITIONS[phase] == frozenset()


@pytest.mark.parametrize("phase", [p for p in Phase if p not in TERMINAL])
def test_every_running_phase_can_fail_or_be_cancelled(phase):
    assert {P.POSTMORTEM, P.CANCELLED} <= fsm.TRANSITIONS[phase]


@pytest.mark.parametrize("src,dst", [(P.CLASSIFY, P.APPLY), (P.GENERATE, P.APPLY),
                                     (P.VALIDATE, P.APPLY), (P.GATE, P.APPLY),
                                     (P.COMPLETE, P.CLASSIFY), (P.APPLY, P.COMPLETE)])
def test_shortcuts_to_disk_are_illegal(src, dst):
    with pytest.raises(IllegalTransition, match=f"can't enter {dst} when in {src}"):
        fsm.check(src, dst)


def _table(**changes):
    table = dict(fsm.TRANSITIONS)
    table.update(changes)
    return table


@pytest.mark.parametrize("table,message", [
    (_table(COMPLETE=frozenset({P.CLASSIFY})), "terminal phase"),
    (_table(VERIFY=frozenset()), "dead end"),
    (_table(APPROVE=frozenset({P.POSTMORTEM})), "unreachable"),
    ({p: t for p, t in fsm.TRANSITIONS.items() if p is not P.PLAN}, "missing"),
])
def test_validation_rejects_broken_tables(table, message):
    with pytest.raises(ValueError, match=message):
        fsm.validate_table(table)
