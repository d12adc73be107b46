"""Boundary values built on a captured argument, for the replay runner's boundary stage
(governance.oracle.replay_inputs): `applied` builds a boundary value (governance.proof.
boundaries; a caller's carried values, governance.proof.callers) on the value a captured
call passed there, as that kind of value, or SKIP where it cannot hold it; `distance`
says how far a captured value is from one (the nearest call gets it).

Copied into a run's private plugin directory as `_ouroboros_bounds` (governance.oracle.
run_dir) beside the runner, and imported there before the tree under test is on sys.path:
it imports only the standard library and its sibling, and runs on Python 3.9 and later.
"""

import copy
import decimal
import itertools
import math

try:  # in the jail: beside the runner, in the run's plugin directory
    import _ouroboros_attrs as attrs
    from _ouroboros_standins import Recorder
    from _ouroboros_text import DIGITS, NUMBER, pairs_in
    from _ouroboros_values import LONG_TEXT, SKIP, rebuilt
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle import replay_attrs as attrs
    from governance.oracle.replay_standins import Recorder
    from governance.oracle.replay_text import DIGITS, NUMBER, pairs_in
    from governance.oracle.replay_values import LONG_TEXT, SKIP, rebuilt

_EACH = 12  # the elements of a collection a boundary value may go into
_GUESSED, _TRUE_KEY = 2, 4  # a distance's part for an element guessed, a key that is true

# A boundary value is a number, a word, or tagged with the way from the parameter to it:
# ["num", "99.99"], ["len", n], ["digits", n], ["attr", name, v], ["item", key, v] (JSON
# turned the daemon's tuples into lists); ["within", word, written] is a word inside a
# text written another way (a caller's text carrying what a function it reaches compares);
# ["value", v] is v as it is (a truth test's 0 for a text); ["with", w] and ["without", w]
# the captured text, list or dict with w added (a key, holding None) or w taken out;
# ["unpaired", i] the captured text with its i-th `name=value` pair taken out (a caller's
# text, where the function it reaches tests whether a collection is empty: an element
# left with only its namespace declarations); ["each", v] v as the first element of a
# list or value of a dict that can hold it (else the value itself, which the code wraps:
# `value = [value]`), ["key", v] v as a dict's first key (its order kept); ["call", 0] a
# callback that records its calls (replay_standins.Recorder), where the code calls one;
# ["same", name] what the call passed for parameter `name` (replay_placing.matched).


def tagged(value):
    return isinstance(value, (list, tuple)) and len(value) >= 2 and value[0] in _BUILT


def applied(value, old):
    """The boundary value as the kind of value the captured call passed (`old`), built on
    it: an int, float or Decimal as `old` is, a word for a text, a length by trimming or
    repeating `old`, an attribute or item of a copy of `old`; SKIP where `old` cannot hold
    it (a word for a dict the code looks the word up in). None holds anything."""
    try:
        if tagged(value):
            return _BUILT[value[0]](value, old)
        if isinstance(value, int) and not isinstance(value, bool):
            return _as_number(decimal.Decimal(value), old)
        if isinstance(value, str) and isinstance(old, bytes):  # a bytes word, as JSON had it
            return value.encode("latin-1")
        return value if old is None or isinstance(value, str) == isinstance(old, str) \
            else SKIP
    except Exception:  # an odd captured value (a NaN, a class, a frozen object)
        return SKIP


def _as_number(d, old):
    whole = d == d.to_integral_value()
    if isinstance(old, bool):
        return SKIP
    if isinstance(old, float):
        return float(d)
    if isinstance(old, decimal.Decimal):
        return d
    if isinstance(old, str) and NUMBER.fullmatch(old.strip()):  # a number written out
        return str(int(d)) if whole and "." not in old else str(d)
    if old is not None and not isinstance(old, int):  # a list, a text: no number
        return SKIP
    if whole:
        return int(d)
    return float(d) if old is None else SKIP  # an int holds no cents


def _resized(old, n):
    """`old` trimmed to length n, or repeated up to it."""
    if not isinstance(n, int) or not 0 <= n <= LONG_TEXT:
        return SKIP
    if isinstance(old, str):
        return (old * (n // max(len(old), 1) + 1))[:n] if old else "x" * n
    if isinstance(old, (list, tuple)) and (old or not n):
        built = rebuilt(old, (list(old) * (n // max(len(old), 1) + 1))[:n])
        return SKIP if built is None else built
    if isinstance(old, dict) and n <= len(old):
        clone = copy.copy(old)
        clone.clear()
        clone.update(list(old.items())[:n])
        return clone
    return SKIP


def _with_item(old, key, inner):
    """A copy of `old` with one item the boundary value (one character of a text, one
    byte of bytes: its number)."""
    if isinstance(old, (str, bytes, list, tuple)):
        if not isinstance(key, int) or not -len(old) <= key < len(old):
            return SKIP
        at = key % len(old)
        new = applied(inner, old[at])
        if isinstance(old, str):
            return old[:at] + new + old[at + 1:] if isinstance(new, str) else SKIP
        if isinstance(old, bytes):
            return old[:at] + bytes([new]) + old[at + 1:] \
                if type(new) is int and 0 <= new < 256 else SKIP
        built = None if new is SKIP else rebuilt(old, [*old[:at], new, *old[at + 1:]])
        return SKIP if built is None else built
    new = applied(inner, old.get(key)) if isinstance(old, dict) else SKIP
    if new is SKIP:
        return SKIP
    clone = copy.copy(old)
    clone[key] = new
    return clone


def _with_attr(value, old):
    """A copy of `old` with one attribute the boundary value (as _near_object: where it is
    held, in its __dict__ or a slot, so that no setter runs; a plain property's value in
    the attribute it returns: replay_attrs)."""
    name, inner = value[1], value[2]
    where = attrs.held(old, name)
    new = SKIP if where is None else applied(inner, getattr(old, where))
    if new is SKIP:
        return SKIP
    clone = copy.copy(old)
    if clone is old:  # no copy (an enum member): moving it would change every use of it
        return SKIP
    attrs.put(clone, where, new)
    return clone


SELF = object()  # each_place's answer where no element holds it: the value itself


def each_place(old, inner):
    """(where, element): the first of `old`'s elements (a list's items, a dict's values,
    the first _EACH) that can hold the boundary value `inner`; else (SELF, old) where `old`
    is no list (a single value the code wraps in one); else SKIP."""
    if isinstance(old, (str, bytes)):
        return SKIP
    if isinstance(old, dict):
        items = list(itertools.islice(old.items(), _EACH))
    elif isinstance(old, (list, tuple)):
        items = list(enumerate(old[:_EACH]))
    else:
        items = []
    for where, element in items:
        if applied(inner, element) is not SKIP:
            return where, element
    return (SELF, old) if not isinstance(old, (list, tuple)) else SKIP


def _with_each(old, inner):
    place = each_place(old, inner)
    if place is SKIP:
        return SKIP
    where, element = place
    new = applied(inner, element)
    if where is SELF or new is SKIP:
        return new
    if isinstance(old, dict):
        clone = copy.copy(old)
        clone[where] = new
        return clone
    built = rebuilt(old, [*old[:where], new, *old[where + 1:]])
    return SKIP if built is None else built


def _with_key(old, inner):
    """A copy of the dict `old` with its first key the boundary value, in its place."""
    if not isinstance(old, dict) or not old:
        return SKIP
    pairs = list(old.items())
    new = applied(inner, pairs[0][0])
    if new is SKIP or (new == pairs[0][0] and type(new) is type(pairs[0][0])):
        return SKIP
    clone = copy.copy(old)
    clone.clear()
    clone.update([(new, pairs[0][1]), *pairs[1:]])
    return clone


def _with_digits(old, n):
    """`old` with the number written in it nearest n written as n (its width kept)."""
    if not isinstance(n, int) or n < 0:
        return SKIP
    m = min(numbers_of(old), key=lambda m: abs(int(m.group()) - n))
    return old[:m.start()] + str(n).zfill(len(m.group())) + old[m.end():]


def within(value, old):
    """`old` with the first occurrence of a word (in any case) written as `value[2]`."""
    word, written = value[1], value[2]
    at = old.lower().find(word.lower()) if isinstance(old, str) and word else -1
    if at < 0 or old[at:at + len(word)] == written:
        return SKIP
    return old[:at] + written + old[at + len(word):]


def numbers_of(text):
    """The first numbers written in a text (ValueError for none: no distance, nothing
    built): six, so that a time after a date ('1/2/2011 12:45 PM') is reached."""
    found = list(itertools.islice(DIGITS.finditer(text), 6)) if isinstance(text, str) else []
    if not found:
        raise ValueError("no number in it")
    return found


def unpaired(old, i):
    """`old` with its i-th `name=value` pair (replay_text.pairs_in) taken out."""
    found = pairs_in(old) if isinstance(i, int) and i >= 0 else []
    if i >= len(found):
        return SKIP
    return old[:found[i].start()] + old[found[i].end():]


def _with(old, word):
    """`old` with `word` added: at a text's or list's end, as a dict's key (None)."""
    if isinstance(old, bytes) and isinstance(word, str):  # a bytes word, as JSON had it
        text = old.decode("latin-1")
        return SKIP if word in text else (text + word).encode("latin-1")
    if isinstance(old, str):
        return old + word if word not in old else SKIP
    if isinstance(old, (list, tuple)):
        built = rebuilt(old, [*old, word])
        return SKIP if built is None else built
    if isinstance(old, dict) and word not in old:
        clone = copy.copy(old)
        clone[word] = None
        return clone
    return SKIP


def _without(old, word):
    """`old` with `word` taken out: its first place in a text or list, a dict's key."""
    if isinstance(old, bytes) and isinstance(word, str):
        text = old.decode("latin-1")
        return text.replace(word, "", 1).encode("latin-1") if word in text else SKIP
    if isinstance(old, str):
        return old.replace(word, "", 1) if word in old else SKIP
    if isinstance(old, (list, tuple, dict)) and word in old:
        if isinstance(old, dict):
            clone = copy.copy(old)
            del clone[word]
            return clone
        items = list(old)
        items.remove(word)
        built = rebuilt(old, items)
        return SKIP if built is None else built
    return SKIP


def distance(value, old):
    """How far a captured value is from a boundary value: the nearest call gets it."""
    try:
        if tagged(value):
            tag = value[0]
            if tag == "num":
                return _gap(decimal.Decimal(value[1]), old)
            if tag == "len":
                return abs(len(old) - value[1])
            if tag == "digits":
                return min(abs(int(m.group()) - value[1]) for m in numbers_of(old))
            if tag == "within":
                held = within(value, old) is not SKIP
                return abs(len(old) - len(value[1])) if held else math.inf
            if tag == "same":  # placed by replay_placing.matched, on no nearest call
                return math.inf
            if tag == "call":  # a recorder where a callback (or none) was given
                return 0 if old is None or callable(old) else 1
            if tag == "unpaired":  # any text holding that many pairs will do
                return 0 if unpaired(old, value[1]) is not SKIP else math.inf
            if tag in ("value", "with", "without"):  # nearest: where it changes the answer
                # to the test (a false value where a true one was, a word where none was)
                changes = bool(value[1]) != bool(old) if tag == "value" else \
                    (value[1] in old) == (tag == "without")
                return 0 if changes else 1
            if tag == "each":  # the element it goes into; a guessed one (the value
                # itself, which the code may wrap in a list) is further
                where, element = each_place(old, value[1])
                return distance(value[1], element) + (_GUESSED if where is SELF else 0)
            if tag == "key":  # a test of a key's truth decides where a key is false (the
                # empty prefix of a default namespace): a dict holding one is nearest
                first = next(iter(old))
                return distance(value[1], first) + (_TRUE_KEY if first else 0)
            inner = attrs.read(old, value[1]) if tag == "attr" else old[value[1]]
            return distance(value[-1], inner)
        if isinstance(value, int) and not isinstance(value, bool):
            return _gap(decimal.Decimal(value), old)
        if isinstance(value, str) and isinstance(old, str):  # one holding the word first
            held = value.strip().lower() in old.lower()
            return (0 if held else LONG_TEXT) + abs(len(old) - len(value))
    except Exception:
        pass
    return math.inf


def _gap(d, old):
    if isinstance(old, str) and NUMBER.fullmatch(old.strip()):
        old = decimal.Decimal(old.strip())
    if isinstance(old, bool) or not isinstance(old, (int, float, decimal.Decimal)):
        return math.inf
    gap = float(abs(decimal.Decimal(old) - d))
    return gap if gap == gap else math.inf  # a NaN is no nearer than anything


# How a tagged boundary value is built on the captured value `old`.
_BUILT = {"value": lambda v, old: v[1],
          "with": lambda v, old: _with(old, v[1]),
          "without": lambda v, old: _without(old, v[1]),
          "num": lambda v, old: _as_number(decimal.Decimal(v[1]), old),
          "len": lambda v, old: _resized(old, v[1]),
          "digits": lambda v, old: _with_digits(old, v[1]),
          "within": within,
          "unpaired": lambda v, old: unpaired(old, v[1]),
          "attr": _with_attr,
          "each": lambda v, old: _with_each(old, v[1]),
          "key": lambda v, old: _with_key(old, v[1]),
          "call": lambda v, old: Recorder(),
          # another parameter's value on the same call (replay_placing.matched builds
          # it): nothing to build from this parameter's value alone
          "same": lambda v, old: SKIP,
          "item": lambda v, old: _with_item(old, v[1], v[2])}
