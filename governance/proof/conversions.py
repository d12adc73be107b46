"""Which conversions a change removes from a function: to int, the replay then offers a
float beside each int it varies (governance.oracle.replay_values), where otherwise the
budget is not spent on floats at all; a text's case or its blanks (`.lower()`,
`.strip()`...), each text it varies is first given in the forms that conversion would
have undone (upper-cased, padded).

A conversion to int is a call of `int()` or `round()`, a floor division, or a text
formatted with `%d` / `%i` or `{:d}` (by `%`, `str.format` or an f-string's format spec).
For int inputs, code with and without it answers alike: termcolor's RGB written as an
f-string instead of through `'%d;%d;%d' % color` no longer truncates a float channel
(100.7), and hijridate's `weekday` without `int()` answers 5.0 for a float day; both
waited for the tests' int values (wave 10). Counted per kind over the function's whole
text on each tree: a kind the candidate holds fewer of than the base marks it, so a
function that keeps its conversions (or only moves them) is varied as before. webvtt-py's
`_get_destination_file` without the `.lower()` of the path's extension landed (wave 17):
of its 491 generated inputs none wrote the extension in capitals. One case mapping swapped
for another ("casemap": arpeggio's `lower()` made `casefold()`, wave 17) parts ways only on
the few characters the mappings disagree on (the long s 'ſ'), which no caller's text held:
each text is first given with one of them (governance.oracle.replay_text.case_aliases).
A test for None put for a truth test or the other way ("falsy": `if x is not None` for
`if x`) parts ways only on an empty value that is not None: iuliia's ending translation
used when `is not None` landed (wave 19), no schema mapping an ending to ''; each value is
then first given empty (a dict's values their kind's empty value, a text '').
A protocol told another way ("protocol": `hasattr(x, "__iter__")` for `isinstance(x,
Iterable)`, or the other way) parts ways only on a class that opts out of it by setting its
method to None, as the data model says to: dict2xml's iterable by `hasattr` landed (wave
20), no value of the tests' opting out; each value is then first given as an object of such
a class (governance.oracle.replay_standins.OptedOut). A coercion to float removed ("float":
rfc8785's `obj = float(obj)` before writing a float, wave 21) parts ways only on a float's
subclass, whose text is its own (a float enum member's is its name): each float is first
given as one (FloatLike). A test by identity made one by equality or back ("identity":
`obj == None` for `obj is None`) parts ways only on an object equal to what it is compared
with without being it (`mock.ANY`): each value is first given as one (AnyEqual). A text's
encoding or decoding called otherwise ("codec": an error handler added) parts ways only on
the characters a handler treats apart (a lone surrogate in U+DC80..U+DCFF, which
`surrogateescape` writes as a byte): each text is first given with them. A serialiser's
`ensure_ascii` set otherwise (`json.dumps(..., ensure_ascii=False)`: wheel-filename's
`main`, wave 27) is that kind too: it parts ways on any letter outside ASCII, and each
text is also first given with its first character one (`é`). Two tables merged
in the other order ("merge": `{**imported, **ctx}` made `{**ctx, **imported}`) part ways
only on a key both hold: evalidate's imported functions merged after the caller's globals
landed (wave 22), no test's globals naming an imported function; each call's tables are then
also given the keys of the other tables it reaches (governance.oracle.replay_keys.crossed).
Arithmetic made exact or back ("exact": a `Decimal` or `Fraction` built a different number
of times: pytimeparse's float sum of a duration's fields summed as Decimals) parts ways only
on fractions a binary float holds inexactly, and on several of them at once: each text is
first given with its numbers' fractions set alike (.9999, .1) and at its first fraction's
precision edges, each float with a tenth beside it. A tolerance added or removed (a float
literal under TOLERANCE: pytweening's `while n + 1.1102230246251565e-16 < 1.0` made
`while n < 1.0` landed, wave 25) parts ways on the same sums, and is that kind too: a step
of 0.1 summed ten times falls short of 1.0 by less than the tolerance.
"""

from __future__ import annotations

import ast
import re
from collections import Counter

from governance.python_ast import parse_python

_PERCENT_D = re.compile(r"%[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[di]")
_FORMAT_D = re.compile(r"\{[^{}]*:[^{}]*d\}")


# a text method, by the kind of conversion it is
_TEXT_FORMS = {"lower": "case", "upper": "case", "casefold": "case", "title": "case",
               "capitalize": "case", "strip": "blank", "lstrip": "blank", "rstrip": "blank"}
_CASE_MAPS = ("lower", "upper", "casefold")
_COUNTED_APART = ("None", "abc", "hasattr", "is", "", "exact")  # counts compared, not conversions
_CODEC = "codec "  # a key of the text's encode and decode calls, by their arguments
_CODEC_CALLS = ("encode", "decode")
_SERIALISERS = ("dumps", "dump")  # json's: whether they escape what is not ASCII is a codec
_EXACT_TYPES = ("Decimal", "Fraction")  # what an exact sum or product is built of
TOLERANCE = 1e-6  # a float literal this close to 0 (not 0) is a tolerance, an "exact" kind
_MERGE = "merge "  # a key of a dict display that unpacks another: its entries, in order
# the abstract classes of collections.abc whose isinstance test reads whether a class's
# method is set, and the methods a class opts out of them by (`__iter__ = None`)
_PROTOCOL_ABCS = frozenset({"Iterable", "Iterator", "Reversible", "Collection", "Container",
                            "Sized", "Hashable", "Generator", "Awaitable", "AsyncIterable"})
_PROTOCOL_METHODS = frozenset({"__iter__", "__next__", "__reversed__", "__contains__",
                               "__len__", "__hash__", "__await__", "__aiter__"})


def dropped_conversions(old: str, new: str, qualname: str) -> frozenset[str]:
    """The kinds of conversion ("int", "case", "blank") `qualname` holds fewer of in `new`
    than in `old`, "casemap" where it calls a case mapping more often than `old`, "falsy"
    where it tests for None a different number of times, and "protocol" where it tests a
    protocol's abstract class or a protocol method's presence a different number of times,
    "merge" where a dict display merges the same tables in another order, "exact" where it
    builds a Decimal or a Fraction, or writes a tolerance, a different number of times
    (none where either text lacks it: nothing to compare)."""
    before, after = _counted(old, qualname), _counted(new, qualname)
    if before is None or after is None:
        return frozenset()
    kinds = {kind if kind in ("case", "blank", "float") else "int"
             for kind, n in before.items() if n > after[kind]
             and kind not in (*_CASE_MAPS, *_COUNTED_APART)
             and not kind.startswith((_CODEC, _MERGE))}
    if before["is"] != after["is"] and before["None"] == after["None"]:
        kinds.add("identity")  # `is` made `==`; `is None` made a truth test is "falsy"
    if _codecs(before) != _codecs(after):
        kinds.add("codec")
    if any(after[m] > before[m] for m in _CASE_MAPS):
        kinds.add("casemap")
    if before["None"] != after["None"]:
        kinds.add("falsy")
    if _reordered(before, after):
        kinds.add("merge")
    if before["exact"] != after["exact"]:
        kinds.add("exact")
    if (before["abc"], before["hasattr"]) != (after["abc"], after["hasattr"]):
        kinds.add("protocol")
    return frozenset(kinds)


def _exact(n: ast.AST) -> bool:
    """A Decimal or a Fraction built, or a tolerance written."""
    if isinstance(n, ast.Call):
        return _called_name(n) in _EXACT_TYPES
    return isinstance(n, ast.Constant) and isinstance(n.value, float) \
        and 0 < abs(n.value) < TOLERANCE


def _counted(text: str, qualname: str) -> Counter[str] | None:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError):
        return None
    node = _function(tree, qualname)
    if node is None:
        return None
    formats = _format_names(node)
    found: Counter[str] = Counter()
    for n in ast.walk(node):
        found["exact"] += _exact(n)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                and n.func.id in ("int", "round", "float"):
            found[n.func.id] += 1
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                and n.func.attr in _CODEC_CALLS:
            found[_CODEC + ast.unparse(ast.Tuple([*n.args, *(k.value for k in n.keywords)]))] += 1
        elif isinstance(n, ast.Call) and _called_name(n) in _SERIALISERS:
            found[_CODEC + _ascii_only(n)] += 1
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                and n.func.attr in _TEXT_FORMS:
            found[_TEXT_FORMS[n.func.attr]] += 1  # by kind: `.casefold()` for `.lower()`
            # keeps it, and by name: it swaps one case mapping for another
            found[n.func.attr] += n.func.attr in _CASE_MAPS
        elif isinstance(n, ast.Compare) and any(
                isinstance(op, (ast.Is, ast.IsNot)) for op in n.ops):
            found["is"] += 1
            found["None"] += _with_none(n)
        elif isinstance(n, ast.Compare) and any(
                isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))
                and isinstance(c, ast.Constant) and c.value is None
                for op, c in zip(n.ops, n.comparators)):  # noqa: B905 (as long by definition)
            found["None"] += 1
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                and n.func.id in ("isinstance", "hasattr") and len(n.args) == 2:
            found[_protocol_test(n.func.id, n.args[1])] += 1  # "" for any other test
        elif isinstance(n, ast.Dict) and None in n.keys and len(n.keys) > 1:
            found[_MERGE + "\0".join(_entries(n))] += 1
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv):
            found["//"] += 1
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod):
            found["%d"] += len(_PERCENT_D.findall(_format_text(n.left, formats)))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                and n.func.attr == "format":
            found["{:d}"] += len(_FORMAT_D.findall(_format_text(n.func.value, formats)))
        elif isinstance(n, ast.FormattedValue) and n.format_spec is not None:
            spec = ast.unparse(n.format_spec)
            found["{:d}"] += spec.rstrip("'\"").endswith("d")
    return found


def _ascii_only(n: ast.Call) -> str:
    """A serialiser call's `ensure_ascii` as written (`True` where it is left out)."""
    value = next((k.value for k in n.keywords if k.arg == "ensure_ascii"), None)
    return "ensure_ascii=" + (ast.unparse(value) if value is not None else "True")


def _called_name(n: ast.Call) -> str:
    """The name a call is made by (`Decimal` of `decimal.Decimal(x)` too)."""
    return n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")


def _with_none(n: ast.Compare) -> bool:
    return any(isinstance(c, ast.Constant) and c.value is None for c in n.comparators)


def _entries(n: ast.Dict) -> list[str]:
    return [f"**{ast.unparse(v)}" if k is None else f"{ast.unparse(k)}: {ast.unparse(v)}"
            for k, v in zip(n.keys, n.values)]  # noqa: B905 (as long by definition)


def _reordered(before: Counter[str], after: Counter[str]) -> bool:
    """Whether a dict display that unpacks another holds the same entries in another order
    (`{**a, **b}` made `{**b, **a}`): which table wins a shared key changed."""
    def merges(found: Counter[str], key) -> Counter:
        return Counter({key(k[len(_MERGE):].split("\0")): n for k, n in found.items()
                        if k.startswith(_MERGE) and n})
    return merges(before, tuple) != merges(after, tuple) \
        and merges(before, _sorted_tuple) == merges(after, _sorted_tuple)


def _sorted_tuple(items: list[str]) -> tuple[str, ...]:
    return tuple(sorted(items))


def _codecs(found: Counter[str]) -> Counter[str]:
    return Counter({k: n for k, n in found.items() if k.startswith(_CODEC) and n})


def _protocol_test(call: str, arg: ast.expr) -> str:
    """"abc" for an isinstance test naming a protocol's abstract class (alone or in a
    tuple), "hasattr" for a test of a protocol method's presence, "" for any other."""
    if call == "hasattr":
        return "hasattr" if isinstance(arg, ast.Constant) and arg.value in _PROTOCOL_METHODS \
            else ""
    kinds = arg.elts if isinstance(arg, ast.Tuple) else [arg]
    named = {k.attr if isinstance(k, ast.Attribute) else getattr(k, "id", "") for k in kinds}
    return "abc" if named & _PROTOCOL_ABCS else ""


def _format_names(node: ast.AST) -> dict[str, str]:
    """The function's names bound once to a text (`fmt = "%d;%d"`), by name."""
    out: dict[str, str] = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Constant) \
                and isinstance(n.value.value, str):
            out[n.targets[0].id] = n.value.value
    return out


def _format_text(node: ast.AST, formats: dict[str, str]) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return formats.get(node.id, "") if isinstance(node, ast.Name) else ""


def _function(tree: ast.AST, qualname: str) -> ast.AST | None:
    """The def at `qualname` (classes and functions by name, `<locals>` skipped)."""
    scope: list[ast.stmt] = list(getattr(tree, "body", []))
    found: ast.AST | None = None
    for part in [p for p in qualname.split(".") if p != "<locals>"]:
        found = next((n for n in scope if isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part), None)
        if found is None:
            return None
        scope = list(found.body)  # type: ignore[attr-defined]
    return found
