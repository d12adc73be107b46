"""The suite profile, kept in the state dir: which code files each test file entered during
a whole-suite run, how long that run took, and for which tree.

daemon.suite_profile learns it in the background; every op's VALIDATE reads it (through
governance.oracle.scope.SuiteKnowledge.adopt) to pick the affected scope, and `status` shows
it. One JSON file (`suite_profile.json`), written whole and atomically by its one writer.

The file is advisory: it picks which tests run, never whether a change passes. So it is
never trusted blindly: anything odd in it (unreadable, too large, not this shape, paths
that are not repository-relative) reads as "no profile", never as an error.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILE_FILE = "suite_profile.json"
VERSION = 1
MAX_BYTES = 64 << 20  # far more than any real suite's profile; a larger file is refused
MAX_ENTRIES = 500_000


@dataclass(frozen=True)
class SuiteProfile:
    """What one profiled whole-suite run (and any incremental refreshes since) learnt."""

    tree: str  # governance.oracle.oracle.tree_digest of the profiled copy
    head: str  # HEAD's commit then
    at: float  # epoch seconds it was learnt
    suite_s: float  # how long the last whole-suite run took
    tests: dict[str, frozenset[str]]  # test file -> code files it entered
    hashes: dict[str, str] = field(default_factory=dict)  # file -> sha256, at `tree`
    rerun: int | None = None  # tests the last refresh reran (None: a whole-suite run)


@dataclass(frozen=True)
class Attempt:
    """A run under way (`learning`) or one that ran past its time limit (`timed_out`)."""

    tree: str
    head: str
    at: float  # epoch seconds it began (learning) or gave up (timed out)
    limit_s: float
    pid: int = 0  # the daemon running it: a marker another process left is stale


@dataclass(frozen=True)
class Stored:
    profile: SuiteProfile | None = None
    timed_out: Attempt | None = None
    learning: Attempt | None = None


def _rel(value: object) -> str:
    """A repository-relative POSIX path, or ValueError."""
    if not isinstance(value, str) or not value or value.startswith("/") or "\0" in value \
            or ".." in value.split("/"):
        raise ValueError(f"not a repository path: {value!r}")
    return value


def _num(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or value < 0:
        raise ValueError(f"not a time: {value!r}")
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"not an id: {value!r}")
    return value


def _profile(data: Any) -> SuiteProfile | None:
    if data is None:
        return None
    tests, hashes = data["tests"], data.get("hashes", {})
    if not isinstance(tests, dict) or not isinstance(hashes, dict) or \
            len(tests) + len(hashes) > MAX_ENTRIES:
        raise ValueError("tests and hashes must be bounded objects")
    rerun = data.get("rerun")
    if rerun is not None and (isinstance(rerun, bool) or not isinstance(rerun, int)):
        raise ValueError("rerun must be a count")
    return SuiteProfile(
        tree=_text(data["tree"]), head=_text(data["head"]), at=_num(data["at"]),
        suite_s=_num(data["suite_s"]),
        tests={_rel(t): frozenset(_rel(f) for f in _list(files)) for t, files in tests.items()},
        hashes={_rel(f): _text(h) for f, h in hashes.items()}, rerun=rerun)


def _list(value: object) -> list:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _attempt(data: Any) -> Attempt | None:
    if data is None:
        return None
    pid = data.get("pid", 0)
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise ValueError("pid must be an integer")
    return Attempt(_text(data["tree"]), _text(data["head"]), _num(data["at"]),
                   _num(data["limit_s"]), pid)


def load(path: Path) -> Stored:
    """The stored profile; a missing, unreadable or malformed file is no profile."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return Stored()
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return Stored()
        return Stored(_profile(data.get("profile")), _attempt(data.get("timed_out")),
                      _attempt(data.get("learning")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return Stored()


def _dump_attempt(a: Attempt | None) -> dict | None:
    return None if a is None else {"tree": a.tree, "head": a.head, "at": a.at,
                                   "limit_s": a.limit_s, "pid": a.pid}


def save(path: Path, stored: Stored) -> None:
    """Write `stored` whole: a temporary file, flushed, then renamed over the old one, so a
    reader sees the old profile or the new, never half of one."""
    p = stored.profile
    data = {"version": VERSION,
            "profile": None if p is None else {
                "tree": p.tree, "head": p.head, "at": p.at, "suite_s": p.suite_s,
                "tests": {t: sorted(f) for t, f in sorted(p.tests.items())},
                "hashes": dict(sorted(p.hashes.items())), "rerun": p.rerun},
            "timed_out": _dump_attempt(stored.timed_out),
            "learning": _dump_attempt(stored.learning)}
    write_whole(path, data)


def write_whole(path: Path, data: object) -> None:
    """`data` as JSON in `path`: a temporary file, flushed, then renamed over the old one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def describe(stored: Stored, now: float | None = None) -> dict[str, Any]:
    """What `status` shows (daemon.status.model.SuiteProfileStatus)."""
    now = time.time() if now is None else now
    p, t, lr = stored.profile, stored.timed_out, stored.learning
    return {
        "tree": p.tree[:12] if p else None, "head": p.head[:12] if p else None,
        "age_s": round(max(0.0, now - p.at), 1) if p else None,
        "suite_s": round(p.suite_s, 2) if p else None,
        "tests": len(p.tests) if p else 0,
        "files": len(set().union(*p.tests.values())) if p and p.tests else 0,
        "rerun": p.rerun if p else None,
        "learning_since": lr.at if lr and lr.pid == os.getpid() else None,
        "timed_out": None if t is None else
        {"tree": t.tree[:12], "head": t.head[:12], "at": t.at, "limit_s": t.limit_s}}
