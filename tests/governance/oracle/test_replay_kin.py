"""governance.oracle.replay_kin, in process: the calls a function no test calls borrows
from its kin. A constructor's call lends a built receiver only to a method that takes one."""

from __future__ import annotations

import base64
import sys

import pytest

from governance.oracle.canon import loads, unwrapped
from governance.oracle.pickler import dumped
from governance.oracle.replay_kin import lent
from governance.oracle.replay_lookup import function_at

WORDS = '''class Words:
    def __init__(self, name):
        self.name = name

    def label(self):
        return self.name.upper()

    @staticmethod
    def read(word_file):
        return word_file + ".txt"

    @classmethod
    def named(cls, name):
        return cls(name)


class Codec:
    def encode(self, text, errors="strict"):
        return text.encode("cp500", errors)


class Incremental:
    def __init__(self, errors="strict"):
        self.errors = errors

    def encode(self, text, final=False):
        return text.encode("cp500", self.errors)


class Needy:
    def __init__(self, errors):
        self.errors = errors

    def encode(self, text, final=False):
        return text
'''


@pytest.fixture
def root(tmp_path, monkeypatch):
    (tmp_path / "kinlab").mkdir()
    (tmp_path / "kinlab" / "__init__.py").write_text("")
    (tmp_path / "kinlab" / "words.py").write_text(WORDS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield str(tmp_path)
    for name in [m for m in sys.modules if m.startswith("kinlab")]:
        del sys.modules[name]


def _lent(root, qualname):
    built = {"qualname": "Words.__init__", "calls": [
        {"pickle": base64.b64encode(dumped(([object(), "nouns"], {}))).decode()}]}
    spec = {"file": "kinlab/words.py", "qualname": qualname, "kin": [built]}
    fn = function_at(root, spec["file"], qualname)
    return [loads(unwrapped(base64.b64decode(c["pickle"]))[0]) for c in lent(root, spec, fn)]


def test_a_method_borrows_the_receiver_its_constructor_builds(root):
    [(args, kwargs)] = _lent(root, "Words.label")
    assert kwargs == {} and type(args[0]).__name__ == "Words" and args[0].name == "nouns"


@pytest.mark.parametrize("qualname", ["Words.read", "Words.named"])
def test_a_static_or_class_method_is_lent_no_receiver(root, qualname):
    """wonderwords' static `read_words(word_file)` was handed a built RandomWord as its
    file, so every input raised TypeError and none reached its body (wave 25)."""
    assert _lent(root, qualname) == []


def _from_codec(root, qualname):
    kin = {"qualname": "Codec.encode", "calls": [
        {"pickle": base64.b64encode(dumped(([object(), "Hello"], {"errors": "strict"})))
         .decode()}]}
    spec = {"file": "kinlab/words.py", "qualname": qualname, "kin": [kin]}
    fn = function_at(root, spec["file"], qualname)
    return [loads(unwrapped(base64.b64decode(c["pickle"]))[0]) for c in lent(root, spec, fn)]


def test_another_classs_call_lends_its_arguments_with_an_object_built_bare(root):
    """ebcdic's incremental encoders, which no test calls, took `text` from the stateless
    codec's `encode`, which every test calls, and had no receiver (wave 26)."""
    [(args, kwargs)] = _from_codec(root, "Incremental.encode")
    assert type(args[0]).__name__ == "Incremental" and args[0].errors == "strict"
    assert args[1:] == ["Hello"] and kwargs == {}
    assert _from_codec(root, "Needy.encode") == []  # no object without an argument
