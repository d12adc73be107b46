"""The differential check's record (governance.proof.differential_check): its trees, its
targets, the base's capture run, the mutants of each tree and those its inputs killed, and
the two runs it makes, tracing and replaying. Its own module so that the check's steps
(governance.proof.lifted) read and update it without importing the check back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance.fs import nofollow
from governance.fs.protected import PathEscape
from governance.oracle.differential import (
    CALL_TIMEOUT_S,
    GENERATED,
    MAX_CALLS,
    NEW_SHAPES,
    REPLAY_HELPERS,
    REPLAY_SOURCE,
    FunctionCheck,
    Target,
    calls_of,
    compare,
)
from governance.oracle.replay_search import search_path
from governance.oracle.run_dir import capture_request
from governance.oracle.testrun import TestRunner
from governance.proof.noticed import Side

READ_CAP = 4_000_000  # a larger file is not compared: its change cannot be shown unchanged
MAX_APPLIED = 8  # captured calls of a target's own functions its callable answers are given


def read_text(root: Path, rel: str) -> str:
    return nofollow.read_bytes(root, rel, limit=READ_CAP).decode("utf-8")


def readable(root: Path, rel: str) -> str | None:
    """A base module's text, or None where there is none to read (not the repository's)."""
    try:
        return read_text(root, rel)
    except (OSError, PathEscape, UnicodeDecodeError):
        return None


@dataclass
class Record:
    """One check's runs and what each producer found so far."""

    runner: TestRunner
    base: Path
    candidate: Path
    targets: Sequence[Target]
    tests: Sequence[str]
    scratch: Path
    checks: list[FunctionCheck] = field(default_factory=list)
    captured: dict = field(default_factory=dict)  # the base's capture run
    lost: bool = False  # a test id asked for was not found (it is another in each process)
    slow: bool = False  # a capture run timed out (under the tracer, the tests ran too long)
    sides: tuple[Side, Side] = (Side("base"), Side("candidate"))  # mutants per tree
    killed: tuple[set[int], set[int]] = field(default_factory=lambda: (set(), set()))
    changed: tuple[str, ...] = ()  # the changed files of the targets (both trees have them)
    # the kinds of conversion each target's change removes ("int": its ints get floats
    # beside them; "case", "blank": its texts the forms undone: governance.proof.conversions)
    dropped: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def name(self, t: Target) -> str:
        return f"{t.file}::{t.qualname}"

    def base_text(self, rel: str) -> str:
        """A base file's text, read without following a link (OSError and the like raise)."""
        return read_text(self.base, rel)

    def peers(self) -> tuple[dict[str, str], dict[str, str]]:
        """The peer's texts for each tree's replay runner: the candidate's changed files for
        the base's, which alone searches and answers each input it tries on both trees
        (governance.oracle.replay_search), its mutants' switches in them (the peer judges
        them on the searched inputs); none for the candidate's (a second search, of the
        same inputs, would answer each twice over)."""
        try:
            texts = {f: read_text(self.candidate, f) for f in self.changed}
        except (OSError, PathEscape, UnicodeDecodeError):
            return {}, {}  # no search: the replayed inputs alone are the evidence
        return {**texts, **self.sides[1].sources}, {}

    def kin(self) -> list[tuple[str, str]]:
        """(file, qualname) of each kin the targets borrow from (governance.proof.kin),
        once, after the targets themselves."""
        own = {(t.file, t.qualname) for t in self.targets}
        return list(dict.fromkeys((t.file, q) for t in self.targets
                                  for q in (*(k for k, _ in t.kin), *t.inner)
                                  if (t.file, q) not in own))

    async def traced(self, tree: Path, **how: bool) -> dict | str:
        """A run of the tests on `tree` with the capture plugin: its result, or why none.
        A pickling run captures the targets' kin too: their calls are `kin`, {(file,
        qualname): its capture}, and `functions` holds the targets' alone."""
        kin = self.kin() if how.get("pickle", True) else []
        names = [*((t.file, t.qualname) for t in self.targets), *kin]
        request = capture_request(tuple(names), MAX_CALLS, new_shapes=NEW_SHAPES,
                                  fallback=search_path(), **how)
        ran = await self.runner.run(tree, list(self.tests), scratch=self.scratch,
                                    extra=request)
        if how.get("pickle", True):  # the capture's (a traced run beside it says nothing)
            self.slow = ran.timed_out  # then no test is in its report: none is lost
            self.lost = not self.slow and any("::" in t and t not in ran.report.tests
                                              for t in self.tests)
        found = ran.extra
        if not isinstance(found, dict) or not isinstance(found.get("functions"), list) \
                or len(found["functions"]) != len(names):
            return ran.report.problem or "the capture run wrote no calls"
        functions = found["functions"]
        return {**found, "functions": functions[:len(self.targets)],
                "kin": dict(zip(names, functions, strict=True))}

    def lent(self, t: Target) -> list[dict]:
        """The captured calls of `t`'s kin, for the replay runner to build its calls from
        (governance.oracle.replay_kin)."""
        captured = self.captured.get("kin") if isinstance(self.captured, dict) else None
        if not isinstance(captured, dict):
            return []
        return [{"qualname": q, "calls": calls_of(captured.get((t.file, q)))}
                for q, _ in t.kin if (t.file, q) in captured]

    def applied(self, t: Target) -> list[str]:
        """The captured arguments of the functions `t` defines (Target.inner), at most
        MAX_APPLIED: a callable `t` answers is called with each (governance.oracle.
        replay_answer.applied)."""
        captured = self.captured.get("kin") if isinstance(self.captured, dict) else None
        if not isinstance(captured, dict):
            return []
        return [c["pickle"] for q in t.inner for c in calls_of(captured.get((t.file, q)))
                if isinstance(c.get("pickle"), str)][:MAX_APPLIED]

    async def replay(self, targets: Sequence[Target], captured: Sequence[object],
                     spread: int = 1) -> list[FunctionCheck] | str:
        """Both trees' answers to the captured calls and inputs generated from them, each
        boundary value on the `spread` captured calls nearest it."""
        paths = self.captured.get("paths") if isinstance(self.captured, dict) else None
        job = {"call_timeout_s": CALL_TIMEOUT_S, "search_path": search_path(),
               "paths": [p for p in paths if isinstance(p, str)][:16]
               if isinstance(paths, list) else [], "functions": [
            {"file": t.file, "qualname": t.qualname, "calls": calls_of(f),
             "kin": [] if calls_of(f) else self.lent(t), "applied": self.applied(t),
             "redefaulted": list(t.redefaulted), "bare": t.bare,
             "text_params": list(t.text_params), "table_params": list(t.table_params),
             "edges": [list(e) for e in t.edges],
             "constants": list(t.constants), "generate": GENERATED, "spread": spread,
             "dropped": sorted(self.dropped.get((t.file, t.qualname), ())),
             "names": sorted(t.names), "environ": list(t.environ),
             "boundaries": [{"param": p, "values": list(v)} for p, v in t.boundaries]}
            for t, f in zip(targets, captured, strict=True)]}
        peers = await asyncio.to_thread(self.peers)  # each runner's search (replay_search)
        answers = await asyncio.gather(*(
            self.runner.run_script(tree, REPLAY_SOURCE, {**job, "sources": side.sources,
                                                         "mutants": side.ids, "peer": peer,
                                                         "peer_mutants": peer_ids},
                                   scratch=self.scratch, helpers=REPLAY_HELPERS)
            for tree, side, peer, peer_ids in zip(
                (self.base, self.candidate), self.sides, peers,
                (self.sides[1].ids if peers[0] else [], []), strict=True)))
        problem = next((a for a in answers if isinstance(a, str)), None) or next(
            (f"an answer not in the runner's form ({type(a).__name__})" for a in answers
             if not well_formed(a, len(targets))), None)
        if problem is not None:
            return f"replay failed: {problem}"[:400]
        theirs = [with_searched(c, b) for b, c in zip(answers[0]["functions"],
                                                       answers[1]["functions"], strict=True)]
        checks = [compare(t, len(spec["calls"]), b, c, CALL_TIMEOUT_S) for t, spec, b, c in zip(
            targets, job["functions"], answers[0]["functions"], theirs, strict=True)]
        for killed, functions in zip(self.killed, (answers[0]["functions"], theirs),
                                     strict=True):
            killed.update(k for f, check in zip(functions, checks, strict=True)
                          for k in counted_kills(f, check.keys))
        return checks


def with_searched(cand: dict, base: dict) -> dict:
    """The candidate's answer to one function with the rows the base's runner's peer (the
    candidate's code) answered to the searched inputs, and the candidate's mutants it
    killed on them: only search rows (keyed `s`) are taken from there, and the
    candidate's own rows keep their keys (the base's runner speaks for no other input of
    the candidate's; counted_kills counts a kill only by an input compared)."""
    peer = base.get("peer_results")
    searched = [r for r in peer if isinstance(r, dict) and isinstance(r.get("key"), str)
                and r["key"].startswith("s")] if isinstance(peer, list) else []
    own = cand.get("results")
    own = own if isinstance(own, list) else []
    keys = {r.get("key") for r in own if isinstance(r, dict)}
    peer_killed, killed = base.get("peer_killed"), cand.get("killed")
    killed = {**({k: at for k, at in peer_killed.items() if isinstance(at, str)
                  and at.startswith("s")} if isinstance(peer_killed, dict) else {}),
              **(killed if isinstance(killed, dict) else {})}
    return dict(cand, results=own + [r for r in searched if r["key"] not in keys],
                killed=killed)


def counted_kills(function: dict, compared: frozenset[str]) -> set[int]:
    """The mutants a tree's runner killed on one function's inputs ({id: the key of the
    input that killed it}) whose killing input both trees answered and the check compared.
    Each runner judges its own tree's mutants on its own answers, and the trees stop at
    different points (a budget of CPU seconds; inputs steered by each tree's own changed
    lines): a mutant killed by an input the other tree never answered would show a changed
    line noticed that no comparison looked at. Anything else written there counts nothing
    (a tree's code can write the answer file)."""
    killed = function.get("killed")
    if not isinstance(killed, dict):
        return set()
    return {int(k) for k, key in killed.items()
            if isinstance(k, str) and k.isascii() and k.isdigit()
            and isinstance(key, str) and key in compared}


def well_formed(answer: object, count: int) -> bool:
    """The replay runner's answer has one dict per function asked about (a tree's code
    can write the answer file: what it holds is read, never trusted)."""
    functions = answer.get("functions") if isinstance(answer, dict) else None
    return isinstance(functions, list) and len(functions) == count \
        and all(isinstance(f, dict) and isinstance(f.get("results", []), list)
                for f in functions)
