"""A function its module calls only at import is judged on the calls the import makes.
iso3166 (held out in wave 9) builds its five indexes at import with _build_index; no test
calls it, so a correct rewrite of its dict comprehension as a loop waited as a function
no test calls. The tests that import its module now capture those calls
(governance.proof.behaviour.covering_tests): the capture plugin traces from before the
tests' modules are imported."""

from __future__ import annotations

import pytest

from governance.oracle.differential import Target
from governance.oracle.oracle import Coverage
from governance.proof.behaviour import covering_tests
from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

CODE = '''"""Codes by their upper-cased name."""
_RECORDS = [("us", 840), ("fr", 250), ("de", 276)]


def _index(at):
    return {r[at].upper() if isinstance(r[at], str) else r[at]: r for r in _RECORDS}


_BY_NAME = _index(0)
_BY_CODE = _index(1)


def lookup(key):
    return (_BY_NAME if isinstance(key, str) else _BY_CODE)[key.upper() if isinstance(
        key, str) else key]
'''
COMPREHENSION = \
    "    return {r[at].upper() if isinstance(r[at], str) else r[at]: r for r in _RECORDS}\n"
LOOP = CODE.replace(COMPREHENSION, '''    index = {}
    for r in _RECORDS:
        index[r[at].upper() if isinstance(r[at], str) else r[at]] = r
    return index
''')
TESTS = '''from codes.codes import lookup


def test_lookup():
    assert lookup("us") == ("us", 840)
    assert lookup(250) == ("fr", 250)
'''
FILES = {"codes/__init__.py": "", "tests/test_codes.py": TESTS}


def test_a_function_run_at_import_only_is_captured_with_the_tests_that_import_it():
    target = Target("m.py", "_index", frozenset({5, 6}), ())
    coverage = Coverage({"m.py": {5: {None}, 6: {None}, 9: {None},
                                  14: {"t.py::b", "t.py::a"}, 15: {"t.py::c"}}})
    assert covering_tests([target], coverage) == ["t.py::a", "t.py::b"]
    entered = Coverage({"m.py": {5: {None, "t.py::c"}, 14: {"t.py::a"}}})
    assert covering_tests([target], entered) == ["t.py::c"]  # a test calls it: that one
    assert covering_tests([target], Coverage({"m.py": {5: {None}}})) == []
    defined = Coverage({"m.py": {5: {None}, 14: {"t.py::a"}}})  # its def ran, no call of it
    assert covering_tests([target], defined) == []


@pytest.mark.slow
@pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")
async def test_an_import_time_functions_rewrite_is_shown_unchanged(tmp_path):
    done = await judged(tmp_path, "codes/codes.py", CODE, LOOP, FILES)
    assert done.report.reasons() == [], done.report.payload()
    assert done.check("_index").captured == 2
