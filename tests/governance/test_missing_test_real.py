"""The missing test on a real maintainer's fix (issue 45, items 1 and 2): cachetools'
`da5819a86379` adds a `condition` to `@cachedmethod`, and waits for review because no test
of the library notices `cond(self).wait_for(lambda: k not in p)` made `k in p` (the suite's
condition never waits). The op runs through the real pipeline and jail as
tests/governance/real_history.py runs every case; the replay stand-in then writes, as a
brain would, the test that decides it: a condition that asks its predicate once. The test
is kept, and one that only calls the method (kills nothing) is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from governance.proof.missing_test_rules import PROMPT_TITLE, CauseKind, Verdict
from kernel.replay import ReplayProvider, ReplayTurn
from tests.governance import real_history as rh
from tests.helpers import git
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

CASE = "cachetools-da5819a86379"
HEAD = '''import threading

from cachetools import cachedmethod


class _Cond:
    """A lock and a condition that never waits: wait_for asks its predicate once."""

    def __init__(self):
        self.asked = []
        self._lock = threading.RLock()

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()

    def wait_for(self, predicate):
        self.asked.append(predicate())
        return True

    def notify_all(self):
        pass


class _Calc:
    def __init__(self):
        self.cache = {}
        self.cond = _Cond()

    @cachedmethod(lambda self: self.cache, condition=lambda self: self.cond)
    def double(self, x):
        return 2 * x


'''
DECIDES = HEAD + '''def test_a_key_no_call_is_computing_is_not_waited_for():
    calc = _Calc()
    assert calc.double(2) == 4
    assert calc.cond.asked == [True]
'''
LOOSE = HEAD + '''def test_the_condition_is_used():
    calc = _Calc()
    assert calc.double(2) == 4
    assert len(calc.cond.asked) == 1
'''


class _AndTheMissingTest:
    """The fix's stand-in (eval's `replay:fix` script), with the missing-test question
    answered by a second script: the named stand-in for a brain that writes tests."""

    def __init__(self, fix: ReplayProvider, test: str):
        self.fix = fix
        self.test = ReplayProvider([ReplayTurn(purpose="generate", match=PROMPT_TITLE,
                                               text=test)])

    def __getattr__(self, name: str):
        return getattr(self.fix, name)

    async def generate(self, prompt: str, **kwargs):
        return await (self.test if PROMPT_TITLE in prompt else self.fix).generate(
            prompt, **kwargs)


def _reply(text: str) -> str:
    return json.dumps({"schema": "candidate.1", "rationale": "the pending key", "files": [
        {"file_path": "tests/test_cachedmethod_pending.py", "full_content": text}]})


# CI runs the kept one; OUROBOROS_REAL_HISTORY=all also the refused one (a real op is ~15 s)
LOOSE_TOO = os.environ.get(rh.ENV_ALL) == "all"


@pytest.mark.parametrize(("test", "want"), [
    (DECIDES, Verdict.KEPT),
    pytest.param(LOOSE, Verdict.KILLS_NOTHING, marks=pytest.mark.skipif(
        not LOOSE_TOO, reason=f"{rh.ENV_ALL}=all runs it"))])
async def test_a_real_fix_gets_the_test_that_decides_its_unchecked_line(
        short_tmp: Path, monkeypatch, test: str, want: Verdict):
    [case] = [c for c in rh.cases("all") if c.id == CASE]
    repo, state = rh.human_repo(case, short_tmp / "repo"), short_tmp / "state"
    envelope = await rh.signal(case, repo, state)
    assert envelope is not None
    fix = rh.answers
    monkeypatch.setattr(rh, "answers", lambda *a: _AndTheMissingTest(fix(*a), _reply(test)))
    end, transitions = await rh.run_op(case, repo, state, envelope, case.fix, rh.Shared())
    last = transitions[-1]
    assert end.value == "PROPOSED", last
    missing = last["payload"]["missing_test"]
    assert missing["cause"] == CauseKind.SURVIVING_MUTANT
    assert missing["at"] == "src/cachetools/_cachedmethod.py:16 (`not in` to `in`)", missing
    assert missing["verdict"] == want, missing
    if want is Verdict.KEPT:
        assert missing["tests"] == [
            "tests/test_cachedmethod_pending.py::test_a_key_no_call_is_computing_is_not_waited_for"]
        assert git(repo, "show", f"{missing['branch']}:tests/test_cachedmethod_pending.py") \
            == test
