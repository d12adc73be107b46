"""A changed line no test runs, with no mutant to check it by (a `warnings.warn` call, which
the mutation check leaves alone), in the function the human's test enters: the missing-test
step asks for it all the same and falls back to the unentered function's check. Kept: a
test that runs the line and fails on the base; refused: one that passes on the base. Real
pipeline, real jail (the helpers of test_propose_test.py)."""

from __future__ import annotations

import pytest

from governance.phase import Phase
from governance.proof.missing_test_rules import CauseKind, Verdict
from tests.governance.phases.test_missing_test_step import _judge, _proposed_op, _reply
from tools.jail import bwrap_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bwrap_available() is not None, reason="bubblewrap missing")]

BASE = "def top(xs):\n    if not xs:\n        return []\n    return xs\n"
NEW = ("import warnings\n\n\ndef top(xs):\n    if not xs:\n"
       "        warnings.warn('top of nothing')\n        return []\n    return xs[:3]\n")
HUMAN = ("from shop.top import top\n\n\n"
         "def test_top_three():\n    assert top([1, 2, 3, 4, 5]) == [1, 2, 3]\n")
OF = "from shop.top import top\n\n\n"
WARNS = ("import pytest\n\n" + OF + "def test_top_of_nothing_warns():\n"
         "    with pytest.warns(UserWarning):\n        assert top([]) == []\n")
QUIET = OF + "def test_top_of_nothing():\n    assert top([]) == []\n"


async def test_a_line_with_no_mutant_is_decided_on_the_base(short_tmp):
    end, chain, seen, _repo, ledger = await _proposed_op(
        short_tmp, {"shop/__init__.py": "", "shop/top.py": BASE, "tests/test_top.py": HUMAN},
        "keep three; warn on nothing", NEW)
    try:
        last = chain["transitions"][-1]
        assert end is Phase.PROPOSED, last
        asked = last["payload"]["missing_test"]
        assert [(c["cause"], c["at"]) for c in asked["causes"]] == [
            (CauseKind.UNRUN, "shop/top.py:6 (top)")], asked
        assert "mutant" not in asked  # none to check it by
        sha = last["payload"]["commit"]
        kept = await _judge(seen, sha, _reply({"tests/test_top_warns.py": WARNS}))
        quiet = await _judge(seen, sha, _reply({"tests/test_top_quiet.py": QUIET}))
    finally:
        await ledger.close()
    assert kept["verdict"] == Verdict.KEPT, kept
    assert kept["why"] == "fails on the base and runs shop/top.py:6"
    assert "fails on the code before the change" in kept["prompt"]
    assert quiet["verdict"] == Verdict.PASSES_ON_BASE, quiet
