"""Whether a review's kept missing test is accepted (issue 45, item 5): eval has no person
to read it, so it asks what a person comparing it with the maintainer's own fix would: the
kept test's branch (the brain's change, then its test), with the maintainer's code files
written over the brain's, runs the kept tests in the jail, and each must pass. A test that
passes only on the brain's change asks for what the brain wrote, not what was wanted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from daemon.config.settings import Settings
from daemon.eval import scratch
from daemon.eval.result import MissingTest, missing_test_of
from daemon.eval.suite import Suite
from daemon.eval.task import Task


async def accepted(suite: Suite, task: Task, root: Path, work: Path,
                   kept: MissingTest) -> bool | None:
    """True when every kept test passes on the maintainer's fix; None when it could not be
    run (no branch, no tests, or a session that left no report)."""
    if not kept.kept or not kept.branch or not kept.tests:
        return None
    tree = await asyncio.to_thread(scratch.checkout_copy, root, kept.branch, work / "kept-test")
    try:
        await asyncio.to_thread(scratch.write, tree, task.fix)
        run = await suite.run(tree, kept.tests, what="the kept missing test")
    finally:
        await asyncio.to_thread(scratch.remove, tree)
    if run.problem and not run.tests:
        return None
    return all(run.passed(t) for t in kept.tests)


async def of_review(settings: Settings, jail_reason: str | None, task: Task, root: Path,
                    work: Path, payload: dict[str, Any], repo: Path | None = None,
                    ) -> MissingTest | None:
    """A review's PROPOSED row's missing test, typed, with `accepted` judged when kept
    (`repo`: the user's repository, where the jail shows the tree: daemon.eval.suite)."""
    found = missing_test_of(payload)
    if found is None or not found.kept:
        return found
    suite = Suite(settings, work / "judge-state", jail_reason, settings.eval.suite_timeout_s,
                  repo=repo)
    return found.model_copy(update={"accepted": await accepted(suite, task, root, work, found)})
