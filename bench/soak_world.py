"""The soak's world: the repository the daemon maintains, the work the human gives it, and
what the replay stand-in answers for each piece of work (bench/soak.py drives it).

The repository is a package `soak/` of `slots` modules. A work item has a slot: once it is free, the
human rewrites that module with a fresh function and a TODO in it, commits it (with the
failing test that says what the TODO means, for the kinds that have one), and the daemon's
TODO sensor finds it. Each kind is one outcome the daemon must handle:

| kind     | the human commits        | the stand-in answers                  | ends        |
|----------|--------------------------|---------------------------------------|-------------|
| proven   | TODO + failing test      | explore, the right edit, a summary    | COMPLETE    |
| proposed | TODO, no test            | explore, the edit, a summary          | PROPOSED    |
| refused  | TODO + failing test      | a candidate that breaks the test, 5x  | POSTMORTEM  |
| deadline | TODO + failing test      | turns slower than any deadline        | POSTMORTEM  |
| collapse | TODO + failing test      | a collapsed reply, then the right one | COMPLETE    |

Each item's turns `match` the prompt's goal section as the TODO sensor words it, which
only the item's own op's prompts hold: a lesson names other ops' goals, but not as the
quoted goal; an op of another sensor on the same file (a failing test) has a goal of its
own, so it gets no answer and ends as a brain that has none would make it end. Every
item's turns are scripted twice, so an op cut short by a kill or a full disk has a whole
second set in the same run (a restarted daemon reads the script afresh).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tests.helpers import commit_files, git


class Kind(StrEnum):
    PROVEN = "proven"
    PROPOSED = "proposed"
    REFUSED = "refused"
    DEADLINE = "deadline"
    COLLAPSE = "collapse"


# The mix of outcomes, as weights (bench/soak.py --mix can change it).
MIX = {Kind.PROVEN: 50, Kind.PROPOSED: 15, Kind.REFUSED: 15, Kind.DEADLINE: 10,
       Kind.COLLAPSE: 10}
# What each kind's first op ends in (a kill or a full disk can add a recovered POSTMORTEM).
ENDS = {Kind.PROVEN: "COMPLETE", Kind.PROPOSED: "PROPOSED", Kind.REFUSED: "POSTMORTEM",
        Kind.DEADLINE: "POSTMORTEM", Kind.COLLAPSE: "COMPLETE"}
SETS = 2  # scripted answer sets per item
COLLAPSED = {"collapse_proximity": 0.95, "exit_reason": "collapse"}
SLOW_S = 100_000.0  # a turn this slow misses every route's deadline (raised at once)
# The human's work in progress: staged, unstaged and untracked; nothing may touch it.
HUMAN_WIP = {"notes.txt": ("staged by the human\n", "staged"),
             "README.md": ("# soak\nunstaged human edit\n", "unstaged"),
             "scratch.txt": ("untracked human file\n", "untracked")}
HUMAN_STATUS = {"M  notes.txt", " M README.md", "?? scratch.txt"}
DATA_FILES = 200  # a side branch renames them all: a mass rename on checkout


@dataclass(frozen=True)
class Item:
    """One piece of work the human gives the daemon."""

    n: int
    kind: Kind
    slot: int

    @property
    def path(self) -> str:
        return f"soak/m{self.slot:03d}.py"

    @property
    def test_path(self) -> str:
        return f"tests/test_m{self.slot:03d}.py"

    @property
    def fn(self) -> str:
        return f"clamp_{self.n:05d}"

    @property
    def has_test(self) -> bool:
        return self.kind is not Kind.PROPOSED

    def module(self, todo: bool = True, fixed: bool = False) -> str:
        body = "    return max(lo, min(x, hi))\n" if fixed else "    return x\n"
        mark = f"    # TODO: clamp x into [lo, hi] (item {self.n})\n" if todo else ""
        return f'"""Soak slot {self.slot}."""\n\n\ndef {self.fn}(x, lo, hi):\n{mark}{body}'

    def test(self) -> str:
        return (f"from soak.m{self.slot:03d} import {self.fn}\n\n\n"
                f"def test_{self.fn}():\n    assert {self.fn}(-5, 0, 10) == 0\n"
                f"    assert {self.fn}(50, 0, 10) == 10\n")


def plan(count: int, slots: int, seed: int, mix: dict[Kind, int] | None = None) -> list[Item]:
    """`count` items in order, kinds drawn from `mix`; every round of `slots` items takes
    each slot once, in a shuffled order (the script names each item's file)."""
    rng = random.Random(seed)
    weights = mix or MIX
    kinds = rng.choices(list(weights), weights=list(weights.values()), k=count)
    order: list[int] = []
    while len(order) < count:
        order += rng.sample(range(slots), slots)
    return [Item(n, kind, order[n]) for n, kind in enumerate(kinds)]


def goal(item: Item) -> str:
    """How the daemon's TODO sensor words the item's goal (sensors.todo.envelope_for)."""
    return (f"Resolve the TODO in {item.path} (line 5: TODO clamp x into [lo, hi] "
            f"(item {item.n}))")


def _turn(item: Item, text: str, **extra: object) -> str:
    return json.dumps({"purpose": "generate", "text": text,
                       "match": f"## Goal\n> {goal(item)}\n", "cost_usd": 0.0005, **extra})


def _call(tool: str, **arguments: object) -> str:
    return json.dumps({"tool": tool, "arguments": arguments})


def _explore(item: Item) -> str:
    return _turn(item, "\n".join([_call("read_file", path=item.path),
                                  _call("list_dir", path="soak")]))


def _candidate(item: Item, content: str, rationale: str) -> str:
    return json.dumps({"schema": "candidate.1", "file_path": item.path,
                       "full_content": content, "rationale": rationale})


def turns(item: Item) -> list[str]:
    """The stand-in's answers for one op on `item` (one set)."""
    edit = _call("edit_file", path=item.path, old=f"    # TODO: clamp x into [lo, hi] "
                 f"(item {item.n})\n    return x\n", new="    return max(lo, min(x, hi))\n")
    landing = [_explore(item), _turn(item, edit),
               _turn(item, f"Clamped x in {item.fn}; removed the TODO.")]
    if item.kind in (Kind.PROVEN, Kind.PROPOSED):
        return landing
    if item.kind is Kind.COLLAPSE:
        looping = _candidate(item, item.module(fixed=True), "loop loop loop")
        return [_turn(item, looping, telemetry=COLLAPSED), *landing]
    if item.kind is Kind.DEADLINE:
        return [_turn(item, _call("list_dir", path="soak"), delay_s=SLOW_S)] * 3
    bad = _turn(item, _candidate(item, item.module().replace("return x", "return -x"),
                                 "negate x"))
    return [_explore(item), bad, *[_explore(item), bad] * 2, bad, bad]


def write_script(path: Path, items: list[Item]) -> Path:
    """Every item's answers, SETS times over, one turn a line."""
    lines = [t for item in items for _ in range(SETS) for t in turns(item)]
    path.write_text("\n".join(lines) + "\n")
    return path


def build_repo(where: Path, slots: int) -> Path:
    """The repository at its first commit, then the human's work in progress."""
    files = {"soak/__init__.py": "", "tests/__init__.py": "", "README.md": "# soak\n",
             "notes.txt": "notes\n", "journal/log.md": "# journal\n",
             **{f"soak/m{s:03d}.py": f'"""Soak slot {s}."""\n' for s in range(slots)},
             **{f"data/d{d:03d}.txt": f"data {d}\n" for d in range(DATA_FILES)}}
    repo = commit_files(where, files)
    for rel, (text, how) in HUMAN_WIP.items():
        (repo / rel).write_text(text)
        if how == "staged":
            git(repo, "add", rel)
    return repo

