"""An exception's words are part of what a caller sees where they are the code's own: a
raise statement's arguments, and a KeyError's key. iso3166's lookup (held out in wave 9)
raised KeyError(k) with the upper-cased key in place of the caller's, and both trees raising
KeyError was an answer alike, since a builtin exception's message was never compared (the
interpreter's own messages may name a helper a refactor renamed: a TypeError about its
arguments). Those stay uncompared; a raise statement's words and a KeyError's key are
compared. In the real jail for the proof; the rule's reading of a traceback directly."""

from __future__ import annotations

import pytest

from governance.oracle.replay_answer import own_words as _own_words
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

LOOKUP = '''"""Codes by their upper-case text."""
_CODES = {"US": 840, "FR": 250}


def get(key):
    k = key.upper()
    r = _CODES.get(k)
    if r is None:
        raise KeyError(key)
    return r


def check(n):
    if n < 0:
        raise ValueError(f"negative: {n}")
    return n
'''
TESTS = '''import pytest

from codes import lookup


def test_get():
    assert lookup.get("us") == 840
    with pytest.raises(KeyError):
        lookup.get("zz")


def test_check():
    assert lookup.check(3) == 3
    with pytest.raises(ValueError):
        lookup.check(-1)
'''
FILES = {"codes/__init__.py": "", "tests/test_lookup.py": TESTS}
CARELESS = LOOKUP.replace("raise KeyError(key)", "raise KeyError(k)")
WORDED = LOOKUP.replace('f"negative: {n}"', 'f"negative number: {n}"')


def _raised(fn, *args):
    try:
        fn(*args)
    except Exception as exc:
        return exc
    raise AssertionError("no exception")


def _helper(a, b):
    return a + b


def test_a_raise_statement_and_a_key_are_the_codes_words_the_interpreter_s_are_not():
    def raises(v):
        raise ValueError(f"bad {v}")

    def reraises(v):
        try:
            raises(v)
        except ValueError:
            raise

    assert _own_words(_raised(raises, 1))
    assert _own_words(_raised(reraises, 1))  # the innermost frame is the raise's
    assert _own_words(_raised(lambda d: d["x"], {}))  # a subscript's KeyError: the key
    assert not _own_words(_raised(_helper, 1))  # names _helper: a rename would move it
    assert not _own_words(_raised(int, "x"))
    assert not _own_words(_raised(lambda s: s.upper(), 1))  # AttributeError
    assert not _own_words(ValueError("never raised"))


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_key_error_with_another_key_is_a_counterexample(tmp_path):
    done = await judged(tmp_path, "codes/lookup.py", LOOKUP, CARELESS, FILES)
    check = done.check("get")
    assert check.counterexamples, done.report.payload()
    [first, *_] = check.counterexamples
    assert "KeyError" in first.base and "KeyError" in first.candidate
    assert first.base != first.candidate


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_raise_statement_s_message_changed_is_a_counterexample(tmp_path):
    done = await judged(tmp_path, "codes/lookup.py", LOOKUP, WORDED, FILES)
    check = done.check("check")
    assert check.counterexamples, done.report.payload()
    [first, *_] = check.counterexamples
    assert "negative: " in first.base and "negative number: " in first.candidate


EMPTY = '''"""A node with no children."""


class Empty:
    def pick(self, key):
        raise KeyError
'''
EMPTY_TESTS = '''import pytest

from codes.empty import Empty


def test_pick():
    with pytest.raises(KeyError):
        Empty().pick("a")
'''


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_a_function_that_always_raises_in_its_own_words_is_shown_unchanged(tmp_path):
    """pygtrie's `_NoChildren.pick` raises KeyError on every call by design; raising an
    instance for the class waited, every compared call having raised (wave 27). A raise
    statement's answer is compared in full (type and words): that is what it answers."""
    done = await judged(tmp_path, "codes/empty.py", EMPTY,
                        EMPTY.replace("raise KeyError\n", "raise KeyError()\n"),
                        {"codes/__init__.py": "", "tests/test_empty.py": EMPTY_TESTS})
    assert done.problems == [] and done.report.reasons() == [], done.report.payload()
    careless = await judged(tmp_path / "careless", "codes/empty.py", EMPTY,
                            EMPTY.replace("raise KeyError\n", "raise KeyError(key)\n"),
                            {"codes/__init__.py": "", "tests/test_empty.py": EMPTY_TESTS})
    assert careless.check("Empty.pick").counterexamples, careless.report.payload()
