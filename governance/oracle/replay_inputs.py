"""The replay runner's generated inputs (governance.oracle.replay_runner): deterministic
variants of a function's captured calls, boundaries first.

Copied into a run's private plugin directory as `_ouroboros_inputs` (governance.oracle.
run_dir) beside the runner, with `_ouroboros_values` (governance.oracle.replay_values) and
`_ouroboros_bounds` (governance.oracle.replay_bounds), and imported there before the tree
under test is on sys.path: it imports only the standard library and runs on Python 3.9 and
later.

`generated` makes them in stages. First the boundaries (governance.oracle.replay_placing
places them; governance.proof.boundaries finds them: per parameter whose value reaches a
comparison or a truth test, the values at and beside its constant): each (parameter,
value) once, on the captured call whose value there is nearest the boundary, then on the
nearest call of each other shape there (a labelled token returns before its URL is
compared); then a parameter's first values with each other parameter's first values.
Then, so that every call and every argument gets a share of the budget: each argument
left to its default in turn, where that changes the call; each parameter's nearest values
of another kind (a memoryview of the bytes passed), once per kind passed there (after the
next stage where the change removed a conversion: its undone forms come first); each
argument moved to the value nearest it (`near`: a neighbour, a constant of the function's
code, an edge, a value another call passed there), a parameter the call left to a plain
default included (a flag no test sets); the next nearest values of each argument no
earlier call passed alike (a renderer or a flag every call passes takes one call's
share); two arguments at once, from the nearest few of each, taking turns with the
further values; then the further values of the arguments passed alike. Both trees get
the same inputs.
"""

import contextlib
import functools
import inspect
import itertools
import types

try:  # in the jail: beside the runner, in the run's plugin directory
    import _ouroboros_values as vals
    from _ouroboros_canon import loads, state_of
    from _ouroboros_pickler import Bare, bare, tokened
    from _ouroboros_placing import boundary_inputs, changed, keywords_of
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle import replay_values as vals
    from governance.oracle.canon import loads, state_of
    from governance.oracle.pickler import Bare, bare, tokened
    from governance.oracle.replay_placing import boundary_inputs, changed, keywords_of

_PAIR_FIRST, _SINGLE_FIRST = 4, 6
_KINDS = 4  # a parameter's values of other kinds tried early, once per kind it was passed
_MAX_BYTES = 64 << 20  # all variants' pickles
# A captured value whose pickle is larger is not varied itself (other captured values still
# take its place): each variant of it pickles as large, again at each stage, and few fit in
# _MAX_BYTES. wonderwords' RandomWord (1.8 MB with its word lists) as a method's receiver
# took the replay 76-100 s of making inputs on a loaded 2-core box, past its timeout on a
# busier one (held-out wave 25: seven of its cases "replay failed: timed out").
_MAX_VARIED = 1 << 20


# -- calls -------------------------------------------------------------------------------


class _Plan:
    """One captured call's variants: `near[i]` the values its slot i may take; `fresh[i]`
    whether no earlier call held its value there (set by `generated`)."""

    def __init__(self, args, kwargs, constants, pools, params=None, receiver=False, names=(),
                 dropped=frozenset()):
        self.args, self.kwargs = list(args), dict(kwargs)
        self.slots = [("a", i) for i in range(len(args))] + [("k", k) for k in sorted(kwargs)]
        self.defaulted = _defaults(params)  # slot -> its parameter's default; None: unknown
        self.left = _left(params or {}, args, kwargs)  # name -> the default the call left
        self.slots += [("k", name) for name in self.left]
        values = [self.get(s) for s in self.slots]
        self.fresh = [True] * len(values)
        siblings = [n for v in values for n in _numbers_in(v)]
        ctx = vals.Context(constants, siblings, names=names, dropped=dropped)
        self.near = []
        for slot, value in zip(self.slots, values):  # noqa: B905 (Python 3.9)
            key = vals.blob(value)
            others = [p for p, k in pools.get(slot, []) if k != key]
            own = vals.near(value, ctx) if key is None or len(key) <= _MAX_VARIED else []
            # None early: the text a caller forgot, where a method of it raises and a
            # slice or comparison does not (an attr_prefix every call passes as '@')
            # a None's own neighbours (the empty values a changed test for None parts on)
            # after what other calls passed there: termcolor's colour left None is first
            # a name, as callers pass it
            near = vals.unique([*others, *own] if value is None
                               else [*own[:3], None, *others, *own[3:]], value)
            if receiver and slot == ("a", 0):  # a method's self: an object of its class
                near = [v for v in near if type(v) is type(value)]
                near = [] if isinstance(value, Bare) else near  # nothing built to vary
            self.near.append(near)

    def get(self, slot):
        if slot[0] == "a":
            return self.args[slot[1]]
        return self.kwargs[slot[1]] if slot[1] in self.kwargs else self.left[slot[1]]

    def with_(self, *changes):
        return changed(self.args, self.kwargs, changes)

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


def _other_kinds(plans):
    """Each parameter's nearest values of another kind than the one passed (the same bytes
    as a memoryview, a dict as an OrderedDict, a text's subclass), on the first call that
    passed a value of that kind there, once: a kind matters per parameter, not per call.
    pyiso8583's `decode` accepting a memoryview landed at a first reading: its hundred
    captured calls' nearer values took the budget before any call's bytes became a view,
    and only sometimes (wave 19)."""
    seen = set()
    for plan in plans:
        for slot, near in zip(plan.slots, plan.near):  # noqa: B905 (Python 3.9)
            kind = type(plan.get(slot))
            if (slot, kind) not in seen:
                seen.add((slot, kind))
                others = [v for v in near if v is not None and type(v) is not kind]
                yield from (plan.with_((slot, v)) for v in others[:_KINDS])


def _descriptor_keywords(plans, fn):
    """For a method taking any keyword (`**kwargs`), each call with one more keyword naming
    a data descriptor of its receiver's class (a property), a few: `setattr(self, k, v)`
    and `self.__dict__.update(kwargs)` part only there (asciitree's KeyArgsConstructor
    storing its keywords past a read-only `space` property landed, wave 24)."""
    try:
        if not any(p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values()):
            return
    except (TypeError, ValueError):
        return
    seen = set()
    for plan in plans:
        cls = type(plan.args[0]) if plan.args and not isinstance(plan.args[0], Bare) else None
        if cls is None or cls in seen:
            continue
        seen.add(cls)
        value = next(iter(plan.kwargs.values()), None)
        names = []
        with contextlib.suppress(Exception):  # a class whose own `__dir__` raises: none
            names = [n for n in dir(cls) if not n.startswith("__") and n not in plan.kwargs
                     and inspect.isdatadescriptor(inspect.getattr_static(cls, n, None))]
        yield from ((list(plan.args), {**plan.kwargs, n: value}) for n in names[:_KINDS])


def _pools(decoded):
    """Per slot, the distinct values the captured calls passed there (a few each), each
    with its pickle (made once: a receiver's may be megabytes); and (value, token) for
    each value too large to vary (_MAX_VARIED), values alike in pickle sharing a token."""
    pools, seen, big, tokens = {}, set(), [], {}
    for args, kwargs in decoded:
        for slot, value in [(("a", i), v) for i, v in enumerate(args)] + [
                (("k", k), v) for k, v in sorted(kwargs.items())]:
            key = (slot, vals.blob(value))
            if key[1] is not None and len(key[1]) > _MAX_VARIED:
                big.append((value, tokens.setdefault(key[1], f"big{len(tokens)}")))
            if key[1] is not None and key not in seen and len(pools.get(slot, ())) < 6:
                seen.add(key)
                pools.setdefault(slot, []).append((value, key[1]))
    return pools, big


def _round_robin(iterables):
    live = [iter(x) for x in iterables]
    while live:
        for it in list(live):
            try:
                yield next(it)
            except StopIteration:
                live.remove(it)


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
              names=None, report=None, dropped=frozenset()):
    """Deterministic variants of the captured calls (the module docstring), at most `limit`
    and _MAX_BYTES of pickles; the boundary values (a job's `boundaries`: {"param",
    "values"} each) first, in at most half of them, placed by `fn`'s parameters. With
    `receiver` (a method: `receives`), the first argument is only ever an object of its
    class (another captured one, or one with other attributes). `names` (both trees'
    code's, from the job) order an object's attributes; else `fn`'s own. `report`, a dict,
    is told how many boundary values could not be placed (replay_placing.boundary_inputs). With
    `dropped` (the kinds of conversion the change removes: governance.proof.conversions),
    each int is varied to floats beside it too ("int"), each text first to the forms
    the conversion undid ("case", "blank")."""
    decoded = []
    for raw in calls:
        with contextlib.suppress(Exception):
            args, kwargs = loads(raw)  # an __init__'s bare object stays bare
            decoded.append((bare(getattr(fn, "__name__", ""), list(args)), dict(kwargs)))
    pools, tokens = _pools(decoded)
    params = parameters(fn) if fn else {}
    names = frozenset(names) if names else code_names(fn) if fn else ()
    plans = [_Plan(a, k, constants, pools, params, receiver, names, dropped)
             for a, k in decoded]
    _mark_fresh(plans)
    first = boundary_inputs(decoded, boundaries, {**keywords_of(fn, boundaries), **params},
                             limit // 2, spread, report)
    stages = [first] + [_round_robin([stage(p) for p in plans]) for stage in _STAGES]
    # a parameter's other kinds after the defaults, and after the nearest values where
    # those are the forms a removed conversion undid (they tell the change itself)
    stages.insert(3 if dropped else 2, _other_kinds(plans))
    if receiver and fn is not None:
        stages.insert(2, _descriptor_keywords(plans, fn))
    out, seen, size = [], set(calls), 0
    marks = {tokened(call, tokens) for call in decoded} if tokens else set()
    for args, kwargs in itertools.chain.from_iterable(stages):
        if tokens:  # an input seen already, told without pickling its big values again
            mark = tokened((args, kwargs), tokens)
            if mark is not None and mark in marks:
                continue
            marks.add(mark)
        data = vals.blob((args, kwargs))
        if data is not None and data not in seen:
            seen.add(data)
            out.append(data)
            size += len(data)
            if len(out) >= limit or size > _MAX_BYTES:
                return out
    return out
