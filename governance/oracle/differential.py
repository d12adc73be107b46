"""The differential check: is a change's behaviour the base's, on every call the tests made
and on inputs generated from them? (issue 30, item 1)

For the functions a change touches (touched_functions: changed defs and methods, and those
reading a name a changed import binds), the tests that ran their changed lines run once
more on the base with the capture plugin (governance.oracle.capture_plugin), which pickles
every distinct call's arguments. The replay runner (governance.oracle.replay_runner) then
answers those calls, and inputs generated from them, once on the base tree and once on the
candidate's, both in the jail. A call whose answers differ (returned value, exception type,
or the arguments as the call left them) is a counterexample; the ledger and the review show
its input and both answers. The daemon never unpickles anything: pickles travel, opaque,
from one jailed process to another.

What is not evidence: a call that could not be pickled (a lock, an open file), that timed
out, or whose answer changed between two runs on the same tree (time, randomness). A
function with no call that is evidence is not shown unchanged; neither is a change to a
class body or to module-level statements (other than new private names a refactor adds
for its own use).
"""

from __future__ import annotations

import ast
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from governance.oracle.oracle import Coverage
from governance.oracle.testrun import CaptureRequest, TestRunner
from governance.proof.ast_helpers import FUNCS
from governance.proof.names import private_additions_only, symbol_changes

REPLAY_SOURCE = Path(__file__).with_name("replay_runner.py")
MAX_CALLS = 100  # captured per function
GENERATED = 200  # generated inputs per function
MAX_CONSTANTS = 30
CALL_TIMEOUT_S = 1.0
MAX_COUNTEREXAMPLES = 3  # per function, in the ledger
NO_EVIDENCE = ("no call of it could be replayed (none captured, or each timed out or was "
               "nondeterministic)")


@dataclass(frozen=True)
class Counterexample:
    function: str  # "file::qualname"
    input: str
    base: str
    candidate: str

    def line(self) -> str:
        return (f"{self.function}({self.input}): base {self.base}, candidate "
                f"{self.candidate}")[:600]


@dataclass(frozen=True)
class FunctionCheck:
    function: str  # "file::qualname"
    captured: int = 0
    generated: int = 0
    compared: int = 0
    counterexamples: tuple[Counterexample, ...] = ()
    problem: str | None = None  # why there is no evidence

    @property
    def shown_unchanged(self) -> bool:
        return self.problem is None and self.compared > 0 and not self.counterexamples


@dataclass(frozen=True)
class DiffReport:
    checks: tuple[FunctionCheck, ...] = ()
    problem: str | None = None  # the check itself could not run
    seconds: float = 0.0

    def reasons(self) -> list[str]:
        """Why the change's behaviour is not shown the base's ([] when it is)."""
        if self.problem:
            return [f"behaviour not checked: {self.problem}"]
        out = [f"behaviour changed: {c.line()}" for f in self.checks
               for c in f.counterexamples[:1]]
        out += [f"behaviour not shown unchanged: {f.function}: {f.problem or NO_EVIDENCE}"
                for f in self.checks if not f.counterexamples and not f.shown_unchanged]
        return out

    def payload(self) -> dict:
        return {"seconds": round(self.seconds, 3), "problem": self.problem,
                "functions": [{"function": f.function, "captured": f.captured,
                               "generated": f.generated, "compared": f.compared,
                               "problem": f.problem,
                               "counterexamples": [c.line() for c in f.counterexamples]}
                              for f in self.checks]}


@dataclass(frozen=True)
class Target:
    file: str
    qualname: str
    lines: frozenset[int]  # the def's lines in the candidate's text
    constants: tuple[object, ...]


def touched_functions(old: str, new: str, path: str) -> tuple[list[Target], list[str]]:
    """The functions of one changed file to check, and what cannot be checked at all."""
    changes = symbol_changes(old, new)
    defs = _functions(new)
    old_defs = _functions(old)
    rebound = _rebound_names(old, new) if any(c.name == "<imports>" for c in changes) else set()
    names, problems = set(), []
    for c in changes:
        if c.name == "<imports>" or (c.kind == "added" and not c.public):
            continue
        if c.name == "<module>":
            if not private_additions_only(old, new):
                problems.append(f"{path}: module-level statements changed")
        elif c.kind == "changed" and c.name in defs and c.name in old_defs:
            names.add(c.name)
        elif c.kind != "added":
            problems.append(f"{path}: {c.name} {c.kind} (a class body, or not a function)")
    names |= {n for n, node in defs.items() if n in old_defs and _reads(node, rebound)}
    targets = []
    for name in sorted(names):
        node = defs[name]
        span = frozenset(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        consts = _constants(node) + _constants(old_defs[name])
        targets.append(Target(path, name, span, tuple(dict.fromkeys(consts))[:MAX_CONSTANTS]))
    return targets, problems


def _functions(text: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """qualname -> def, for module-level functions and methods of (nested) classes."""
    out: dict = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for s in body:
            if isinstance(s, FUNCS):
                out[prefix + s.name] = s
            elif isinstance(s, ast.ClassDef):
                walk(s.body, f"{prefix}{s.name}.")
    try:
        walk(ast.parse(text).body, "")
    except (SyntaxError, ValueError, RecursionError):
        return {}
    return out


def _rebound_names(old: str, new: str) -> set[str]:
    def bound(text: str) -> set[tuple[str, str]]:
        return {(a.asname or a.name.split(".")[0], ast.dump(s)) for s in ast.parse(text).body
                if isinstance(s, (ast.Import, ast.ImportFrom)) for a in s.names}
    return {name for name, _ in bound(old) ^ bound(new)}


def _reads(node: ast.AST, names: set[str]) -> bool:
    return bool(names) and any(isinstance(n, ast.Name) and n.id in names
                               for n in ast.walk(node))


def _constants(node: ast.AST) -> list[object]:
    body = getattr(node, "body", [])
    doc = body[0].value if body and isinstance(body[0], ast.Expr) else None
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n is not doc
            and isinstance(n.value, (int, float, str)) and not isinstance(n.value, bool)
            and not (isinstance(n.value, str) and len(n.value) > 40)]


def covering_tests(targets: Sequence[Target], coverage: Coverage | None) -> list[str]:
    """The tests that entered a target (a line of its def ran during them: import time,
    None, is no test): every call they made is evidence, not only those that reached the
    changed lines, and inputs generated from them reach further."""
    if coverage is None:
        return []
    return sorted({t for target in targets for t in coverage.hits(target.file, target.lines)
                   if t is not None})


async def check_behaviour(runner: TestRunner, base: Path, candidate: Path,
                          targets: Sequence[Target], tests: Sequence[str],
                          scratch: Path) -> DiffReport:
    """Capture on `base`, replay on both trees, compare (the module docstring)."""
    start = time.monotonic()
    if not targets:
        return DiffReport()
    if not tests:
        return DiffReport(tuple(FunctionCheck(f"{t.file}::{t.qualname}", problem="no test "
                                              "calls it") for t in targets))
    request = CaptureRequest(tuple((t.file, t.qualname) for t in targets), MAX_CALLS)
    ran = await runner.run(base, list(tests), scratch=scratch, capture=request)
    captured = ran.captured
    if not isinstance(captured, dict) or not isinstance(captured.get("functions"), list) \
            or len(captured["functions"]) != len(targets):
        why = ran.report.problem or "the capture run wrote no calls"
        return DiffReport(problem=f"calls not captured: {why}"[:400],
                          seconds=time.monotonic() - start)
    job = {"call_timeout_s": CALL_TIMEOUT_S, "functions": [
        {"file": t.file, "qualname": t.qualname, "calls": _calls(f),
         "constants": list(t.constants), "generate": GENERATED}
        for t, f in zip(targets, captured["functions"], strict=True)]}
    answers = await asyncio.gather(
        runner.run_script(base, REPLAY_SOURCE, job, scratch=scratch),
        runner.run_script(candidate, REPLAY_SOURCE, job, scratch=scratch))
    problem = next((a for a in answers if isinstance(a, str)), None)
    if problem is not None:
        return DiffReport(problem=f"replay failed: {problem}"[:400],
                          seconds=time.monotonic() - start)
    checks = tuple(_compare(t, len(spec["calls"]), b, c) for t, spec, b, c in zip(
        targets, job["functions"], answers[0]["functions"], answers[1]["functions"],
        strict=True))
    return DiffReport(checks, seconds=time.monotonic() - start)


def _calls(function: object) -> list[dict[str, str]]:
    calls = function.get("calls") if isinstance(function, dict) else None
    return [{"pickle": str(c["pickle"]), "repr": str(c.get("repr", ""))[:300]}
            for c in (calls if isinstance(calls, list) else [])[:MAX_CALLS]
            if isinstance(c, dict) and isinstance(c.get("pickle"), str)]


def _compare(t: Target, captured: int, base: dict, cand: dict) -> FunctionCheck:
    name = f"{t.file}::{t.qualname}"
    if base.get("problem") or cand.get("problem"):
        return FunctionCheck(name, captured, problem=str(base.get("problem")
                                                         or cand.get("problem"))[:300])
    theirs = {r["key"]: r for r in cand.get("results", []) if "answer" in r}
    compared, found = 0, []
    for r in base.get("results", []):
        other = theirs.get(r.get("key"))
        if other is None or "answer" not in r or "timeout" in (r["kind"], other["kind"]):
            continue
        if not (r["deterministic"] and other["deterministic"]):
            continue
        compared += 1
        if r["answer"] != other["answer"]:
            shown = (str(r["shown"])[:200], str(other["shown"])[:200])
            if shown[0] == shown[1]:  # the same value: the arguments were left otherwise
                shown = (f"{shown[0]}, arguments left one way",
                         f"{shown[1]}, arguments left another way")
            found.append(Counterexample(name, str(r["input"]), *shown))
    generated = sum(1 for r in base.get("results", []) if str(r.get("key", "")).startswith("g"))
    return FunctionCheck(name, captured, generated, compared,
                         tuple(found[:MAX_COUNTEREXAMPLES]))
