"""The module state two trees' replayed calls leave behind, compared (governance.oracle.
differential.compare; the runner's side is governance.oracle.replay_state): a table of the
tree's modules that one tree's calls write into and the other's leave as it was is a
counterexample, found at the input after which the write was first seen, where both trees
answered that input (emoji's EMOJI_DATA written into once a copy was dropped, wave 11).

What a runner wrote is read, never trusted: a table counts only where both trees name it
watched, and a key only where the check compared both trees' answers to it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

MAX_SHOWN = 3  # tables named per function, at most


def state_written(base: Mapping, cand: Mapping, keys: Collection[str],
                  inputs: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """(input, base, candidate, context) for each table written on one tree only, at an
    input both trees answered: `base`/`cand` the runners' answers for one function, `keys`
    the inputs compared, `inputs` their texts by key."""
    ours, theirs = _state(base), _state(cand)
    if ours is None or theirs is None:
        return []
    both = ours[0] & theirs[0]
    found = []
    for table in sorted(both):
        at = (ours[1].get(table), theirs[1].get(table))
        if (at[0] is None) == (at[1] is None) or (at[0] or at[1]) not in keys:
            continue
        key = at[0] or at[1]
        shown = ("changes entries it held", "leaves it as it was")
        found.append((inputs.get(key, "?"), *(shown if at[0] else shown[::-1]),
                      f" (the module's `{table}` after the calls up to it)"))
    return found[:MAX_SHOWN]


def _state(answer: Mapping) -> tuple[set[str], dict[str, str]] | None:
    """(tables watched, {table written: key}) from one runner's answer, or None."""
    state = answer.get("state")
    if not isinstance(state, dict) or not isinstance(state.get("watched"), list) \
            or not isinstance(state.get("wrote"), dict):
        return None
    watched = {t for t in state["watched"] if isinstance(t, str)}
    wrote = {t: k for t, k in state["wrote"].items()
             if isinstance(t, str) and isinstance(k, str) and t in watched}
    return watched, wrote
