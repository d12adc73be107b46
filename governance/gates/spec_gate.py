"""A repair's failing tests are its specification: a candidate's changes to the files that
hold them are dropped before any other gate, and the rest is judged as the candidate.

The prompt says so ("the failing tests, the specification your change must pass, not the
place to edit"), and a small model edits them anyway: of Qwen2.5-Coder-1.5B's samples for
sqlparse's MATERIALIZED keyword, one added the missing row and also rewrote the failing
test's assertion, and the whole candidate, proven, went to review as one that "weakens
tests" (issue 50, stop 75). Dropping is no weaker than judging: what is left passes the
human's tests as the human wrote them, or it is refused as any candidate is; and a test
file the human changed is never written over by the daemon. A candidate that changes
nothing else is refused, so that the next turn is told where the change goes. Only test
files are the specification: a failing doctest's module is the library's code.

Pure: a candidate and the failing tests' files in, the candidate to judge out.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection

from governance.gates.weakening import is_test_path
from governance.schemas import Candidate

ONLY_SPEC = ("the candidate changes only the failing tests' files ({files}), which are the "
             "specification, not the place to edit: change the library code they test")


def check(candidate: Candidate, spec: Collection[str]) -> tuple[Candidate, str | None]:
    """(the candidate without its changes to the test files in `spec`, None); or (the
    candidate, the reason it is refused) where it changes nothing else."""
    if candidate.no_op or not spec:
        return candidate, None
    # a failing test inside a library module (a doctest) leaves its module to the change
    tests = {n for p in spec if is_test_path(n := _norm(p))}
    changes = candidate.changes()
    rest = [c for c in changes if _norm(c.file_path) not in tests]
    if len(rest) == len(changes):
        return candidate, None
    if not rest:
        return candidate, ONLY_SPEC.format(files=", ".join(c.file_path for c in changes))
    return Candidate(files=rest, rationale=candidate.rationale), None


def dropped(asked: Candidate, kept: Candidate) -> list[str]:
    """The files `asked` changes and `kept` does not: what `check` dropped."""
    left = {c.file_path for c in kept.changes()}
    return [c.file_path for c in asked.changes() if c.file_path not in left]


def _norm(path: str) -> str:
    """A repository-relative path as one text (`./tests/x.py` is `tests/x.py`)."""
    return posixpath.normpath(path.replace("\\", "/"))
