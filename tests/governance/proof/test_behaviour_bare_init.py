"""A constructor's calls are evidence even where its object, not built yet, will not pickle.
uuid6's UUID (held out in wave 9) keeps its value in a slot its pickle reads; at __init__'s
entry the slot is unset, so none of its constructions pickled, no input reached its checks,
and a version range widened from 6..8 to 1..8 waited untold. The capture writes such an
object as a bare instance of its class (governance.oracle.pickler.Bare: object.__new__, what
the call received), and the generated inputs keep it so. In the real jail."""

from __future__ import annotations

import pickle

import pytest

from governance.oracle.pickler import Bare, bare
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

CODE = '''"""A 16-bit code with a kind in its top four bits."""


class Code:
    __slots__ = ("value",)

    def __init__(self, value, kind=None):
        if not 0 <= value < 1 << 16:
            raise ValueError("out of range")
        if kind is not None:
            if not 6 <= kind <= 8:
                raise ValueError("illegal kind")
            value &= ~(0xF << 12)
            value |= kind << 12
        object.__setattr__(self, "value", value)

    def __setattr__(self, name, value):
        raise TypeError("immutable")

    def __getstate__(self):
        return {"value": self.value}  # unset before __init__: AttributeError

    def __setstate__(self, state):
        object.__setattr__(self, "value", state["value"])


def six(low):
    return Code(low & 0x0FFF, 6)


def eight(low):
    return Code(low & 0x0FFF, 8)
'''
TESTS = '''import pytest

from codes.code import Code, eight, six


def test_codes():
    assert six(5).value == 0x6005
    assert eight(0xFFF).value == 0x8FFF
    with pytest.raises(ValueError):
        Code(1, 42)
    with pytest.raises(ValueError):
        Code(1 << 16)
'''
FILES = {"codes/__init__.py": "", "tests/test_code.py": TESTS}
WIDENED = CODE.replace("if not 6 <= kind <= 8:", "if not 1 <= kind <= 8:")


class _Unbuilt:
    __slots__ = ("v",)

    def __getstate__(self):
        return {"v": self.v}


def test_an_unbuilt_object_of_an_init_travels_bare():
    obj = object.__new__(_Unbuilt)
    [stand_in, one] = bare("__init__", [obj, 1])
    assert isinstance(stand_in, Bare) and one == 1
    loaded = pickle.loads(pickle.dumps(stand_in, protocol=4))
    assert type(loaded) is _Unbuilt and not hasattr(loaded, "v")
    assert bare("other", [obj, 1])[0] is obj  # only an __init__'s object
    built = object.__new__(_Unbuilt)
    built.v = 3
    assert bare("__init__", [built])[0] is built  # it pickles as it is: kept


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_constructors_check_widened_is_a_counterexample(tmp_path):
    done = await judged(tmp_path, "codes/code.py", CODE, WIDENED, FILES)
    check = done.check("Code.__init__")
    assert check.counterexamples, done.report.payload()
    [first, *_] = check.counterexamples
    assert "illegal kind" in first.base and "illegal kind" not in first.candidate
