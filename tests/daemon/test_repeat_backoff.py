"""A brain that repeats itself, in a real daemon (issue 43 §8): the TODO's op ends with "the
brain gave the same answer 3 times" on the console's reason, and its work is held as
refused (issue 51 item 4: the brain answered and its answer was refused, so it is not asked
again until the code, its tests, the brain or the settings change; no timer) instead of
being taken again at once; the replay stand-in states the same file outside the repository
in every attempt, as the embedded model did."""

from __future__ import annotations

import pytest

from tests.helpers import (
    OPS_PY,
    TEST_OPS,
    candidate_turn,
    commit_files,
    explore_turn,
    git,
    running_daemon,
    settings_for,
    tree_bytes,
    wait_terminal,
    write_script,
)

pytestmark = pytest.mark.slow  # a real daemon

OUTSIDE = candidate_turn("/Users/john-doe/.gitlabr2038s/", "x = 1\n", "store it there")


async def test_the_same_answer_three_times_ends_the_op_and_its_work_is_held_as_refused(short_tmp):
    repo = commit_files(short_tmp / "repo", {"calc/__init__.py": "", "calc/ops.py": OPS_PY,
                                             "tests/test_ops.py": TEST_OPS})
    # One more attempt than the op may make: the rule ends it, not the script running dry.
    script = write_script(short_tmp / "script.jsonl",
                          *[explore_turn("calc/ops.py"), OUTSIDE] * 4)
    async with running_daemon(repo, settings_for(script)) as daemon:
        (repo / "calc" / "ops.py").write_text(OPS_PY.replace(
            "    return x\n", "    # TODO: clamp x into [lo, hi]\n    return x\n"))
        git(repo, "commit", "-qam", "a TODO")
        before = tree_bytes(repo)
        [op] = await wait_terminal(daemon, timeout=120)
        chain = await daemon.ledger.chain(op["op_id"])
        held = (await daemon.status()).held_back
    last = chain["transitions"][-1]
    assert op["phase"] == "POSTMORTEM", last
    assert last["reason"].startswith("the brain gave the same answer 3 times: the stated "
                                     "candidate cannot be written"), last["reason"]
    assert len(chain["model_calls"]) == 6  # three attempts, each an exploration and an answer
    assert [(h.op_id, h.until) for h in held if h.event == "refused"] == [(op["op_id"], None)]
    assert tree_bytes(repo) == before
