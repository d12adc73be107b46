"""The convergence bench's task set and its scripted fixer, checked in-process (no pytest
subprocess): every seeded fault is caught by the test it names at every broken step, every
fixable task ends with its suite passing, and the fixer reads only the feedback."""

from __future__ import annotations

import asyncio
import difflib
import json
import sys
import time
import types

import pytest

from bench.scripted_fixer import ScriptedFixer, feedback
from bench.seeded_repos import FAMILIES
from bench.seeded_tasks import TASKS, Task
from governance.errors import ProviderError
from governance.phases.decide import TRIVIAL_GOAL_CHARS
from tests.helpers import make_policy


def failing_tests(task: Task, source: str) -> set[str]:
    """Run the family's test functions against `source` as its module, in-process; the
    names of the tests that fail ('<import>' when the module does not import)."""
    fam = FAMILIES[task.family]
    package, module = task.target[:-3].split("/")
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == package}
    try:
        for k in saved:
            del sys.modules[k]
        pkg = types.ModuleType(package)
        pkg.__path__ = []
        sys.modules[package] = pkg
        mod = types.ModuleType(f"{package}.{module}")
        sys.modules[mod.__name__] = mod
        try:
            exec(compile(source, task.target, "exec"), mod.__dict__)
        except ImportError:
            return {"<import>"}
        tests: dict = {}
        exec(fam.files[f"tests/test_{module}.py"], tests)
        failed = set()
        for name, fn in tests.items():
            if name.startswith("test_"):
                try:
                    fn()
                except (Exception, pytest.fail.Exception):  # pytest.raises fails as Failed
                    failed.add(name)
        return failed
    finally:
        for k in [k for k in sys.modules if k.split(".")[0] == package]:
            del sys.modules[k]
        sys.modules.update(saved)


def changed_lines(old: str, new: str) -> int:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def final_steps(task: Task) -> list[int]:
    return [len(f.states) - 1 for f in task.faults]


def test_the_set_is_big_and_varied():
    assert len(TASKS) >= 20
    assert {t.bugs for t in TASKS if t.kind == "plain"} == {1, 2, 3, 4, 5, 6}
    assert {t.kind for t in TASKS} == {"plain", "syntax", "oscillating", "environment", "slow"}
    goals = [t.goal for t in TASKS]
    assert len(set(goals)) == len(goals)
    assert all(len(g) <= TRIVIAL_GOAL_CHARS for g in goals)  # one target, no plan: SAFE_AUTO


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_each_fault_is_caught_by_its_test(task: Task):
    assert failing_tests(task, task.base()) == set()
    for f in task.faults:
        assert task.base().count(f.original) == 1
    if task.uses:  # the environment case: the module cannot import its dependency
        assert failing_tests(task, task.draft()) == {"<import>"}
        return
    caught: set[str] = set()
    for n, fault in enumerate(task.faults):
        # The other faults held fixed; one that loops is never fixed: its tests are noise.
        steps = [1 if f.loop else len(f.states) - 1 for f in task.faults]
        noise = {name for m, f in enumerate(task.faults) if m != n and f.loop
                 for name in (f.test, *f.triggers)}
        step, seen = 0, set()
        while not fault.done(step) and step not in seen:  # every step the fixer reaches
            seen.add(step)
            steps[n] = step
            text = task.render(steps)
            if fault.trigger(step) == "SyntaxError":
                with pytest.raises(SyntaxError):
                    compile(text, task.target, "exec")
            else:
                failed = failing_tests(task, text) - noise
                assert failed and failed <= {fault.test, *fault.triggers}, (task.id, step)
                caught |= failed
            step = fault.next_step(step)
    assert len(caught) == task.bugs
    if not any(f.loop for f in task.faults):
        assert failing_tests(task, task.render(final_steps(task))) == set()


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_repairs_fit_l2_limits(task: Task):
    """One file, and within L2's changed-line limit per repair step."""
    steps = [0] * len(task.faults)
    for n, fault in enumerate(task.faults):
        for _ in range(len(fault.states)):  # a looping fault: once round its loop
            if fault.done(steps[n]):
                break
            before = task.render(steps)
            steps[n] = fault.next_step(steps[n])
            assert 0 < changed_lines(before, task.render(steps)) <= make_policy().l2_max_diff_lines


def prompt(task: Task, failure: str = "", target_text: str = "") -> str:
    parts = ["You are the code-generation step.", f"## Goal\n{task.goal}",
             f"## Target files\n--- {task.target}\n{target_text or task.base()}"]
    if failure:
        parts.append(f"## The previous attempt failed\n{failure}\nFix that.")
    parts.append("## Output\nReply with JSON.")
    return "\n\n".join(parts)


def reply_content(fixer: ScriptedFixer, text: str) -> str:
    reply = asyncio.run(fixer.generate(text, deadline=time.monotonic() + 5, steer={"x": 1}))
    return json.loads(reply.text)["full_content"]


def test_fixer_drafts_then_fixes_one_named_test_per_turn():
    task = next(t for t in TASKS if t.id == "t07")  # three plain bugs
    fixer = ScriptedFixer(TASKS)
    assert reply_content(fixer, prompt(task)) == task.draft()
    names = " ".join(f"tests/test_strings.py::{f.test}: failed" for f in task.faults[1:])
    second = reply_content(fixer, prompt(task, f"regressions: {names}"))
    assert second == task.render([0, 1, 0])  # the first named, still broken, only
    assert reply_content(fixer, prompt(task, "nothing useful")) == second


def test_fixer_reads_only_the_feedback():
    task = next(t for t in TASKS if t.id == "t01")
    fixer = ScriptedFixer([task])
    reply_content(fixer, prompt(task))
    # The test's node id in the target file or goal area is not feedback.
    lure = f"# tests/test_stats.py::{task.faults[0].test}\n" + task.base()
    assert reply_content(fixer, prompt(task, "flaky network", lure)) == task.draft()
    assert feedback(prompt(task, "X", lure)) == "X\nFix that."
    fixed = reply_content(fixer, prompt(task, f"tests/test_stats.py::{task.faults[0].test}"))
    assert fixed == task.render(final_steps(task))


def test_fixer_refuses_a_prompt_for_no_task_of_its_own():
    fixer = ScriptedFixer(TASKS[:2])
    with pytest.raises(ProviderError, match="no seeded task"):
        asyncio.run(fixer.generate(prompt(TASKS[3]), deadline=time.monotonic() + 5))
    with pytest.raises(ValueError, match="share a goal"):
        ScriptedFixer([TASKS[0], TASKS[0]])


@pytest.mark.slow
def test_fixer_replies_carry_the_text_detectors_signal_far_from_a_spook():
    """The bench measures L2, not the reflex: no seeded draft looks like a collapse."""
    fixer = ScriptedFixer(TASKS)
    for task in TASKS:
        reply = asyncio.run(fixer.generate(prompt(task), deadline=time.monotonic() + 5))
        assert reply.collapse.source == "text"
        assert reply.collapse.proximity < make_policy().reground_spook
