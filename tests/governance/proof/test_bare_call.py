"""A function no test calls, whose parameters all have defaults or plain annotations, called
with them and with values of those types (wave 22: evalidate's `test_security(attacks=None,
model=None, verbose=False)` waited as one with no input; wave 24: chameleon's
`lookup_attr(obj: object, key: str)`): a careless change to it is refused with a
counterexample and a correct one lands, in the real jail; one with a parameter to fill that
no annotation names still has no input (fail closed)."""

from __future__ import annotations

import ast
import base64
import pickle
import sys
from pathlib import Path

import pytest

from governance.proof.behaviour import bare, touched_functions
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

EXTRA = '''def squares(n=5, start=0):
    out = []
    for i in range(start, n):
        out.append(i * i)
    return out


def scaled(values, k=2):
    return [v * k for v in values]


def pairs(attrs, strict=False):
    out = {}
    for spec in attrs.split(";"):
        if not spec:
            continue
        name, _, value = spec.partition("=")
        if strict and name in out:
            raise ValueError(name)
        out[name] = value
    return out


def lookup(obj: object, key: str):
    try:
        return getattr(obj, key)
    except AttributeError as exc:
        try:
            get = obj.__getitem__
        except AttributeError:
            raise exc
        try:
            return get(key)
        except KeyError:
            raise exc


def move_to_front(table, key):
    rest = table.copy()
    table.clear()
    table[key] = rest.pop(key)
    table.update(rest)
'''
FILES = {"pkg/__init__.py": "", "pkg/main.py": "def one():\n    return 1\n",
         "tests/test_main.py": "from pkg.main import one\n\n\ndef test_one():\n"
                               "    assert one() == 1\n"}
CHANGES = {
    "careless": ("    for i in range(start, n):\n", "    for i in range(start + 1, n):\n"),
    "control": ("    out = []\n    for i in range(start, n):\n        out.append(i * i)\n"
                "    return out\n", "    return [i * i for i in range(start, n)]\n"),
    "unbare": ("    return [v * k for v in values]\n",
               "    return [k * v for v in values]\n"),
    "careless text": ("        if not spec:\n            continue\n", ""),
    "careless annotated": ("        except KeyError:\n            raise exc\n",
                           "        except KeyError:\n            return None\n"),
    "control annotated": ("            raise exc\n        try:\n            return get(key)\n",
                          "            raise exc from None\n        try:\n"
                          "            return get(key)\n"),
    # a table and a key into it, by their use (governance.proof.param_roles; json-merge-
    # patch's move_to_start, wave 26): the popped key kept in the copy leaves no KeyError
    "careless table": ("    table[key] = rest.pop(key)\n", "    table[key] = rest.get(key)\n"),
    "control table": ("    table[key] = rest.pop(key)\n",
                      "    value = rest.pop(key)\n    table[key] = value\n"),
}
CHANGES["mixed"] = (EXTRA, EXTRA.replace(*CHANGES["control"]).replace(*CHANGES["unbare"]))


def test_bare_is_a_module_function_callable_with_no_argument() -> None:
    targets, _ = touched_functions(EXTRA, EXTRA.replace(*CHANGES["careless"]), "pkg/extra.py")
    assert [(t.qualname, t.bare) for t in targets] == [("squares", True)]
    targets, _ = touched_functions(EXTRA, EXTRA.replace(*CHANGES["unbare"]), "pkg/extra.py")
    assert [(t.qualname, t.bare) for t in targets] == [("scaled", False)]
    method = ast.parse("class C:\n    def m(self=None):\n        pass\n").body[0].body[0]
    assert not bare("C.m", method)
    static = ast.parse("class C:\n    @staticmethod\n    def m(word_file: str):\n"
                       "        pass\n").body[0].body[0]
    assert bare("C.m", static)  # no receiver to build (wonderwords' read_words, wave 25)
    assert not bare("C.D.m", static) and not bare("f.<locals>.C.m", static)


@pytest.mark.parametrize("signature, is_bare", [
    ("obj: object, key: str", True),
    ("n: 'int', *, name: Optional[str], flag: bool = False", True),
    ("data: bytes | None, scale: float", True),
    ("match: re.Match[str]", False),  # no plain type: nothing to make
    ("values: list[int]", False),
    ("text, k: int = 2", False),  # one parameter no annotation names, and no use of it
    ("attrs, xml=True", True),  # `attrs.split(";")` in the body: a text
    ("table, attrs", True),  # `table.items()`: a table
])
def test_bare_takes_parameters_annotated_with_plain_types(signature: str,
                                                          is_bare: bool) -> None:
    node = ast.parse(f"def f({signature}):\n    return attrs.split(';'), table.items()\n"
                     ).body[0]
    assert bare("f", node) is is_bare


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize("change", sorted(CHANGES))
async def test_a_function_no_test_calls_is_judged_at_its_defaults(tmp_path: Path,
                                                                   change: str) -> None:
    done = await judged(tmp_path, "pkg/extra.py", EXTRA, EXTRA.replace(*CHANGES[change]),
                        FILES)
    assert done.problems == [] and done.ran.passed  # no test reaches pkg/extra.py
    reasons = done.report.reasons()
    if change == "careless":
        assert any(c.counterexamples for c in done.report.checks), done.report.payload()
        found = done.report.checks[0].counterexamples[0]
        assert found.function.endswith("::squares") and found.base == "[0, 1, 4, 9, 16]"
    elif change in ("careless text", "careless annotated", "careless table"):
        # pairs(''): {} in the base, {'': ''} now; lookup({}, ''): raises in the base, None
        # now; move_to_front({}, ''): raises KeyError in the base, leaves {'': None} now
        assert any(c.counterexamples for c in done.report.checks), done.report.payload()
    elif change.startswith("control"):
        assert reasons == [], reasons
    else:  # a function to fill has no input beside one called bare: never shown unchanged
        assert reasons and not any(c.counterexamples for c in done.report.checks), reasons
        assert not any("squares" in r for r in reasons), reasons  # it is shown alone


def test_a_bare_call_runs_under_an_argv_of_its_own() -> None:
    """A CLI's `main()` called bare reads an argv naming its module alone, never the
    runner's own (its job and result files)."""
    from governance.oracle import replay_bare
    from governance.oracle.canon import unwrapped

    def main(argv=None, verbose=False):
        return argv or sys.argv[1:]

    made = replay_bare.bare_calls(main)
    assert [c["key"][0] for c in made] == ["b", "b"]
    inner, argv = unwrapped(base64.b64decode(made[0]["pickle"]))
    assert argv == [__name__] and pickle.loads(inner) == ([], {"argv": None, "verbose": False})
    assert pickle.loads(unwrapped(base64.b64decode(made[1]["pickle"]))[0]) \
        == ([], {})


def test_values_of_plain_annotations_fill_the_parameters_without_defaults() -> None:
    """Two calls of values, each parameter passed by name (a positional-only one by place),
    none where a parameter has no plain annotation."""
    from governance.oracle import replay_bare
    from governance.oracle.canon import unwrapped

    def lookup(obj: object, key: str, /, strict: bool = False):
        return obj, key, strict

    def calls(fn):
        return [pickle.loads(unwrapped(base64.b64decode(c["pickle"]))[0])
                for c in replay_bare.bare_calls(fn)]
    assert calls(lookup) == [([None, ""], {"strict": False}), ([{}, "a"], {"strict": False})]

    def scaled(values, k=2):
        return values

    assert calls(scaled) == []

    def front(table, key):
        return table, key

    made = [pickle.loads(unwrapped(base64.b64decode(c["pickle"]))[0])
            for c in replay_bare.bare_calls(front, ("key",), ("table",))]
    assert made == [([], {"table": {}, "key": ""}), ([], {"table": {"a": 0, "b": 1}, "key": "a"})]


WORDS = '''import os


class Words:
    @staticmethod
    def read(word_file: str):
        """Words of a list shipped in data/, by its name."""
        with open(os.path.join(os.path.dirname(__file__), "data", word_file)) as f:
            lines = f.readlines()
        return [w.rstrip() for w in lines]
'''
WORDS_CHANGES = {
    "control": ("            lines = f.readlines()\n        return [w.rstrip() for w in lines]\n",
                "            return [w.rstrip() for w in f.readlines()]\n"),
    "careless": ("            lines = f.readlines()\n        return [w.rstrip() for w in lines]\n",
                 "            return [w.rstrip() for w in f.readlines()[1:]]\n"),
}


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
@pytest.mark.parametrize("change", sorted(WORDS_CHANGES))
async def test_a_static_loader_no_test_calls_is_called_with_its_data_files_names(
        tmp_path: Path, change: str) -> None:
    """wonderwords' static `read_words(word_file: str)` (wave 25): no receiver to build,
    and every text but the name of a list it ships raised before the lines changed."""
    files = {**FILES, "pkg/data/colors.txt": "red\ngreen\nblue\n"}
    done = await judged(tmp_path, "pkg/words.py", WORDS,
                        WORDS.replace(*WORDS_CHANGES[change]), files)
    assert done.problems == [] and done.ran.passed
    if change == "control":
        assert done.report.reasons() == [], done.report.payload()
    else:
        [found] = [c.counterexamples[0] for c in done.report.checks if c.counterexamples]
        assert "colors.txt" in found.input and found.base == "['red', 'green', 'blue']"
