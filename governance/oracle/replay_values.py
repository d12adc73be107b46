"""Values near a value, for the replay runner's generated inputs (governance.oracle.
replay_inputs): `near` varies a captured argument towards the function's constants, its
edges and its siblings, and by the rules a test designer applies to its kind (a text:
governance.oracle.replay_text's; a timedelta: parts of a second; a datetime: other zones; a
dict: a value or key of another kind, a key the code names). A boundary value is built on
a captured argument beside it (governance.oracle.replay_bounds).

Copied into a run's private plugin directory as `_ouroboros_values` (governance.oracle.
run_dir) beside the runner, and imported there before the tree under test is on sys.path:
it imports only the standard library and runs on Python 3.9 and later.
"""

import collections
import contextlib
import copy
import datetime
import decimal
import enum
import io

try:  # in the jail: beside the runner, in the run's plugin directory
    import _ouroboros_attrs as attrs
    import _ouroboros_text as txt
    from _ouroboros_bytes import near_bytes, near_memory, near_stream
    from _ouroboros_canon import state_of
    from _ouroboros_dates import near_date, near_time, near_timedelta
    from _ouroboros_elements import Element, near_element
    from _ouroboros_mappings import interleave, near_dict, near_set, near_view
    from _ouroboros_pickler import DICT_VIEWS, dumped
    from _ouroboros_standins import AnyEqual, FloatLike, IntLike, LookAlike, OptedOut, StrLike
    from _ouroboros_subclass import subclassed
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle import replay_attrs as attrs
    from governance.oracle import replay_text as txt
    from governance.oracle.canon import state_of
    from governance.oracle.pickler import DICT_VIEWS, dumped
    from governance.oracle.replay_bytes import near_bytes, near_memory, near_stream
    from governance.oracle.replay_dates import near_date, near_time, near_timedelta
    from governance.oracle.replay_elements import Element, near_element
    from governance.oracle.replay_mappings import interleave, near_dict, near_set, near_view
    from governance.oracle.replay_standins import (
        AnyEqual,
        FloatLike,
        IntLike,
        LookAlike,
        OptedOut,
        StrLike,
    )
    from governance.oracle.replay_subclass import subclassed

BEYOND_FLOAT = 10 ** 309  # float() of it raises OverflowError
NEAR_MAX = 56  # values near one value (48 cut a date's '1/2/0000' once a text gained its
# subclass and two fractions)
LONG_TEXT = 4096  # a text too long to vary finely
_HALVES = ("0.5", "2.5", "0.125", "1.005", "0.005", "0.015", "-1.5")
# Text where case and normalisation rules part ways: sharp s, dotted I, a ligature, a
# title-case digraph, a combining accent.
_PROBES = (" Stra\u00dfe", " \u0130", " \ufb01", " \u01c5", " e\u0301")
# Characters error handlers treat apart: lone surrogates (U+DC80..U+DCFF are what
# `surrogateescape` writes as bytes, and a high one what none takes), a character past the
# Basic Multilingual Plane, one past Latin-1, a NUL
_UNENCODABLE = ("\udcff", "\udc80", "\ud800", "\U0001f600", "\u20ac", "\x00")
_LETTER = "\u00e9"  # a letter outside ASCII: what an ASCII-only serialiser escapes
SKIP = object()  # a boundary value the captured call's kind of value cannot hold


# -- values near a value ------------------------------------------------------------------


class Context:
    """What a value is varied towards: the function's constants, and the integers and
    lengths of the call's other arguments."""

    def __init__(self, constants, siblings=(), depth=0, names=(), dropped=frozenset()):
        self.names = frozenset(names)  # what the function's code names: its attributes read
        self.dropped = dropped  # the kinds of conversion the change removes ("int": an int
        # gets floats beside it; "case", "blank": a text first the forms they undid)
        self.numbers = []
        for c in constants:
            if isinstance(c, str) and txt.NUMBER.fullmatch(c.strip()):
                c = decimal.Decimal(c.strip())
            if isinstance(c, (int, float, decimal.Decimal)) and not isinstance(c, bool):
                with contextlib.suppress(ArithmeticError, ValueError):
                    self.numbers.append(decimal.Decimal(str(c)))
        self.ints = [int(d) for d in self.numbers if d == d.to_integral_value()]
        self.words = [c for c in constants if isinstance(c, str)]
        # the punctuation the code compares, splits or replaces by (',', '.', ')')
        self.marks = list(dict.fromkeys(c for c in self.words if len(c) == 1
                                        and not c.isalnum() and not c.isspace()))
        # the blanks the code lists (' ', '\t', or ' \t\n'): where it compares with a set
        self.blanks = list(dict.fromkeys(ch for c in self.words if c.isspace() for ch in c))
        # a pattern anchored by `$`, which also matches before a final line break (`\Z`
        # and fullmatch do not): a text is tried with one appended first
        self.anchored = any(c.endswith("$") and not c.endswith("\\$") for c in self.words)
        self.constants, self.siblings, self.depth = constants, list(siblings), depth

    def deeper(self):
        return Context(self.constants, self.siblings, self.depth + 1, self.names,
                       self.dropped)

    def without(self, kind):
        """This context less one kind of removed conversion (its numbers not read again)."""
        out = copy.copy(self)
        out.dropped = self.dropped - {kind}
        return out


def _near_int(v, ctx):
    out = [v - 1, v + 1, 0, IntLike(v)]
    if "int" in ctx.dropped and abs(v) < 2 ** 53:  # a conversion to int removed (governance.proof.
        # conversions): `%d`, int() and // answer x for x + 0.7, round() x + 1, and code
        # without them x + 0.7 itself (termcolor's RGB as an f-string, wave 10)
        out[1:1] = [v + 0.7, v + 0.5]
    for n in (*ctx.ints, *ctx.siblings):
        out += [n - 1, n, n + 1]
    # IntLike(v) fourth: the same number as an int subclass (a caller's IntEnum member:
    # `type(x) is int` written for isinstance landed); last: past a float's range, where
    # float(x) and '%f' % x raise OverflowError (texttable swallowing it landed: the search
    # drew too few ints to meet one)
    # then the number as text, which `int(x)` takes and arithmetic does not (hpack's
    # table size set from a setting's text, its `int()` dropped, waited for review)
    return [*out, str(v), -v, -1, 1, 2, 3, v - 2, v + 2, v - 3, v + 3, 2 * v + 1,
            BEYOND_FLOAT]


def _near_float(v, ctx):
    # FloatLike(v) fourth, as IntLike an int's; first where a float() was removed
    out = [0.0, v + 0.005, 0.125, FloatLike(v), v - 0.5, v + 0.5, -v]
    if "float" in ctx.dropped:
        out.insert(0, FloatLike(v))
    if "exact" in ctx.dropped:  # a float sum and an exact one part on a tenth's last digit
        out[:0] = [v + 0.1, 0.1, v * 3 + 0.1]
    for d in ctx.numbers:
        out += [float(d), float(d) - 0.5, float(d) + 0.005, float(d) + 0.5]
    return out + [float(s) for s in ctx.siblings] + [float(h) for h in _HALVES] + [v * 2]


def _near_decimal(v, ctx):
    step, half = decimal.Decimal("0.01"), decimal.Decimal("0.005")
    out = [decimal.Decimal(0), v + half, decimal.Decimal("0.125"), v - step, v + step, -v]
    for d in ctx.numbers:
        out += [d, d - decimal.Decimal("0.5"), d + half, d + step]
    return out + [decimal.Decimal(h) for h in _HALVES] + [v * 2]


def _near_str(v, ctx):
    if len(v) > LONG_TEXT:
        return [*_undone(v, ctx.dropped), "", v[:-1], v[1:], v.strip(), v[:len(v) // 2]]
    if "falsy" in ctx.dropped and v:  # a truth test and a test for None part on ''
        return unique(["", *_near_str(v, ctx.without("falsy"))], v)
    if txt.NUMBER.fullmatch(v.strip()):  # a number written out is varied as a number
        number = decimal.Decimal(v.strip())
        near = _near_int(int(number), ctx) if "." not in v else _near_decimal(number, ctx)
        # its four nearest numbers (the pairs of two arguments take these), then a whole
        # number with a fraction ('2.5', '2.0'), which int() refuses and float() takes, the
        # number with a leading zero ('042') and in other scripts' digits: what a dropped or
        # changed coercion reads otherwise; the numbers float() and Decimal() read that are
        # none (voluptuous's Number raises TypeError on 'NaN'); then its further numbers
        numbers = [str(n) for n in near if type(n) is not IntLike]
        whole = [v.strip() + ".5", v.strip() + ".0"] if "." not in v else []
        numeric = [*numbers[:4], *whole, "0" + v.strip(), *txt.other_digits(v),
                   *txt.SPECIAL_NUMBERS, *numbers[4:]]
    else:
        numeric = []
    words = ctx.words[:12]  # what the code compares with first: states, codes, units
    # a letter of the code's over the text's first and last (a grid locator's first pair,
    # a check letter): the text keeps its length, which a word put in would break
    letters = [w for w in words if len(w) == 1 and v]
    kept = [w + v[1:] for w in letters[:3]] + [v[:-1] + w for w in letters[:3]]
    anchored = [v + "\n"] if ctx.anchored and not v.endswith("\n") else []
    out = [*anchored, *numeric, "", StrLike(v), *txt.utf8(v), *txt.line_ends(v), *words[:6],
           *txt.unlisted(v, ctx.blanks),
           *txt.punctuated(v, ctx.marks)[:6], *txt.doubled(v, ctx.marks)[:2], *kept,
           *txt.precise(v), *txt.fractions(v),
           *txt.unpaired(v),
           " " + v, v + " ", v + "\n", v + "\r", v.upper(), v.lower(),
           *txt.recased(words[:6])[:4],
           *txt.blanked(v), v[:-1], v[1:],
           v[:1], v[:2], v[-1:], v.strip()[:1], v * 2, v + " " + v, v.title(), v.swapcase(),
           "\t" + v + "\n", " ".join(reversed(v.split(" "))), v.replace(" ", "  "),
           *_signed(v)]
    out += txt.digit_variants(v, ctx.ints) + words[6:] + [f"{v} {w}" for w in words[:6]]
    out += [v.replace(w, other) for w in words if len(w) > 1 and w in v
            for other in words[:6] if other != w]
    return _undone(v, ctx.dropped) + out + [v + p for p in _PROBES]


def _signed(v):
    """`v` with a sign before it, each way: a text read as a number or an expression
    meets a unary plus as often as a minus (numericalunits' `nu_eval` taking every unary
    operator as minus landed, wave 35: no text began with `+`)."""
    return [] if v[:1] in ("+", "-") else ["+" + v, "-" + v]


def _lettered(v):
    """`v` with a letter outside ASCII for its first character, for the one before its
    last dot (a file name's stem: wheel-filename's platform tag, wave 27) and for its
    last: where the code's pattern may still take it."""
    dot = v.rfind(".")
    places = dict.fromkeys(i for i in (0, dot - 1, len(v) - 1) if 0 <= i < len(v))
    return [v[:i] + _LETTER + v[i + 1:] for i in places]


def _undone(v, dropped):
    """A text in the forms a conversion the change removes would have undone, first: a
    `.lower()` dropped tells apart only on capitals, a `.strip()` only on blanks, a
    `.lower()` made `.casefold()` only on the characters the two map apart; an encoding
    called otherwise only on the characters error handlers treat apart (and a serialiser's
    `ensure_ascii` only on a letter outside ASCII); arithmetic made exact only on fractions
    a float holds inexactly (several at once: a sum's)."""
    out = [v.upper(), v.swapcase(), v.title()] if "case" in dropped else []
    out += txt.case_aliases(v) if "casemap" in dropped else []
    if "codec" in dropped:  # what a handler or an ASCII-only serialiser treats apart
        out += [v + c for c in _UNENCODABLE] + _lettered(v)
    out += [*txt.fractions(v), *txt.precise(v)] if "exact" in dropped else []
    return out + ([" " + v, v + "\n", "\t" + v + " "] if "blank" in dropped else [])


def _near_seq(v, ctx):
    if len(v) > 64:
        return []
    items = list(v)
    shapes = [[], items[:-1], items[1:], items[::-1], items * 2, items + items[-1:],
              items[:1]]
    if ctx.depth < 2:
        shapes += interleave([[[*items[:i], new, *items[i + 1:]]
                                for new in near(items[i], ctx.deeper())[:6]]
                               for i in _varied(len(items))])
        shapes += _own_items(items)
        # the last item again beside a neighbour of it (the same header name with another
        # value: hpack's search of its table for the last partial match dropped landed)
        shapes += [[*items, new] for new in _alike(items[-1], ctx)[:4]] if items else []
    out = [x for x in (rebuilt(v, s) for s in shapes) if x is not None]
    return [*out[:4], *_other_sequences(v, items), *out[4:]]


def _other_sequences(v, items):
    """The same items in the other kinds of container a caller hands over: a tuple for a
    list and a list for anything else; the plain list or tuple a subclass is made on (a
    named tuple's fields as a bare tuple); a set of them (iso639-lang's `__eq__` widened to
    any tuple and its accepted tag containers without `set` landed, wave 20: every
    container the tests passed was of one kind)."""
    out = [tuple(items) if isinstance(v, list) else items]
    out += [base(items) for base in (list, tuple) if isinstance(v, base) and type(v) is not base]
    # a set of objects hashed by their identity iterates in an order of their addresses,
    # which differ between the two trees: the same code would answer otherwise on each
    # (asciitree's render of a set of nodes read as a changed control, wave 24)
    if not any(type(i).__hash__ is object.__hash__ for i in items):
        with contextlib.suppress(TypeError):  # an unhashable item: no set holds them
            out.append(set(items))
    return out


def _varied(n):
    """The indexes of a sequence's items that are varied: the first four and the last (a
    check item, a terminator, a padding sits at the end)."""
    return sorted(set(range(min(n, 4))) | ({n - 1} if n else set()))


def _own_items(items):
    """The sequence with its last item, then its first, replaced by each other item it
    holds: values of the caller's own vocabulary, where a text's neighbours are no word
    of it (a mnemonic's checksum word replaced by another of its words: a checksum loop
    one bit short answered as its base on every word list the tests built, wave 13)."""
    if len(items) < 2:
        return []
    others = unique(items[:-1], items[-1])[:6]
    firsts = unique(items[1:], items[0])[:6]
    return [[*items[:-1], o] for o in others] + [[o, *items[1:]] for o in firsts]


def _alike(item, ctx):
    """Neighbours of a sequence's item of its own shape (a pair stays a pair)."""
    shaped = isinstance(item, (list, tuple))
    return [x for x in near(item, ctx.deeper())
            if not shaped or (isinstance(x, (list, tuple)) and len(x) == len(item))]


def rebuilt(v, items):
    """A list or tuple of `v`'s type holding `items` (a named tuple only at its length)."""
    with contextlib.suppress(Exception):
        return type(v)(items)
    with contextlib.suppress(Exception):
        return type(v)(*items)
    return None


def _near_dict(v, ctx):
    return near_dict(v, ctx, near)


def _near_object(v, ctx):
    """An instance with one attribute moved (a few values each), in its __dict__ or its
    slots (replay_attrs): first every value of those the function's code names, or names
    through a plain property (xmltodict's handler has a dozen attributes, and the one
    _build_name reads, namespace_separator, was past the first eight by name; hijridate's
    `self.day` reads the slot `_day`; parso's first leaf, wave 28, had five, and its
    prefix's `\r` came past the fifteen neighbours each of a hundred receivers got while
    they took turns), then the rest by name; an argument's first neighbours are a
    LookAlike of it and the same object of a subclass of its class (replay_subclass)."""
    state = state_of(v)
    sub = [x for x in (subclassed(v),) if x is not None] if ctx.depth == 0 else []
    if state is None or ctx.depth >= 2:
        return sub
    named = {attrs.held(v, n) for n in ctx.names} - {None}
    state = sorted(state, key=lambda kv: kv[0] not in named)
    alike = ([LookAlike(v)] if ctx.depth == 0 and not isinstance(v, LookAlike) else []) + sub

    def moved(name, new):
        clone = copy.copy(v)
        if clone is v:  # no copy (an enum member): moving it would change every use of it
            raise TypeError("not copied")
        attrs.put(clone, name, new)
        return clone
    with contextlib.suppress(Exception):
        rows = [(name in named, [moved(name, new) for new in near(value, ctx.deeper())[:12]])
                for name, value in state[:8] if attrs.held(v, name) == name]
        rows += [(True, [moved(name, new) for new in near(value, ctx.deeper())
                         if type(new) is type(value)][:12])  # as another class sets it
                 for name, value in attrs.shadowed(v, ctx.names)[:4]]
        return alike + interleave([r for n, r in rows if n]) \
            + interleave([r for n, r in rows if not n])
    return alike


def _near_none(v, ctx):
    """None's neighbours where a test for None is put for a truth test or back ("falsy"):
    the empty values that are not None, which the two tests part on; else none."""
    return ["", 0, []] if "falsy" in ctx.dropped else []


def _near_slice(v, ctx):
    """A slice with one of its bounds or its step moved (pygtrie's `t['foo':'']`, a stop
    that is empty and not None, wave 27)."""
    fields = [v.start, v.stop, v.step]
    return interleave([[slice(*fields[:i], new, *fields[i + 1:])
                        for new in near(value, ctx.deeper())[:6]]
                       for i, value in enumerate(fields)])


def _near_member(v, ctx):
    """An enum member's neighbours: the other members of its enum (what a caller passes)."""
    return [m for m in type(v) if m is not v]


# Which values a value is varied to, by its type (bool before int, datetime before date; an
# int or str enum's member is varied as an int or str: a caller may pass the plain value).
_NEAR = ((type(None), _near_none), (slice, _near_slice),
         (bool, lambda v, ctx: [not v]), (int, _near_int), (float, _near_float),
         (decimal.Decimal, _near_decimal), (str, _near_str),
         (bytes, lambda v, ctx: near_bytes(v, ctx, _near_str)),
         (memoryview, lambda v, ctx: near_memory(v, ctx, _near_str)),
         ((list, tuple, collections.deque), _near_seq),
         (dict, _near_dict), ((set, frozenset), near_set), (datetime.date, near_date),
         (tuple(DICT_VIEWS), lambda v, ctx: near_view(v, ctx, near)),
         (datetime.time, near_time), (datetime.timedelta, near_timedelta),
         (enum.Enum, _near_member), (Element, near_element),
         ((io.BytesIO, io.StringIO), lambda v, ctx: near_stream(
             v, ctx, near, [x for x in (subclassed(v),) if x is not None and ctx.depth == 0])))


def _near_items(v, ctx):
    """An array (a flat sequence in an object of its own that lists its items and sets one
    by index) with one of its first items moved to NaN, an infinity, 0 or its negation:
    what a reduction over it (max against nanmax) treats apart (wave 9's safe_pow)."""
    out = []
    for i, item in enumerate(v.tolist()[:4]):
        for new in (float("nan"), float("inf"), float("-inf"), 0, -item):
            with contextlib.suppress(Exception):
                clone = copy.copy(v)
                clone[i] = new
                out.append(clone)
    return out


def near(value, ctx):
    """Values near `value`, nearest first, without repeats or `value` itself."""
    try:
        plain = callable(getattr(value, "tolist", None)) \
            and hasattr(type(value), "__setitem__") and not isinstance(value, memoryview)
        fallback = _near_items if plain else _near_object
        maker = next((f for kinds, f in _NEAR if isinstance(value, kinds)), fallback)
        made = maker(value, ctx)
        if maker in (_near_seq, _near_dict, near_set) and getattr(value, "__dict__", None):
            # a container's subclass with attributes of its own (unidiff's Hunk: `is_valid`
            # by `>=` for `==` waited, its header's counts never moved): those are varied too
            # (an enum member's __dict__ is its enum's business: its siblings vary it)
            made = interleave([made, _near_object(value, ctx)])
        # a protocol told another way (governance.proof.conversions): a class opting out
        # of it first; an identity test made one of equality: an object equal to any
        made = [*(_STAND_INS[k]() for k in sorted(ctx.dropped & _STAND_INS.keys())), *made]
        return unique(made, value)[:NEAR_MAX]
    except Exception:  # an odd value (a NaN Decimal, a date at its limits): no neighbours
        return []


# the kinds of change (governance.proof.conversions) whose values are first a stand-in
_STAND_INS = {"protocol": OptedOut, "identity": AnyEqual}


def unique(values, value):
    out, seen = [], {blob(value)}
    for v in values:
        key = blob(v)
        if key is not None and key not in seen:
            seen.add(key)
            out.append(v)
    return out


def blob(value):
    return dumped(value)
