"""Fixing what the repository's own linter fixes (issue 42, item 5).

A project that selects ruff's `I` rules and runs `ruff check --fix` in its pre-commit hook
never sees an import-order finding in a commit: the tool fixes it first. The lint gate
(governance.proof.lint_gate) does the same for the findings a candidate adds, where the
repository's configuration lets its linter fix them safely:

- ruff's safe fixes: `ruff check --fix-only --no-unsafe-fixes` (a repository's
  `unsafe-fixes = true` does not apply here), limited to the codes of the new findings
  ruff offered a safe fix for, under the repository's own configuration (its `fixable`,
  `unfixable`, `extend-safe-fixes` and per-file ignores hold);
- on the candidate's changed files only, in the lint sandbox copy, in the jail, by the
  runner the linters use (governance.oracle.lint_runner). The argv is ours (FIXERS); the
  codes must look like rule codes.

A file's fix is taken only when its text still parses, nothing else in the copy changed,
and it keeps every line of the base that the candidate kept: the fix rewrites the
candidate's own lines; it may move a kept line (sorting an import block does), never
rewrite or drop one. Otherwise the finding stands, and the change goes to review.
Not run: isort, and pre-commit hooks (their environments are built from the network).
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
import stat
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from governance.oracle.linters import Finding
from governance.python_ast import parse_python

RULE_CODE = re.compile(r"[A-Z]{1,4}[0-9]{1,4}")  # nothing else reaches a fixer's argv
LINE_KEPT = 300  # characters of a rewritten line the ledger keeps


@dataclass(frozen=True)
class Fixer:
    """How one linter's safe fixes run: `python -m MODULE ARGV... SELECT CODES FILES...`."""

    tool: str  # the linter (governance.oracle.linters.LINTERS) whose findings it fixes
    module: str
    argv: tuple[str, ...]
    select: str  # the option that limits it to the given codes


FIXERS: tuple[Fixer, ...] = (
    Fixer("ruff", "ruff", ("check", "--fix-only", "--no-unsafe-fixes", "--exit-zero",
                           "--no-cache", "--force-exclude"), "--select"),
)


def fix_jobs(new: Sequence[Finding], files: Collection[str], timeout_s: float) -> list[dict]:
    """The runner's jobs (one per fixer with work) that fix what of `new` its tool offered
    a safe fix for, in those of `files` (the candidate's) that hold such findings."""
    jobs = []
    for fixer in FIXERS:
        mine = [f for f in new if f.tool == fixer.tool and f.fixable and f.path in files
                and RULE_CODE.fullmatch(f.code)]
        if mine:
            argv = [*fixer.argv, fixer.select, ",".join(sorted({f.code for f in mine}))]
            jobs.append({"files": sorted({f.path for f in mine}), "timeout_s": timeout_s,
                         "tools": [{"name": fixer.tool, "module": fixer.module,
                                    "argv": argv, "format": "fix"}]})
    return jobs


def fix_refusal(rel: str, base: str | None, candidate: str, fixed: str) -> str | None:
    """Why the fixer's text of `rel` is not taken (None: it is)."""
    try:
        parse_python(fixed, filename=rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "the fixed text does not parse"
    if base is None:  # a new file: every line is the candidate's
        return None
    kept = Counter(candidate.splitlines(True)) & Counter(base.splitlines(True))
    lost = kept - Counter(fixed.splitlines(True))
    if lost:
        line = next(iter(lost)).strip()[:80]
        return f"the fix would rewrite a line the candidate kept from the base: {line!r}"
    return None


@dataclass(frozen=True)
class Rewrite:
    """One line the fix changed: where (1-based, in the candidate's text), what it was
    (None: the fix added it) and what it is (None: the fix removed it)."""

    file: str
    line: int
    before: str | None
    after: str | None

    def record(self) -> dict:
        return {"file": self.file, "line": self.line,
                "before": None if self.before is None else self.before[:LINE_KEPT],
                "after": None if self.after is None else self.after[:LINE_KEPT]}


def rewrites(rel: str, candidate: str, fixed: str) -> list[Rewrite]:
    """The lines of `candidate` the fix replaced, removed or added."""
    a, b = candidate.splitlines(), fixed.splitlines()
    out: list[Rewrite] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b,
                                                       autojunk=False).get_opcodes():
        if tag != "equal":
            pairs = itertools.zip_longest(a[i1:i2], b[j1:j2])
            out += [Rewrite(rel, i1 + k + 1, old, new) for k, (old, new) in enumerate(pairs)]
    return out


def tree_state(root: Path, skip: Collection[str]) -> dict[str, tuple[int, ...]]:
    """Every entry under `root` but `skip` (relative paths), links never followed: a file
    as (mode, size, mtime), a directory by its mode (an atomic write's temporary file
    touches it). Two states differ when a fixer changed anything it was not given."""
    out: dict[str, tuple[int, ...]] = {}
    for top, dirs, names in os.walk(root):
        for name in (*dirs, *names):
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if rel not in skip:
                out[rel] = (st.st_mode,) if stat.S_ISDIR(st.st_mode) else (
                    st.st_mode, st.st_size, st.st_mtime_ns)
    return out
