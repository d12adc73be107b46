"""What a suite profile (governance.oracle.profile_store) needs rerun when the tree moves:
pytest-testmon's idea, per test file. A test file reruns when it changed (or is new), or
when a code file it entered at the last profile changed; every other test file keeps what
it entered. A changed harness file (conftest.py, ini files, ...) can change every test: the
whole suite reruns.

Only code files are tracked (what the oracle plugin records as entered): a test that reads a
changed data file keeps its old entry until its own file or its code changes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

from governance.gates.risk import harness_reason
from governance.oracle.profile_store import SuiteProfile
from governance.oracle.scope import code_entered
from governance.oracle.testrun import is_test_file


def file_hashes(root: Path, files: Sequence[str]) -> dict[str, str]:
    """sha256 of each regular file under `root` (links and the missing are left out)."""
    out: dict[str, str] = {}
    for rel in files:
        path = root / rel
        if path.is_file() and not path.is_symlink():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def changed_since(old: SuiteProfile, hashes: dict[str, str]) -> set[str]:
    """Files added, removed or changed since the profiled tree."""
    return {f for f in old.hashes.keys() | hashes.keys() if old.hashes.get(f) != hashes.get(f)}


def to_rerun(old: SuiteProfile | None, hashes: dict[str, str]) -> list[str] | None:
    """The test files to profile again; None: the whole suite (no profile yet, one without
    file hashes, or a harness file changed)."""
    if old is None or not old.hashes:
        return None
    changed = changed_since(old, hashes)
    if any(harness_reason(f) for f in changed):
        return None
    return sorted(t for t in hashes if is_test_file(t)
                  and (t in changed or old.tests.get(t, frozenset()) & changed))


def merged(old: SuiteProfile, *, tree: str, head: str, hashes: dict[str, str],
           rerun: list[str], entered: dict[str | None, frozenset[str]]) -> SuiteProfile:
    """`old` with the rerun test files' new entries, gone test files dropped, at `tree`.
    The suite's time stays the last whole-suite run's: a partial run does not measure it."""
    kept = {t: f for t, f in old.tests.items() if t in hashes and t not in set(rerun)}
    return SuiteProfile(tree=tree, head=head, at=time.time(), suite_s=old.suite_s,
                        tests={**kept, **code_entered(entered)}, hashes=hashes,
                        rerun=len(rerun))


def whole(*, tree: str, head: str, hashes: dict[str, str], seconds: float,
          entered: dict[str | None, frozenset[str]]) -> SuiteProfile:
    """The profile a whole-suite run learnt."""
    return SuiteProfile(tree=tree, head=head, at=time.time(), suite_s=seconds,
                        tests=code_entered(entered), hashes=hashes, rerun=None)
