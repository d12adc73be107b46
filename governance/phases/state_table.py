"""The checks every state table in governance passes when its module is imported.

Two machines are tables of `state -> the states it may enter` (the phase table,
governance.phases.fsm; L2 self-repair's, governance.phases.l2). Both are refused at import unless:
every state is listed and every exit names a listed state; terminal states, and only they,
have no exits (no non-terminal dead end); every state is reachable from the initial one;
and, where a machine names a `sink` (L2: the timebox can stop it anywhere), every running
state can enter it in one step. Errors say which state broke which rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

S = TypeVar("S")


def validate(table: Mapping[S, frozenset[S]], *, name: str, states: Iterable[S], initial: S,
             terminal: frozenset[S], sink: S | None = None) -> None:
    """Raise ValueError naming the first rule `table` breaks (see the module's docstring)."""
    known = set(states)
    if missing := known - set(table):
        raise ValueError(f"{name} states missing from the table: {sorted(map(str, missing))}")
    if extra := set(table) - known:
        raise ValueError(f"{name} table lists unknown states: {sorted(map(str, extra))}")
    for state, targets in table.items():
        if unknown := targets - known:
            raise ValueError(f"{name} state {state} exits to unknown states: "
                             f"{sorted(map(str, unknown))}")
        if state in terminal and targets:
            raise ValueError(f"terminal {name} state {state} has exits: "
                             f"{sorted(map(str, targets))}")
        if state not in terminal and not targets:
            raise ValueError(f"non-terminal {name} state {state} is a dead end")
        if sink is not None and state not in terminal and sink not in targets:
            raise ValueError(f"{name} state {state} cannot stop (no exit to {sink})")
    if unreachable := known - _reachable(table, initial):
        raise ValueError(f"unreachable {name} states: {sorted(map(str, unreachable))}")


def _reachable(table: Mapping[S, frozenset[S]], initial: S) -> set[S]:
    seen, frontier = {initial}, [initial]
    while frontier:
        for nxt in table[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen
