"""Which names of a function are exact ints whatever its inputs (governance.proof.
exact_ints), and a redundant `int()` dropped or added around one is no mutant's shape
(governance.proof.mutant_shaped): si-prefix's `split` answering `expof10` for
`int(expof10)` waited for review (wave 18)."""

from __future__ import annotations

import ast

import pytest

from governance.proof.exact_ints import exact_ints
from governance.proof.mutant_shaped import mutant_shaped

SPLIT = '''import math


def split(value, precision=1):
    digits = precision + 1
    expof10 = int(math.log10(value))
    if expof10 > 0:
        expof10 = (expof10 // 3) * 3
    else:
        expof10 = (-expof10 + 3) // 3 * (-3)
    value *= 10 ** (-expof10)
    if value >= 1000.0:
        expof10 += 3
    return value, int(expof10)
'''


def _names(text: str) -> frozenset[str]:
    module = ast.parse(text)
    fn = next(n for n in ast.walk(module) if isinstance(n, ast.FunctionDef))
    return exact_ints(fn, module).names


def test_a_name_bound_only_to_ints_is_one_and_a_parameter_or_a_float_is_not() -> None:
    assert _names(SPLIT) == {"expof10"}  # digits: precision + 1, a parameter's sum


@pytest.mark.parametrize("binding", [
    "n = True", "n = 2 ** 3", "n = 6 / 3", "n = len", "n += 0.5", "n /= 1",
    "for n in range(3): pass", "with open('f') as n: pass", "(n := 1)", "global n",
    "del n", "n, m = 1, 2", "n = int", "import n", "n = x", "n = abs(1)",
    "match x:\n        case n:\n            pass",
    "match x:\n        case [*n]:\n            pass",
    "match x:\n        case {**n}:\n            pass",
])
def test_any_other_binding_makes_a_name_unknown(binding: str) -> None:
    assert "n" not in _names(f"def f(x):\n    n = 1\n    {binding}\n    return n\n")


def test_a_name_bound_only_in_a_nested_function_is_not_the_functions() -> None:
    text = "def f():\n    def g():\n        n = 1\n    return int(n)\n"
    assert "n" not in _names(text)


def test_a_name_a_nested_function_rebinds_as_nonlocal_is_unknown() -> None:
    text = ("def f():\n    n = 1\n    def g():\n        nonlocal n\n        n = 'x'\n"
            "    g()\n    return int(n)\n")
    assert "n" not in _names(text)


@pytest.mark.parametrize("shadow", ["int = float\n", "from numpy import int\n",
                                    "def len(x):\n    return 0.5\n"])
def test_int_and_len_are_not_trusted_where_the_module_rebinds_them(shadow: str) -> None:
    text = shadow + "def f(x):\n    n = int(x) + len(x)\n    return n\n"
    assert "n" not in _names(text)


def test_a_redundant_int_dropped_or_added_is_no_mutants_shape() -> None:
    dropped = SPLIT.replace("int(expof10)\n", "expof10\n")
    assert mutant_shaped(SPLIT, dropped, "si.py") == []
    assert mutant_shaped(dropped, SPLIT, "si.py") == []


@pytest.mark.parametrize("old, new", [
    ("return value, int(expof10)", "return int(value), int(expof10)"),  # a float's
    ("expof10 += 3\n    return value, int(expof10)",  # an int in the base only
     "expof10 += 0.5\n    return value, expof10"),
])
def test_int_around_what_may_not_be_an_int_keeps_its_shape(old: str, new: str) -> None:
    assert mutant_shaped(SPLIT, SPLIT.replace(old, new), "si.py")


HOTP = '''import struct


def hotp(digest, offset, digit):
    bin_code: int = struct.unpack(">I", digest[offset : offset + 4])[0]
    total: int = bin_code & 0x7FFFFFFF
    return total % 10**digit
'''


def test_a_struct_item_of_an_integer_code_ord_and_from_bytes_are_exact_ints() -> None:
    assert _names(HOTP) == {"bin_code", "total"}  # otpauth's, wave 30
    for value in ("ord(x)", "int.from_bytes(x, 'big')", "struct.unpack('<2xHxq', x)[1]",
                  "struct.unpack_from(b'!3B4s', x)[2]", "struct.unpack('>fI', x)[-1]"):
        assert "n" in _names(f"import struct\ndef f(x):\n    n = {value}\n    return n\n")


@pytest.mark.parametrize("value, module", [
    ("struct.unpack('>f', x)[0]", "import struct\n"),  # a float
    ("struct.unpack('>?', x)[0]", "import struct\n"),  # a bool
    ("struct.unpack('>4sI', x)[0]", "import struct\n"),  # bytes
    ("struct.unpack('>I', x)[1]", "import struct\n"),  # no such item
    ("struct.unpack('>I', x)[k]", "import struct\n"),  # an index not known
    ("struct.unpack(fmt, x)[0]", "import struct\n"),  # a format not known
    ("struct.unpack('>Iz', x)[0]", "import struct\n"),  # no format
    ("struct.unpack('>I', x)[0]", "import mystruct as struct\n"),
    ("struct.unpack('>I', x)[0]", "import struct\nstruct = object()\n"),
    ("struct.unpack('>I', x)[0]", "import struct\nstruct.unpack = lambda f, b: (0.5,)\n"),
    ("struct.unpack('>I', x)[0]", "import struct\nsetattr(struct, 'unpack', print)\n"),
    ("struct.unpack('>I', x)[0]", ""),  # struct is whatever a global of that name is
    ("int.from_bytes(x, 'big')", "int = float\n"),
    ("ord(x)", "def ord(c):\n    return 0.5\n"),
])
def test_a_struct_item_or_call_not_shown_an_int_is_unknown(value: str, module: str) -> None:
    assert "n" not in _names(f"{module}def f(x, k, fmt):\n    n = {value}\n    return n\n")


def test_struct_bound_in_the_function_is_not_the_module() -> None:
    text = "import struct\ndef f(x, struct):\n    n = struct.unpack('>I', x)[0]\n    return n\n"
    assert "n" not in _names(text)
