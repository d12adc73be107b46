"""The differential check on a method whose object holds a copy of the test's globals, as
pure-eval's Evaluator is made from a frame: the copy reaches the test module's
`__loader__`, pytest's assertion rewriter, and through it all of pytest's state, which
neither pickle nor cloudpickle writes, so no call was replayed (wave 31: 55 calls, none
pickled, and three correct refactors waited). The namespace travels by its module's name
now and is read back in the replay as that module's. In the real jail, with real pytest
runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

SCOPE = '''"""Names looked up in a frame's globals."""
import sys


class Scope:
    def __init__(self, names):
        self.names = names

    @classmethod
    def here(cls):
        return cls(dict(sys._getframe(1).f_globals))

    def scaled(self, name, factor):
        value = self.names.get(name)
        if value is None:
            return None
        if factor > 1:
            return value * factor
        return value
'''
TESTS = '''import threading

from scope.core import Scope

LOCK = threading.Lock()  # a global no pickle writes
WIDTH = 4


def test_scaled():
    scope = Scope.here()
    assert scope.scaled("WIDTH", 3) == 12
    assert scope.scaled("WIDTH", 1) == 4
    assert scope.scaled("HEIGHT", 2) is None
'''
CORRECT = SCOPE.replace('''        if factor > 1:
            return value * factor
        return value
''', '''        return self._times(value, factor)

    def _times(self, value, factor):
        if factor > 1:
            return value * factor
        return value
''')  # a helper extracted


async def test_a_correct_refactor_of_a_method_holding_a_tests_globals_is_shown_unchanged(
        tmp_path: Path):
    done = await judged(tmp_path, "scope/core.py", SCOPE, CORRECT,
                        {"scope/__init__.py": "", "tests/__init__.py": "",
                         "tests/test_scope.py": TESTS})
    assert done.ran.passed, done.ran.describe()
    check = done.check("Scope.scaled")
    assert check.captured >= 3 and check.compared > check.captured, done.report.payload()
    assert done.report.reasons() == [], done.report.payload()


async def test_a_careless_refactor_of_it_is_refused_with_a_counterexample(tmp_path: Path):
    careless = SCOPE.replace("if factor > 1:", "if factor > 2:")  # a factor of 2 ignored
    done = await judged(tmp_path, "scope/core.py", SCOPE, careless,
                        {"scope/__init__.py": "", "tests/__init__.py": "",
                         "tests/test_scope.py": TESTS})
    assert done.ran.passed, done.ran.describe()
    check = done.check("Scope.scaled")
    assert check.captured >= 3 and check.counterexamples, done.report.payload()
    assert any((c.base, c.candidate) == ("8", "4") for c in check.counterexamples), \
        done.report.payload()  # WIDTH scaled by 2
