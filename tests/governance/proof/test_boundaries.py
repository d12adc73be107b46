"""Boundaries first (governance.proof.boundaries, governance.oracle.replay_inputs; issue 42,
item 1): which parameters reach which comparisons, the values at and beside each, and, in
the real jail, a moved boundary refused with a counterexample AT the boundary however many
calls the tests made far from it."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from governance.oracle.testrun import CoverageRequest, TestRunner
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.boundaries import CODECS, TRUTH, boundaries, module_tables
from governance.proof.differential_check import check_behaviour
from tests.helpers import commit_files, jail_limits
from tools.jail import JailExecutor, bwrap_available

WORD = ("TENOFF", "tenoff", "Tenoff", "TENOF", "TENOFF ", " TENOFF")


def _found(code: str, *more: str, tables: str = "") -> dict[str, tuple[object, ...]]:
    defs = [ast.parse(text).body[0] for text in (code, *more)]
    return dict(boundaries(defs, module_tables(tables)))


# (code, the parameter, the values it gets, first ones first)
CASES = {
    "a number, an int either side, a cent either side": (
        "def f(amount):\n    if amount >= 100:\n        return 1\n",
        "amount", (100, 99, 101, ("num", "99.99"), ("num", "100.01"))),
    "the constant on the left": (
        "def f(qty):\n    return 0 < qty\n", "qty", (0, -1, 1, ("num", "-0.01"),
                                                    ("num", "0.01"))),
    "a Decimal constant, a step either side": (
        "def f(total):\n    return total > Decimal('0.50')\n",
        "total", (("num", "0.5"), ("num", "0.49"), ("num", "0.51"))),
    "a word through a local and text methods": (
        "def f(coupon):\n    code = coupon.strip().upper()\n    if code == 'TENOFF':\n"
        "        return 10\n", "coupon", WORD),
    "two levels of locals, startswith": (
        "def f(url):\n    a = url.strip()\n    b = a.lower()\n    return b.startswith('http')\n",
        "url", ("http", "HTTP", "Http", "htt", "http ", " http")),
    "a length bound": (
        "def f(name):\n    if len(name) > 3:\n        return name\n",
        "name", (("len", 3), ("len", 2), ("len", 4))),
    "a length through a local": (
        "def f(items):\n    n = len(items)\n    return n <= 0\n",
        "items", (("len", 0), ("len", 1))),
    "a slice bound": (
        "def f(text):\n    return text[:5]\n", "text", (("len", 5), ("len", 4), ("len", 6))),
    "an attribute of self": (
        "def fire(self, event):\n    if self.state == 'done':\n        raise RuntimeError\n",
        "self", tuple(("attr", "state", w) for w in ("done", "DONE", "Done", "don", "done ",
                                                      " done"))),
    "an item": (
        "def f(row):\n    return row[0] == '#'\n", "row",
        (("item", 0, "#"), ("item", 0, ""), ("item", 0, "# "), ("item", 0, " #"))),
    "a word the parameter contains: the word, the text with it and without it": (
        "def f(email):\n    return '@' in email\n", "email",
        ("@", ("with", "@"), ("without", "@"), "", "@ ", " @")),
    "a key a dict holds or not": (
        "def f(groups):\n    return 'day' in groups\n", "groups",
        ("day", ("with", "day"), ("without", "day"), "DAY", "Day", "da", "day ", " day")),
    "a number inside the text, through a regular expression's groups": (
        "def f(text):\n    m = _TIME.match(text.strip())\n"
        "    hour, minute = int(m.group(1)), int(m.group(2) or 0)\n"
        "    if minute > 59:\n        raise ValueError\n",
        "text", (("digits", 59), ("digits", 58), ("digits", 60))),
    "range(n)": ("def f(n):\n    return [i for i in range(n)]\n", "n", (0, 1, -1, 2)),
    "a truth test: None, each kind's false value, a true text and number": (
        "def f(name):\n    if not name:\n        return None\n", "name", TRUTH),
    "is None, and == '' (a false name that is neither: 0)": (
        "def f(name):\n    if name is None or name == '':\n        return None\n", "name",
        (("value", None), "", ("value", 0), " ", ("value", ""), ("value", []),
         ("value", {}), ("value", "x"), ("value", 1))),
    "isinstance: a value of each other kind": (
        "def f(v):\n    return isinstance(v, dict)\n", "v", TRUTH),
    "isinstance of bool: both flags first (True is no 1)": (
        "def f(v):\n    if isinstance(v, bool):\n        return v\n", "v",
        (("value", True), ("value", False), *TRUTH)),
    "a truth test through .get on an item": (
        "def f(token):\n    label = token.get('label')\n    return 1 if label else 2\n",
        "token", tuple(("item", "label", v) for v in TRUTH)),
    "a truth test through a length: empty or not": (
        "def f(code):\n    if len(code.strip()):\n        return code\n", "code",
        (("len", 0), ("len", 1))),
    "a parameter false stands for a constant: the constant and its near misses": (
        "def f(xml, encoding=None):\n    if not encoding:\n        encoding = 'utf-8'\n",
        "encoding", ("utf-8", *TRUTH[:1], "UTF-8", *TRUTH[1:2], "Utf-8", *TRUTH[2:3], "utf-",
                     *TRUTH[3:4], "utf-8 ", *TRUTH[4:5], " utf-8", *TRUTH[5:])),
    "what the method set on its receiver from a parameter, through a conversion helper": (
        "def __init__(self, boundary, strict=False):\n    self.boundary = to_bytes(boundary)\n"
        "    if strict and len(self.boundary) > 1024:\n        raise ValueError\n",
        "boundary", (("len", 1024), ("len", 1023), ("len", 1025))),
    "a codec's name: other codecs": (
        "def f(data, enc):\n    return data.decode(enc)\n", "enc", CODECS),
    "a dict's key, looped over through a list's elements and its items": (
        "def f(value):\n    for i, v in enumerate(value):\n        for k, x in v.items():\n"
        "            if k:\n                return x\n", "value",
        tuple(("each", ("key", t)) for t in TRUTH)),
    "a prefix the caller gives: None and each kind's false value": (
        "def f(ns, prefix):\n    return ns.startswith(prefix)\n", "prefix", TRUTH),
    "an optional callback the code holds, and one it is given: a recorder": (
        "def f(self, key, cb):\n    if self.post is not None:\n        key = self.post(key)\n"
        "    self.push(key)\n    return cb(key)\n", "self",
        (("attr", "post", ("value", None)), ("attr", "post", ("call", 0)),
         *(("attr", "post", v) for v in TRUTH[1:]))),
    "a value handed to a helper beside its bounds: the bounds (utm's easting, wave 11)": (
        "def f(easting):\n    if not in_bounds(easting, 100000, 1000000, upper_strict=True):"
        "\n        raise ValueError\n", "easting",
        (100000, 1000000, 99999, 999999, 100001, 1000001, ("num", "99999.99"),
         ("num", "999999.99"), ("num", "100000.01"), ("num", "1000000.01"))),
    "a keyword-only parameter": (
        "def f(*, limit=3):\n    return limit != 7\n", "limit",
        (7, 6, 8, ("num", "6.99"), ("num", "7.01"))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_values_at_and_beside_each_comparison(name: str) -> None:
    code, param, values = CASES[name]
    assert _found(code)[param] == values


def test_a_moved_bound_gets_the_number_halfway_first_and_constant_sums_are_bounds() -> None:
    # hsluv's white bound `l > 100-1e-7` made `l >= 100` (wave 17): the trees part only
    # between the two bounds, nearer than any step beside either
    base = "def f(hsl):\n    l = float(hsl[2])\n    return l > 100 - 1e-7\n"
    found = _found(base.replace("100 - 1e-7", "100"), base)["hsl"]
    assert found[0] == ("item", 2, ("num", "99.99999995"))
    assert ("item", 2, ("num", "99.9999999")) in found and ("item", 2, 100) in found
    assert ("item", 2, ("num", "99.99999995")) not in _found(base, base)["hsl"]


def test_a_dicts_values_and_keys_looped_over_by_name() -> None:
    code = "def f(d):\n    for v in d.values():\n        if v == 'x':\n            return 1\n" \
           "    for k in d.keys():\n        if k:\n            return 2\n"
    assert _found(code)["d"][:4] == (("each", "x"), ("key", ("value", None)), ("each", "X"),
                                     ("key", ("value", 0)))


def test_a_callback_given_as_a_parameter_is_a_recorder() -> None:
    assert _found("def f(xs, cb):\n    return [cb(x) for x in xs]\n")["cb"] == (("call", 0),)


def test_a_module_table_read_by_name_gives_each_word_before_any_variant() -> None:
    code = "def f(tier):\n    if tier not in TIERS:\n        raise KeyError(tier)\n"
    found = _found(code, tables="TIERS = ('retail', 'trade')\nBULK = 50\n")
    assert found["tier"][:4] == ("retail", "trade", "RETAIL", "TRADE")
    assert _found("def f(q):\n    return q >= BULK\n", tables="BULK = 50\n")["q"][:3] == (
        50, 49, 51)


def test_base_and_candidate_both_count_comparisons_first_then_neighbours() -> None:
    """`>=` became `>`: one boundary; the candidate's new comparison is read too. Across
    comparisons the constants come before their neighbours, in source order."""
    base = "def f(qty, tier):\n    if qty >= 50 and tier == 'retail':\n        return 1\n"
    cand = "def f(qty, tier):\n    if qty <= 0:\n        return 0\n" \
           "    if qty > 50 and tier == 'retail':\n        return 1\n"
    found = _found(cand, base)
    assert list(found) == ["qty", "tier"]
    assert found["qty"][:6] == (0, 50, -1, 49, 1, 51)
    assert found["tier"][0] == "retail"


@pytest.mark.parametrize("code", [
    # no constant, two parameters reached two ways (`p < q` is matched, each tried at the
    # other's value: tests/governance/oracle/test_replay_matched.py)
    "def f(p, q):\n    return len(p) < q\n",
    "def f(p):\n    x = p * 2\n    return x > 10\n",  # arithmetic: not followed
    "def f(p):\n    return p == True\n",
    "def f(p):\n    x = p * 2\n    return x or 1\n",
])
def test_what_is_not_a_boundary(code: str) -> None:
    assert _found(code) == {}


def test_boundaries_are_json_and_bounded() -> None:
    words = ", ".join(f"'w{i}'" for i in range(40))
    code = f"def f(a, b):\n    return a in ({words}) or b > 1.5 or len(a.x) > 2\n"
    found = _found(code)
    assert json.loads(json.dumps(list(found.items()))) == json.loads(json.dumps(
        [[p, list(v)] for p, v in found.items()]))
    assert all(len(v) <= 24 for v in found.values())
    assert found["b"][:3] == (("num", "1.5"), ("num", "1.49"), ("num", "1.51"))
    assert ("attr", "x", ("len", 2)) in found["a"]


def test_touched_functions_fills_the_targets_boundaries() -> None:
    old = "def price(amount, tier):\n    if amount >= 100 and tier == 'gold':\n" \
          "        return amount * 0.9\n    return amount\n"
    [target], problems = touched_functions(old, old.replace(">=", ">"), "shop/p.py")
    assert problems == [] and [p for p, _ in target.boundaries] == ["amount", "tier"]
    assert target.boundaries[0][1][0] == 100 and target.boundaries[1][1][0] == "gold"


# -- in the real jail ------------------------------------------------------------------------

PRICE = '''from decimal import Decimal


def price(amount, tier):
    """The price of an order: gold orders of 100 or more get 10% off."""
    if amount >= 100 and tier == "gold":
        return amount * Decimal("0.9")
    return amount
'''
# The changed line runs; no call is near 100, none is gold: the moved boundary is invisible
# to them, and to inputs spread over them (none of 1,500 generated from 100 calls is
# (100, 'gold') without the boundaries).
TESTS = '''from decimal import Decimal

from shop.prices import price

TIERS = ("silver", "bronze", "tin")


def test_prices():
    for i in range({n}):
        amount = Decimal(f"{i % 40 + 1}.25") if i % 2 else Decimal(f"{300 + i}.75")
        assert price(amount, TIERS[i % 3]) > 0
'''


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize("calls", [3, 100])
async def test_a_moved_boundary_is_refused_at_the_boundary(tmp_path: Path, calls: int):
    new = PRICE.replace("amount >= 100", "amount > 100")
    tests = TESTS.replace("{n}", str(calls))
    base = commit_files(tmp_path / "base", {"shop/__init__.py": "", "shop/prices.py": PRICE,
                                            "tests/test_prices.py": tests})
    cand = commit_files(tmp_path / "cand", {"shop/__init__.py": "", "shop/prices.py": new,
                                            "tests/test_prices.py": tests})
    runner = TestRunner(["{python}", "-m", "pytest"], 60, JailExecutor(
        [Path.home(), base, cand, tmp_path / "state"], jail_limits(),
        [Path(sys.prefix), Path(sys.base_prefix)]))
    scratch = tmp_path / "state" / "oracle"
    ran = await runner.run(cand, [], scratch=scratch,
                           coverage=CoverageRequest(frozenset({"shop/prices.py"})))
    targets, _ = touched_functions(PRICE, new, "shop/prices.py")
    report = await check_behaviour(runner, base, cand, targets,
                                   covering_tests(targets, ran.report.coverage), scratch)
    [check] = report.checks
    assert check.captured == calls and check.counterexamples, report.payload()
    assert check.counterexamples[0].input == "Decimal('100'), 'gold'", report.payload()


def test_a_code_point_compared_is_the_character_in_the_text():
    """json5 writes `o = ord(ch)` for each character and escapes where `o < 128` fails: the
    boundary is U+0080 in the text (`<` made `<=` waited for review, 'no input tried
    did'), not 128 as a number nothing passes."""
    from governance.oracle.replay_bounds import applied

    fn = ast.parse('def quoted(s):\n    out = ""\n    for ch in s:\n        o = ord(ch)\n'
                   '        out += ch if o < 128 else "\\\\u%04x" % o\n    return out\n').body[0]
    (name, values), = boundaries([fn])
    texts = [applied(v, "abc") for v in values]
    assert name == "s" and {"\x7fbc", "\x80bc", "\x81bc"} <= set(texts)
    assert not any(isinstance(v, int) for v in values)  # 128 itself is no text
    json.dumps(values)  # the job carries them to the jail


def test_a_word_looked_for_in_a_piece_of_a_text_is_tried_in_the_text():
    """uritools looks for ':' in a path's first segment (`path.partition('/')[0]`): the
    piece is near enough to the text, so ':' is added to and taken out of the path (the
    check widened to the whole path landed while the flow stopped at partition())."""
    from governance.oracle.replay_bounds import applied

    fn = ast.parse('def compose(path):\n    if ":" in path.partition("/")[0]:\n'
                   '        return "./" + path\n    return path\n').body[0]
    (name, values), = boundaries([fn])
    assert name == "path" and "a/b:" in [applied(v, "a/b") for v in values]


def test_a_bytes_word_is_tried_in_a_bytes_text():
    """uritools composes in bytes (`b":" in path.partition(b"/")[0]`): a bytes word was no
    boundary at all, so the check widened to the whole path landed. The word travels as
    its latin-1 text (the job is JSON) and is written back as bytes into a bytes value."""
    from governance.oracle.replay_bounds import applied

    fn = ast.parse('def compose(path):\n    if b":" in path.partition(b"/")[0]:\n'
                   '        return b"./" + path\n    return path\n').body[0]
    (name, values), = boundaries([fn])
    json.dumps(values)
    assert name == "path" and b"a/b:" in [applied(v, b"a/b") for v in values]
    assert "a/b:" in [applied(v, "a/b") for v in values]  # a text where a text was passed


OCTETS = '''class Octets:
    def __init__(self, value):
        self._value = value

    def numbers(self):
        """Its bytes as numbers."""
        return tuple(self._value)

    def busy(self):
        self.calls = 1
        return tuple(self._value)

    def pretty(self):
        for x in self.numbers():
            if x > 126:
                return "0x" + self._value.hex()
        return self._value.decode()

    def loud(self):
        for x in self.busy():
            if x > 126:
                return "0x"
        return ""
'''


def test_a_method_that_returns_what_its_object_holds_is_followed():
    """pyasn1 reads its bytes through `self.asNumbers()`, which returns
    `tuple(self._value)`: the flow stopped at the call, no byte at 127 was tried, and its
    printable check moved to 127 waited for review. A method of the same class that only
    returns an expression of its own object is followed, one step; one that does more is
    not, and neither is a method of another object."""
    from governance.oracle.replay_bounds import applied

    old = OCTETS
    new = old.replace("x > 126:\n                return \"0x\" + ", "x > 127:\n"
                      "                return \"0x\" + ")
    [target], _ = touched_functions(old, new, "octets.py")
    (name, values), = target.boundaries
    assert target.qualname == "Octets.pretty" and name == "self"
    assert ("attr", "_value", ("item", 0, 127)) in values
    octets = type("Octets", (), {})()
    octets._value = b"abc"
    built = {getattr(applied(v, octets), "_value", None) for v in values}
    assert {b"\x7fbc", b"~bc", b"\x80bc"} <= built
    assert octets._value == b"abc"  # a copy was moved, never the captured object
    [busy], _ = touched_functions(old, old.replace("x > 126:\n                return \"0x\"\n",
                                                   "x >= 127:\n                return \"0x\"\n"),
                                  "octets.py")
    assert busy.qualname == "Octets.loud" and busy.boundaries == ()
    other = "def pretty(self, o):\n    for x in o.numbers():\n        if x > 126:\n" \
            "            return 1\n"
    assert boundaries([ast.parse(other).body[0]], {}, [{"numbers": ast.parse(
        OCTETS).body[0].body[1]}]) == ()
