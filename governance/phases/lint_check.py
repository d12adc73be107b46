"""Running the lint gate for one candidate (governance.oracle.linters says what it is): the
repository's configured linters and type checkers on the changed Python files, in the
jail, with the candidate's texts and then with the base's, in one sandbox copy."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.fs import nofollow
from governance.fs.protected import PathEscape
from governance.oracle.linters import (
    CONFIG_FILES,
    LINT_SOURCE,
    MAX_KEPT,
    MAX_NAMED,
    Finding,
    Linter,
    configured,
    findings_of,
    job,
    new_findings,
)
from governance.oracle.sandbox import write_changes
from governance.oracle.testrun import TestRunner
from governance.schemas import FileChange

READ_CAP = 1_000_000  # a config file larger than this is not read
LINTED = (".py", ".pyi")


@dataclass(frozen=True)
class LintReport:
    judged: tuple[str, ...] = ()  # the tools that ran on both sides
    new: tuple[Finding, ...] = ()  # what the candidate adds
    skipped: Mapping[str, str] = field(default_factory=dict)  # tool -> why it judged nothing
    seconds: float = 0.0
    problem: str | None = None  # the gate itself could not run: a refusal

    def reasons(self) -> list[str]:
        """Why the candidate is refused ([] when it adds no finding)."""
        if self.problem:
            return [f"the repository's linters could not be run: {self.problem}"]
        if not self.new:
            return []
        named = "; ".join(f.text() for f in self.new[:MAX_NAMED])
        more = len(self.new) - MAX_NAMED
        return [f"the repository's linters find {len(self.new)} new finding(s): {named}"
                + (f" and {more} more" if more > 0 else "")]

    def payload(self) -> dict:
        return {"judged": list(self.judged), "skipped": dict(self.skipped),
                "problem": self.problem,
                "new": [f.text() for f in self.new[:MAX_KEPT]],
                "seconds": round(self.seconds, 3)}


def linters_of(root: Path) -> list[Linter]:
    """The linters `root`'s files configure (read without following links)."""
    def read(rel: str) -> str | None:
        try:
            return nofollow.read_bytes(root, rel, limit=READ_CAP).decode("utf-8", "replace")
        except (OSError, PathEscape):
            return None
    return configured(read)


async def check_lint(runner: TestRunner, tree: Path, linters: Sequence[Linter],
                     changes: Sequence[FileChange], base: Callable[[str], str | None],
                     scratch: Path, timeout_s: float) -> LintReport:
    """`tree` holds the candidate: lint its changed Python files under the base's
    configuration, put their base texts (`base(rel)`, None: absent) back, lint again,
    compare."""
    start = time.monotonic()
    files = sorted(c.file_path for c in changes
                   if c.action != "delete" and c.file_path.endswith(LINTED))
    if not files or not linters:
        return LintReport()
    request = job(linters, files, timeout_s)
    slow = runner.with_timeout(timeout_s * len(linters) + 30)  # each tool has its own limit
    write_changes(tree, _as_base([c.file_path for c in changes
                                  if c.file_path in CONFIG_FILES], base))
    after = await slow.run_script(tree, LINT_SOURCE, request, scratch=scratch)
    write_changes(tree, _as_base(files, base))
    before = await slow.run_script(tree, LINT_SOURCE, request, scratch=scratch)
    if isinstance(after, str) or isinstance(before, str):
        why = after if isinstance(after, str) else before
        return LintReport(skipped={t.name: f"the runner failed: {why}"[:300] for t in linters},
                          seconds=time.monotonic() - start)
    return _compare(before, after, time.monotonic() - start)


def _as_base(files: Sequence[str], base: Callable[[str], str | None]) -> list[FileChange]:
    return [FileChange(file_path=rel, action="write", full_content=text)
            if (text := base(rel)) is not None else FileChange(file_path=rel, action="delete")
            for rel in files]


def _compare(before: Mapping, after: Mapping, seconds: float) -> LintReport:
    base, base_problems = findings_of(before)
    cand, cand_problems = findings_of(after)
    skipped = {name: f"on the base: {why}" for name, why in base_problems.items()}
    skipped |= {name: f"on the candidate: {why}" for name, why in cand_problems.items()
                if name not in skipped}
    judged = tuple(sorted(set(base) & set(cand)))
    new = [f for name in judged for f in new_findings(base[name], cand[name])]
    return LintReport(judged, tuple(new), skipped, seconds)
