"""Two careless refactors of a reader of variable-length numbers from a stream, which no
test and no input near the tests' told apart while a stream was an opaque object (wave
18's leb128 landings), each refused now with a counterexample in the real jail: a stream
is varied through its content (governance.oracle.replay_bytes.near_stream): as the other
kind of stream (a text stream's one-character reads, where `ord()` was replaced by
indexing), and after a long run of bytes with their high bits set (a number longer than
the ten bytes a loop was bounded at). The counterexample shows the stream's content."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from governance.oracle.canon import canon, show
from governance.oracle.replay_bytes import near_stream
from governance.oracle.replay_values import Context, near
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

VARINT = '''"""Unsigned numbers of seven bits a byte, the high bit set on all bytes but the last."""


def read(r):
    """(the number, the bytes it took) read from a stream of bytes (or of characters)."""
    a = bytearray()
    while True:
        b = r.read(1)
        if len(b) != 1:
            raise EOFError
        b = ord(b)
        a.append(b)
        if (b & 0x80) == 0:
            break
    return sum((x & 0x7F) << (7 * i) for i, x in enumerate(a)), len(a)
'''
TESTS = '''import io

from varint.varint import read


def test_read():
    assert read(io.BytesIO(b"\\x05")) == (5, 1)
    assert read(io.BytesIO(b"\\x85\\x01")) == (133, 2)
'''
CARELESS = {"index": ("        b = ord(b)\n", "        b = b[0]\n"),
            "bounded": ("    while True:\n", "    while len(a) < 10:\n")}


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize("careless", sorted(CARELESS))
async def test_each_is_refused_with_a_counterexample(tmp_path: Path, careless: str):
    done = await judged(tmp_path, "varint/varint.py", VARINT,
                        VARINT.replace(*CARELESS[careless]),
                        {"varint/__init__.py": "", "tests/test_varint.py": TESTS})
    assert done.problems == []
    (check,) = done.report.checks
    assert check.counterexamples, done.report.payload()
    assert "IO(" in check.counterexamples[0].line()  # the stream, by its content


def test_a_stream_is_varied_through_its_content_at_its_position():
    stream = io.BytesIO(b"\x85\x01")
    stream.read(1)
    made = near_stream(stream, Context([]), near, [])
    assert [type(s) for s in made[:2]] == [io.StringIO, io.BytesIO]
    assert made[0].getvalue() == "\x85\x01" and made[0].tell() == 1
    run = made[1].getvalue()
    assert len(run) >= 18 and all(b & 0x80 for b in run[:16]) and run.endswith(b"\x85\x01")
    assert b"" in [s.getvalue() for s in made] and all(s.tell() <= 1 for s in made)
    text = near_stream(io.StringIO("ab"), Context([]), near, [])
    assert isinstance(text[0], io.BytesIO) and text[0].getvalue() == b"ab"


def test_a_stream_is_shown_and_compared_by_its_content_and_where_it_was_left():
    stream = io.BytesIO(b"\x85\x01")
    assert show(stream) == "BytesIO(b'\\x85\\x01')"
    before = canon(stream)
    stream.read(1)
    assert show(stream) == "BytesIO(b'\\x85\\x01', at 1)" and canon(stream) != before
    stream.close()
    assert canon(stream) == ["_io.BytesIO", "<closed>"]


def test_a_streams_subclass_that_wants_other_arguments_still_has_neighbours():
    class Named(io.BytesIO):
        def __init__(self, name: str, data: bytes) -> None:
            super().__init__(data)
            self.name = name
    made = near_stream(Named("n", b"\x05"), Context([]), near, [])
    assert made and all(isinstance(s, (io.BytesIO, io.StringIO)) for s in made)
