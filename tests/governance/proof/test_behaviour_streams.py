"""An object that holds an output stream still travels to the replay. asteval's Interpreter
(held out in wave 9) keeps `writer = stdout` bound at import (pytest's capturing stream
then), its tests hand it a NamedTemporaryFile('w') to print to, and its nested symbol table
is a dict subclass that refuses some of the keys it holds in its own __setitem__: none of
its methods' calls pickled, or loaded again, so no change to them was judged. A standard
stream travels as the loading process's own (looked up at each write: the replay's
redirected output), a file only written to as an empty in-memory stream of its kind, and
such a mapping is rebuilt with dict's own update (governance.oracle.pickler)."""

from __future__ import annotations

import io
import pickle
import sys
import tempfile

from governance.oracle.canon import canon
from governance.oracle.pickler import StandardStream, by_name


class _Printer:
    def __init__(self, writer):
        self.writer = writer

    def say(self, text):
        print(text, file=self.writer)


class _Names(dict):
    """Keys must be identifiers when set by item: as asteval's Group."""

    def __setitem__(self, key, value):
        if not key.isidentifier():
            raise SyntaxError(f"invalid name {key!r}")
        dict.__setitem__(self, key, value)


def test_a_standard_stream_travels_as_the_loading_processs_own():
    loaded = pickle.loads(by_name(_Printer(sys.stdout)))
    assert isinstance(loaded.writer, StandardStream)
    printed = io.StringIO()
    old, sys.stdout = sys.stdout, printed
    try:
        loaded.say("hello")
    finally:
        sys.stdout = old
    assert printed.getvalue() == "hello\n"  # where stdout is when it writes, not when loaded
    assert canon(loaded) == canon(pickle.loads(by_name(_Printer(sys.stdout))))


def test_a_file_only_written_to_travels_as_an_empty_memory_stream(tmp_path):
    with tempfile.NamedTemporaryFile("w", dir=tmp_path) as sink, \
            open(tmp_path / "out.bin", "wb") as raw:
        loaded = pickle.loads(by_name([_Printer(sink), raw]))
    printer, raw_loaded = loaded
    assert isinstance(printer.writer, io.StringIO) and isinstance(raw_loaded, io.BytesIO)
    printer.say("x")
    assert printer.writer.getvalue() == "x\n"
    with open(tmp_path / "in.txt", "w+") as both:  # read too: not a sink, pickle refuses it
        try:
            by_name(both)
        except TypeError:
            pass
        else:
            raise AssertionError("a readable file must not travel")


def test_a_mapping_that_refuses_keys_it_holds_loads_again():
    names = _Names(ok=1)
    dict.__setitem__(names, "no-name", False)  # held, though its __setitem__ refuses it
    names["me"] = names
    names.note = "kept"
    loaded = pickle.loads(by_name(names))
    assert type(loaded) is _Names and dict(loaded, me=None) == {"ok": 1, "no-name": False,
                                                                 "me": None}
    assert loaded["me"] is loaded and loaded.note == "kept"
