"""VERIFY tells the human's concurrent work from the op's (governance.phases.verify), with a
real daemon, git and pytest: while the op waits in its notify window, the human commits a
test that does not pass yet and removes another. Both fail on the live tree after APPLY;
both fail the same way without the op's change, so the op lands, naming them. (A failure
the op's change causes still rolls back: tests/test_end_to_end.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.oracle.failure_text import FailureText
from governance.oracle.oracle import Report
from governance.phases.verify import _fails_alike
from tests.helpers import (
    FIX_TODO_EDIT,
    TEST_OPS,
    add_todo_and_commit,
    explore_turn,
    git,
    running_daemon,
    script_turn,
    settings_for,
    wait_for,
    wait_terminal,
    write_script,
)

pytestmark = pytest.mark.slow

NOT_YET = '''

def test_clamp_steps():
    assert clamp(5, 0, 10, step=2) == 4  # the human's next feature: no step yet
'''


async def test_the_humans_failing_and_removed_tests_are_not_the_ops(repo: Path,
                                                                  short_tmp: Path):
    script = write_script(short_tmp / "script.jsonl", explore_turn(),
                          script_turn(FIX_TODO_EDIT), script_turn("Clamped x; removed it."))
    settings = settings_for(script, governance={"notify_globs": ["calc/*"],
                                                "notify_apply_delay_s": 3})
    async with running_daemon(repo, settings) as daemon:
        add_todo_and_commit(repo)
        await wait_for(lambda: any(h.phase.value == "APPROVE" for h in daemon.ops.values()),
                       what="the op in its notify window")
        clamp_tests = repo / "tests" / "test_clamp.py"
        clamp_tests.write_text(clamp_tests.read_text() + NOT_YET)
        (repo / "tests" / "test_ops.py").write_text(TEST_OPS.replace(
            "def test_add():\n    assert add(2, 3) == 5\n\n\n", ""))
        git(repo, "commit", "-qam", "human: a test for steps, test_add gone")
        [op] = await wait_terminal(daemon, timeout=120)
        assert daemon.ledger is not None
        chain = await daemon.ledger.chain(op["op_id"])
    assert op["phase"] == "COMPLETE", chain["transitions"][-1]["reason"]
    assert "return max(lo, min(x, hi))" in (repo / "calc" / "ops.py").read_text()
    verify = next(t for t in chain["transitions"] if t["from_phase"] == "VERIFY")
    assert verify["payload"]["theirs"] == ["tests/test_clamp.py::test_clamp_steps",
                                           "tests/test_ops.py::test_add"], verify["payload"]
    assert "2 failing test(s) fail without this op's change too" in verify["reason"]
    assert not git(repo, "log", "-1", "--format=%s").startswith("human: ")  # the op landed


def _report(outcome: str, message: str | None = None) -> Report:
    test = "tests/test_x.py::test_y"
    said = {test: FailureText(test, message)} if message is not None else {}
    return Report(finished=True, exitstatus=1, tests={test: outcome} if outcome else {},
                  failures=said)


@pytest.mark.parametrize(("live", "without", "theirs"), [
    (("failed", "assert 10 == 11"), ("failed", "assert 50 == 11"), True),  # other values
    (("failed", "TypeError: bad step"), ("failed", "TypeError: bad step"), True),
    (("", None), ("", None), True),  # removed both times
    # a flaky test failing in the copy by chance does not excuse the op's own failure
    (("failed", "ZeroDivisionError: division by zero"), ("failed", "assert 1 == 2"), False),
    (("failed", "assert 1 == 2"), ("skipped", None), False),  # the copy lacks ignored files
    (("error", "OSError: x"), ("failed", "OSError: x"), False),
    (("", None), ("passed", None), False),  # the op removed it
])
def test_what_fails_alike_without_the_op(live, without, theirs):
    assert _fails_alike("tests/test_x.py::test_y", _report(*live), _report(*without)) is theirs
