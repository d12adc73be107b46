"""The suite profile's detail, the background learner's own (daemon.suite_profile): per
test, the function blocks it entered (governance.oracle.profile_blocks), and the
fingerprints of the blocks of every file entered, for one tree. It is what an incremental
refresh needs; VALIDATE and `status` read only the lean profile
(governance.oracle.profile_store), so they never parse this.

One JSON file (`suite_profile_blocks.json`) beside the profile, written whole and
atomically before it. It counts only for the tree the profile names: after a crash
between the two writes the detail is of another tree, reads as none, and the next refresh
profiles the whole suite. Like the profile it is advisory: anything odd reads as none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.oracle.profile_blocks import Entry
from governance.oracle.profile_store import MAX_BYTES, MAX_ENTRIES, write_whole

DETAIL_FILE = "suite_profile_blocks.json"
VERSION = 1


@dataclass(frozen=True)
class Detail:
    tree: str  # the profiled tree (profile_store.SuiteProfile.tree)
    nodes: dict[str, frozenset[Entry]]  # test node id -> the blocks it entered
    prints: dict[str, dict[str, str]]  # file -> block id -> fingerprint, at `tree`


def node_file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def save(path: Path, detail: Detail) -> None:
    """Each distinct entry once and each distinct set of entries once: tests of one file
    mostly enter the same blocks."""
    entries: dict[Entry, int] = {}
    sets: dict[tuple[int, ...], int] = {}
    nodes: dict[str, int] = {}
    for nodeid, entered in sorted(detail.nodes.items()):
        key = tuple(sorted(entries.setdefault(e, len(entries)) for e in entered))
        nodes[nodeid] = sets.setdefault(key, len(sets))
    write_whole(path, {"version": VERSION, "tree": detail.tree,
                       "entries": [list(e) for e in entries], "sets": [list(s) for s in sets],
                       "nodes": nodes, "prints": detail.prints})


def load(path: Path, tree: str) -> Detail | None:
    """The detail of `tree`; None when missing, of another tree, or malformed."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return None
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != VERSION \
                or data.get("tree") != tree:
            return None
        return _detail(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def _detail(data: dict[str, Any]) -> Detail:
    raw_entries, raw_sets, raw_nodes, prints = (data[k] for k in ("entries", "sets", "nodes",
                                                                  "prints"))
    if len(raw_entries) + len(raw_nodes) + len(prints) > MAX_ENTRIES:
        raise ValueError("too many entries")
    entries = [_entry(e) for e in raw_entries]
    sets = [frozenset(entries[_index(i, entries)] for i in s) for s in raw_sets]
    nodes = {_str(n): sets[_index(i, sets)] for n, i in raw_nodes.items()}
    return Detail(str(data["tree"]), nodes,
                  {_str(f): {_str(b): _str(h) for b, h in blocks.items()}
                   for f, blocks in prints.items()})


def _entry(raw: object) -> Entry:
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(p, str) for p in raw)):
        raise ValueError(f"not an entry: {raw!r}")
    return raw[0], raw[1]


def _index(raw: object, of: list) -> int:
    if type(raw) is not int or not 0 <= raw < len(of):  # type: ignore[operator]
        raise ValueError(f"not an index: {raw!r}")
    return raw  # type: ignore[return-value]


def _str(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"not a string: {raw!r}")
    return raw
