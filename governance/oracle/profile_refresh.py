"""What a suite profile (governance.oracle.profile_store) needs rerun when the tree moves:
pytest-testmon's idea, to the test and the function. With the last profile's detail
(governance.oracle.profile_detail: per test, the function blocks it entered):
- a test file that changed, or is new, reruns whole (its tests, and any it adds);
- any other test reruns when it entered a block whose body changed, or any part of a file
  whose module part changed (governance.oracle.profile_blocks), or a file that is gone;
- every other test keeps what it entered, and the merged profile is of the new tree.
A changed harness file (conftest.py, ini files, ...) can change every test, and without a
detail of the profiled tree nothing says what a test entered: the whole suite reruns.

Only Python files are tracked (what the profile plugin sees run): a test that reads a
changed data file keeps its old entry until its own file or its code changes. Code a test
reaches only at collection (module level at import) is not a test's; the import graph
covers it in the affected scope (governance.oracle.scope).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from governance.gates.risk import harness_reason
from governance.oracle.profile_blocks import Entry, blocks_of, changed_entries
from governance.oracle.profile_detail import Detail, node_file
from governance.oracle.profile_store import SuiteProfile
from governance.oracle.scope import code_entered
from governance.oracle.testrun import is_test_file

# Tests named one by one on the command line at most (and their bytes): past either, the
# files that hold them rerun whole instead.
MAX_NODES, MAX_NODE_BYTES = 2000, 200_000
Reader = Callable[[str], str | None]


def file_hashes(root: Path, files: Sequence[str]) -> dict[str, str]:
    """sha256 of each regular file under `root` (links and the missing are left out)."""
    out: dict[str, str] = {}
    for rel in files:
        path = root / rel
        if path.is_file() and not path.is_symlink():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def reader(root: Path) -> Reader:
    """A file's text under `root`, None when absent, a link or not UTF-8."""
    def read(rel: str) -> str | None:
        path = root / rel
        try:
            return None if path.is_symlink() else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    return read


def changed_since(old: SuiteProfile, hashes: dict[str, str]) -> set[str]:
    """Files added, removed or changed since the profiled tree."""
    return {f for f in old.hashes.keys() | hashes.keys() if old.hashes.get(f) != hashes.get(f)}


@dataclass(frozen=True)
class Rerun:
    """What a refresh runs: test files whole, and single tests of the other files."""

    files: tuple[str, ...]
    nodes: tuple[str, ...]

    def args(self) -> list[str]:
        """The command line's tests: too many single tests give way to their files."""
        if len(self.nodes) > MAX_NODES or sum(len(n) + 3 for n in self.nodes) > MAX_NODE_BYTES:
            return sorted({*self.files, *map(node_file, self.nodes)})
        return [*self.files, *self.nodes]

    def covers(self, nodeid: str) -> bool:
        return nodeid in self.nodes or node_file(nodeid) in self.files


def plan(old: SuiteProfile | None, detail: Detail | None, hashes: dict[str, str],
         read: Reader) -> Rerun | None:
    """What to rerun at the tree of `hashes` (read with `read`); None: the whole suite."""
    if old is None or detail is None or detail.tree != old.tree or not old.hashes:
        return None
    changed = changed_since(old, hashes)
    if any(harness_reason(f) for f in changed):
        return None
    known = {node_file(n) for n in detail.nodes}
    files = tuple(sorted(f for f in changed if f in hashes
                         and (is_test_file(f) or f in known)))
    whole, blocks = changed_entries(detail.prints, changed, read)

    def stale(entered: frozenset[Entry]) -> bool:
        return any(f in whole or (f, b) in blocks for f, b in entered)

    nodes = tuple(sorted(n for n, entered in detail.nodes.items()
                         if node_file(n) in hashes and node_file(n) not in files
                         and stale(entered)))
    return Rerun(files, nodes)


def merged(old: SuiteProfile, detail: Detail, rerun: Rerun, *, tree: str, head: str,
           hashes: dict[str, str], found: dict[str, frozenset[Entry]],
           prints: dict[str, dict[str, str]], read: Reader) -> tuple[SuiteProfile, Detail]:
    """The old profile with what the rerun tests entered now (`found`, with the
    fingerprints `prints` of the files they entered), gone tests dropped, at `tree`. The
    suite's time stays the last whole-suite run's: a partial run does not measure it."""
    kept = {n: e for n, e in detail.nodes.items()
            if node_file(n) in hashes and not rerun.covers(n)}
    nodes = {**kept, **found}
    changed = changed_since(old, hashes)
    fresh = {**{f: p for f, p in detail.prints.items() if f not in changed}, **prints}
    return _both(tree, head, hashes, old.suite_s, nodes, fresh, read, len(found))


def whole(*, tree: str, head: str, hashes: dict[str, str], seconds: float,
          found: dict[str, frozenset[Entry]], prints: dict[str, dict[str, str]],
          read: Reader) -> tuple[SuiteProfile, Detail]:
    """The profile a whole-suite run learnt."""
    return _both(tree, head, hashes, seconds, found, prints, read, None)


def _both(tree: str, head: str, hashes: dict[str, str], seconds: float,
          nodes: dict[str, frozenset[Entry]], prints: dict[str, dict[str, str]],
          read: Reader, rerun: int | None) -> tuple[SuiteProfile, Detail]:
    """The lean profile (test file -> code files) and the detail, both of `tree`. Every
    Python file a test entered has its fingerprints, read from the tree when missing."""
    entered: set[str] = set()
    for blocks in nodes.values():
        entered.update(f for f, _ in blocks)
    prints = {f: p for f, p in prints.items() if f in entered}
    for rel in sorted(entered - prints.keys()):
        text = read(rel) if rel.endswith(".py") else None
        found = blocks_of(text) if text is not None else None
        prints[rel] = found.prints if found is not None else {}  # {}: any change is whole
    files = {n: frozenset(f for f, _ in blocks) for n, blocks in nodes.items()}
    profile = SuiteProfile(tree=tree, head=head, at=time.time(), suite_s=seconds,
                           tests=code_entered(files), hashes=hashes, rerun=rerun)
    return profile, Detail(tree, nodes, prints)
