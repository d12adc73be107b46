"""Where a boundary value goes, for the replay runner's generated inputs (governance.
oracle.replay_inputs): the boundaries (governance.proof.boundaries: per parameter whose
value reaches a comparison or a truth test, the values at and beside its constant), each
(parameter, value) once on the captured call whose value there is nearest the boundary,
then on the nearest call of each other shape there (a labelled token returns before its
URL is compared); then a parameter's first values with each other parameter's first
values.

Copied beside the runner as `_ouroboros_placing`; standard library only, Python 3.9 and
later.
"""

import copy
import decimal
import inspect

try:  # in the jail: beside the runner, in the run's plugin directory
    import _ouroboros_bounds as bounds
    import _ouroboros_values as vals
    from _ouroboros_canon import state_of
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle import replay_bounds as bounds
    from governance.oracle import replay_values as vals
    from governance.oracle.canon import state_of

_BOUND_FIRST, _BOUND_OTHERS = 3, 8  # a parameter's values paired with another's first ones
_WAYS = ("attr", "item", "each", "key")  # the tags of a way into a value
_SHAPES = 4  # captured calls of distinct shapes a boundary value is placed on


def changed(args, kwargs, changes):
    """Copies of a call's arguments with `changes` ((slot, value) pairs) made."""
    args, kwargs = list(args), dict(kwargs)
    for (where, key), value in changes:
        if where == "a":
            args[key] = value
        else:
            kwargs[key] = value
    return args, kwargs


def keywords_of(fn, boundaries):
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


def boundary_inputs(decoded, boundaries, params, most, spread=1, report=None):
    """Each (parameter, value) once, on the captured call nearest it, then on the nearest
    call of each other shape (`_placements`); then a parameter's first values with each
    other parameter's first values, on that nearest call (a discount that needs a tier).
    At most `most`. `report["unplaced"]` counts the values no captured call could hold
    (a parameter it does not take, a kind of value it cannot be built on): the daemon
    judges such a function at its callers too (governance.proof.differential_check)."""
    rows, later, held, unplaced = [], [], [], 0  # per parameter: its name, and (raw
    # value, a placement); `held`: its values with the values its guards hold for
    for entry in boundaries if isinstance(boundaries, (list, tuple)) else []:
        name = entry.get("param") if isinstance(entry, dict) else None
        values = entry.get("values") if isinstance(entry, dict) else None
        if name not in params or not isinstance(values, list):
            unplaced += len(values) if isinstance(values, list) else 1
            continue
        plain = [v for v in values if _given(v) is None]
        placed = [(v, matched(decoded, name, params, _same(v)) if _same(v) is not None
                   else _placements(decoded, name, params[name], v, spread)) for v in plain]
        # another parameter's value no call passed is no boundary left untried
        unplaced += sum(1 for v, found in placed if not found and _same(v) is None)
        rows.append((name, [(v, at) for v, found in placed for at in found[:spread]]))
        later.append([(v, at) for v, found in placed for at in found[spread:]])
        held.append(_guarded(decoded, name, params, values, spread))
    if report is not None:
        report["unplaced"] = unplaced
    out = [changed(*decoded[i], [(slot, new)]) for _, (i, slot, new) in
           vals.interleave([row for _, row in rows])]
    out += [changed(*decoded[i], changes) for i, changes in vals.interleave(held)]
    out += [changed(*decoded[i], [(slot, new)]) for _, (i, slot, new) in
            vals.interleave(later)]
    return (out + _paired(decoded, rows, params, most - len(out)))[:most]


def _paired(decoded, rows, params, most):
    """Each parameter's first _BOUND_FIRST values with each other parameter's first
    _BOUND_OTHERS, on the value's own call, nearest first; at most `most`."""
    depths = sorted((a + b, a, p, q, b) for p, (_, mine) in enumerate(rows)
                    for q, (_, theirs) in enumerate(rows) if p != q
                    for a in range(min(_BOUND_FIRST, len(mine)))
                    for b in range(min(_BOUND_OTHERS, len(theirs))))
    out = []
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
            out.append(changed(*decoded[i], [(slot, new), (there, value)]))
    return out


def _given(value):
    """A value tried with the values its guards hold for (governance.proof.guards):
    ([(parameter, value)...], the value), or None."""
    if not isinstance(value, list) or not value or value[0] != "given":
        return None
    if len(value) != 3 or not isinstance(value[1], list):
        return [], None  # not in the daemon's form: placed nowhere
    return [p for p in value[1] if isinstance(p, list) and len(p) == 2
            and isinstance(p[0], str)], value[2]


def _guarded(decoded, name, params, values, spread):
    """[(call index, changes)] for each of `values` given with its guards' values: the
    value on its nearest calls, each other parameter there set to its guard's value."""
    out = []
    for value in values:
        given = _given(value)
        if given is None or not given[0]:
            continue  # a plain value, or a tag not in the daemon's form: placed nowhere
        for i, slot, new in _placements(decoded, name, params[name], given[1], spread):
            changes = [(slot, new)]
            for other, raw in given[0]:
                there = _slot(decoded[i], other, params[other]) if other in params else None
                held = bounds.applied(raw, _value_at(decoded[i], there)) if there \
                    else bounds.SKIP
                if held is not bounds.SKIP:
                    changes.append((there, held))
            if len(changes) > 1:
                out.append((i, changes))
    return out


def _same(value):
    """The other parameter a ["same", name] value takes the value of ("" for a tag not in
    the daemon's form: placed nowhere), or None for another value."""
    if not isinstance(value, list) or not value or value[0] != "same":
        return None
    return value[1] if len(value) == 2 and isinstance(value[1], str) else ""


def matched(decoded, name, params, other):
    """[(call index, slot, value)]: parameter `name` given what each call passed for
    `other` (its default where it passed none), as it is and, where `name` held another
    kind, as a number of that kind; on one call of each shape (the value's, the kind
    `name` held, the other arguments' truth), up to _SHAPES. The code compares the two
    (governance.proof.boundaries): equal, an inclusive bound and an exclusive one part."""
    if other not in params or name not in params:
        return []
    out, shapes = [], set()
    for i, call in enumerate(decoded):
        slot, there = _slot(call, name, params[name]), _slot(call, other, params[other])
        held = _value_at(call, there) if there else None
        if held is None and params[other][2] is not inspect.Parameter.empty:
            held = params[other][2]
        if slot is None or held is None:
            continue
        shape = (_shape(held), type(_value_at(call, slot)).__name__, _truths(call, slot))
        if shape in shapes or len(shapes) >= _SHAPES:
            continue
        shapes.add(shape)
        out += [(i, slot, new) for new in _as_given(held, _value_at(call, slot))]
    return out


def _as_given(held, old):
    """`held` (a copy: the two slots are not one object), then the number it is or writes
    as the kind of number or text `old` is, where that is another value."""
    try:
        first = copy.deepcopy(held)
    except Exception:  # an object that cannot be copied: the one the call passed
        first = held
    out = [first]
    try:
        d = decimal.Decimal(str(held).strip())
    except Exception:  # no number, or an object whose text raises
        return out
    if isinstance(held, (bool, bytes)) or not d.is_finite():
        return out
    new = bounds.applied(["num", str(d)], old)
    if new is not bounds.SKIP and repr(new) != repr(held):
        out.append(new)
    return out
