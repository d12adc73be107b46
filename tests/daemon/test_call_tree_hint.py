"""The call-tree hint in a real daemon (real git, real pytest in the jail, the replay model
provider): a human's commit broke a function below the one a test asserts the result of;
the suite profile's run finds the failure at start, its own re-run of the failing test,
alone, records the library functions the test's call ran (no extra jailed run, no extra
wait on the host gate), and the repair's prompt names them as a call tree and shows the
innermost one's code (issue 50: the 1.5B model resolved sqlparse's split with it)."""

from __future__ import annotations

import pytest

from daemon.service import Daemon
from kernel.replay import ReplayProvider
from tests.helpers import (
    candidate_turn,
    explore_calls,
    git,
    running_daemon,
    script_turn,
    settings_for,
    tool_call,
    wait_for,
    wait_terminal,
    write_script,
)
from tests.sensors.test_failure_calls import REPO, SPLITTER, TEST

pytestmark = pytest.mark.slow

HEADING = "## What the failing test's call ran in the library\n"
EXPLORE = script_turn(explore_calls("tests/test_split.py", "sql/splitter.py", "sql/__init__.py"),
                      tool_call("search_code", pattern="_change_level", path="sql"))
FIX = candidate_turn("sql/splitter.py", SPLITTER.replace(' or word == "IF"', ""),
                     "IF opens no block: DROP TABLE IF EXISTS is one statement")


async def test_a_repair_prompt_names_what_the_failing_tests_call_ran(repo, short_tmp):
    for path, text in REPO.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", *REPO)
    git(repo, "commit", "-q", "-m", "split: IF opens a block (broken)")
    script = write_script(short_tmp / "s.jsonl", *[EXPLORE, FIX] * 2)
    provider = ReplayProvider.from_file(script, record=True)
    settings = settings_for(script, proof={"profile_timeout_s": 60.0, "profile_poll_s": 0.05})
    async with running_daemon(repo, settings, Daemon(repo, settings, provider=provider)) as d:
        await wait_for(lambda: provider.prompts, 120.0, "the repair's first prompt")
        [handle] = d.ops.values()
        evidence = handle.ctx.envelope.evidence
        [op] = await wait_terminal(d, timeout=120)
    assert evidence["test_id"] == TEST
    assert evidence["called"] == [  # what the test's call ran, in order, with its depth
        {"fn": "fn:sql/splitter.py::split", "depth": 1},
        {"fn": "fn:sql/splitter.py::_Splitter.__init__", "depth": 2},
        {"fn": "fn:sql/splitter.py::_Splitter.run", "depth": 2},
        {"fn": "fn:sql/splitter.py::_change_level", "depth": 3}]
    # the plan's prompt and each GENERATE step's name them as a call tree, the same bytes
    trees = {p.split(HEADING, 1)[1].split("\n## ", 1)[0] for p in provider.prompts
             if HEADING in p}
    assert len(provider.prompts) >= 2 and all(HEADING in p for p in provider.prompts)
    [tree] = trees
    assert tree.endswith("- sql/splitter.py split\n  - sql/splitter.py _Splitter.__init__\n"
                         "  - sql/splitter.py _Splitter.run\n"
                         "    - sql/splitter.py _change_level\n"), tree
    assert op["phase"] == "COMPLETE", op
