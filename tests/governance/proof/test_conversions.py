"""A change that removes a conversion to int (governance.proof.conversions) has its ints
varied to floats too (governance.oracle.replay_values), and only such a change: termcolor's
RGB written as an f-string no longer truncating a float channel, hijridate's `weekday`
without `int()` answering 5.0 for a float day (wave 10). One that removes a text's
`.lower()` or `.strip()` has its texts given first upper-cased or padded: webvtt-py's
destination path without the `.lower()` of its extension (wave 17)."""

from __future__ import annotations

import inspect
import pickle

import pytest

from governance.oracle import replay_runner as rr
from governance.proof.conversions import dropped_conversions

BASE = '''class Date:
    def weekday(self):
        jdn = self.julian()
        return int(jdn % 7)


def paint(text, rgb):
    fmt = "[%d;%d;%dm%s"
    return fmt % (rgb[0], rgb[1], rgb[2], text)


def half(n):
    return "{:d}".format(n // 2)


def destination(path, extension="vtt"):
    if path[-4:].lower() != "." + extension:
        path = path.strip() + "." + extension
    return path
'''


@pytest.mark.parametrize("old, new, qualname, drops", [
    ("return int(jdn % 7)", "return jdn % 7", "Date.weekday", True),
    ('return fmt % (rgb[0], rgb[1], rgb[2], text)',
     'return f"[{rgb[0]};{rgb[1]};{rgb[2]}m{text}"', "paint", True),
    ('return "{:d}".format(n // 2)', "return str(n // 2)", "half", True),
    ('return "{:d}".format(n // 2)', "return str(int(n / 2))", "half", True),
    ("jdn = self.julian()", "jdn = self.julian() + 0", "Date.weekday", False),
    ('return fmt % (rgb[0], rgb[1], rgb[2], text)',
     'return fmt % (*rgb[:3], text)', "paint", False),
    ('return "{:d}".format(n // 2)', 'return f"{n // 2:d}"', "half", False),
])
def test_a_conversion_to_int_removed_is_found_and_one_kept_is_not(
        old: str, new: str, qualname: str, drops: bool) -> None:
    assert ("int" in dropped_conversions(BASE, BASE.replace(old, new), qualname)) is drops


@pytest.mark.parametrize("old, new, dropped", [
    ("path[-4:].lower()", "path[-4:]", {"case"}),
    ("path.strip()", "path", {"blank"}),
    ("path[-4:].lower()", "path[-4:].casefold()", {"casemap"}),  # one kept, another way
    ("path.strip()", "path.strip().strip()", set()),
])
def test_a_texts_case_or_blanks_conversion_removed_is_found(old: str, new: str,
                                                             dropped: set[str]) -> None:
    assert dropped_conversions(BASE, BASE.replace(old, new), "destination") == dropped


def test_an_int_is_varied_to_floats_only_where_a_conversion_was_removed() -> None:
    calls = [pickle.dumps((["x", (100, 200, 150)], {}), protocol=4)]

    def floats(made: list[bytes]) -> set[float]:
        return {c for b in made for a in pickle.loads(b)[0] if isinstance(a, tuple)
                for c in a if isinstance(c, float)}
    assert {100.7, 100.5} <= floats(rr.generated(calls, [], 200, dropped={"int"}))
    assert not floats(rr.generated(calls, [], 200))


def test_a_text_is_given_first_in_the_forms_a_removed_conversion_undid() -> None:
    calls = [pickle.dumps((["/tmp/out.vtt"], {}), protocol=4)]

    def firsts(dropped: set[str]) -> list[str]:
        made = [pickle.loads(b)[0] for b in rr.generated(calls, [], 4, dropped=dropped)]
        return [args[0] for args in made if args]
    assert "/TMP/OUT.VTT" in firsts({"case"}) and "/TMP/OUT.VTT" not in firsts(set())
    assert " /tmp/out.vtt" in firsts({"blank"}) and " /tmp/out.vtt" not in firsts(set())


def test_a_swapped_case_mapping_gives_texts_with_the_characters_the_mappings_part_on() -> None:
    """`lower()` made `casefold()` (arpeggio, wave 17) parts ways only on characters such
    as the long s, which no captured text holds: each text is first given with one."""
    calls = [pickle.dumps((["Lists"], {}), protocol=4)]
    def texts(limit: int, dropped: set[str]) -> list[str]:
        made = [pickle.loads(b)[0] for b in rr.generated(calls, [], limit, dropped=dropped)]
        return [args[0] for args in made if args and isinstance(args[0], str)]
    made = texts(6, {"casemap"})  # after its other kinds (a str subclass), once
    assert "Liſts" in made and "Liſts" not in texts(200, set())
    for text in made:
        assert text.casefold() == "lists" != text.lower() or text.upper() == "LISTS"


class Schema:
    def __init__(self, endings):
        self.ending_map = dict(endings)

    def _ending(self, word):
        return self.ending_map.get(word[-2:])

    def translate(self, word):
        ending = self._ending(word)
        if ending:
            return word[:-2] + ending
        return word


TABLE = inspect.getsource(Schema)  # the text a change is made to (Schema, as it runs)


@pytest.mark.parametrize("old, new, falsy", [
    ("if ending:", "if ending is not None:", True),
    ("if ending:", "if ending != None:", True),
    ("if ending:", "if not not ending:", False),
])
def test_a_truth_test_made_a_test_for_none_is_found(old: str, new: str, falsy: bool) -> None:
    assert ("falsy" in dropped_conversions(TABLE, TABLE.replace(old, new),
                                           "Schema.translate")) is falsy
    assert ("falsy" in dropped_conversions(TABLE.replace(old, new), TABLE,
                                           "Schema.translate")) is falsy


def test_a_falsy_change_gives_an_objects_table_with_its_values_empty_first() -> None:
    """iuliia's ending translation used when `is not None` (wave 19): an object's table
    with its values empty ('') is among the first inputs made, and only first where a test
    for None changed; the object's own table is never changed."""
    from governance.proof.behaviour import touched_functions
    schema = Schema({"ya": "ja", "iy": "y"})
    (target,) = touched_functions(TABLE, TABLE.replace("if ending:", "if ending is not None:"),
                                  "schema.py")[0]
    assert "ending_map" in target.names  # read through self._ending, one call deep
    calls = [pickle.dumps(([schema, "kiya"], {}), protocol=4)]

    def maps(dropped: set[str]) -> list[dict]:
        made = [pickle.loads(b)[0] for b in rr.generated(
            calls, [], 12, receiver=True, names=target.names, dropped=dropped)]
        return [args[0].ending_map for args in made
                if args and args[0].ending_map != schema.ending_map]
    assert maps({"falsy"})[0] == {"ya": "", "iy": ""}
    assert maps(set())[0] == {}  # without: the empty table first, as before
    assert schema.ending_map == {"ya": "ja", "iy": "y"}


def test_a_falsy_change_gives_a_slices_none_bound_the_empty_values_that_are_not_none() -> None:
    """pygtrie's `t[key:]` told from `t[key:stop]` by `stop is None` made `not stop` landed
    (wave 27): no slice was varied, and None had no neighbour. A slice's bounds and step
    are varied one at a time; None, where a test for None changed, to '', 0 and []."""
    from governance.oracle import replay_values as vals

    def near(value, dropped):
        return vals.near(value, vals.Context((), dropped=frozenset(dropped)))
    assert near(None, {"falsy"}) == ["", 0, []] and near(None, set()) == []
    made = near(slice("foo", None, None), {"falsy"})
    assert slice("foo", "", None) in made[:3] and slice("foo", 0, None) in made
    assert "slice('foo', None, None)" not in map(repr, made)  # never the slice itself
    assert slice(1, 4, None) in near(slice(1, 5, None), set())  # a bound moved by one
    assert not any(s.stop == "" for s in near(slice("foo", None, None), set()))


class Node:
    def __init__(self, data):
        self.data = data

    def kind(self):
        import collections.abc
        if isinstance(self.data, str):
            return "flat"
        if isinstance(self.data, collections.abc.Iterable):
            return "iterable"
        return "flat"


NODE = inspect.getsource(Node)


@pytest.mark.parametrize("old, new, protocol", [
    ("isinstance(self.data, collections.abc.Iterable)", 'hasattr(self.data, "__iter__")', True),
    ("isinstance(self.data, collections.abc.Iterable)",
     "isinstance(self.data, (list, tuple, set, dict))", True),
    ("isinstance(self.data, collections.abc.Iterable)",
     "isinstance(self.data, (collections.abc.Iterable,))", False),
    ("isinstance(self.data, str)", "type(self.data) is str", False),
])
def test_a_protocol_told_another_way_is_found(old: str, new: str, protocol: bool) -> None:
    for a, b in ((NODE, NODE.replace(old, new)), (NODE.replace(old, new), NODE)):
        assert ("protocol" in dropped_conversions(a, b, "Node.kind")) is protocol
        assert "int" not in dropped_conversions(a, b, "Node.kind")  # counted apart


def test_a_protocol_change_gives_an_object_opting_out_of_it_first() -> None:
    """dict2xml's iterable told by `hasattr(data, '__iter__')` (wave 20): only a class
    setting `__iter__ = None`, as the data model says to, tells it from `isinstance(data,
    Iterable)`; such an object is the first value each attribute is moved to, and only
    where a protocol test changed."""
    from governance.oracle.replay_standins import OptedOut
    calls = [pickle.dumps(([Node([1, 2])], {}), protocol=4)]

    def first(dropped: set[str]) -> object:
        made = [pickle.loads(b)[0] for b in rr.generated(
            calls, [], 12, receiver=True, names=frozenset({"data"}), dropped=dropped)]
        return next(args[0].data for args in made if args and args[0].data != [1, 2])
    opted = first({"protocol"})
    assert type(opted) is OptedOut and Node(opted).kind() == "flat"
    import collections.abc
    assert hasattr(opted, "__iter__") and not isinstance(opted, collections.abc.Iterable)
    assert type(first(set())) is not OptedOut


def dump(obj, sink):
    if obj is None:
        sink.append("null")
    elif isinstance(obj, float):
        obj = float(obj)
        sink.append(repr(obj))
    elif isinstance(obj, str):
        sink.append(obj.encode("utf-8").decode("ascii", "backslashreplace"))


DUMP = inspect.getsource(dump)


@pytest.mark.parametrize("old, new, kind", [
    ("        obj = float(obj)\n", "", "float"),
    ("if obj is None:", "if obj == None:", "identity"),
    ("if obj is None:", "if not obj:", "falsy"),  # a truth test: its empty values, no stand-in
    ('obj.encode("utf-8")', 'obj.encode("utf-8", "surrogateescape")', "codec"),
    ('"ascii", "backslashreplace"', '"ascii", errors="backslashreplace"', None),
])
def test_a_float_coercion_an_identity_test_or_an_encoding_changed_is_found(
        old: str, new: str, kind: str | None) -> None:
    """rfc8785's careless `dump` (wave 21): a float enum member's coercion dropped, `is None`
    made `== None`, a string encoded with `surrogateescape`; a keyword for a positional
    argument is the same call."""
    found = dropped_conversions(DUMP, DUMP.replace(old, new), "dump")
    assert found == ({kind} if kind else set()), found
    assert "int" not in dropped_conversions(DUMP.replace(old, new), DUMP, "dump")


def test_each_kind_gives_the_values_that_tell_it_first() -> None:
    """A float as a float subclass (whose text is its own), any value as an object equal to
    everything, a text with a lone surrogate in surrogateescape's range: each first where
    its kind of change was made, and the subclass among a float's neighbours always."""
    from governance.oracle import replay_values as vals
    from governance.oracle.replay_standins import AnyEqual, FloatLike

    def first(value, dropped):
        return vals.near(value, vals.Context((), dropped=frozenset(dropped)))[0]
    assert type(first(0.5, {"float"})) is FloatLike and repr(first(0.5, {"float"})) != "0.5"
    assert any(type(v) is FloatLike for v in vals.near(0.5, vals.Context(())))
    assert type(first(0.5, set())) is float
    assert type(first("x", {"identity"})) is AnyEqual and first("x", {"identity"}) == None  # noqa: E711
    assert first("foo", {"codec"}) == "foo\udcff" and first("foo", set()) != "foo\udcff"
    with pytest.raises(UnicodeEncodeError):
        first("foo", {"codec"}).encode("utf-8")
    assert first("foo", {"codec"}).encode("utf-8", "surrogateescape") == b"foo\xff"
    near = vals.near("pip-1.0-py3-none-any.whl", vals.Context((), dropped=frozenset({"codec"})))
    assert {"\u00e9ip-1.0-py3-none-any.whl", "pip-1.0-py3-none-an\u00e9.whl",
            "pip-1.0-py3-none-any.wh\u00e9"} <= set(near[:12])


SERIALISE = """def main(fields):
    print(json.dumps(fields, indent=4))
"""


@pytest.mark.parametrize("new, kind", [
    ("json.dumps(fields, indent=4, ensure_ascii=False)", {"codec"}),
    ("json.dumps(fields, ensure_ascii=True, indent=4)", set()),  # the default, written out
    ("json.dumps(fields, indent=2)", set()),
])
def test_a_serialisers_ascii_escaping_set_otherwise_is_a_codec(new: str, kind: set) -> None:
    """wheel-filename's `main` printing JSON with `ensure_ascii=False` landed (wave 27): no
    input named a tag outside ASCII."""
    changed = SERIALISE.replace("json.dumps(fields, indent=4)", new)
    assert dropped_conversions(SERIALISE, changed, "main") == kind


MERGED = """def value(self, names):
    scope = {**self.model.imported, **names}
    return scope[self.name]
"""


@pytest.mark.parametrize("new, merge", [
    ("{**names, **self.model.imported}", True),  # the other table wins a shared key
    ("{**self.model.imported, **names}", False),  # the same order
    ("{**self.model.imported, **names, 'x': 1}", False),  # an entry added: not a reorder
    ("dict(self.model.imported, **names)", False),  # no display to compare
])
def test_tables_merged_in_another_order_are_found(new: str, merge: bool) -> None:
    """evalidate's globals merged after its imported functions instead of before (wave 22)."""
    found = dropped_conversions(MERGED, MERGED.replace("{**self.model.imported, **names}", new),
                                "value")
    assert ("merge" in found) is merge, found
    assert "int" not in found


def test_a_none_argument_is_first_given_what_other_calls_passed_then_empty_values() -> None:
    """Found by the regression reading: with a changed test for None, termcolor's colour
    left None was varied to '', 0 and [] before the names other calls passed, and the
    helper extracted for its two colour branches waited (wave 10): the mutants' budget was
    spent on inputs that reach no branch. The empty values come after."""
    def colored(text, color=None):
        return text if color is None else f"{color}:{text}"

    calls = [pickle.dumps((["hi", None], {}), protocol=4),
             pickle.dumps((["yo", "red"], {}), protocol=4)]
    made = [pickle.loads(b)[0] for b in rr.generated(calls, [], 40, fn=colored,
                                                      dropped={"falsy"})]
    colours = [args[1] for args in made if len(args) > 1 and args[0] == "hi"]
    assert "red" in colours and "" in colours
    assert colours.index("red") < colours.index("")
