"""The differential check's search space (governance.oracle.replay_search): Hypothesis
strategies seeded with the values the tests passed, each widened the way callers really
vary it (issue 49, item 2).

A captured value is kept, or replaced by one of its kind's variants: a number as text, as
`Decimal`, `Fraction`, `float`, `int` or `bool`; `inf`, `nan`, `-0.0`, huge and tiny
values (an integer too large for a float); the fractions where truncation
and rounding of the function's arithmetic part ways (`n / 10**6`, and `(n + 0.5) / s` for
each scale `s` the function's constants name: `int(x * 1e6)` and `round(x * 1e6)` differ
on about 1% of six-digit fractions); empty and None; bytes as their latin-1 text; a text
with the number written in it moved (to those same fractions, to a huge one), with the
function's words put in at drawn places (a fuzzer's dictionary), with its parts between
separators redrawn; a list or dict with one element varied or replaced by another of its
own; an object with one attribute varied (its dicts and lists among them).
Hypothesis's own numbers are boundary-biased, and every strategy shrinks toward the
captured value first, so a counterexample it finds is made minimal: the captured call with
as few arguments moved, as little, as can show it.

Copied beside the replay runner as `_ouroboros_widen`; it imports Hypothesis (the runner
imports it only when a search is asked for, and treats its absence as no search).
"""

import copy
import enum
import functools
import inspect
import math
import re
import string
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

_SPECIAL = (math.inf, -math.inf, math.nan, -0.0, 0.0, 1e308, -1e308, 1.7976931348623157e308,
            5e-324, 1e-300, 2.0 ** 53 + 1, 1e16)
_HUGE_INTS = (2 ** 63, -(2 ** 63) - 1, 10 ** 18, 10 ** 309, -(10 ** 309), 2 ** 1024)
_HUGE_TEXTS = ("1e309", "-1e309", "1e400", "9" * 40, "inf", "nan", "-0.0", "1e-400")
_FORMS = ("same", "str", "decimal", "float", "int", "fraction", "bool", "repr")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SEPARATED = re.compile(r"([^0-9A-Za-z]+)")  # a text's parts and the separators between
_MAX_TEXT = 12
# Text's letters, given: Hypothesis's own unicode table takes seconds to build once a run.
_LETTERS = tuple(string.ascii_letters + string.digits + string.punctuation + " \t\n"
            + "\u00df\u0130\ufb01\u00e9\u0663\u00a0\u2028")  # a strategy: no table


def _form(x, form, like):
    """`x` written as `form`; `like` is the captured value whose kind "same" keeps."""
    try:
        if form == "same":
            return _form(x, _kind_of(like), like) if not isinstance(like, str) else str(x)
        if form == "str":
            return str(x)
        if form == "repr":
            return repr(float(x))
        if form == "decimal":
            return x if isinstance(x, Decimal) else Decimal(repr(x) if isinstance(x, float)
                                                           else str(x))
        if form == "float":
            return float(x)
        if form == "int":
            return int(x)
        if form == "fraction":
            return Fraction(x)
        if form == "bool":
            return bool(x)
    except (ValueError, OverflowError, ArithmeticError, TypeError):
        pass
    return x


def _text(most):
    """Short texts of _LETTERS (st.text would build Hypothesis's unicode table: seconds)."""
    return st.lists(st.sampled_from(_LETTERS), max_size=most).map("".join)


def _kind_of(value):
    return {bool: "bool", int: "int", float: "float", Decimal: "decimal",
            Fraction: "fraction", str: "str"}.get(type(value), "float")


def _scales(constants):
    """Powers of ten and the function's own scales, where rounding and truncation part."""
    out = {10 ** k for k in (1, 2, 3, 6, 7)}
    for c in constants:
        if isinstance(c, (int, float)) and not isinstance(c, bool) and 1 < abs(c) < 1e12 \
                and float(c) == int(c):
            out.add(int(abs(c)))
    return sorted(out)


def edges(constants):
    """Floats at the rounding edges of scaling by the function's numbers: written fractions
    whose binary value falls short of the written digits (`0.000123 * 1e6` is
    122.99999999999999: truncation gives 122, rounding 123), halves of each scale's unit,
    and six- and seven-digit fractions at large."""
    scales = _scales(constants)
    written = st.builds(lambda n, k: n / 10 ** k, st.integers(-10 ** 8, 10 ** 8),
                        st.sampled_from((6, 7, 2, 3)))
    halves = st.builds(lambda n, s: (n + 0.5) / s, st.integers(-10 ** 7, 10 ** 7),
                       st.sampled_from(scales))
    return st.one_of(st.sampled_from(_short_of(tuple(scales))), halves, written)


@functools.lru_cache(maxsize=32)
def _short_of(scales, per_scale=8, scan=4000):
    """Written fractions (six digits, or a power of ten's own) whose product with a scale
    falls just short of the whole number the digits say."""
    out = []
    for s in scales:
        digits = len(str(s)) - 1 if str(s).strip("0") == "1" else 6
        step = max(1, 10 ** digits // scan)
        found = [d / 10 ** digits for d in range(1, 10 ** digits, step)
                 if (d / 10 ** digits * s) % 1.0 >= 0.5][:per_scale]
        out += found
    return out or [0.1]


def numbers(value, constants):
    """Numbers near and far from a captured number, in each form a caller may write one."""
    ints = sorted({c for c in constants if isinstance(c, int) and not isinstance(c, bool)
                   and abs(c) < 10 ** 12} | ({int(float(value))} if _finite_int(value) else set()))
    near = [st.sampled_from([i + d for i in ints for d in (-1, 0, 1)])] if ints else []
    raw = st.one_of(*near, st.integers(), edges(constants), st.floats(),
                    st.sampled_from(_SPECIAL), st.sampled_from(_HUGE_INTS),
                    st.decimals(allow_nan=True, allow_infinity=True))
    return st.builds(lambda x, f: _form(x, f, value), raw, st.sampled_from(_FORMS))


def _finite_int(value):
    try:
        return math.isfinite(float(value)) and abs(float(value)) < 1e12
    except (TypeError, ValueError, ArithmeticError):
        return False


def _is_number_text(value):
    try:
        float(value.replace(",", "."))
    except (ValueError, AttributeError):
        return False
    return bool(value.strip())


def _number_texts(constants):
    """Numbers as a caller writes them: the rounding edges first (as written, `repr` and
    six decimals), integers, huge ones, decimals."""
    short = [repr(x) for x in _short_of(tuple(_scales(constants)))]
    return st.one_of(st.sampled_from(short), edges(constants).map(repr),
                     edges(constants).map(lambda x: f"{x:.6f}"),
                     st.integers().map(str), st.sampled_from(_HUGE_TEXTS),
                     st.decimals(allow_nan=False, allow_infinity=False).map(str))


def texts(value, constants):
    """A text: empty, cut, re-cased, padded, another of the function's words, its words
    put in; its parts between separators redrawn; a number written in it moved; a
    number's text as the number itself."""
    words = sorted({c for c in constants if isinstance(c, str) and len(c) <= 40})
    plain = [value.upper(), value.lower(), value.strip(), f" {value} ", value + "\n",
             value[:-1], value[1:], value * 2]
    options = [st.just(""), st.sampled_from(plain), _text(_MAX_TEXT)]
    if words:
        options += [st.sampled_from(words), _spliced(value, words)]
    pieces = _SEPARATED.split(value)
    if len(pieces) > 1:
        options.append(_reparted(pieces, constants, words))
    found = _NUMBER.search(value)
    if found:
        options.append(_number_texts(constants).map(
            lambda n, m=found: f"{value[:m.start()]}{n}{value[m.end():]}"))
    if _is_number_text(value):
        options.append(numbers(value, constants))
    if len(value) == 1:
        options.append(_code_points_near(value))
    return st.one_of(*options)


def _code_points_near(char):
    """A character's neighbours by code point, near first: where the code looks a
    character up by its code point (a block's or a table's last one), an edge of the
    change is steered toward this way (governance.oracle.replay_edges)."""
    at = ord(char)
    return st.one_of(st.integers(-256, 256), st.integers(-at, 0x10FFFF - at)).map(
        lambda k: chr(min(max(at + k, 0), 0x10FFFF)))


def _spliced(value, words):
    """The text with one to three of the function's words put in at drawn places, as a
    fuzzer's dictionary does: a quote opened before a ';' reaches a header parser's
    quoted branch, which neither a cut text nor a word alone reaches."""
    put = st.tuples(st.integers(0, len(value)), st.sampled_from(words))
    return st.lists(put, min_size=1, max_size=3).map(lambda found: _put_in(value, found))


def _put_in(value, found):
    for at, word in found:
        at = min(at, len(value))
        value = value[:at] + word + value[at:]
    return value


def _reparted(pieces, constants, words):
    """The text's parts between its separators ('zh-Hant-TW': 'zh', 'Hant', 'TW'), one or
    two redrawn: as long as the function's small numbers say, of letters like the part's
    own, or one of its words (a one-letter part before a two-letter one: 'x-ab')."""
    lengths = sorted({c for c in constants if type(c) is int and 0 < c <= 8} | {1, 2, 3, 4})
    names = [w for w in words if w.isalnum()]

    def part(i):
        drawn = _part_like(pieces[i], lengths)
        return (st.one_of(drawn, st.sampled_from(names)) if names else drawn).map(
            lambda text: (i, text))

    at = st.sampled_from(range(0, len(pieces), 2)).flatmap(part)
    return st.lists(at, min_size=1, max_size=2).map(lambda found: "".join(
        dict(found).get(i, p) for i, p in enumerate(pieces)))


def _part_like(piece, lengths):
    letters = (string.digits if piece.isdigit() else string.ascii_uppercase
               if piece.isupper() else string.ascii_lowercase)
    return st.sampled_from(lengths).flatmap(lambda n: st.lists(
        st.sampled_from(letters), min_size=n, max_size=n).map("".join))


def widened(value, constants, depth=0, keep=True):
    """A strategy for what a caller may pass where the tests passed `value` (`value`
    itself among them, with `keep`: an element of a list varied, its neighbours kept)."""
    if depth > 2:  # a token's attributes' title: two containers down
        return st.just(value)
    if isinstance(value, (bool, int, float, Decimal, Fraction)):
        found = numbers(value, constants)
    elif isinstance(value, str):
        found = texts(value, constants)
    elif isinstance(value, (bytes, bytearray)):  # a header line, a field: as its text
        found = texts(value.decode("latin-1"), constants).map(
            functools.partial(_as_bytes, value))
    elif isinstance(value, enum.Enum):  # another member of its enum
        found = st.sampled_from(list(type(value)))
    elif value is None:
        found = st.one_of(st.integers(), _text(4), st.floats(), st.booleans(),
                          st.sampled_from(_HUGE_INTS))
    elif isinstance(value, (list, tuple)):
        found = _sequences(value, constants, depth)
    elif isinstance(value, dict):
        found = _dicts(value, constants, depth)
    elif _array_like(value):
        found = _items(value, constants, depth)
    else:
        found = _attributes(value, constants, depth)
    return st.one_of(*([st.just(value)] if keep else []), st.none(), found)


def _as_bytes(like, text):
    """A variant of bytes' text as bytes of `like`'s type (latin-1: each character one
    byte), or `like` itself where the variant is no text of such characters."""
    try:
        return type(like)(text.encode("latin-1")) if isinstance(text, str) else like
    except UnicodeEncodeError:
        return like


def _sequences(value, constants, depth):
    kind = type(value)
    empty = _rebuilt(kind, [])
    if not value:
        return st.just(empty) if empty is not None else st.nothing()
    items = st.lists(widened(value[0], constants, depth + 1), min_size=1, max_size=4)
    # an item replaced by a variant of itself, or by another of the sequence's own items
    # (the caller's vocabulary: a word list's words, where a text's variants are no word)
    one = st.integers(0, len(value) - 1).flatmap(lambda i: st.one_of(
        widened(value[i], constants, depth + 1), st.sampled_from(value)).map(
        lambda x: _replaced(value, i, x)))
    options = [st.just(empty) if empty is not None else st.nothing(), one,
               items.map(lambda xs: _rebuilt(kind, xs))]
    return st.one_of(*options).filter(lambda v: v is not None)


def _rebuilt(kind, items):
    try:
        return kind(items)
    except Exception:  # a namedtuple or another sequence that takes other arguments
        return None


def _replaced(value, i, x):
    items = list(value)
    items[i] = x
    return _rebuilt(type(value), items)


def _dicts(value, constants, depth):
    """Empty; one value varied; a key the function names added (a link's `title`)."""
    words = sorted({c for c in constants if isinstance(c, str) and 0 < len(c) <= 40}
                   - set(value))
    options = [st.just(type(value)()) if type(value) is dict else st.just({})]
    if value:
        options.append(st.sampled_from(list(value)).flatmap(lambda k: widened(
            value[k], constants, depth + 1).map(lambda x: {**value, k: x})))
    if words:
        added = st.one_of(st.sampled_from(words), _text(4), st.just(True), st.integers(0, 3))
        options.append(st.builds(lambda k, x: {**value, k: x}, st.sampled_from(words), added))
    return st.one_of(*options)


# An object's attributes that are varied: values, and the dicts and lists that hold them (a
# tag's `data['tag']`); the varied dict or list is a new one, the seed's stays as it is.
_PLAIN = (bool, int, float, Decimal, str, type(None), dict, list, tuple)


def _array_like(value):
    """Whether `value` holds a flat sequence of plain items in an object of its own that
    lists them (`tolist()`) and sets one by index: an array."""
    kind = type(value)
    return not isinstance(value, (str, bytes, bytearray, memoryview)) \
        and callable(getattr(value, "tolist", None)) and hasattr(kind, "__setitem__") \
        and hasattr(kind, "__len__")


def _items(value, constants, depth):
    """An array with one item varied as that item is (a copy: the seed stays as it is).
    An array exponent's largest value taken with max() where NaN-ignoring nanmax was
    answered as the base on every array the tests gave: only a NaN among the items tells
    them apart, and the search varied no item of an array (wave 9)."""
    try:
        items = value.tolist()
    except Exception:
        return st.nothing()
    if not isinstance(items, list) or not 0 < len(items) <= 64 \
            or not all(isinstance(x, _PLAIN) for x in items):
        return st.nothing()
    return st.integers(0, len(items) - 1).flatmap(lambda i: widened(
        items[i], constants, depth + 1, keep=False).map(lambda x: _set_item(value, i, x)))


def _set_item(value, i, x):
    try:
        other = copy.copy(value)
        if other is value:
            return value
        other[i] = x
    except Exception:  # an item of another kind than the array holds: the seed as it is
        return value
    return other


def _attributes(value, constants, depth):
    """An object with one of its plain attributes varied (a copy: the seed stays as it is).
    A class, module or function has no copy (copy.copy gives it back): none is varied."""
    if inspect.isclass(value) or inspect.ismodule(value) or inspect.isroutine(value):
        return st.nothing()
    try:
        names = sorted(k for k, v in vars(value).items() if not k.startswith("__")
                       and isinstance(v, _PLAIN))
    except TypeError:
        return st.nothing()
    if not names:
        return st.nothing()
    # an upper-case name is a constant by convention (a tag's twelve ERR_ codes): its state
    # is the other names' (each varied as often as all the constants together)
    state = [st.just(k) for k in names if not k.isupper()]
    constant = [k for k in names if k.isupper()]
    name = st.one_of(*state, st.sampled_from(constant)) if state and constant \
        else st.sampled_from(names)
    return name.flatmap(lambda k: widened(
        getattr(value, k), constants, depth + 1).map(lambda x: _with(value, k, x)))


def kindred(old, new):
    """Whether `new` is of `old`'s kind: its type, a number for a number (not a bool),
    anything for None and None for anything (a lazily made part), and a container of
    `old`'s type whose items are of the kinds its items were (any, where it had none).
    An object's attribute keeps its kind when varied: a caller reaches the object's state
    only through the class's own code, which built it of that kind (geographiclib's
    `Accumulator` with a text `_s`, which no constructor makes, refused a correct `Negate`
    at wave 15)."""
    if old is None or new is None \
            or (type(new) is type(old) and not isinstance(old, (list, tuple, dict))):
        return True
    if isinstance(old, (int, float)) and not isinstance(old, bool):
        return isinstance(new, (int, float)) and not isinstance(new, bool)
    if type(new) is not type(old):
        return False
    samples = {}  # one item of each type the old container held
    for x in _items_of(old)[:64]:
        samples.setdefault(type(x), x)
    return not samples or all(any(kindred(o, x) for o in samples.values())
                              for x in _items_of(new)[:64])


def _items_of(container):
    return list(container.values()) if isinstance(container, dict) else list(container)


def _with(value, name, x):
    if not kindred(getattr(value, name, None), x):
        return value  # the seed as it is: a state no caller builds
    try:
        other = copy.copy(value)
        if other is value:  # no copy: setting the attribute would change the seed itself
            return value
        setattr(other, name, x)
    except Exception:  # a slot, a frozen object: the seed as it is
        return value
    return other
