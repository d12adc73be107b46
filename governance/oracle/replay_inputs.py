"""The replay runner's generated inputs (governance.oracle.replay_runner): deterministic
variants of a function's captured calls, boundaries first.

Copied into a run's private plugin directory as `_ouroboros_inputs` (governance.oracle.
run_dir) beside the runner, with `_ouroboros_values` (governance.oracle.replay_values) and
`_ouroboros_bounds` (governance.oracle.replay_bounds), and imported there before the tree
under test is on sys.path: it imports only the standard library and runs on Python 3.9 and
later.

`generated` makes them in stages. First the boundaries (governance.proof.boundaries: per
parameter whose value reaches a comparison or a truth test, the values at and beside its
constant): each (parameter, value) once, on the captured call whose value there is nearest
the boundary, then on the nearest call of each other shape there (a labelled token returns
before its URL is compared); then a parameter's first values with each other parameter's
first values. Then, so that every call and every argument gets a share of the budget: each
argument left to its default in turn, where that changes the call; each argument moved to
the value nearest it (`near`: a neighbour, a constant of the function's code, an edge, a
value another call passed there), a parameter the call left to a plain default included
(a flag no test sets); the next nearest values of each argument no earlier call passed
alike (a renderer or a flag every call passes takes one call's share); two arguments at
once, from the nearest few of each, taking turns with the further values; then the
further values of the arguments passed alike. Both trees get the same inputs.
"""

import contextlib
import functools
import inspect
import itertools
import pickle
import types

try:  # in the jail: beside the runner, in the run's plugin directory
    import _ouroboros_bounds as bounds
    import _ouroboros_values as vals
    from _ouroboros_canon import Bare, bare, state_of
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle import replay_bounds as bounds
    from governance.oracle import replay_values as vals
    from governance.oracle.canon import Bare, bare, state_of

_PAIR_FIRST, _SINGLE_FIRST = 4, 6
_MAX_BYTES = 64 << 20  # all variants' pickles


# -- calls -------------------------------------------------------------------------------


class _Plan:
    """One captured call's variants: `near[i]` the values its slot i may take; `fresh[i]`
    whether no earlier call held its value there (set by `generated`)."""

    def __init__(self, args, kwargs, constants, pools, params=None, receiver=False, names=(),
                 floats=False):
        self.args, self.kwargs = list(args), dict(kwargs)
        self.slots = [("a", i) for i in range(len(args))] + [("k", k) for k in sorted(kwargs)]
        self.defaulted = _defaults(params)  # slot -> its parameter's default; None: unknown
        self.left = _left(params or {}, args, kwargs)  # name -> the default the call left
        self.slots += [("k", name) for name in self.left]
        values = [self.get(s) for s in self.slots]
        self.fresh = [True] * len(values)
        siblings = [n for v in values for n in _numbers_in(v)]
        ctx = vals.Context(constants, siblings, names=names, floats=floats)
        self.near = []
        for slot, value in zip(self.slots, values):  # noqa: B905 (Python 3.9)
            others = [p for p in pools.get(slot, []) if vals.blob(p) != vals.blob(value)]
            own = vals.near(value, ctx)
            # None early: the text a caller forgot, where a method of it raises and a
            # slice or comparison does not (an attr_prefix every call passes as '@')
            near = vals.unique([*own[:3], None, *others, *own[3:]], value)
            if receiver and slot == ("a", 0):  # a method's self: an object of its class
                near = [v for v in near if type(v) is type(value)]
                near = [] if isinstance(value, Bare) else near  # nothing built to vary
            self.near.append(near)

    def get(self, slot):
        if slot[0] == "a":
            return self.args[slot[1]]
        return self.kwargs[slot[1]] if slot[1] in self.kwargs else self.left[slot[1]]

    def with_(self, *changes):
        return _changed(self.args, self.kwargs, changes)

    def defaults(self):
        """Each trailing positional argument, then each keyword one, left to its default:
        where it has one (else both trees raise TypeError) and the call passed another
        (else it is the same call)."""
        for n in range(len(self.args) - 1, -1, -1):
            if self._other_than_default(("a", n)):
                yield self.args[:n], dict(self.kwargs)
        for k in sorted(self.kwargs):
            if self._other_than_default(("k", k)):
                yield list(self.args), {n: v for n, v in self.kwargs.items() if n != k}

    def _other_than_default(self, slot):
        if self.defaulted is None or slot not in self.defaulted:
            return True
        default = self.defaulted[slot]
        return default is not inspect.Parameter.empty \
            and vals.blob(default) != vals.blob(self.get(slot))

    def singles(self, lo, hi, fresh=None):
        """Each slot moved to its depth-th nearest value, depth by depth: the slots whose
        value is `fresh` (no earlier call held it there), the others, or (None) all."""
        for depth in range(lo, hi):
            for slot, near, new in zip(self.slots, self.near, self.fresh):  # noqa: B905
                if depth < len(near) and fresh in (None, new):
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


def _defaults(params):
    """Slot -> its parameter's default (inspect.Parameter.empty for none), by `parameters`;
    None where there is no signature to read."""
    if not params:
        return None
    out = {("k", name): d for name, (_, by_name, d) in params.items() if by_name}
    out.update({("a", at): d for at, _, d in params.values() if at is not None})
    return out


def _left(params, args, kwargs):
    """The parameters a call left to a plain default (a flag, a number, a short text), by
    name: each is given its default's nearest values too (a flag no test sets, set)."""
    return {name: d for name, (at, by_name, d) in params.items()
            if by_name and name not in kwargs and (at is None or at >= len(args))
            and type(d) in (bool, int, float, str) and len(str(d)) <= 40}


def _mark_fresh(plans):
    """A slot's value is fresh on the first call that holds it there: varied there first,
    on every other call holding it only once the fresh ones have had their turn (a
    renderer or a flag every call passes alike would otherwise take each call's share)."""
    seen = set()
    for plan in plans:
        for i, slot in enumerate(plan.slots):
            key = (slot, vals.blob(plan.get(slot)))
            plan.fresh[i] = key not in seen
            seen.add(key)


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
_WAYS = ("attr", "item", "each", "key")  # the tags of a way into a value
_SHAPES = 4  # captured calls of distinct shapes a boundary value is placed on


def parameters(fn):
    """Parameter name -> (its position or None, passable by name, its default or
    inspect.Parameter.empty): the slots a captured call fills (every positional one by
    position, `self` first; keyword-only ones by name)."""
    try:
        found = inspect.signature(fn, follow_wrapped=False).parameters.values()
    except (TypeError, ValueError):
        return {}
    out, at = {}, 0
    for p in found:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            out[p.name] = (at, p.kind is not p.POSITIONAL_ONLY, p.default)
            at += 1
        elif p.kind is p.KEYWORD_ONLY:
            out[p.name] = (None, True, p.default)
    return out


def code_names(fn):
    """The names `fn`'s code reads (globals and attributes: `self.namespace_separator`), its
    nested functions' and comprehensions' too; () for what has no code."""
    code = getattr(fn, "__code__", None)
    return _names_in(code) if isinstance(code, types.CodeType) else frozenset()


@functools.lru_cache(maxsize=64)  # asked for each of a function's thousands of inputs
def _names_in(code):
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        out.update(c.co_names)
        todo += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    return frozenset(out)


def receives(fn, qualname):
    """Whether `fn`, found at `qualname`, is a method whose first argument is its object or
    class: no caller passes None or a number there, so an input puts only an object of
    its class there (simpleeval's `SimpleEval._eval_call(None, node)` was a
    "counterexample" no caller can make)."""
    if "." not in qualname or "<locals>" in qualname:
        return False
    try:
        first = next(iter(inspect.signature(fn, follow_wrapped=False).parameters.values()))
    except (TypeError, ValueError, StopIteration):
        return False
    return first.kind in (first.POSITIONAL_ONLY, first.POSITIONAL_OR_KEYWORD) \
        and first.name in ("self", "cls")


def _keywords(fn, boundaries):
    """The boundaries' parameters `fn` takes only through its `**kwargs` (a keyword its
    caller forwards to the object it builds: governance.proof.callers.forwarded), placed
    by name like keyword-only ones without a default."""
    try:
        kinds = [p.kind for p in inspect.signature(fn, follow_wrapped=False).parameters.values()]
    except (TypeError, ValueError):
        return {}
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        return {}
    return {b["param"]: (None, True, inspect.Parameter.empty) for b in boundaries
            if isinstance(b, dict) and isinstance(b.get("param"), str)}


def _slot(call, name, where):
    """Where a call holds parameter `name`: by position when it passed it so, else by name."""
    at, by_name = where[:2]
    if at is not None and at < len(call[0]):
        return ("a", at)
    return ("k", name) if by_name else None


def _value_at(call, slot):
    return call[0][slot[1]] if slot[0] == "a" else call[1].get(slot[1])


def _placements(decoded, name, where, value, spread=1):
    """[(call index, slot, the value as that call's kind)]: first on the `spread` captured
    calls whose value there is nearest `value` and can hold it (one, but for a caller's
    text: several, as which of its calls reach the comparison is not known); then on the
    nearest call of each other shape there, up to _SHAPES in all (a token with a label
    returns before the comparison its URL reaches; one without does not)."""
    gaps = []
    for i, call in enumerate(decoded):
        slot = _slot(call, name, where)
        if slot is not None:
            gaps.append((bounds.distance(value, _value_at(call, slot)), i, slot))
    out, shapes = [], set()
    for _, i, slot in sorted(gaps, key=lambda g: g[:2]):
        shape = (_shape(_value_at(decoded[i], slot)), _truths(decoded[i], slot))
        if len(out) >= spread and (shape in shapes or len(shapes) >= _SHAPES):
            continue
        new = bounds.applied(value, _value_at(decoded[i], slot))
        if new is not bounds.SKIP:
            out.append((i, slot, new))
            shapes.add(shape)
    return out


def _truths(call, slot):
    """Which of a call's other arguments are true: the branches it takes before a
    comparison of the slot (`if not namespaces: return name`), as far as that tells."""
    out = []
    for where, values in (("a", enumerate(call[0])), ("k", sorted(call[1].items()))):
        for key, value in values:
            if (where, key) != tuple(slot):
                try:
                    out.append(bool(value))
                except Exception:  # an object whose truth raises
                    out.append(None)
    return tuple(out)


def _truth_value(value):
    """Whether a boundary value is a truth test's (["value", v], maybe inside an item,
    attribute, element or key), not a comparison's."""
    while isinstance(value, (list, tuple)) and len(value) >= 2 and value[0] in _WAYS:
        value = value[-1]
    return isinstance(value, (list, tuple)) and len(value) == 2 and value[0] == "value"


def _shape(value, depth=0):
    """Which keys and attributes a value has, and which of them are true, two levels down:
    the branches a call takes before it reaches a comparison, as far as its kind tells."""
    if isinstance(value, dict) and depth < 2:
        return ("dict", tuple((repr(k)[:40], _shape(v, depth + 1))
                              for k, v in list(value.items())[:12]))
    state = state_of(value) if depth < 2 and hasattr(value, "__dict__") else None
    if state:
        return (type(value).__name__, tuple((k, _shape(v, depth + 1)) for k, v in state[:12]))
    try:
        return (type(value).__name__, bool(value))
    except Exception:  # an object whose truth raises: its kind alone
        return (type(value).__name__,)


def _boundary_inputs(decoded, boundaries, params, most, spread=1, report=None):
    """Each (parameter, value) once, on the captured call nearest it, then on the nearest
    call of each other shape (`_placements`); then a parameter's first values with each
    other parameter's first values, on that nearest call (a discount that needs a tier).
    At most `most`. `report["unplaced"]` counts the values no captured call could hold
    (a parameter it does not take, a kind of value it cannot be built on): the daemon
    judges such a function at its callers too (governance.proof.differential_check)."""
    rows, later, unplaced = [], [], 0  # per parameter: its name, and (raw value, a placement)
    for entry in boundaries if isinstance(boundaries, (list, tuple)) else []:
        name = entry.get("param") if isinstance(entry, dict) else None
        values = entry.get("values") if isinstance(entry, dict) else None
        if name not in params or not isinstance(values, list):
            unplaced += len(values) if isinstance(values, list) else 1
            continue
        placed = [(v, _placements(decoded, name, params[name], v, spread)) for v in values]
        unplaced += sum(1 for _, found in placed if not found)
        rows.append((name, [(v, at) for v, found in placed for at in found[:spread]]))
        later.append([(v, at) for v, found in placed for at in found[spread:]])
    if report is not None:
        report["unplaced"] = unplaced
    out = [_changed(*decoded[i], [(slot, new)]) for _, (i, slot, new) in
           vals.interleave([row for _, row in rows]) + vals.interleave(later)]
    depths = sorted((a + b, a, p, q, b) for p, (_, mine) in enumerate(rows)
                    for q, (_, theirs) in enumerate(rows) if p != q
                    for a in range(min(_BOUND_FIRST, len(mine)))
                    for b in range(min(_BOUND_OTHERS, len(theirs))))
    for _, a, p, q, b in depths:
        if len(out) >= most:
            break
        i, slot, new = rows[p][1][a][1]
        other, raw = rows[q][0], rows[q][1][b][0]
        if _truth_value(rows[p][1][a][0]) and _truth_value(raw):
            continue  # two truth tests' values: a flag with a flag, no threshold met
        there = _slot(decoded[i], other, params[other])
        value = bounds.applied(raw, _value_at(decoded[i], there)) if there else bounds.SKIP
        if value is not bounds.SKIP:
            out.append(_changed(*decoded[i], [(slot, new), (there, value)]))
    return out[:most]


# The stages, in order: every call's defaults; each argument's nearest value (a flag every
# call passes alike is flipped on each: which call it matters on is not known); the fresh
# values' next nearest; nearest pairs taking turns with the fresh values' other single
# changes (a function of fourteen arguments has 91 pairs a depth: they would take all that
# is left); the repeated values' other single changes; the other pairs.
_STAGES = (lambda p: p.defaults(), lambda p: p.singles(0, 1),
           lambda p: p.singles(1, _SINGLE_FIRST, True),
           lambda p: _round_robin([p.pairs(0, 2),
                                   p.singles(_SINGLE_FIRST, vals.NEAR_MAX + 8, True)]),
           lambda p: p.singles(1, vals.NEAR_MAX + 8, False),
           lambda p: p.pairs(3, 2 * _PAIR_FIRST - 2))


def generated(calls, constants, limit, boundaries=(), fn=None, spread=1, receiver=False,
              names=None, report=None, floats=False):
    """Deterministic variants of the captured calls (the module docstring), at most `limit`
    and _MAX_BYTES of pickles; the boundary values (a job's `boundaries`: {"param",
    "values"} each) first, in at most half of them, placed by `fn`'s parameters. With
    `receiver` (a method: `receives`), the first argument is only ever an object of its
    class (another captured one, or one with other attributes). `names` (both trees'
    code's, from the job) order an object's attributes; else `fn`'s own. `report`, a dict,
    is told how many boundary values could not be placed (`_boundary_inputs`). With
    `floats` (the change removes a conversion to int: governance.proof.conversions), each
    int is varied to floats beside it too."""
    decoded = []
    for raw in calls:
        with contextlib.suppress(Exception):
            args, kwargs = pickle.loads(raw)  # an __init__'s bare object stays bare
            decoded.append((bare(getattr(fn, "__name__", ""), list(args)), dict(kwargs)))
    pools = _pools(decoded)
    params = parameters(fn) if fn else {}
    names = frozenset(names) if names else code_names(fn) if fn else ()
    plans = [_Plan(a, k, constants, pools, params, receiver, names, floats)
             for a, k in decoded]
    _mark_fresh(plans)
    first = _boundary_inputs(decoded, boundaries, {**_keywords(fn, boundaries), **params},
                             limit // 2, spread, report)
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
