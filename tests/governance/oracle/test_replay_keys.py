"""A call run with recording copies of its tables, then again with each table holding the
keys it looked up and missed (governance.oracle.replay_keys): where two tables answer, the
order the code tries them in shows. iuliia's letter looked up by its next neighbour before
its previous one landed (wave 19): no table the tests built knew a key both did."""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Mapping
from typing import ClassVar

from governance.oracle import replay_runner as rr
from governance.oracle.replay_keys import Asked, asked_inputs, crossed_inputs


class Schema:
    def __init__(self, before: dict, after: dict):
        self.prev_map, self.next_map, self.name = before, after, "t"

    def letter(self, prev: str, curr: str, next_: str) -> str:
        found = self.prev_map.get(prev + curr)
        if found is None:
            found = self.next_map.get(curr + next_)
        return curr if found is None else found


def _run(blob: bytes) -> tuple:
    args, kwargs = pickle.loads(blob)
    args[0].letter(*args[1:], **kwargs)
    return args, kwargs


def _made(calls: list[tuple]) -> list[tuple]:
    blobs = [pickle.dumps((list(a), {}), protocol=4) for a in calls]
    return [pickle.loads(b)[0] for b in asked_inputs(
        Schema.letter, blobs, True, _run, lambda v: pickle.dumps(v, protocol=4), pickle.loads)]


def test_both_tables_given_the_keys_they_missed_tell_the_lookup_order() -> None:
    schema = Schema({"xy": "Q"}, {})
    made = _made([(schema, "a", "b", "c")])
    both = made[0][0]
    assert both.prev_map == {"xy": "Q", "ab": "ab"} and both.next_map == {"bc": "bc"}
    assert both.letter("a", "b", "c") == "ab"  # the next table's first would answer "bc"
    alone = [(m[0].prev_map, m[0].next_map) for m in made[1:]]  # then each table alone
    assert len(alone) == 2 and ({"xy": "Q"}, {"bc": "bc"}) in alone \
        and ({"xy": "Q", "ab": "ab"}, {}) in alone
    assert schema.prev_map == {"xy": "Q"} and schema.next_map == {}  # never changed
    assert type(both.prev_map) is dict  # the recording copy stays in the recording run


def test_a_table_of_other_values_is_given_its_first_value_and_found_keys_add_nothing() -> None:
    schema = Schema({"ab": 7}, {"zz": 9})
    made = _made([(schema, "a", "b", "c")])
    assert made == []  # the previous table knew "ab": nothing else was looked up
    made = _made([(Schema({"xy": 7}, {"zz": 9}), "a", "b", "c")])
    assert made[0][0].prev_map == {"xy": 7, "ab": 7} and made[0][0].next_map["bc"] == 9


def test_asked_notes_each_missing_key_once_and_answers_as_a_dict() -> None:
    table = Asked({"a": 1})
    assert table.get("a") == 1 and table.get("b", 2) == 2 and "c" not in table
    assert table["a"] == 1 and table.get("b") is None
    assert table.missed == ["b", "c"]



class Catalog:
    _retired: ClassVar[dict] = {"name": {"Aariya": "aay", "Gascon": "gsc"},
                                "id": {"aay": "", "gsc": "oci"}}

    @classmethod
    def check(cls, **kwargs):
        return [cls._retired[k].get(v) for k, v in sorted(kwargs.items())]


def test_an_argument_a_class_table_lacked_is_given_as_keys_it_holds() -> None:
    """iso639-lang's deprecation lookup moved into a helper waited (wave 20): no test
    passed a deprecated name, so no input reached the lines that act on one."""
    def run(blob: bytes) -> tuple:
        args, kwargs = pickle.loads(blob)
        Catalog.check(**kwargs)
        return args, kwargs
    blobs = [pickle.dumps(([Catalog], {"name": "French"}), protocol=4)]
    made = [pickle.loads(b) for b in asked_inputs(
        Catalog.check, blobs, True, run, lambda v: pickle.dumps(v, protocol=4),
        pickle.loads, ("_retired", "get"))]
    assert [kwargs for _, kwargs in made] == [{"name": "Aariya"}, {"name": "Gascon"}]
    assert type(Catalog._retired) is dict and type(Catalog._retired["name"]) is dict


def test_no_call_is_run_once_the_stages_budget_is_spent() -> None:
    ran: list[bytes] = []

    def run(blob: bytes) -> tuple:
        ran.append(blob)
        return _run(blob)
    blobs = [pickle.dumps(([Schema({}, {}), "a", "b", "c"], {}), protocol=4)] * 3
    made = asked_inputs(Schema.letter, blobs, True, run, lambda v: pickle.dumps(v, protocol=4),
                        pickle.loads, (), lambda: len(ran) >= 1)
    assert len(ran) == 1 and made  # the first call's inputs, and no second run


class Model:
    def __init__(self, imported: dict):
        self.imported = imported


class Expr:
    def __init__(self, model: Model):
        self.model = model

    def value(self, names: dict) -> object:
        return {**self.model.imported, **names}


def test_a_table_is_given_the_keys_of_the_tables_its_call_reaches() -> None:
    """Merged in another order, two tables part only on a shared key (wave 22's evalidate):
    a call's argument table is given the keys its object's model holds, with its own first
    value; calls whose tables would gain nothing are passed over."""
    dump = lambda v: pickle.dumps(v, protocol=4)  # noqa: E731
    plain = dump(([Expr(Model({})), {"x": 1}], {}))
    shared = dump(([Expr(Model({"double": print})), {"x": 1}], {}))
    made = [pickle.loads(b) for b in crossed_inputs([plain, shared], True, dump, pickle.loads)]
    assert len(made) == 1
    (receiver, names), kwargs = made[0]
    assert names == {"x": 1, "double": 1} and kwargs == {}
    assert receiver.model.imported == {"double": print}  # what it reaches is left as it was


ESCAPES = {0xE9: "\\'e", 0xE8: "\\`e", 0x2061: "", 0xDF: "\\ss", 0xE0: "\\`a"}


def escape(text: str) -> str:
    out = ""
    for ch in text:
        lch = ESCAPES.get(ord(ch))
        out += ch if lch is None else ("{" + lch + "}" if lch[0:1] == "\\" else lch)
    return out


def test_a_texts_character_a_table_of_escapes_lacked_is_put_as_keys_it_holds() -> None:
    """pylatexenc's `lch[0:1]` made `lch[0]` landed (wave 25): its table of escapes, keyed
    by `ord`, maps U+2061 to '', and no test's text held that character. A character the
    table was asked for and lacked is put as its first keys, its last, and the keys whose
    escape is empty."""
    blobs = [pickle.dumps((["ab"], {}), protocol=4)]
    # run as the runner runs a call: its module's names rebound as at its first call,
    # which was a captured one; the recording table must stand through that
    rr._ran(escape, blobs[0], 5)
    made = [pickle.loads(b)[0][0] for b in asked_inputs(
        escape, blobs, False, lambda b: rr._ran(escape, b, 5),
        lambda v: pickle.dumps(v, protocol=4), pickle.loads, ("ESCAPES", "get", "ord"))]
    assert made == ["\u00e9b", "\u00e8b", "\u00e0b", "\u2061b"]
    assert escape("\u2061b") == "b"  # the empty escape: what lch[0] would raise on
    assert type(ESCAPES) is dict  # put back


class Lazy(Mapping):
    """A table made on first use (pylatexenc's LazyDict): a mapping, no dict."""

    def __init__(self, make):
        self._make, self._full = make, None

    def _table(self) -> dict:
        self._full = self._full if self._full is not None else self._make()
        return self._full

    def __getitem__(self, key):
        return self._table()[key]

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


LAZY = Lazy(lambda: dict(ESCAPES))


def escape_lazily(text: str) -> str:
    return "".join(ch if (lch := LAZY.get(ord(ch))) is None else lch[0:1] for ch in text)


def test_a_table_that_is_a_mapping_but_no_dict_records_too() -> None:
    blobs = [pickle.dumps((["ab"], {}), protocol=4)]
    rr._ran(escape_lazily, blobs[0], 5)
    made = [pickle.loads(b)[0][0] for b in asked_inputs(
        escape_lazily, blobs, False, lambda b: rr._ran(escape_lazily, b, 5),
        lambda v: pickle.dumps(v, protocol=4), pickle.loads, ("LAZY", "get", "ord"))]
    assert "\u2061b" in made and type(LAZY) is Lazy  # the table put back


def move_to_start(result: dict, key: object) -> None:
    result_copy = result.copy()
    result.clear()
    result[key] = result_copy.pop(key)
    result.update(result_copy)


def test_an_argument_another_arguments_table_was_asked_for_is_put_as_its_keys() -> None:
    """json-merge-patch's `move_to_start(result, key)`, called by no test, was lent two
    documents and raised on each before its second line (wave 26): its `key` is the very
    object looked up in a copy of `result`, unhashable as it was, so it is put as the keys
    `result` holds."""
    def run(blob: bytes) -> tuple:
        args, kwargs = pickle.loads(blob)
        with contextlib.suppress(KeyError, TypeError):
            move_to_start(*args, **kwargs)
        return args, kwargs
    source = {"title": "x", "author": {"name": "a"}, "tags": [], "content": "c"}
    blobs = [pickle.dumps(([], {"result": source, "key": {"title": "y"}}), protocol=4)]
    made = [pickle.loads(b)[1] for b in asked_inputs(
        move_to_start, blobs, False, run, lambda v: pickle.dumps(v, protocol=4), pickle.loads)]
    assert [m["key"] for m in made] == ["title", "author", "content", "tags"]
    assert all(m["result"] == source for m in made)


def test_a_copy_of_a_recording_table_records_into_it_and_pop_records() -> None:
    table = Asked({"a": 1})
    copied = table.copy()
    assert type(copied) is Asked and copied == {"a": 1} and copied is not table
    assert copied.pop("b", None) is None and copied.pop("a") == 1 and table == {"a": 1}
    assert table.missed == ["b"] and len(table.asked) == 2
