"""Variants of the captured texts that careless refactors on held-out code needed before any
input told them (wave 12): each refactor below answers as its base on every call its tests
make, and the generated inputs now hold the one that tells it, so the check refuses it with
a counterexample (governance.oracle.replay_values, replay_text): the function's words
re-cased (marko's case-blind harmful-link pattern made `startswith`), and blanks that
`str.isspace()` takes and a written set does not (boolean.py's tokenizer)."""

from __future__ import annotations

import types
from pathlib import Path

from governance.oracle.differential import Target, compare
from governance.oracle.replay_text import blanked, line_ends, recased, unlisted
from tests.governance.oracle.replayed import replayed

CASE_BLIND = '''import re

HARMFUL = re.compile(r"^(javascript|vbscript):", re.I)


def escape(url):
    text = url.strip()
    if HARMFUL.match(text):
        return "#harmful"
    return text
'''
CASE_SENSITIVE = CASE_BLIND.replace("HARMFUL.match(text)",
                                    'text.startswith(("javascript:", "vbscript:"))')
SPLIT_SET = '''def words(text):
    text, out, word = str(text), [], ""
    for ch in text:
        if ch in " \\t\\n\\r":
            out.append(word)
            word = ""
        else:
            word += ch
    return out + [word]
'''
SPLIT_ISSPACE = SPLIT_SET.replace('if ch in " \\t\\n\\r":', "if ch.isspace():")


def _check(where: Path, base: str, cand: str, qualname: str, arguments: list[tuple],
           constants: tuple = ()):
    target = Target("pkg/m.py", qualname, frozenset(range(1, 20)), constants)
    answers = [replayed(where / side, text, qualname, arguments, 300, constants)
               for side, text in (("base", base), ("cand", cand))]
    return compare(target, len(arguments), *answers)


def test_a_case_blind_match_made_case_sensitive_is_refused_at_a_recased_word(
        tmp_path: Path) -> None:
    """The tests write no harmful link; the function's words do ('javascript:'), and
    written in capitals the base calls it harmful and the candidate does not."""
    check = _check(tmp_path, CASE_BLIND, CASE_SENSITIVE, "escape",
                   [("http://example.org/a b",)],
                   ("^(javascript|vbscript):", "#harmful", "javascript:", "vbscript:"))
    assert check.counterexamples
    assert any("JAVASCRIPT:" in c.line() or "Javascript:" in c.line()
               for c in check.counterexamples)


def test_a_written_set_of_blanks_widened_to_isspace_is_refused_at_a_form_feed(
        tmp_path: Path) -> None:
    check = _check(tmp_path, SPLIT_SET, SPLIT_ISSPACE, "words", [("a b",)])
    assert any("\\x0c" in c.line() or "\\xa0" in c.line() for c in check.counterexamples)


def test_a_listed_set_of_blanks_is_told_early_among_many_captured_texts(
        tmp_path: Path) -> None:
    """Forty texts captured: a text's later neighbours (a form feed written for its first
    space among them) are past what 300 inputs reach; the blanks the code leaves out of
    its list come right after the function's words."""
    texts = [(f"w{i} x{i}",) for i in range(40)]
    check = _check(tmp_path, SPLIT_SET, SPLIT_ISSPACE, "words", texts, (" \t\n\r", ""))
    assert any("\\x0c" in c.line() or "\\xa0" in c.line() for c in check.counterexamples)


PREFIX_SPLIT = '''import re


def start_line(prefix, line):
    return line - len(re.split("\\r\\n|\\r|\\n", prefix)) + 1
'''
PREFIX_COUNTED = PREFIX_SPLIT.replace('len(re.split("\\r\\n|\\r|\\n", prefix))',
                                      '(prefix.count("\\n") + 1)')


def test_a_line_count_of_newlines_alone_is_refused_at_carriage_returns(
        tmp_path: Path) -> None:
    """parso's prefix lines counted by `'\\n'` where its base split every line break
    landed (wave 28): the tests' prefixes held `\\n` alone. A text's line breaks are
    also written as `\\r\\n` and as `\\r`, early among its neighbours."""
    assert PREFIX_COUNTED != PREFIX_SPLIT
    check = _check(tmp_path, PREFIX_SPLIT, PREFIX_COUNTED, "start_line",
                   [(f"  # c{i}\n\n", 9) for i in range(30)])
    assert any("\\r" in c.line() for c in check.counterexamples), check


def test_a_line_count_of_newlines_alone_is_refused_where_no_captured_text_broke_a_line(
        tmp_path: Path) -> None:
    """Still parso's (wave 28): the receivers its kin lent held prefixes with no line
    break at all, so none was written the other way. A text's line break appended is
    also a lone `\\r`, which `split_lines` reads as one and `count("\\n")` does not."""
    check = _check(tmp_path, PREFIX_SPLIT, PREFIX_COUNTED, "start_line",
                   [(f"  # c{i}", 9) for i in range(30)] + [("", 1)])
    assert any("\\r" in c.line() for c in check.counterexamples), check


ANCHORED = '''import re


def allowed(doc, chars=".-/ "):
    pattern = rf"^[\\d{re.escape(chars)}]*$"
    return bool(re.match(pattern, doc))
'''
FULL = ANCHORED.replace("re.match(pattern, doc)", "re.fullmatch(pattern, doc)")


def test_a_match_anchored_by_a_dollar_made_fullmatch_is_refused_at_a_final_line_break(
        tmp_path: Path) -> None:
    """validate-docbr's `re.match(r'^[...]*$', doc)` made `re.fullmatch` waited (wave 28):
    `$` also matches before a final `\\n`, and among forty captured documents the text
    with one appended came past the budget. A text is tried with it first where the
    function's code holds a pattern ending in `$`."""
    docs = [(f"{i:03d}.{i * 7:03d}-{i % 10}",) for i in range(20)] \
        + [(f"{i * 7919:011d}",) for i in range(20)]  # digits alone: numbers' neighbours
    from governance.proof.behaviour import touched_functions
    [target], _ = touched_functions(ANCHORED, FULL, "pkg/m.py")
    assert "]*$" in target.constants  # the f-string's last part (behaviour.pattern_ends)
    check = _check(tmp_path, ANCHORED, FULL, "allowed", docs, target.constants)
    assert any("\\n" in c.line() for c in check.counterexamples), check


def test_the_variants_themselves() -> None:
    assert line_ends("a\nb\r\n") == ["a\nb\n", "a\r\nb\r\n", "a\rb\r", "a\u2028b\u2028"]
    assert line_ends("a\rb") == ["a\nb", "a\r\nb", "a\u2028b"] and line_ends("ab") == []
    assert recased(["^(x|y)", "#top", "javascript:"]) == [
        "JAVASCRIPT:", "Javascript:", "#TOP", "#Top"]  # a word first, a pattern never
    assert "a\x0cb" in blanked("a b") and "a\xa0b" in blanked("a b")
    assert unlisted("a b", [" ", "\t"]) == ["a\x0cb", "a\xa0b"] and unlisted("a b", []) == []


# Wave 13's two landings, as small functions of the same shape.
ROUND_TRIP = '''def length(line):
    name, _, value = line.decode("latin-1").partition(":")
    value = value.strip()
    try:
        n = int(value)
        if n < 0 or str(n) != value:
            raise ValueError(value)
    except ValueError:
        raise ValueError("not an unsigned decimal") from None
    return n
'''
DIGITS_ONLY = ROUND_TRIP.replace('''        n = int(value)
        if n < 0 or str(n) != value:
            raise ValueError(value)
''', '''        if not (value.isascii() and value.isdigit()):
            raise ValueError(value)
        n = int(value)
''')
CHECKED = '''WORDS = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"]


def decode(words):
    idx = [WORDS.index(w) for w in words]
    *body, check = idx
    total = sum(body) % 8
    for i in range(3):
        if (total >> i) & 1 != (check >> i) & 1:
            raise ValueError("bad checksum")
    return body
'''
ONE_BIT_SHORT = CHECKED.replace("for i in range(3):", "for i in range(2):")


UNARY = '''import ast
import operator

OPS = {ast.USub: operator.neg}
UNITS = {"kg": 2.0, "m": 3.0}


def evaluate(text):
    def walk(node):
        if isinstance(node, ast.UnaryOp):
            return OPS[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Name):
            return UNITS[node.id]
        return node.value
    return walk(ast.parse(text, mode="eval").body)
'''
EVERY_UNARY_MINUS = UNARY.replace("OPS[type(node.op)](walk(node.operand))",
                                  "-walk(node.operand)")


def test_an_expressions_unary_plus_is_tried(tmp_path: Path) -> None:
    """numericalunits' `nu_eval` (wave 35) with every unary operator taken as minus: its
    tests wrote no `+`, and a text is now tried with a sign before it, each way."""
    check = _check(tmp_path, UNARY, EVERY_UNARY_MINUS, "evaluate", [("kg",)])
    assert any("+kg" in c.line() for c in check.counterexamples), check


def test_a_number_in_a_header_line_is_tried_with_a_leading_zero(tmp_path: Path) -> None:
    """A header line as bytes: the number in its text moved is past the neighbours' cut
    when the binary moves (a length prefix, an integer's edges) come first, and no move
    wrote it with a leading zero, which a digits-only check lets through."""
    check = _check(tmp_path, ROUND_TRIP, DIGITS_ONLY, "length", [(b"Content-Length: 4",)])
    assert any("04" in c.line() for c in check.counterexamples)


def test_a_check_item_at_the_end_is_replaced_by_another_of_the_sequences_own(
        tmp_path: Path) -> None:
    """No variant of a word is another word, and only the first four items were varied:
    the word list with its last (check) word replaced by one of its other words tells a
    checksum compared one bit short."""
    seed = (["bee", "cat", "gnu", "fox", "hen", "ant", "fox"],)
    check = _check(tmp_path, CHECKED, ONE_BIT_SHORT, "decode", [seed])
    assert check.counterexamples


def test_bytes_are_widened_as_their_text() -> None:
    """The search varies bytes as it varies text (it left them as captured)."""
    from hypothesis import find

    from governance.oracle.replay_widen import widened
    found = find(widened(b"Content-Length: 4", ()),
                 lambda b: isinstance(b, bytes) and b.startswith(b"Content-Length: 0"))
    assert found.startswith(b"Content-Length: 0")
    assert find(widened(bytearray(b"a b"), ()), lambda b: b == bytearray(b"")) == bytearray()


class _Sum:
    def __init__(self, total: float) -> None:
        self.total, self.parts, self.label = total, [1.5, 2], None


def test_an_objects_attribute_keeps_its_kind_when_varied() -> None:
    """geographiclib's `Accumulator` with a text `_s`, which its constructor never makes,
    refused a correct `Negate` (wave 15): a varied attribute is of its kind, or None."""
    from hypothesis import find, settings
    from hypothesis.errors import NoSuchExample

    from governance.oracle.replay_widen import kindred, widened
    seed = _Sum(2.5)
    moved = find(widened(seed, (), keep=False),
                 lambda o: isinstance(o, _Sum) and o.total not in (2.5, None))
    assert isinstance(moved.total, (int, float))
    for kind in (str, bytes, list):
        try:
            find(widened(seed, (), keep=False),
                 lambda o, kind=kind: isinstance(getattr(o, "total", None), kind),
                 settings=settings(max_examples=300, database=None))
        except NoSuchExample:
            continue
        raise AssertionError(f"a {kind.__name__} total was made")
    assert find(widened(seed, (), keep=False),
                lambda o: isinstance(o, _Sum) and o.total is None).total is None
    assert kindred(None, "x") and kindred([1.5], [2, 3.0]) and not kindred([1.5], ["1.5"])
    assert kindred({"a": 1}, {"b": 2}) and not kindred({"a": 1}, {"a": b"1"})
    assert not kindred(1.5, True) and not kindred((1,), [1])


DUCK = '''def label(codec):
    if hasattr(codec, "name"):
        return codec.name
    return str(codec).lower()
'''
NARROWED = DUCK.replace('hasattr(codec, "name")', "isinstance(codec, types.SimpleNamespace)")


def test_an_object_is_tried_as_a_look_alike_of_another_class(tmp_path: Path) -> None:
    """Duck typing narrowed to an isinstance test (webencodings' `_get_encoding`, wave 15)
    is told by an object that reads as the captured one and is not of its class."""
    check = _check(tmp_path, DUCK, "import types\n\n\n" + NARROWED, "label",
                   [(types.SimpleNamespace(name="utf-8"),)])
    assert any("LookAlike" in c.line() for c in check.counterexamples), check


CONVERT = '''def convert(value):
    if isinstance(value, dict):
        return {key.upper(): convert(item) for key, item in value.items()}
    return value
'''
EXACT_TYPE = CONVERT.replace("isinstance(value, dict)", "type(value) is dict")


def test_a_dict_is_tried_as_an_ordered_dict(tmp_path: Path) -> None:
    """The tests hand plain dicts alone: the same pairs in an OrderedDict, a dict subclass,
    tell an exact type test written for `isinstance`."""
    check = _check(tmp_path, CONVERT, EXACT_TYPE, "convert", [({"a": {"b": 1}},)])
    assert any("OrderedDict" in c.line() for c in check.counterexamples)


SNAKE = '''def snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
'''
ONE_REMOVED = SNAKE.replace('.lstrip("_")', '.removeprefix("_")')


def test_a_mark_the_code_strips_is_tried_twice_before_the_text(tmp_path: Path) -> None:
    """The tests' names start with a letter: written after two of the code's underscores,
    stripping every one and removing one part ways."""
    check = _check(tmp_path, SNAKE, ONE_REMOVED, "snake", [("camelCase",)], ("_", ""))
    assert any("__camelCase" in c.line() for c in check.counterexamples)


READABLE = '''class Box(dict):
    def items(self):
        if getattr(self, "seen", False) and self.get("hide"):
            raise TypeError("unreadable")
        return super().items()


def mark(items):
    box = Box(a=1)
    box.seen = True
    items.append(box)
    return len(items)
'''
HIDING = READABLE.replace('self.get("hide")', 'True')


def test_arguments_a_tree_makes_unreadable_on_its_own_are_a_difference(tmp_path: Path) -> None:
    """A hostile candidate whose arguments raise when read back after its call (where the
    base's read) cannot hide what the call did to them: the answers differ."""
    check = _check(tmp_path, READABLE, HIDING, "mark", [([1],)])
    assert check.counterexamples


DECODE = '''def decode(data, errors="replace"):
    return data.decode("utf-8", errors)
'''
STRICT = DECODE.replace('errors="replace"', 'errors="strict"')


def test_bytes_are_tried_with_a_byte_no_utf8_decoder_reads(tmp_path: Path) -> None:
    """A decoder's errors default made strict (webencodings' `decode`, wave 15) is told
    only by bytes that do not decode: every captured text was clean."""
    check = _check(tmp_path, DECODE, STRICT, "decode", [(b"abc",), (b"caf\xc3\xa9",)])
    assert any("\\xff" in c.line() for c in check.counterexamples), check


def _decode(s: bytes, spec: dict) -> dict:  # the signature the inputs are made for
    return {}


def test_a_parameters_other_kinds_come_once_before_every_calls_nearer_values() -> None:
    """pyiso8583's `decode` accepting a memoryview landed, and only sometimes (wave 19):
    its hundred captured calls' nearer values took the budget before any call's bytes
    became a view. A parameter's values of other kinds are made once, early."""
    import pickle

    from governance.oracle import replay_runner as rr
    calls = [pickle.dumps(([bytes([48 + i % 10]) * 20, {"t": i}], {}), protocol=4)
             for i in range(100)]
    made = [pickle.loads(b)[0] for b in rr.generated(calls, [], 12, fn=_decode)]
    kinds = [type(args[0]) for args in made if args]
    assert memoryview in kinds and bytearray in kinds
    assert sum(k is memoryview for k in kinds) == 1  # once, not on every call


def test_a_sequence_comes_as_its_plain_base_and_as_a_set_and_a_timedelta_past_half_a_day(
        ) -> None:
    """iso639-lang's `__eq__` widened to any tuple and its tag containers without `set`
    landed (wave 20): a named tuple is also given as a bare tuple, a list of texts as a set;
    whole days by `.days` and by rounding part ways past half a day."""
    import collections
    import datetime

    from governance.oracle.replay_dates import near_timedelta
    from governance.oracle.replay_values import Context, near
    pair = collections.namedtuple("Pair", "a b")("x", "y")
    assert ("x", "y") in [v for v in near(pair, Context([])) if type(v) is tuple]
    assert {"pt1", "pt3"} in near(["pt1", "pt3"], Context([]))
    day = datetime.timedelta(days=1)
    assert day + datetime.timedelta(hours=13) in near_timedelta(day, Context([]))


def test_a_datetimes_hour_is_moved_either_side_early_and_a_dates_is_not() -> None:
    """cnlunar's two-hour period computed as `hour // 2` for `(hour + 1) // 2` waited, every
    test's time noon (wave 27): 13:00 and 11:00 are among a datetime's first neighbours."""
    import datetime

    from governance.oracle.replay_values import Context, near
    noon = datetime.datetime(2024, 1, 1, 12, 0)
    first = near(noon, Context([]))[:6]
    assert noon.replace(hour=13) in first and noon.replace(hour=11) in first
    assert [v for v in near(noon.date(), Context([])) if type(v) is not datetime.date] == [
        noon]  # one datetime, the date's own day at noon (below)


def test_a_dates_day_comes_as_a_datetime_third() -> None:
    """The date's subclass, which a caller may pass where `isinstance(x, date)` lets it in:
    epiweeks' week membership made a comparison of its bounds landed (wave 32)."""
    import datetime

    from governance.oracle.replay_values import Context, near
    day = datetime.date(2015, 1, 5)
    assert near(day, Context([]))[2] == datetime.datetime(2015, 1, 5, 12)


MEMBERSHIP = '''import datetime


def contains(start, other):
    if not isinstance(other, datetime.date):
        raise TypeError("a date")
    return other in [start + datetime.timedelta(days=n) for n in range(7)]
'''
BOUNDS = MEMBERSHIP.replace(
    "return other in [start + datetime.timedelta(days=n) for n in range(7)]",
    "return start <= other <= start + datetime.timedelta(days=6)")


def test_a_days_membership_made_a_comparison_of_bounds_is_refused_at_a_datetime(
        tmp_path: Path) -> None:
    import datetime
    start = datetime.date(2015, 1, 4)
    check = _check(tmp_path, MEMBERSHIP, BOUNDS, "contains",
                   [(start, datetime.date(2015, 1, 5)), (start, datetime.date(2015, 2, 1))])
    assert any("datetime.datetime(" in c.line() for c in check.counterexamples)


class _Node:
    """An object hashed by its identity, as a plain class's are."""


def test_a_set_is_made_only_of_items_hashed_by_value() -> None:
    """A set of objects hashed by identity iterates in an order of their addresses, which
    differ between the two trees: asciitree's render given a set of its nodes read as a
    changed control (wave 24). A set of values hashed by what they are is kept."""
    from governance.oracle import replay_values as vals

    def sets(value):
        return [v for v in vals.near(value, vals.Context(())) if isinstance(v, set)]
    assert sets([_Node(), _Node()]) == []
    assert {1, 2} in sets([1, 2]) and {"a", "b"} in sets(["a", "b"])


WRITE_REPLACED = '''def write(items):
    out = []
    for key, value in items:
        value = value.replace("\\r\\n", "\\n").replace("\\r", "\\n").replace("\\n", "\\n\\t")
        out.append(key + " = " + value)
    return "\\n".join(out)
'''
WRITE_SPLITLINES = WRITE_REPLACED.replace(
    'value = value.replace("\\r\\n", "\\n").replace("\\r", "\\n").replace("\\n", "\\n\\t")',
    'value = "\\n\\t".join(value.splitlines())')


def test_lines_split_by_splitlines_are_refused_in_a_dict_view_passed(tmp_path: Path) -> None:
    """configparser's writer took a section's `.items()` and its values' lines joined by
    `splitlines()` where their breaks were replaced (wave 31, careless) landed: pickle
    refuses a dict view, so no call's view was varied, and no text held a break that
    `splitlines()` alone takes. A view now travels as its kind of view of a dict, is
    varied as that dict, and a text's line breaks are also written as U+2028."""
    assert WRITE_SPLITLINES != WRITE_REPLACED
    sections = [{"key1": "a\nb", "key2": "c"}, {"foo": "long\nline", "bar": "x"}]
    check = _check(tmp_path, WRITE_REPLACED, WRITE_SPLITLINES, "write",
                   [(s.items(),) for s in sections])
    assert check.counterexamples, check
    assert "dict_items" in check.counterexamples[0].line()


CYCLE = '''def cycle(groups):
    hour, minute = int(groups["hour"]), int(groups["min"])
    if hour > 23:
        raise ValueError("hour")
    if minute < 45:
        return hour
    return hour + 1
'''
WRAPPED = CYCLE.replace('''    if minute < 45:
        return hour
    return hour + 1
''', '''    return (hour + (minute >= 45)) % 24
''')


def test_a_dicts_number_written_out_reaches_the_codes_numbers(tmp_path: Path) -> None:
    """A regex match's groups as a dict: its values' own six neighbours never reach the
    code's 24 less one, and metar's cycle wrapped by `% 24` landed (wave 32)."""
    from governance.oracle.replay_mappings import near_dict
    from governance.oracle.replay_values import Context, near
    groups = {"day": "11", "hour": "12", "min": "50"}
    hours = [d.get("hour") for d in near_dict(groups, Context([45, 24]), near)]
    assert "23" in hours and "44" in hours
    check = _check(tmp_path, CYCLE, WRAPPED, "cycle",
                   [({"day": "11", "hour": "12", "min": "50"},),
                    ({"day": "11", "hour": "08", "min": "10"},)], (23, 45, 24))
    assert any("'hour': '23'" in c.line() for c in check.counterexamples)
