"""rfc8785 0.1.4 (Apache-2.0), held out (wave 21): RFC 8785, the JSON Canonicalization Scheme,
in one module (rfc8785/_impl.py; rfc8785/__init__.py re-exports dumps, dump and the errors).
dump(obj, sink) writes None, bool, int, str, float, a list or tuple and a dict as canonical
JSON bytes: an int coerced by int() and refused outside +-(2**53 - 1) (IntegerDomainError), a
float coerced by float() and written by _serialize_float as ECMAScript writes it (NaN and the
infinities refused, FloatDomainError; -0 as 0; exponents from 21 and below -6 kept, others
expanded), a str escaped by a regular expression (\\, ", and every character below U+0020 by
_ESCAPE_DCT) and encoded to strict UTF-8 (a lone surrogate refused), a list or tuple as an
array, a dict's items sorted by their keys' UTF-16 big-endian code units (a key without
.encode refused), anything else refused (CanonicalizationError).

Its suite (test/: 42 tests and one skipped for want of the 100-million-number file) checks
twenty-six floats by their IEEE bits (0, -0, the smallest subnormal, the largest double, 2**53,
both sides of the 1e21 and 1e-6 boundaries, 1e23, seventeen-digit values), the integer domain's
two bounds, a lone surrogate refused, a set refused, IntEnum, StrEnum and (str|dict|int, Enum)
members, a bare Enum refused, non-str keys refused, and the RFC's six example documents
(arrays, French, structures, Unicode, values, weird: keys with \\r, \\n, U+0080, U+20AC,
U+FB33 and an astral emoji) byte for byte. A line tracer over it found no line of the package
unrun. Its tests never give a tuple (every document comes from json.loads), a float Enum member,
a value equal to None that is not None, the control character U+001F, or a lone surrogate in
U+DC80..U+DCFF (only U+DEAD)."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "rfc8785"
IMPL = "rfc8785/_impl.py"
SETUP = "import rfc8785"

CONTROLS = {
    "finite_by_isfinite": case(
        IMPL, "_serialize_float", "two tests to their library negation",
        "NaN and the infinities refused by not math.isfinite(f) instead of math.isnan(f) or "
        "math.isinf(f): a float is finite exactly when it is neither, so the same floats are "
        "refused with the same FloatDomainError",
        ('''    if math.isnan(f) or math.isinf(f):
''', '''    if not math.isfinite(f):
''')),
    "domain_by_abs": case(
        IMPL, "dump", "two bounds to one by symmetry",
        "the integer domain checked by abs(obj) > _INT_MAX instead of obj < _INT_MIN or obj > "
        "_INT_MAX: _INT_MIN is -_INT_MAX (-(2**53) + 1 and 2**53 - 1), so the same ints are "
        "refused, obj already coerced to a plain int",
        ('''        if obj < _INT_MIN or obj > _INT_MAX:
''', '''        if abs(obj) > _INT_MAX:
''')),
    "tuple_by_own_branch": case(
        IMPL, "dump", "branch split (a body no test runs)",
        "a tuple written by its own branch, dump(list(obj), sink), before a list's branch, "
        "instead of sharing it: the list branch begins by list(obj) as before, so a tuple "
        "(a named tuple among them) is written as the list of its items either way; no test "
        "gives a tuple, so the new branch's body is a line no test runs (the package has "
        "no line its suite leaves unrun, so no control can change only unrun lines)",
        ('''    elif isinstance(obj, (list, tuple)):
        obj = list(obj)
''', '''    elif isinstance(obj, tuple):
        # a tuple is written as the list of its items
        dump(list(obj), sink)
    elif isinstance(obj, list):
        obj = list(obj)
''')),
    "sort_key_by_helper": case(
        IMPL, "dump", "lambda extracted into a helper",
        "an object's members sorted by a module helper, _utf16_key(item), instead of a lambda: "
        "the helper answers the same key, the member's name encoded as UTF-16 big-endian, and "
        "a name without .encode still raises AttributeError inside sorted(), which the same "
        "except turns into CanonicalizationError",
        ('''def dumps(obj: _Value) -> bytes:
''', '''def _utf16_key(item: tuple) -> bytes:
    """An object member's sort key: its name's UTF-16 code units, big-endian (RFC 8785 3.2.3)."""
    return item[0].encode("utf-16be")


def dumps(obj: _Value) -> bytes:
'''), ('''            obj_sorted = sorted(obj.items(), key=lambda kv: kv[0].encode("utf-16be"))
''', '''            obj_sorted = sorted(obj.items(), key=_utf16_key)
''')),
}

CARELESS = {
    "float_coercion_dropped": case(
        IMPL, "dump", "coercion removed",
        "a float passed to _serialize_float as it is instead of coerced by float(obj) first: "
        "the same for floats and for the suite's values, but a float Enum member's str() is "
        "its name ('Ratio.HALF'), which _serialize_float now writes into the JSON where it "
        "wrote 0.5",
        ('''        obj = float(obj)
        _serialize_float(obj, sink)
''', '''        _serialize_float(obj, sink)
'''),
        probe=Probe(SETUP + "\nimport enum\nclass Ratio(float, enum.Enum):\n    HALF = 0.5",
                    "rfc8785.dumps([Ratio.HALF])", "b'[0.5]'", "b'[Ratio.HALF]'")),
    "tuple_dropped": case(
        IMPL, "dump", "container narrowed",
        "an array's branch taken for a list only instead of a list or tuple: the same for "
        "every document json.loads makes, and the suite gives no other, but a tuple, which "
        "the README's own example serialises, is now refused as an unsupported type",
        ('''    elif isinstance(obj, (list, tuple)):
''', '''    elif isinstance(obj, list):
'''),
        probe=Probe(SETUP, "rfc8785.dumps({'a': (1, 2)})", "b'{\"a\":[1,2]}'",
                    "raises CanonicalizationError")),
    "escape_below_1f": case(
        IMPL, "_serialize_str", "regex to a loop with a bound off by one",
        "a str escaped character by character, a backslash, a quote and every character below "
        "U+001F taken from _ESCAPE_DCT, instead of by the _ESCAPE expression, whose control "
        "range ends at U+001F included: the same for the suite's \\n, \\r and U+000F, but "
        "U+001F is now written raw into the string, which JSON forbids",
        ('''    sink.write(b'"')
    try:
        # Encoding to UTF-8 means that we'll reject surrogates and other
        # non-UTF-8-isms.
        sink.write(_ESCAPE.sub(_replace, s).encode("utf-8"))
''', '''    escaped = "".join(_ESCAPE_DCT[c] if c in '\\\\"' or ord(c) < 0x1F else c for c in s)
    sink.write(b'"')
    try:
        # Encoding to UTF-8 means that we'll reject surrogates and other
        # non-UTF-8-isms.
        sink.write(escaped.encode("utf-8"))
'''),
        probe=Probe(SETUP, "rfc8785.dumps('a\\x1fb')", "b'\"a\\\\u001fb\"'",
                    "b'\"a\\x1fb\"'")),
    "none_by_equality": case(
        IMPL, "dump", "identity to equality",
        "null written when obj == None instead of when obj is None: the same for None and "
        "for every value the suite gives, but an object that compares equal to everything "
        "(unittest.mock.ANY) is now written as null where it was refused as an unsupported "
        "type",
        ('''    if obj is None:
''', '''    if obj == None:
'''),
        probe=Probe(SETUP + "\nfrom unittest import mock", "rfc8785.dumps([mock.ANY])",
                    "raises CanonicalizationError", "b'[null]'")),
    "surrogates_escaped": case(
        IMPL, "_serialize_str", "error handler added (exception lost)",
        "a str encoded with errors='surrogateescape' (as file names are) instead of strictly: "
        "the suite's lone surrogate U+DEAD is outside that handler's U+DC80..U+DCFF and is "
        "still refused, but U+DCFF is now written as the byte 0xFF, invalid UTF-8, where "
        "CanonicalizationError was raised",
        ('''        sink.write(_ESCAPE.sub(_replace, s).encode("utf-8"))
''', '''        sink.write(_ESCAPE.sub(_replace, s).encode("utf-8", "surrogateescape"))
'''),
        probe=Probe(SETUP, "rfc8785.dumps('\\udcff')", "raises CanonicalizationError",
                    "b'\"\\xff\"'")),
}
