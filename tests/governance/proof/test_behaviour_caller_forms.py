"""Four careless refactors of one small package that no test and no input near the tests'
told apart, each refused now with a counterexample in the real jail (wave 17's landings,
and its `lower()` made `casefold()`, which waited: the texts first with a character the two
map apart, governance.oracle.replay_text.case_aliases):
an `isinstance` narrowed to `type() is` (an object of a subclass: governance.oracle.
replay_subclass), a text's `.lower()` dropped (the texts first in capitals: governance.
proof.conversions), a tolerance dropped from a bound (the number halfway between the two
trees' bounds: governance.proof.boundaries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

CUES = '''"""Cues of a subtitle file."""
import io


class Cue:
    def __init__(self, text):
        self.text = text


def lines(buffer):
    """The lines of a text buffer, or of a bytes one decoded."""
    if isinstance(buffer, io.BytesIO):
        return buffer.getvalue().decode("utf-8").splitlines()
    return buffer.getvalue().splitlines()


def destination(path, extension="vtt"):
    """Where a file is saved: the path, its extension added unless it has it already."""
    if path[-4:].lower() != "." + extension:
        path = path + "." + extension
    return path


def same_word(a, b):
    """Whether two words are the same but for case."""
    return a.lower() == b.lower()


def lightness(hsl):
    """A colour's lightness, 100 for white (within 1e-7 of it)."""
    l = float(hsl[2])
    if l > 100 - 1e-7:
        return 100
    return round(l, 9)
'''
TESTS = '''import io

from cues.cues import destination, lightness, lines, same_word


def test_lines():
    assert lines(io.BytesIO(b"a\\nb")) == ["a", "b"]
    assert lines(io.StringIO("c")) == ["c"]


def test_destination():
    assert destination("out.vtt") == "out.vtt"
    assert destination("out") == "out.vtt"


def test_same_word():
    assert same_word("Rust", "rust")
    assert not same_word("Rust", "dust")


def test_lightness():
    assert lightness((0, 50, 100)) == 100
    assert lightness((0, 50, 50.5)) == 50.5
'''
CARELESS = {
    "lines": ("isinstance(buffer, io.BytesIO)", "type(buffer) is io.BytesIO"),
    "destination": ("path[-4:].lower() !=", "path[-4:] !="),
    "lightness": ("l > 100 - 1e-7", "l >= 100"),
    "same_word": ("a.lower() == b.lower()", "a.casefold() == b.casefold()"),
}


async def test_each_is_refused_with_a_counterexample(tmp_path: Path):
    new = CUES
    for old, careless in CARELESS.values():
        new = new.replace(old, careless)
    done = await judged(tmp_path, "cues/cues.py", CUES, new,
                        {"cues/__init__.py": "", "tests/test_cues.py": TESTS})
    assert done.problems == []
    found = {c.function.split("::")[1]: c.counterexamples for c in done.report.checks}
    assert set(found) == set(CARELESS), done.report.payload()
    for name, examples in found.items():
        assert examples, (name, done.report.payload())
    assert "candidate [b'a', b'b']" in found["lines"][0].line()
    assert ".VTT" in found["destination"][0].line()
    assert "99.99999995" in found["lightness"][0].line()
    assert "\u017f" in found["same_word"][0].line() or "ſ" in found["same_word"][0].line()
