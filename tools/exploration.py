"""ExplorationLedger: did the model look before it leapt?

Exploration calls are scored by category; a repeated call (same tool, same arguments)
earns nothing, and a failed call earns score but no category coverage (so flooding
failing calls cannot fake breadth). The ledger also keeps the order of events, by round:
the round of each file's first successful read_file, of its first successful
edit_file/write_file/delete_file, and of the first jailed command (bash, run_tests),
which may change any file.

The gate, for every op that uses tools, trivial ones included:
- at least `min_calls` exploration calls;
- a successful read_file of each target that exists, before the final answer;
- a successful read_file of each file the candidate changes that existed before, in a
  round BEFORE the one that first changed it (a read and a write in the same reply do not
  count: the model wrote without having seen the file). A change stated in the final
  answer comes after every call; a change made by a jailed command is dated at the first
  such command unless a file tool changed the file first.
Then the diversity floors (score, categories) per complexity; trivial ops skip only those.
A no_op answer (or one that changes nothing) has no change to date, but it is a judgement
about the targets: it still needs the calls and a read of each target. Single-turn
generation (tools.enabled = false) cannot call tools and is not gated: its prompt shows the
targets, and turning tools off is the operator's explicit choice.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

CATEGORY_OF = {"read_file": "comprehension", "list_symbols": "comprehension",
               "search_code": "discovery", "glob_files": "discovery", "list_dir": "discovery",
               "get_callers": "call_graph", "git_log": "history", "git_diff": "history",
               "git_blame": "history"}
CREDIT = {"comprehension": 1.0, "discovery": 1.0, "call_graph": 2.0, "history": 1.5}
MUTATING = frozenset({"edit_file", "write_file", "delete_file"})
EXECUTING = frozenset({"bash", "run_tests"})  # jailed commands: may change any file
AT_THE_END = math.inf  # the round of a change stated in the final answer
# complexity -> (min score, min categories, required categories)
FLOORS: dict[str, tuple[float, int, frozenset[str]]] = {
    "trivial": (0.0, 0, frozenset()),
    "simple": (4.0, 2, frozenset()),
    "moderate": (8.0, 3, frozenset()),
    "complex": (8.0, 3, frozenset()),
    "architectural": (14.0, 4, frozenset({"call_graph", "history"})),
}
HINT = ("explore before editing: read_file each file you change (in an earlier reply than "
        "the edit), then search_code/glob_files/list_dir (discovery), get_callers (call "
        "graph), git_log/git_blame (history)")


def path_key(raw: Any) -> str | None:
    """The canonical form of a path a tool call named, or None when it names no file."""
    if not isinstance(raw, str) or "\x00" in raw or "\\" in raw or raw.startswith("/"):
        return None
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


# Exploration calls every op that uses tools makes, besides the floors (the daemon's
# tools.min_exploration_calls reads this default).
MIN_EXPLORATION_CALLS = 2


@dataclass
class ExplorationLedger:
    min_calls: int = MIN_EXPLORATION_CALLS
    score: float = 0.0
    categories: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    calls: int = 0
    reads: dict[str, int] = field(default_factory=dict)  # path -> round of its first read
    writes: dict[str, int] = field(default_factory=dict)  # path -> round of first file-tool change
    first_exec: int | None = None  # round of the first jailed command

    def record(self, tool: str, arguments: dict[str, Any], ok: bool, round: int = 0) -> float:
        """Note one call (in reply `round`); return the exploration credit it earned."""
        self._order(tool, arguments, ok, round)
        category = CATEGORY_OF.get(tool)
        if category is None:
            return 0.0
        key = hashlib.sha256(json.dumps([tool, arguments], sort_keys=True,
                                        default=str).encode()).hexdigest()
        if key in self.seen:
            return 0.0
        self.seen.add(key)
        self.calls += 1
        credit = CREDIT[category]
        self.score += credit
        if ok:
            self.categories.add(category)
        return credit

    def _order(self, tool: str, arguments: dict[str, Any], ok: bool, rnd: int) -> None:
        if tool in EXECUTING and self.first_exec is None:
            self.first_exec = rnd  # a refused command ran nothing, but cannot be told apart
        path = path_key(arguments.get("path")) if isinstance(arguments, dict) else None
        if path is None or not ok:
            return
        if tool == "read_file":
            self.reads.setdefault(path, rnd)
        elif tool in MUTATING:
            self.writes.setdefault(path, rnd)

    def changed_at(self, path: str, stated: bool) -> float:
        """The round in which `path` (changed by the candidate) was first changed."""
        if path in self.writes:
            return self.writes[path]
        if not stated and self.first_exec is not None:
            return self.first_exec
        return AT_THE_END

    def unread(self, targets: Iterable[str], edited: Iterable[str],
               stated: Iterable[str] = ()) -> list[str]:
        """What was not read in time: one line per file, naming the file."""
        told = {k for s in stated if (k := path_key(s))}
        out, named = [], set()
        for rel in dict.fromkeys(k for e in edited if (k := path_key(e))):
            read, changed = self.reads.get(rel), self.changed_at(rel, rel in told)
            named.add(rel)
            if read is None:
                out.append(f"read {rel} (read_file) before changing it")
            elif read >= changed:
                out.append(f"read {rel} (read_file) in a reply before the one that changes "
                           "it, so the change is made having seen the file")
        for rel in dict.fromkeys(k for t in targets if (k := path_key(t))):
            if rel not in self.reads and rel not in named:
                out.append(f"read the target {rel} (read_file) before answering")
        return out

    def verdict(self, complexity: str, targets: Iterable[str] = (),
                edited: Iterable[str] = (), stated: Iterable[str] = ()) -> tuple[bool, str]:
        """(passes, feedback naming what is missing). `targets`: the op's target files that
        exist; `edited`: the files the candidate changes that existed before; `stated`:
        those of them whose change the final answer stated."""
        min_score, min_cats, required = FLOORS.get(complexity, FLOORS["simple"])
        missing = []
        if self.calls < self.min_calls:
            missing.append(f"{self.calls} exploration call(s) < {self.min_calls}")
        missing += self.unread(targets, edited, stated)
        if self.score < min_score:
            missing.append(f"exploration score {self.score:.1f} < {min_score:.1f}")
        if len(self.categories) < min_cats:
            missing.append(f"{len(self.categories)} categories explored < {min_cats} "
                           f"(have: {', '.join(sorted(self.categories)) or 'none'})")
        lacking = required - self.categories
        if lacking:
            missing.append(f"required categories not explored: {', '.join(sorted(lacking))}")
        if not missing:
            return True, f"score {self.score:.1f}, categories {sorted(self.categories)}"
        return False, "; ".join(missing) + f". {HINT}"

    def summary(self) -> dict[str, Any]:
        return {"score": self.score, "categories": sorted(self.categories), "calls": self.calls,
                "read": sorted(self.reads)}
