"""A function whose statements moved, unchanged, into a new helper is the same code
(governance.proof.extracted); every way such a move could change what the function does is
not shown, and is left to the differential check."""

import textwrap

import pytest

from governance.proof.behaviour import touched_functions
from governance.proof.extracted import extracted
from governance.proof.same_code import same_code

BASE = '''
def parse(s, length):
    """Trim."""
    red, green, blue = s[0], s[1], s[2]
    if length > 8:
        red, green, blue = red[length - 8:], green[length - 8:], blue[length - 8:]
        length = 8
    while length > 2 and red[0] == "0":
        red, green, blue = red[1:], green[1:], blue[1:]
        length -= 1
    return red, green, blue
'''

HELPER = '''
def _trim(red, green, blue, length):
    """Steps 13 and 14."""
    if length > 8:
        red, green, blue = red[length - 8:], green[length - 8:], blue[length - 8:]
        length = 8
    while length > 2 and red[0] == "0":
        red, green, blue = red[1:], green[1:], blue[1:]
        length -= 1
    return red, green, blue


def parse(s, length):
    """Trim."""
    red, green, blue = s[0], s[1], s[2]
    red, green, blue = _trim(red, green, blue, length)
    return red, green, blue
'''


def shown(base: str, cand: str) -> list[tuple[str, str]]:
    return [(e.function, e.helper) for e in extracted(textwrap.dedent(base),
                                                      textwrap.dedent(cand))]


def test_statements_moved_into_a_helper_returning_what_the_caller_reads_are_shown():
    found = extracted(BASE, HELPER)
    assert [(e.function, e.helper) for e in found] == [("parse", "_trim")]
    assert found[0].base_lines == range(2, 12)
    assert found[0].candidate_lines == (range(13, 18), range(2, 11))


def test_no_return_form_and_tail_form_and_renamed_parameters_are_shown():
    base = '''
    def check(value, low):
        if value < low:
            raise ValueError(value)
        print(value)
        return value * 2
    '''
    cand = '''
    def _guard(v, lo):
        if v < lo:
            raise ValueError(v)
        print(v)


    def check(value, low):
        _guard(value, lo=low)
        return value * 2
    '''
    assert shown(base, cand) == [("check", "_guard")]
    tail = '''
    def _rest(n):
        if n > 3:
            return "big"
        total = n + 1
        return str(total)


    def check(value, low):
        n = value - low
        return _rest(n)
    '''
    assert shown('''
    def check(value, low):
        n = value - low
        if n > 3:
            return "big"
        total = n + 1
        return str(total)
    ''', tail) == [("check", "_rest")]


def test_a_method_passing_self_is_shown():
    base = '''
    class Box:
        def width(self, pad):
            inner = self.size + pad
            inner = max(inner, 0)
            return inner
    '''
    cand = '''
    def _padded(self, pad):
        inner = self.size + pad
        inner = max(inner, 0)
        return inner


    class Box:
        def width(self, pad):
            inner = _padded(self, pad)
            return inner
    '''
    assert shown(base, cand) == [("Box.width", "_padded")]


CARELESS = {
    "a moved line edited": HELPER.replace('red[0] == "0":\n        red, green, blue = red[1:]',
                                          'red[0] == "0 ":\n        red, green, blue = red[1:]'),
    "an assigned local the caller reads later not returned": HELPER.replace(
        "return red, green, blue\n\n\ndef", "return red, green, blue\n\n\ndef", 1).replace(
        "    red, green, blue = _trim(red, green, blue, length)\n    return red, green, blue",
        "    red, green, blue = _trim(red, green, blue, length)\n    return red, length"),
    "a default on the helper": HELPER.replace("def _trim(red, green, blue, length):",
                                              "def _trim(red, green, blue, length=8):"),
    "arguments swapped": HELPER.replace("= _trim(red, green, blue, length)",
                                        "= _trim(green, red, blue, length)"),
}


@pytest.mark.parametrize("name", sorted(CARELESS))
def test_a_move_that_could_change_behaviour_is_not_shown(name):
    base = BASE
    if name == "an assigned local the caller reads later not returned":
        base = BASE.replace("    return red, green, blue\n", "    return red, length\n")
    assert shown(base, CARELESS[name]) == []


def pair(body: str, helper: str, call: str, *, before: str = "", after: str = "return out",
         params: str = "data") -> tuple[str, str]:
    """A base whose function runs `body` and the candidate that moved it into `helper`."""
    pad = textwrap.indent
    base = f"def f({params}):\n{pad(before, '    ')}{pad(body, '    ')}{pad(after, '    ')}\n"
    cand = f"{helper}\n\ndef f({params}):\n{pad(before, '    ')}    {call}\n" \
           f"{pad(after, '    ')}\n"
    return base, cand


def test_pairs_built_alike_are_shown():
    assert shown(*pair("out = data + 1\n", "def _h(data):\n    out = data + 1\n    return out",
                       "out = _h(data)")) == [("f", "_h")]


@pytest.mark.parametrize("case", [
    # the helper reads a caller's local it was not given: a global in the helper
    ("out = data + k\n", "def _h(data):\n    out = data + k\n    return out", "out = _h(data)",
     "k = 2\n"),
    # a `break` out of the moved lines
    ("out = data\nbreak\n", "def _h(data):\n    out = data\n    break\n    return out",
     "out = _h(data)", ""),
    # an argument bound only on one branch before the call
    ("out = data + k\n", "def _h(data, k):\n    out = data + k\n    return out",
     "out = _h(data, k)", "if data:\n    k = 1\n"),
    # a closure of the caller reads a local the moved lines assign
    ("out = data + 1\n", "def _h(data):\n    out = data + 1\n    return out", "out = _h(data)",
     "g = lambda: out\n"),
    # a generator kept, not consumed at once, reads the helper's local late
    ("out = (x + data for x in [1])\n",
     "def _h(data):\n    out = (x + data for x in [1])\n    return out", "out = _h(data)", ""),
    # the caller reads its locals by their text
    ("out = data + 1\n", "def _h(data):\n    out = data + 1\n    return out", "out = _h(data)",
     "names = locals()\n"),
])
def test_moves_a_caller_could_tell_are_not_shown(case):
    body, helper, call, before = case
    assert shown(*pair(body, helper, call, before=before)) == []


def test_a_move_inside_a_try_is_not_shown():
    """An exception half way through leaves the caller's locals as the base left them only
    where the moved lines ran in the caller: its handler reads `out` as far as it got."""
    base = "def f(data):\n    out = 0\n    try:\n        out = 1\n        out = data[out]\n" \
           "    except IndexError:\n        pass\n    return out\n"
    cand = "def _h(data):\n    out = 1\n    out = data[out]\n    return out\n\n\n" \
           "def f(data):\n    out = 0\n    try:\n        out = _h(data)\n" \
           "    except IndexError:\n        pass\n    return out\n"
    assert shown(base, cand) == []
    assert shown(base.replace("try", "if True").replace("except IndexError", "else"),
                 cand.replace("try", "if True").replace("except IndexError", "else")) \
        == [("f", "_h")]


def test_a_returned_name_assigned_on_one_branch_only_is_not_shown():
    base, cand = pair("if data:\n    out = 1\n",
                      "def _h(data):\n    if data:\n        out = 1\n    return out",
                      "out = _h(data)", before="out = 0\n")
    assert shown(base, cand) == []


def test_a_loop_carried_local_must_come_back():
    body = "total = total + x\nseen = x\n"
    helper = "def _h(total, x):\n    total = total + x\n    seen = x\n    return seen"
    base = f"def f(xs):\n    total = 0\n    for x in xs:\n{textwrap.indent(body, ' ' * 8)}" \
           "    return total\n"
    cand = f"{helper}\n\ndef f(xs):\n    total = 0\n    for x in xs:\n" \
           "        seen = _h(total, x)\n    return total\n"
    assert shown(base, cand) == []


def test_a_helper_named_twice_or_shadowing_a_base_name_is_not_shown():
    base, cand = pair("out = data + 1\n", "def _h(data):\n    out = data + 1\n    return out",
                      "out = _h(data)")
    assert shown(base, cand + "\n\nALIAS = _h\n") == []
    assert shown(base + "\n\n_h = 3\n", cand + "\n\n_h2 = 3\n") == []


def test_a_private_name_in_a_method_is_not_shown():
    base = '''
    class Box:
        def width(self, pad):
            inner = self.__size + pad
            return inner
    '''
    cand = '''
    def _padded(self, pad):
        inner = self.__size + pad
        return inner


    class Box:
        def width(self, pad):
            inner = _padded(self, pad)
            return inner
    '''
    assert shown(base, cand) == []


def test_the_function_is_no_target_and_its_lines_and_the_helpers_carry_no_mutants():
    targets, problems = touched_functions(BASE, HELPER, "mod.py")
    assert problems == [] and targets == []
    [same] = same_code(BASE, HELPER)
    assert same.base_lines == (range(2, 12),)
    assert same.candidate_lines == (range(13, 18), range(2, 11))
    edited = CARELESS["a moved line edited"]
    assert [t.qualname for t in touched_functions(BASE, edited, "mod.py")[0]] == ["parse"]
    assert same_code(BASE, edited) == ()
