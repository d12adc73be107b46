"""The differential check on a method whose `self` holds a table of lambdas (as simpleeval's
evaluator does): pickle cannot write such a call, so it was never replayed and a correct
refactor waited for review ("could not be pickled"). The capture writes it by cloudpickle
now, by value, and the replay runner loads it on both trees. In the real jail, with real
pytest runs."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tests.governance.proof.judged import judged
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

CALC = '''"""A tiny evaluator: its operators are a table of lambdas on the instance."""
import operator

OPERATORS = {"+": operator.add, "-": operator.sub, "neg": lambda a: -a,
             "max": lambda a, b: a if a >= b else b}
LIMIT = 1000


class Calc:
    def __init__(self):
        self.ops = dict(OPERATORS)

    def apply(self, op, *args):
        value = self.ops[op](*args)
        if abs(value) > LIMIT:
            raise OverflowError(value)
        return value
'''
TESTS = '''import pytest

from calc.core import Calc


def test_apply():
    calc = Calc()
    assert calc.apply("+", 2, 3) == 5
    assert calc.apply("neg", 4) == -4
    assert calc.apply("max", 7, 9) == 9
    assert calc.apply("-", 10, 4) is not None
    with pytest.raises(OverflowError):
        calc.apply("+", 999, 999)
'''
HELPER = CALC.replace('''    def apply(self, op, *args):
        value = self.ops[op](*args)
        if abs(value) > LIMIT:
            raise OverflowError(value)
        return value
''', '''    def apply(self, op, *args):
        return self._bounded(self.ops[op](*args))

    def _bounded(self, value):
        if abs(value) > LIMIT:
            raise OverflowError(value)
        return value
''')


def test_pickle_alone_cannot_write_such_a_call():
    """The premise: without cloudpickle this call is not replayable at all."""
    namespace: dict = {}
    exec(compile(CALC, "calc_core", "exec"), namespace)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(((namespace["Calc"](), "neg", 4), {}))


async def test_a_helper_extracted_from_a_method_of_a_lambda_table_is_shown_unchanged(
        tmp_path: Path):
    done = await judged(tmp_path, "calc/core.py", CALC, HELPER,
                        {"calc/__init__.py": "", "tests/test_calc.py": TESTS})
    assert done.ran.passed, done.ran.describe()
    assert done.problems == [] and [t.qualname for t in done.targets] == ["Calc.apply"]
    report = done.report
    (check,) = report.checks
    assert check.captured >= 4 and check.compared > check.captured, report.payload()
    assert report.reasons() == [], report.payload()
