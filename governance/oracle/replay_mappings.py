"""A mapping's and a set's neighbours, for the replay runner's generated inputs (governance.
oracle.replay_values, which hands `near` in for the values inside them): a pair dropped,
the pairs reversed, a value or key of another kind, a key the code names, a value emptied;
the other kind of dict a caller hands over; a set less one item. And `interleave`, the
order in which lists of neighbours are taken, one of each in turn.

Copied beside the runner as `_ouroboros_mappings`; standard library only, Python 3.9 and
later.
"""

import collections
import contextlib
import copy
import itertools

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import ADDRESS
    from _ouroboros_pickler import DICT_VIEWS, view_source
    from _ouroboros_standins import MappingLike
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle.canon import ADDRESS
    from governance.oracle.pickler import DICT_VIEWS, view_source
    from governance.oracle.replay_standins import MappingLike


def near_view(v, ctx, near):
    """A dict's keys, values or items view varied as the dict it views (its own kind of
    view of each neighbour that is still a plain dict)."""
    kind = DICT_VIEWS[type(v)]
    return [getattr(d, kind)() for d in near_dict(view_source(v), ctx, near)
            if type(d) is dict]


def near_dict(v, ctx, near):
    if len(v) > 64:
        return []
    pairs = list(v.items())
    dropped = [pairs[:i] + pairs[i + 1:] for i in range(min(len(v), 6))]
    emptied = [(k, _empty(val)) for k, val in pairs]
    emptied = [emptied] if any(e is not val for (_, e), (_, val) in zip(emptied, pairs)) \
        else []  # noqa: B905 (as long by construction)
    falsy = "falsy" in ctx.dropped
    shapes = [*(emptied if falsy else []), [], pairs[::-1],
              *interleave([dropped, *_rekeyed(pairs, ctx)]), *([] if falsy else emptied)]
    if ctx.depth < 2:
        shapes += interleave([[[*pairs[:i], (k, new), *pairs[i + 1:]]
                                for new in _value_near(val, ctx, near)]
                               for i, (k, val) in enumerate(pairs[:6])])
    out = []
    for shape in shapes:
        with contextlib.suppress(Exception):
            clone = copy.copy(v)
            clone.clear()
            clone.update(shape)
            out.append(clone)
    # the mapping that is no dict after the first shapes: the order of a table's own
    # shapes (its pairs reversed, one dropped) is what most dict code tells
    kinds = _other_dict_kind(v)  # [the other kind of dict, a mapping no dict], or none
    return [*out[:1], *kinds[:1], *out[1:6], *kinds[1:], *out[6:]]


def _value_near(val, ctx, near):
    """A value's first six neighbours; then, for a whole number or one written out, the
    code's whole numbers either side of each (its own neighbours reach them only past
    the six): a regex match's groups, a table of numbers, are read as a dict (metar's
    cycle wrapped by `% 24` landed: no report's hour went to 23, the candidate's 24 less
    one, wave 32)."""
    first = near(val, ctx.deeper())[:6]
    text = isinstance(val, str) and val.strip().isdigit() and val.isascii()
    if not (text or (isinstance(val, int) and not isinstance(val, bool))):
        return first
    numbers = [n + d for n in ctx.ints[:4] for d in (-1, 0, 1)]
    more = [str(n) if text else n for n in numbers if not text or n >= 0]
    return first + [m for m in dict.fromkeys(more) if m != val and m not in first]


def _empty(value):
    """The empty value of `value`'s kind ('', 0, [], {}), or `value` where its kind has
    none: a mapping whose values are all empty (an ending translated to '') is one a
    truth test and a test for None read apart (governance.proof.conversions' "falsy")."""
    with contextlib.suppress(Exception):
        empty = type(value)()
        if not empty and empty is not None:
            return empty
    return value


def _other_dict_kind(v):
    """The same pairs in the other kind of dict a caller hands over: an OrderedDict for a
    plain dict, a plain dict for a subclass (camel-converter's `isinstance(v, dict)` made
    `type(v) is dict` landed: no input held a dict subclass, wave 14); then in a mapping
    that is no dict (MappingLike)."""
    with contextlib.suppress(Exception):
        return [collections.OrderedDict(v) if type(v) is dict else dict(v), MappingLike(v)]
    return []


def _rekeyed(pairs, ctx):
    """A dict's keys and values changed in kind: a value of another kind (a dict or list
    as its first item, anything else in a list); each key the code names that it lacks
    (its longer string constants), holding its first value; its first key None."""
    first = pairs[0][1] if pairs else None
    retyped = []
    for i, (k, val) in enumerate(pairs[:4]):
        inner = list(val.values() if isinstance(val, dict) else val) \
            if isinstance(val, (dict, list, tuple)) else None
        other = (inner[0] if inner else None) if inner is not None else [val]
        retyped.append([*pairs[:i], (k, other), *pairs[i + 1:]])
    named = [w for w in ctx.words if len(w) > 1 and w not in dict(pairs)][:3]
    return [retyped, [[*pairs, (w, first)] for w in named],
            [[(None, first), *pairs[1:]]] if pairs else []]


def near_set(v, ctx):
    shown = [repr(x) for x in v]
    if any(ADDRESS.search(t) for t in shown):  # ordered by address: not alike on both trees
        return [type(v)()]
    items = [x for _, x in sorted(zip(shown, v), key=lambda p: p[0])][:4]  # noqa: B905
    return [type(v)()] + [type(v)(x for x in v if x is not drop) for drop in items]


_GAP = object()


def interleave(lists):
    """The first of each list, then the second of each..."""
    return [x for row in itertools.zip_longest(*lists, fillvalue=_GAP) for x in row
            if x is not _GAP]
