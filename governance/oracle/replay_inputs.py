"""The replay runner's generated inputs (governance.oracle.replay_runner): deterministic
variants of a function's captured calls, boundaries first.

Copied into a run's private plugin directory as `_ouroboros_inputs` (governance.oracle.
run_dir) beside the runner, with `_ouroboros_values` (governance.oracle.replay_values), and
imported there before the tree under test is on sys.path: it imports only the standard
library and runs on Python 3.9 and later.

`generated` makes them in stages. First the boundaries (governance.proof.boundaries: per
parameter whose value reaches a comparison, the values at and beside its constant): each
(parameter, value) once, on the captured call whose value there is nearest the boundary,
then a parameter's first values with each other parameter's first values. Then, so that
every call and every argument gets a share of the budget: each argument left to its default
in turn; one argument at a time replaced by the values nearest it (`near`: a neighbour, a
constant of the function's code, an edge, a value another call passed there); two arguments
at once, from the nearest few of each; then the rest of the one-at-a-time values. Both trees
get the same inputs.
"""

import contextlib
import inspect
import itertools
import pickle

try:  # in the jail: beside the runner, in the run's plugin directory
    import _ouroboros_values as vals
    from _ouroboros_canon import state_of
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle import replay_values as vals
    from governance.oracle.canon import state_of

_PAIR_FIRST, _SINGLE_FIRST = 4, 6
_MAX_BYTES = 64 << 20  # all variants' pickles


# -- calls -------------------------------------------------------------------------------


class _Plan:
    """One captured call's variants: `near[i]` the values its slot i may take."""

    def __init__(self, args, kwargs, constants, pools):
        self.args, self.kwargs = list(args), dict(kwargs)
        self.slots = [("a", i) for i in range(len(args))] + [("k", k) for k in sorted(kwargs)]
        values = [self.get(s) for s in self.slots]
        siblings = [n for v in values for n in _numbers_in(v)]
        ctx = vals.Context(constants, siblings)
        self.near = []
        for slot, value in zip(self.slots, values):  # noqa: B905 (Python 3.9)
            own = vals.near(value, ctx)
            others = [p for p in pools.get(slot, []) if vals.blob(p) != vals.blob(value)]
            self.near.append(vals.unique(own[:3] + others + own[3:] + [None], value))

    def get(self, slot):
        return self.args[slot[1]] if slot[0] == "a" else self.kwargs[slot[1]]

    def with_(self, *changes):
        return _changed(self.args, self.kwargs, changes)

    def defaults(self):
        """Each trailing positional argument, then each keyword one, left to its default."""
        for n in range(len(self.args) - 1, -1, -1):
            yield self.args[:n], dict(self.kwargs)
        for k in sorted(self.kwargs):
            yield list(self.args), {n: v for n, v in self.kwargs.items() if n != k}

    def singles(self, lo, hi):
        for depth in range(lo, hi):
            for slot, near in zip(self.slots, self.near):  # noqa: B905 (Python 3.9)
                if depth < len(near):
                    yield self.with_((slot, near[depth]))

    def pairs(self, lo, hi):
        """Two slots at once, their values' depths summing to lo..hi, under _PAIR_FIRST."""
        for total in range(lo, hi + 1):
            for a in range(max(0, total - _PAIR_FIRST + 1), min(total, _PAIR_FIRST - 1) + 1):
                for i, j in itertools.combinations(range(len(self.slots)), 2):
                    if a < len(self.near[i]) and total - a < len(self.near[j]):
                        yield self.with_((self.slots[i], self.near[i][a]),
                                         (self.slots[j], self.near[j][total - a]))


def _numbers_in(value):
    """The integers a call's argument offers its siblings: itself, its length, its
    attributes' (one level)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        return [len(value)]
    state = state_of(value) if hasattr(value, "__dict__") else None
    return [n for _, v in (state or [])[:8] if not hasattr(v, "__dict__")
            for n in _numbers_in(v)]


def _pools(decoded):
    """Per slot, the distinct values the captured calls passed there (a few each)."""
    pools, seen = {}, set()
    for args, kwargs in decoded:
        for slot, value in [(("a", i), v) for i, v in enumerate(args)] + [
                (("k", k), v) for k, v in sorted(kwargs.items())]:
            key = (slot, vals.blob(value))
            if key[1] is not None and key not in seen and len(pools.get(slot, ())) < 6:
                seen.add(key)
                pools.setdefault(slot, []).append(value)
    return pools


def _changed(args, kwargs, changes):
    """Copies of a call's arguments with `changes` ((slot, value) pairs) made."""
    args, kwargs = list(args), dict(kwargs)
    for (where, key), value in changes:
        if where == "a":
            args[key] = value
        else:
            kwargs[key] = value
    return args, kwargs


def _round_robin(iterables):
    live = [iter(x) for x in iterables]
    while live:
        for it in list(live):
            try:
                yield next(it)
            except StopIteration:
                live.remove(it)


# -- boundaries first ---------------------------------------------------------------------

_BOUND_FIRST, _BOUND_OTHERS = 3, 8  # a parameter's values paired with another's first ones


def parameters(fn):
    """Parameter name -> (its position or None, passable by name): the slots a captured
    call fills (every positional one by position, `self` first; keyword-only ones by name)."""
    try:
        found = inspect.signature(fn, follow_wrapped=False).parameters.values()
    except (TypeError, ValueError):
        return {}
    out, at = {}, 0
    for p in found:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            out[p.name] = (at, p.kind is not p.POSITIONAL_ONLY)
            at += 1
        elif p.kind is p.KEYWORD_ONLY:
            out[p.name] = (None, True)
    return out


def _slot(call, name, where):
    """Where a call holds parameter `name`: by position when it passed it so, else by name."""
    at, by_name = where
    if at is not None and at < len(call[0]):
        return ("a", at)
    return ("k", name) if by_name else None


def _value_at(call, slot):
    return call[0][slot[1]] if slot[0] == "a" else call[1].get(slot[1])


def _nearest(decoded, name, where, value, spread=1):
    """[(call index, slot, the value as that call's kind)] on the `spread` captured calls
    whose value there is nearest `value` and can hold it (one, but for a caller's text:
    several, as which of its calls reach the comparison is not known)."""
    gaps = []
    for i, call in enumerate(decoded):
        slot = _slot(call, name, where)
        if slot is not None:
            gaps.append((vals.distance(value, _value_at(call, slot)), i, slot))
    out = []
    for _, i, slot in sorted(gaps, key=lambda g: g[:2]):
        new = vals.applied(value, _value_at(decoded[i], slot))
        if new is not vals.SKIP:
            out.append((i, slot, new))
            if len(out) >= spread:
                break
    return out


def _boundary_inputs(decoded, boundaries, params, most, spread=1):
    """Each (parameter, value) once, on the captured call nearest it (`_nearest`); then a
    parameter's first values with each other parameter's first values, on that same call
    (a discount that needs a tier). At most `most`."""
    rows = []  # per parameter: its name, and (raw value, _nearest's answer) each
    for entry in boundaries if isinstance(boundaries, (list, tuple)) else []:
        name = entry.get("param") if isinstance(entry, dict) else None
        if name in params and isinstance(entry.get("values"), list):
            rows.append((name, [(v, at) for v in entry["values"]
                                for at in _nearest(decoded, name, params[name], v, spread)]))
    out = [_changed(*decoded[i], [(slot, new)])
           for _, (i, slot, new) in vals.interleave([row for _, row in rows])]
    depths = sorted((a + b, a, p, q, b) for p, (_, mine) in enumerate(rows)
                    for q, (_, theirs) in enumerate(rows) if p != q
                    for a in range(min(_BOUND_FIRST, len(mine)))
                    for b in range(min(_BOUND_OTHERS, len(theirs))))
    for _, a, p, q, b in depths:
        if len(out) >= most:
            break
        i, slot, new = rows[p][1][a][1]
        other, raw = rows[q][0], rows[q][1][b][0]
        there = _slot(decoded[i], other, params[other])
        value = vals.applied(raw, _value_at(decoded[i], there)) if there else vals.SKIP
        if value is not vals.SKIP:
            out.append(_changed(*decoded[i], [(slot, new), (there, value)]))
    return out[:most]


# The stages, in order: every call's defaults, its nearest single changes, nearest pairs,
# the other single changes, the other pairs.
_STAGES = (lambda p: p.defaults(), lambda p: p.singles(0, _SINGLE_FIRST),
           lambda p: p.pairs(0, 2), lambda p: p.singles(_SINGLE_FIRST, vals.NEAR_MAX + 8),
           lambda p: p.pairs(3, 2 * _PAIR_FIRST - 2))


def generated(calls, constants, limit, boundaries=(), fn=None, spread=1):
    """Deterministic variants of the captured calls (the module docstring), at most `limit`
    and _MAX_BYTES of pickles; the boundary values (a job's `boundaries`: {"param",
    "values"} each) first, in at most half of them, placed by `fn`'s parameters."""
    decoded = []
    for raw in calls:
        with contextlib.suppress(Exception):
            args, kwargs = pickle.loads(raw)
            decoded.append((list(args), dict(kwargs)))
    pools = _pools(decoded)
    plans = [_Plan(a, k, constants, pools) for a, k in decoded]
    first = _boundary_inputs(decoded, boundaries, parameters(fn) if fn else {}, limit // 2,
                             spread)
    stages = [first] + [_round_robin([stage(p) for p in plans]) for stage in _STAGES]
    out, seen, size = [], set(calls), 0
    for args, kwargs in itertools.chain.from_iterable(stages):
        data = vals.blob((args, kwargs))
        if data is not None and data not in seen:
            seen.add(data)
            out.append(data)
            size += len(data)
            if len(out) >= limit or size > _MAX_BYTES:
                return out
    return out
