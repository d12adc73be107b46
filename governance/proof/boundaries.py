"""Where a function's behaviour turns: the comparisons in its code, and for each parameter
whose value reaches one, the values at and beside it, which the differential check's replay
runner tries before any other generated input (issue 42, item 1).

A refactor that moves a boundary (`amount >= 100` becoming `amount > 100`) differs only at
the boundary; inputs spread over the captured calls rarely land on it. So, from the base's
and the candidate's text of one function: each comparison of a parameter (`<`, `<=`, `>`,
`>=`, `==`, `!=`, `in`, `not in`, `is None`, `.startswith`, `.endswith`, a slice bound,
`range(n)`) with a constant (a literal, `Decimal("0.5")`, a module-level table or constant
read by name), each truth test of one (`if x:`, `not x`, `x and y`, `isinstance(x, T)`),
each codec it names (`s.encode(x)`, `encoding=x`), `if not x: x = 'utf-8'` (x stands
for the constant), and each call it is passed to beside numbers (`in_bounds(x, 0, 10)`:
the numbers are its bounds there), where the parameter reaches it directly, through
`len()`, an attribute, an item (`.get(k)` too), a conversion (`int`, `str`,
`Decimal`...), `ord()` (the boundary is then the character), a text method (`strip`,
`upper`...), a regular expression's group (a number written inside the text:
`int(m.group(1)) > 12`), a loop over its elements or keys, or through locals assigned from
such expressions, in source order (so chains of them: governance.proof.value_flow). A
callback the code calls (a parameter, or an optional one it holds) gets CALLBACK.

The values (`Boundary`): a number: the constant, one either side, a cent either side (the
runner keeps a captured int's type and drops what an int cannot hold); a word: the word,
its other cases, a prefix of it, the word with a space either side, and for `w in x` the
captured value with w added and taken out; a length: n-1, n, n+1; a truth test: TRUTH
(None, each kind's false value, a true text and number, as they are: 0 is not None, '' is
no dict); a codec: CODECS. A value reached through an attribute, item, length or text is
tagged with the way there, so the runner builds it on a captured value
(governance.oracle.replay_bounds): `("attr", name, v)`, `("item", key, v)`, `("len", n)`,
`("digits", n)` (the number in the text nearest n, written as n), `("num", "99.99")` (a
number that is no int, as text), `("value", v)` (v whatever the call passed),
`("with", w)`, `("without", w)`; where two parameters are compared with each other, each
gets `("same", other)`: the other's value on the same call. Everything is JSON-able: the
job carries it to the jail.

Pure: trees in, values out.
"""

from __future__ import annotations

import ast
import contextlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from itertools import zip_longest

from governance.proof.guards import guards, held
from governance.proof.value_flow import Flow, Source, Step, constant, literal, position
from governance.python_ast import parse_python

Boundary = tuple[str, tuple[object, ...]]  # (parameter, values nearest first)

MAX_PARAMS, MAX_VALUES = 8, 24
MAX_GIVEN = 12  # a parameter's values tried with its guards' values (governance.proof.guards)
_ORDERS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
# What a truth test (`if x:`, `not x`, `x or y`), `x is None` or `isinstance(x, T)` tells
# apart: None, the false value of each other kind (0 is not None, '' is no dict), and a true
# text and number; each placed as it is, whatever the captured call passed there.
TRUTH: tuple[object, ...] = tuple(("value", v) for v in (None, 0, "", [], {}, "x", 1))
# A callback the code calls, given one that records what it was called with (the replay
# runner's Recorder: a postprocessor handed the parent's path instead of the element's).
CALLBACK: tuple[object, ...] = ("call", 0)
# A parameter the code encodes or decodes text by (`s.encode(encoding)`, `open(p,
# encoding=encoding)`) names a codec: one for all text, one for eight bits, one of two
# bytes a character, one for seven bits.
CODECS: tuple[str, ...] = ("utf-8", "latin-1", "utf-16", "ascii")


def boundaries(defs: Sequence[ast.AST], tables: Mapping[str, object] | None = None,
               accessors: Sequence[Mapping[str, ast.AST]] = ()) -> tuple[Boundary, ...]:
    """The boundaries of one function from its defs (the candidate's, then the base's),
    `tables` naming the module's literal constants, `accessors` each def's class's other
    methods by name (governance.proof.value_flow follows one that only returns what its
    object holds): per parameter, in the order the code first compares it, at most
    MAX_VALUES values, nearest first."""
    groups: dict[str, tuple[list[list[object]], list[list[object]]]] = {}
    bounds: dict[Source, tuple[set[Decimal], ...]] = {}  # each tree's numbers per place
    try:
        for tree, (node, methods) in enumerate(zip_longest(defs, accessors[:len(defs)])):
            flow = Flow(node, methods)
            for (param, path), leaves, given in _comparisons(node, flow, tables or {}):
                row = [_wrapped(path, v) for v in leaves if _fits(path, v)]
                plain, guarded = groups.setdefault(param, ([], []))
                if given:
                    guarded.append([("given", given, v) for v in row])
                else:
                    plain.append(row)
                    _bound(bounds, (param, path), tree, leaves[0])
    except RecursionError:  # an expression nested past what we follow: no boundaries
        return ()
    for (param, path), between in _between(bounds).items():  # first: where they part
        groups[param][0].insert(0, [_wrapped(path, v) for v in between if _fits(path, v)])
    out = []
    for param, (plain, guarded) in list(groups.items())[:MAX_PARAMS]:
        values = _interleaved(plain)[:MAX_VALUES] + _interleaved(guarded)[:MAX_GIVEN]
        if values:
            out.append((param, tuple(values)))
    return tuple(out)


def _bound(bounds: dict, place: Source, tree: int, leaf: object) -> None:
    """Note the number a comparison at `place` of one tree's def is at (its first leaf)."""
    with contextlib.suppress(InvalidOperation, TypeError, ValueError):
        number = Decimal(leaf[1]) if isinstance(leaf, tuple) and leaf[:1] == ("num",) \
            else Decimal(leaf) if type(leaf) is int else None  # type: ignore[arg-type]
        if number is not None:
            bounds.setdefault(place, (set(), set()))[min(tree, 1)].add(number)


def _between(bounds: dict) -> dict[Source, list[object]]:
    """Where the candidate compares a value with a number the base does not (a bound
    moved: `l > 100-1e-7` made `l >= 100`), the number halfway to the base's nearest:
    the two trees part only between them, and the values beside each bound miss it when
    the bounds are nearer than a step (hsluv's white bound, wave 17)."""
    out: dict[Source, list[object]] = {}
    for place, (new, old) in bounds.items():
        for n in sorted(new - old):
            others = sorted(old - new, key=lambda o, n=n: abs(o - n))
            if others:
                out.setdefault(place, []).append(_number((n + others[0]) / 2))
    return out


def _interleaved(rows: list[list[object]]) -> list[object]:
    """The first of each row, then the second of each..., without repeats."""
    return _distinct(x for row in zip_longest(*rows) for x in row if x is not None)


def module_tables(text: str) -> dict[str, object]:
    """Module-level names bound once to a literal (`TIERS = ("retail", "trade")`,
    `BULK = 50`), and class-level ones, by name: what a comparison reads by name."""
    found: dict[str, list[object]] = {}
    with contextlib.suppress(SyntaxError, ValueError, RecursionError):
        for s in ast.walk(parse_python(text)):
            if isinstance(s, ast.Module | ast.ClassDef):
                for a in s.body:
                    if isinstance(a, ast.Assign) and len(a.targets) == 1 \
                            and isinstance(a.targets[0], ast.Name):
                        found.setdefault(a.targets[0].id, []).append(literal(a.value))
    return {name: vs[0] for name, vs in found.items() if len(vs) == 1 and vs[0] is not None}


def _comparisons(node: ast.AST, flow: Flow, tables: Mapping[str, object]
                 ) -> Iterable[tuple[Source, list[object], tuple[object, ...]]]:
    """(where a parameter's value is compared, the leaf values at and beside the constant,
    the other parameters' values its guards hold for: governance.proof.guards), in source
    order; a truth test's values after a comparison's at the same place; a guarded
    comparison's values once plain, then once with its guards' values."""
    found = []
    above = guards(node)
    for n in ast.walk(node):
        for source, leaves in _compared(n, flow, tables):
            if source and leaves:
                found.append((position(n), source, leaves, ()))
                given = _given(source, above.get(id(n), ()), flow, tables)
                if given and not _copies(leaves):  # another parameter's value: its
                    # guards' values would be that parameter's, not this one's
                    found.append((position(n), source, leaves, given))
        for e in _tested(n):
            source = flow.source(e)
            if source and _truth(source):
                found.append((position(e), source, _truth(source), ()))
    tested = {source for _, source, leaves, _ in found if ("value", None) in leaves}
    for n in ast.walk(node):  # a callback the code calls: a parameter, or an optional one
        # it holds (`if self.postprocessor is not None: self.postprocessor(...)`)
        source = flow.source(n.func) if isinstance(n, ast.Call) else None
        if source and (not source[1] or source in tested):
            found.append((position(n), source, [CALLBACK], ()))
    found.sort(key=lambda f: f[0])
    return [(source, leaves, given) for _, source, leaves, given in found]


def _given(source: Source, conditions: Sequence[ast.Compare], flow: Flow,
           tables: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    """((parameter, a value its guard holds for, tagged with the way there), ...) for each
    other parameter the comparisons in `conditions` bound, its first such value."""
    out: dict[str, object] = {}
    for guard in conditions:
        for (param, path), value in held(guard, flow, tables):
            if param != source[0] and param not in out and _fits(path, value):
                out[param] = _wrapped(path, value)
    return tuple(out.items())


def _compared(n: ast.AST, flow: Flow, tables: Mapping[str, object]
              ) -> list[tuple[Source | None, list[object]]]:
    if isinstance(n, ast.If) and (fallback := _fallback(n, tables)) is not None:
        return [(flow.source(fallback[0]), _leaves([fallback[1]]))]
    if isinstance(n, ast.Compare):
        operands = [n.left, *n.comparators]
        return [pair for op, a, b in zip(n.ops, operands, operands[1:], strict=False)
                for pair in _pair(op, a, b, flow, tables)]
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.args \
            and n.func.attr in ("startswith", "endswith"):
        words = constant(n.args[0], tables)
        words = words if isinstance(words, tuple) else (words,)
        # a prefix the caller gives (`ns.startswith(attr_prefix)`): what `ns[:1] ==
        # attr_prefix` tells apart from it, None and each kind's false value
        given = [] if words != (None,) else [(flow.source(n.args[0]), list(TRUTH))]
        return [(flow.source(n.func.value), _words([w for w in words if isinstance(w, str)])),
                *given]
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "range" \
            and len(n.args) == 1:
        return [(flow.source(n.args[0]), [0, 1, -1, 2])]
    if isinstance(n, ast.Call) and (codec := _codec(n)) is not None:
        return [(flow.source(codec), list(CODECS))]
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
            and n.func.id == "isinstance" and n.args:
        # a value of each other kind; for `isinstance(x, bool)` first both flags (True is
        # no 1: `force_list=True` means every key, a 1 is tried as a collection)
        flags = [("value", True), ("value", False)] if len(n.args) > 1 \
            and isinstance(n.args[1], ast.Name) and n.args[1].id == "bool" else []
        return [(flow.source(n.args[0]), [*flags, *TRUTH])]
    if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice):
        bounds = [constant(b, tables) for b in (n.slice.lower, n.slice.upper)]
        lengths = [abs(b) for b in bounds if isinstance(b, int) and not isinstance(b, bool)]
        source = flow.source(n.value)
        return [(source and (source[0], (*source[1], ("len",))), _numbers(lengths))]
    if isinstance(n, ast.Call):
        return _passed_with_numbers(n, flow, tables)
    return []


def _passed_with_numbers(n: ast.Call, flow: Flow, tables: Mapping[str, object]
                         ) -> list[tuple[Source | None, list[object]]]:
    """A parameter handed to a call together with numbers (`in_bounds(easting, 100000,
    1000000, upper_strict=True)`, `min(n, LIMIT)`) is compared with them in there: those
    numbers are its boundaries. utm's easting reached its bounds only through a helper,
    and a careless change dropping `upper_strict` landed with 1,000,000 never tried
    (wave 11)."""
    given = [*n.args, *(k.value for k in n.keywords)]
    numbers = [v for v in (constant(a, tables) for a in given)
               if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]
    if not numbers:
        return []
    leaves = _leaves(numbers)
    return [(flow.source(a), leaves) for a in given if constant(a, tables) is None]


def _fallback(n: ast.If, tables: Mapping[str, object]) -> tuple[ast.Name, object] | None:
    """`if not p: p = 'utf-8'` (or `if p is None:`): the parameter stands for the constant
    when false, so the constant and its near misses ('utf-' for 'utf-8') are its values."""
    test = n.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    elif isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Is) \
            and isinstance(test.comparators[0], ast.Constant) \
            and test.comparators[0].value is None:
        test = test.left
    first = n.body[0]
    if not isinstance(test, ast.Name) or not isinstance(first, ast.Assign) \
            or [getattr(t, "id", None) for t in first.targets] != [test.id]:
        return None
    value = constant(first.value, tables)
    return (test, value) if value is not None else None


def _codec(n: ast.Call) -> ast.AST | None:
    """The codec name a call is given: `.encode(x)`, `.decode(x)`, or `encoding=x`."""
    named = next((k.value for k in n.keywords if k.arg == "encoding"), None)
    if named is None and isinstance(n.func, ast.Attribute) and n.args \
            and n.func.attr in ("encode", "decode"):
        return n.args[0]
    return named


def _tested(n: ast.AST) -> list[ast.AST]:
    """The expressions whose truth `n` tests: an if's, a while's, an assert's or a
    conditional expression's test, each operand of `and`/`or`, what `not` negates."""
    if isinstance(n, ast.If | ast.While | ast.IfExp | ast.Assert):
        return [n.test]
    if isinstance(n, ast.BoolOp):
        return list(n.values)
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
        return [n.operand]
    return []


def _truth(source: Source) -> list[object]:
    """A truth test's values: through a length, empty and not; through a regular
    expression's group (`m.group(2) or 0`: whether it matched), none; otherwise TRUTH."""
    last = source[1][-1] if source[1] else None
    return [0, 1] if last == ("len",) else [] if last == ("digits",) else list(TRUTH)


def _pair(op: ast.cmpop, a: ast.AST, b: ast.AST, flow: Flow,
          tables: Mapping[str, object]) -> list[tuple[Source | None, list[object]]]:
    if isinstance(op, ast.In | ast.NotIn):
        held = constant(b, tables)
        if isinstance(held, str):  # `c in "'\""`: each character; a long text as itself
            held = tuple(held) if len(held) <= 8 else (held,)
        if isinstance(held, tuple | list | set | frozenset | dict):
            return [(flow.source(a), _leaves(_sorted(held)))]
        word = constant(a, tables)  # `"@" in email`, `"day" in groups`: the word alone,
        # and the captured text or dict with it added and without it; a bytes word as its
        # latin-1 text (the job is JSON: the runner writes it back as bytes into bytes)
        if isinstance(word, bytes):
            word = word.decode("latin-1")
        return [(flow.source(b), _held(word))] if isinstance(word, str) else []
    if isinstance(op, ast.Is | ast.IsNot) and any(
            isinstance(x, ast.Constant) and x.value is None for x in (a, b)):
        subject = b if isinstance(a, ast.Constant) and a.value is None else a
        return [(flow.source(subject), list(TRUTH))]
    if not isinstance(op, _ORDERS):
        return []
    for subject, other in ((a, b), (b, a)):
        value = constant(other, tables)
        if value is not None:
            return [(flow.source(subject), _leaves([value]))]
    return _matched(flow.source(a), flow.source(b))


def _matched(left: Source | None, right: Source | None
             ) -> list[tuple[Source | None, list[object]]]:
    """Two parameters compared with each other, reached the same way (`value > max`,
    `float(value) > float(max)`, `len(a) < len(b)`): each tried at the other's value,
    where they are equal (`("same", other)`: the runner copies what the call passed
    there); configobj's maximum made exclusive waited, no test passing a value equal to
    it (wave 14). A method's receiver is no value to copy another into."""
    if not left or not right or left[0] == right[0] or left[1] != right[1]:
        return []
    return [((mine, ()), [("same", other)]) for mine, other in
            ((left[0], right[0]), (right[0], left[0])) if mine not in ("self", "cls")]


def _copies(leaves: list[object]) -> bool:
    """Whether the values are another parameter's (`_matched`)."""
    return isinstance(leaves[0], tuple) and leaves[0][:1] == ("same",)


def _sorted(held: Iterable[object]) -> list[object]:
    """A table's values in a fixed order (a set's is no order; a tuple's is the code's)."""
    items = list(held)
    return items if isinstance(held, tuple | list | dict) else sorted(items, key=repr)


def _leaves(values: Iterable[object]) -> list[object]:
    """The leaf values at and beside each constant: the constants first, then their
    neighbours (a table of words: each word before any word's variants)."""
    rows = [_numbers([v]) if isinstance(v, int | float | Decimal) else _words([v])
            for v in values if not isinstance(v, bool)]
    return _distinct(x for row in zip_longest(*rows) for x in row if x is not None)


def _numbers(values: Iterable[object]) -> list[object]:
    out: list[object] = []
    for v in values:
        try:
            d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)  # type: ignore[arg-type]
        except (InvalidOperation, TypeError, ValueError):
            continue
        if not d.is_finite():
            continue
        step = Decimal(1).scaleb(min(d.as_tuple().exponent, -2))  # type: ignore[arg-type]
        near = [d, d - 1, d + 1] if d == d.to_integral_value() else [d]
        out += [_number(x) for x in (*near, d - step, d + step)]
    return out


def _number(d: Decimal) -> object:
    """An int as itself; another number as ("num", its text), so JSON keeps it exact."""
    return int(d) if d == d.to_integral_value() else ("num", str(d.normalize()))


def _words(words: Iterable[object]) -> list[object]:
    out: list[object] = []
    for w in words:
        if isinstance(w, str) and len(w) <= 200:
            out += [w, w.upper(), w.lower(), w.title(), w[:-1], f"{w} ", f" {w}"]
    return out


def _held(word: str) -> list[object]:
    """`word in x`: the word, the captured value with it and without it, then its forms."""
    forms = _words([word])
    return [*forms[:1], ("with", word), ("without", word), *forms[1:]]


def _fits(path: tuple[Step, ...], leaf: object) -> bool:
    """A length, or a number written inside a text, is a whole number not below zero; a
    code point is one a character has."""
    if path and path[-1] == ("ord",):
        return isinstance(leaf, int) and 0 <= leaf <= sys.maxunicode
    return not path or path[-1] not in (("len",), ("digits",)) \
        or (isinstance(leaf, int) and leaf >= 0)


def _wrapped(path: tuple[Step, ...], leaf: object) -> object:
    """The leaf value tagged with the way from the parameter to it (the module docstring);
    a code point is its character (`ord(ch) < 128`: U+007F, U+0080, U+0081)."""
    value = leaf
    for step in reversed(path):
        value = chr(value) if step == ("ord",) else (*step, value)  # type: ignore[arg-type]
    return value


def _distinct(values: Iterable[object]) -> list[object]:
    """In order, without repeats (1 and "1" and ("num", "1") are three)."""
    seen, out = set(), []
    for v in values:
        if repr(v) not in seen:
            seen.add(repr(v))
            out.append(v)
    return out
