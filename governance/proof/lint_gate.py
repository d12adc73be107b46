"""Running the lint gate for one candidate (governance.oracle.linters says what it is): the
repository's configured linters and type checkers on the changed Python files, in the
jail, with the candidate's texts and then with the base's, in one sandbox copy. What the
candidate adds and the repository's own fixer fixes safely (governance.oracle.lint_fix) is
fixed there, and the candidate linted again: the fixed texts replace the candidate's."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from governance.fs import nofollow
from governance.fs.protected import PathEscape
from governance.oracle.lint_fix import fix_jobs, fix_refusal, rewrites, tree_state
from governance.oracle.lint_report import LintReport
from governance.oracle.linters import (
    CONFIG_FILES,
    LINT_SOURCE,
    Linter,
    configured,
    findings_of,
    job,
    new_findings,
    not_moved,
)
from governance.oracle.sandbox import write_changes
from governance.oracle.testrun import TestRunner
from governance.schemas import Candidate, FileChange

__all__ = ["LintReport", "adopt", "check_lint", "linters_of"]

READ_CAP = 1_000_000  # a config file larger than this is not read
FIXED_CAP = 4_000_000  # a fixed file larger than this is not read back
LINTED = (".py", ".pyi")
Base = Callable[[str], str | None]  # a file's text at the op's base; None: absent


def linters_of(root: Path) -> list[Linter]:
    """The linters `root`'s files configure (read without following links)."""
    def read(rel: str) -> str | None:
        try:
            return nofollow.read_bytes(root, rel, limit=READ_CAP).decode("utf-8", "replace")
        except (OSError, PathEscape):
            return None
    return configured(read)


@dataclass(frozen=True)
class _Copy:
    """The lint sandbox copy and how the runner lints its files."""

    runner: TestRunner
    tree: Path
    request: dict  # the linters' job (governance.oracle.lint_runner)
    scratch: Path

    async def run(self, request: dict | None = None) -> dict | str:
        return await self.runner.run_script(self.tree, LINT_SOURCE, request or self.request,
                                            scratch=self.scratch)

    def write(self, texts: Mapping[str, str]) -> None:
        write_changes(self.tree, [FileChange(file_path=rel, full_content=text)
                                  for rel, text in texts.items()])


async def check_lint(runner: TestRunner, tree: Path, linters: Sequence[Linter],
                     changes: Sequence[FileChange], base: Base, scratch: Path,
                     timeout_s: float, *, fix: bool = False) -> LintReport:
    """`tree` holds the candidate: lint its changed Python files under the base's
    configuration, put their base texts (`base(rel)`) back, lint again, compare. With
    `fix`, what it adds that the repository's fixer fixes safely is fixed, and linted
    again (the report's `texts`: the fixed files)."""
    start = time.monotonic()
    files = sorted(c.file_path for c in changes
                   if c.action != "delete" and c.file_path.endswith(LINTED))
    if not files or not linters:
        return LintReport()
    slow = runner.with_timeout(timeout_s * len(linters) + 30)  # each tool has its own limit
    copy = _Copy(slow, tree, job(linters, files, timeout_s), scratch)
    write_changes(tree, _as_base([c.file_path for c in changes
                                  if c.file_path in CONFIG_FILES], base))
    after = await copy.run()
    write_changes(tree, _as_base(files, base))
    before = await copy.run()
    if isinstance(after, str) or isinstance(before, str):  # the gate could not run: a reason
        side, why = ("candidate", after) if isinstance(after, str) else ("base", before)
        return LintReport(problem=f"the runner failed on the {side}: {why}"[:300],
                          seconds=time.monotonic() - start)
    texts = {c.file_path: c.full_content or "" for c in changes if c.file_path in files}
    report = _compare(before, after, [t.name for t in linters], texts.get, base)
    jobs = fix_jobs(report.new, files, timeout_s) if fix else []
    if jobs:
        report = await _fixed(copy, jobs, texts, base, before, report)
    return dataclasses.replace(report, seconds=time.monotonic() - start)


def _as_base(files: Sequence[str], base: Base) -> list[FileChange]:
    return [FileChange(file_path=rel, action="write", full_content=text)
            if (text := base(rel)) is not None else FileChange(file_path=rel, action="delete")
            for rel in files]


def _compare(before: Mapping, after: Mapping, tools: Sequence[str],
             cand_text: Base, base: Base) -> LintReport:
    """The findings the candidate adds, per tool that judged both sides. A tool that gave
    no findings on the base (not installed there, timed out) judges nothing: skipped. One
    that judged the base and not the candidate (it timed out, crashed, answered garbage or
    nothing there) could not decide: unjudged, a reason (issue 49)."""
    was, base_problems = findings_of(before, tools)
    cand, cand_problems = findings_of(after, tools)
    skipped = {name: f"on the base: {why}" for name, why in base_problems.items()}
    unjudged = {name: f"on the candidate: {why}" for name, why in cand_problems.items()
                if name not in skipped}
    judged = tuple(sorted(set(was) & set(cand)))
    new = [f for name in judged for f in not_moved(
        new_findings(was[name], cand[name]), was[name], cand[name], cand_text, base)]
    return LintReport(judged, tuple(new), skipped, unjudged=unjudged)


async def _fixed(copy: _Copy, jobs: list[dict], texts: dict[str, str], base: Base,
                 before: Mapping, report: LintReport) -> LintReport:
    """The fixers on the candidate's texts, and the candidate linted again with the fixes
    taken. A fix the linters cannot judge again is dropped: its findings stand."""
    copy.write(texts)
    fixed: dict[str, str] = {}
    refused: dict[str, str] = {}
    for request in jobs:
        taken, why = await _run_fixer(copy, request, texts, base)
        fixed, refused = fixed | taken, refused | why
    if not fixed:
        return dataclasses.replace(report, not_fixed=refused)
    copy.write({rel: texts[rel] for rel in refused})  # what the re-lint judges: no fix
    again = await copy.run()
    relinted = None if isinstance(again, str) else _compare(
        before, again, report.judged, lambda rel: fixed.get(rel, texts.get(rel)), base)
    if relinted is None or relinted.judged != report.judged:
        why = again if isinstance(again, str) else "not every linter judged the fixed texts"
        dropped = {rel: f"the fixed candidate could not be linted again: {why}"[:300]
                   for rel in fixed}
        return dataclasses.replace(report, not_fixed=refused | dropped)
    gone = tuple(new_findings(relinted.new, report.new))
    if not gone:  # a rewrite that fixes nothing is not worth a change to the candidate
        return dataclasses.replace(report, not_fixed=refused | {
            rel: "the fix removed none of the candidate's findings" for rel in fixed})
    lines = tuple(r for rel in sorted(fixed) for r in rewrites(rel, texts[rel], fixed[rel]))
    return dataclasses.replace(relinted, fixed=gone, texts=fixed, rewritten=lines,
                               not_fixed=refused)


async def _run_fixer(copy: _Copy, request: dict, texts: Mapping[str, str],
                     base: Base) -> tuple[dict[str, str], dict[str, str]]:
    """One fixer on its files: (file -> the fixed text taken, file -> why it was not)."""
    files = request["files"]
    state = await asyncio.to_thread(tree_state, copy.tree, files)
    answer = await copy.run(request)
    asked = [str(t.get("name")) for t in request.get("tools", []) if isinstance(t, dict)]
    problems = answer if isinstance(answer, str) else "; ".join(
        findings_of(answer, asked)[1].values())
    if problems:
        return {}, {rel: f"the fixer failed: {problems}"[:300] for rel in files}
    if await asyncio.to_thread(tree_state, copy.tree, files) != state:
        return {}, {rel: "the fixer changed files outside the candidate's" for rel in files}
    taken: dict[str, str] = {}
    refused: dict[str, str] = {}
    for rel in files:
        try:
            text = nofollow.read_bytes(copy.tree, rel, limit=FIXED_CAP).decode("utf-8")
        except (OSError, PathEscape, ValueError):  # gone, a link, too large, not UTF-8
            refused[rel] = "the fixed file could not be read back"
            continue
        why = "the fixer changed nothing" if text == texts[rel] else fix_refusal(
            rel, base(rel), texts[rel], text)
        if why:
            refused[rel] = why
        else:
            taken[rel] = text
    return taken, refused


def adopt(candidate: Candidate, texts: Mapping[str, str]) -> None:
    """The fixed `texts` in `candidate` itself, in place: whoever holds it (the op's
    generation, a best-of-N sample, an L2 repair) goes on with the bytes the tests
    judge and APPLY writes."""
    if candidate.files is not None:
        candidate.files = [c.model_copy(update={"full_content": texts[c.file_path]})
                           if c.action == "write" and c.file_path in texts else c
                           for c in candidate.files]
    elif candidate.file_path in texts:
        candidate.full_content = texts[candidate.file_path]
