"""A kind of argument the tests pass once, after a loop has passed another kind hundreds of
times, in the real jail: the capture keeps the first call of each kind past its cap, an
object holding a codec's CodecInfo travels to the replay, and the caller that passes the
rare kind is lifted to first. webencodings' `_get_encoding`, narrowed from "has a
codec_info" to `isinstance(x, Encoding)`, landed without them (wave 15): its first hundred
captured calls were labels from one test's loop, an Encoding could not be unpickled, and
its four busiest callers pass labels only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

CODECS = '''"""Codecs by name or as objects."""
import codecs


class Codec:
    def __init__(self, name):
        self.name = name
        self.info = codecs.lookup(name)


def _codec(codec_or_name):
    if hasattr(codec_or_name, "info"):
        return codec_or_name
    return Codec(codec_or_name.strip())


def width(name):
    return len(_codec(name).name)


def upper(name):
    return _codec(name).name.upper()


def first(name):
    return _codec(name).name[:1]


def last(name):
    return _codec(name).name[-1:]


def encode(text, codec="utf-8"):
    return _codec(codec).info.encode(text)[0]
'''
NARROWED = CODECS.replace('if hasattr(codec_or_name, "info"):',
                          "if isinstance(codec_or_name, Codec):")
# Each label once per padding: 150 distinct calls of `_codec` with text from four callers
# before `encode` passes it a Codec (one call, from the fifth caller).
TESTS = '''from lib.codecs_ import Codec, encode, first, last, upper, width

LABELS = [name + " " * pad for pad in range(30) for name in ("utf-8", "latin-1", "ascii")]


def test_names():
    for label in LABELS:
        assert width(label) >= 5 and upper(label).isupper()
        assert first(label) in "ula" and last(label) in "81i"


def test_encode_with_a_codec():
    assert encode("\\xe9", Codec("latin-1")) == b"\\xe9"
    assert encode("\\xe9") == b"\\xc3\\xa9"
'''
FILES = {"lib/__init__.py": "", "tests/test_codecs.py": TESTS}


async def test_a_narrowing_told_only_by_a_rare_kind_of_argument_is_caught(tmp_path: Path):
    found = await judged(tmp_path, "lib/codecs_.py", CODECS, NARROWED, FILES)
    assert found.ran.passed, found.ran.describe()  # the premise: the suite cannot see it
    check = found.check("_codec")
    assert check.via == "lib/codecs_.py::encode", found.report.payload()
    [shown, *_] = check.counterexamples
    assert "LookAlike" in shown.input and "AttributeError" in shown.candidate, shown
