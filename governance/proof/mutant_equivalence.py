"""Telling an equivalent mutant from an unchecked line (issue 42, item 6): for a changed line
whose every mutant survived the tests that ran it, the differential check
(governance.proof.differential_check) replays the function around the line once with the
candidate's text and once with the mutant's, on the calls its tests make and on inputs
generated from them.

- Shown answering alike on every compared call: the mutant is *equivalent*
  (`counter.most_common(1)[0][0]` made `most_common(2)[0][0]`): no test could ever kill
  it, so it says nothing about the tests.
- Answering otherwise on some input: the line is truly unchecked, and that input is what
  no test asserts (`e.g. fee(100) returns 5 here, 6 with the mutant`): the reviewer's hint.
- Nothing compared (arguments that cannot be pickled), or the mutant is not inside a
  function the capture replays (module level, a class body, a generator or coroutine,
  whose calls are not captured: not tried at all): no evidence, the line stays unchecked.
- Every mutant answering alike, and the function answering alike with the line removed
  too: the inputs never reach what the line does (a rider's condition none of them meets),
  so agreeing on them says nothing. The line stays unchecked, and says so.

Bounded: at most MAX_LINES lines an op, none started after BUDGET_S; each mutant, and a
line's removal, costs one capture session and two replays, in one copy of the candidate's
tree that holds each text in turn.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from governance.fs import nofollow_write
from governance.oracle.differential import Counterexample, DiffReport
from governance.oracle.mutants import MutantResult
from governance.oracle.oracle import Coverage
from governance.oracle.sandbox import Sandbox, write_changes
from governance.oracle.testrun import TestRunner
from governance.proof.ast_helpers import FUNCS
from governance.proof.behaviour import covering_tests, touched_functions
from governance.proof.differential_check import check_behaviour
from governance.proof.mutation import STATEMENT_REMOVED, Mutant, mutated, without
from governance.proof.rules import FileText
from governance.python_ast import parse_python
from governance.schemas import FileChange

MAX_LINES = 3  # lines whose every mutant survived, judged an op
BUDGET_S = 30.0  # no line is started after this long (a real suite's capture takes seconds)
MAX_TESTS = 16  # tests whose calls are captured for one mutant: its line's first
_NOT_COPIED = frozenset({"__pycache__", ".pytest_cache"})
_MAX_DEPTH = 32  # a tree a test made deeper than this is not copied past it
NOT_REACHED = ("no input tried shows what the line does (without it, the function answers "
               "alike)")


async def judge_survivors(runner: TestRunner, tree: Path, files: Sequence[FileText],
                          judged: Sequence[tuple[Mutant, MutantResult]],
                          coverage: Sequence[Coverage], scratch: Path,
                          fail_to_pass: Sequence[str] = ()) -> tuple[list[MutantResult], float]:
    """`judged`'s results, those of the first MAX_LINES lines whose every mutant survived
    told equivalent or given an input that tells them apart; and the seconds it took.
    `tree` holds the switched texts: the candidate's are written back over them."""
    outcome = {m.id: r for m, r in judged}
    todo = lines_to_judge(judged, coverage, frozenset(fail_to_pass))
    if not todo:
        return [r for _, r in judged], 0.0
    start = time.monotonic()
    texts = {f.path: f for f in files if f.new is not None and f.path.endswith(".py")}
    write_changes(tree, [FileChange(file_path=p, full_content=f.new) for p, f in texts.items()])
    copy = Path(tempfile.mkdtemp(prefix="equivalence-", dir=scratch))
    try:
        line = _Line(runner, tree, _copy(tree, copy / "tree"), coverage, scratch)
        for ms in todo:
            if time.monotonic() - start > BUDGET_S:
                break
            for mutant_id, found in (await line.judge(texts[ms[0].file], ms)).items():
                outcome[mutant_id] = dataclasses.replace(outcome[mutant_id], **found)
    finally:
        nofollow_write.remove_tree(copy)
    return [outcome[m.id] for m, _ in judged], time.monotonic() - start


def lines_to_judge(judged: Sequence[tuple[Mutant, MutantResult]],
                   coverage: Sequence[Coverage], fail_to_pass: frozenset[str]
                   ) -> list[list[Mutant]]:
    """The mutants of the first MAX_LINES lines whose every mutant survived, the lines a
    fail-to-pass test runs first (issue 49, item 4): an equivalent mutant there would hold
    a correct fix back, while a line past the bound stays unchecked, named."""
    lines: dict[tuple[str, int], list[Mutant]] = {}
    for m, _ in judged:
        lines.setdefault((m.file, m.line), []).append(m)
    outcome = {m.id: r for m, r in judged}
    todo = [ms for ms in lines.values()
            if all(outcome[m.id].outcome == "survived" and not outcome[m.id].at_import
                   for m in ms)]
    runs = {(ms[0].file, ms[0].line): any(
        cov.hits(ms[0].file, ms[0].lines) & fail_to_pass for cov in coverage) for ms in todo}
    return sorted(todo, key=lambda ms: not runs[(ms[0].file, ms[0].line)])[:MAX_LINES]


class _Line:
    """Replays one changed line's mutants against the candidate: `tree` holds the
    candidate, `mutant_tree` a copy that holds each mutant's text in turn."""

    def __init__(self, runner: TestRunner, tree: Path, mutant_tree: Path,
                 coverage: Sequence[Coverage], scratch: Path):
        self.runner, self.tree, self.mutant_tree = runner, tree, mutant_tree
        self.coverage, self.scratch = coverage, scratch

    async def judge(self, f: FileText, ms: Sequence[Mutant]) -> dict[int, dict[str, str]]:
        """What to note on the line's mutants: each equivalent, or the first told apart
        (the input that tells it), or nothing where the replay cannot say."""
        assert f.new is not None
        found: dict[int, dict[str, str]] = {}
        for m in ms:  # equivalent only when each of them is
            verdict = _verdict(await self._replay(f, mutated(f.new, m, f.old), m))
            if verdict.get("outcome") != "equivalent":
                return {**found, m.id: verdict}
            found[m.id] = verdict
        # Alike with the line removed too: the inputs never reach what the line does, and
        # a mutant answering alike there says nothing (a rider's condition no input meets).
        removed = any(m.what == STATEMENT_REMOVED for m in ms)  # that was the removal
        control = None if removed else await self._replay(f, without(f.new, ms[0].line),
                                                          ms[0])
        if control is None or control.problem or not any(
                c.counterexamples for c in control.checks):
            return {ms[0].id: {"note": NOT_REACHED}}
        return found

    async def _replay(self, f: FileText, text: str, m: Mutant) -> DiffReport | None:
        """The differential check of `text` against the candidate's text of `f`, on the
        calls of the tests that ran the line (then those that entered its function); None
        where the line is in no function (module level, a class body)."""
        assert f.new is not None
        targets, problems = touched_functions(text, f.new, f.path)  # the candidate's lines
        if problems or not targets or not all(_replayable(f.new, t.qualname) for t in targets):
            return None
        ran_line = sorted({t for cov in self.coverage for t in cov.hits(m.file, m.lines)
                           if t is not None})
        entered = sorted({t for cov in self.coverage for t in covering_tests(targets, cov)})
        tests = list(dict.fromkeys(ran_line + entered))[:MAX_TESTS]
        write_changes(self.mutant_tree, [FileChange(file_path=f.path, full_content=text)])
        try:
            # noticed=False: the mutant's own line is what is asked about; its mutants
            # (most_common(2) made most_common(3)) are as equivalent as it is.
            return await check_behaviour(self.runner, self.tree, self.mutant_tree, targets,
                                         tests, self.scratch, noticed=False)
        finally:
            write_changes(self.mutant_tree, [FileChange(file_path=f.path,
                                                        full_content=f.new)])


def _verdict(diff: DiffReport | None) -> dict[str, str]:
    """Equivalent (on how many calls), told apart (by which input), or {}: no evidence."""
    if diff is None or diff.problem is not None:
        return {}
    for check in diff.checks:
        for c in check.counterexamples[:1]:
            return {"note": _told_apart(c)}
    if diff.checks and all(check.shown_unchanged for check in diff.checks):
        calls = sum(check.compared for check in diff.checks)
        return {"outcome": "equivalent", "note": f"answers as the candidate on {calls} calls"}
    return {}


def _told_apart(c: Counterexample) -> str:
    """`e.g. fee(100) returns 5 here, 6 with the mutant`, short enough for a reason."""
    call = f"{c.function.split('::', 1)[-1]}({_cut(c.input, 100)})"
    here, there = c.base.removesuffix(_ONE_WAY), c.candidate.removesuffix(_OTHER_WAY)
    if here == there:  # the same value: the arguments were left otherwise
        return f"e.g. {call} leaves its arguments otherwise with the mutant"
    here, there = _answer(_cut(here, 60)), _answer(_cut(there, 60))
    if here.startswith("returns ") and there.startswith("returns "):
        there = there.removeprefix("returns ")
    return f"e.g. {call} {here} here, {there} with the mutant"


_ONE_WAY, _OTHER_WAY = ", arguments left one way", ", arguments left another way"


def _answer(shown: str) -> str:
    return shown if shown.startswith("raises ") else f"returns {shown}"


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 3] + "..."


def _replayable(text: str, qualname: str) -> bool:
    """Whether the capture can replay the function: not a generator or a coroutine (their
    calls are not captured, so no call of them would be evidence)."""
    scope: list[ast.stmt] = parse_python(text).body
    node: ast.AST | None = None
    for part in qualname.split("."):
        node = next((s for s in scope if isinstance(s, (*FUNCS, ast.ClassDef))
                     and s.name == part), None)
        if node is None:
            return False
        scope = node.body
    if not isinstance(node, ast.FunctionDef):
        return False
    todo = list(ast.iter_child_nodes(node))
    while todo:  # its own yields, not a nested function's
        n = todo.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom)):
            return False
        if not isinstance(n, (*FUNCS, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))
    return True


def _copy(tree: Path, dest: Path) -> Path:
    """A copy of `tree` (the candidate's scratch copy) through the sandbox's own copying:
    regular files and links that stay inside, never through a link, caches left out."""
    found: list[str] = []
    todo = [("", 0)]
    while todo:
        rel, depth = todo.pop()
        with os.scandir(tree / rel if rel else tree) as entries:
            for e in entries:
                path = f"{rel}/{e.name}" if rel else e.name
                if e.is_dir(follow_symlinks=False):
                    if e.name not in _NOT_COPIED and depth < _MAX_DEPTH:
                        todo.append((path, depth + 1))
                elif stat.S_ISREG(e.stat(follow_symlinks=False).st_mode) or e.is_symlink():
                    found.append(path)
    return Sandbox.create(tree, found, dest, "").root
