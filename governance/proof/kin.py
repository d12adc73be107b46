"""Kin: where a changed function no test calls borrows its inputs (issue 49, item 3).

For a preserve refactor the base is the oracle, but only where inputs reach the changed
lines; a function no test calls has no captured call to replay or generate from, so a
correct rewrite of it waited for review whatever it did (wave 12: jaconv's
`kata2alphabet`, whose test pytest never collects; boolean.py's `ParseError.__str__`,
which no test turns into a string). Its kin are the functions of the same module whose
calls the tests do make and that can lend it arguments: the constructor of its class (its
captured arguments build the receiver), the other methods of its class (their `self`),
and the functions sharing a parameter's name with it (`text` is `text`). The tests that
enter its kin are run with the kin captured too, and the replay runner builds the
function's calls from theirs by parameter name (governance.oracle.replay_kin): borrowed
inputs are inputs like any other, answered on both trees and compared, and its changed
lines' mutants are judged on them.

Where its kin lend it nothing (nepali-datetime's `_format_time(hh, mm, ss, us)`: no function
of its module shares a parameter's name, and only `datetime.isoformat`, which no test calls,
calls it), it is reached through the functions of its module that call it by name, each
given inputs by its own kin or its tests (`isoformat`'s `self`, lent by the other methods
of `datetime`): their answers carry its own, and a difference there is its counterexample
(governance.proof.lifted, as at the callers on a function's captured stacks).

Pure: texts and coverage in. Kin are looked for only for a target no test entered.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
from collections.abc import Sequence

from governance.oracle.differential import Target
from governance.oracle.oracle import Coverage
from governance.proof.ast_helpers import FUNCS
from governance.proof.behaviour import covering_tests, past_def_line
from governance.proof.callers import MAX_CALLERS, caller_target
from governance.python_ast import parse_python

MAX_KIN = 4  # kin a function borrows from, nearest first
MAX_KIN_RANKED = 16  # kin named by the text, of which the first MAX_KIN some test enters lend
MAX_KIN_TESTS = 8  # tests run for one function's kin
_RECEIVERS = ("self", "cls")


def _defs(text: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """qualname -> def, for module-level functions and the methods of module-level
    classes (a nested def's calls need its closure: it borrows nothing)."""
    out: dict = {}
    try:
        body = parse_python(text).body
    except (SyntaxError, ValueError, RecursionError):
        return out
    for s in body:
        if isinstance(s, FUNCS):
            out[s.name] = s
        elif isinstance(s, ast.ClassDef):
            out.update({f"{s.name}.{m.name}": m for m in s.body if isinstance(m, FUNCS)})
    return out


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    a = node.args
    return {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)} - set(_RECEIVERS)


def kin_of(text: str, qualname: str) -> tuple[tuple[str, frozenset[int]], ...]:
    """(qualname, lines of its def) of each kin of `qualname` in the module `text`: its
    class's constructor, then its class's other methods, then the functions sharing the
    most parameter names with it, nearest in the file first; at most MAX_KIN_RANKED
    (behaviour_scope keeps the first MAX_KIN of them that some test enters)."""
    defs = _defs(text)
    target = defs.get(qualname)
    if target is None:
        return ()
    owner, dot, _ = qualname.rpartition(".")
    mine = _params(target)
    ranked = []
    for q, node in defs.items():
        shared = len(mine & _params(node))
        if q == qualname or (q.rpartition(".")[0] != owner and not shared):
            continue
        rank = (0 if q == f"{owner}.__init__" else 1) if dot and q.startswith(owner + ".") \
            else 2
        ranked.append(((rank, -shared, abs(node.lineno - target.lineno)), q, node))
    ranked.sort(key=lambda r: r[0])
    return tuple((q, _body(n)) for _, q, n in ranked[:MAX_KIN_RANKED])


def reaching(text: str, qualname: str) -> tuple[str, ...]:
    """The functions and methods of the module `text` calling `qualname` by name (a module
    function by its name; a method through `self`, `cls` or its class's name), nearest in
    the file first, at most MAX_CALLERS."""
    defs = _defs(text)
    target = defs.get(qualname)
    if target is None:
        return ()
    owner, _, name = qualname.rpartition(".")
    found = [(abs(node.lineno - target.lineno), q) for q, node in defs.items()
             if q != qualname and any(_calls(n, owner, name, q.rpartition(".")[0] == owner)
                                      for n in ast.walk(node))]
    return tuple(q for _, q in sorted(found)[:MAX_CALLERS])


def _calls(node: ast.AST, owner: str, name: str, inside: bool) -> bool:
    """Whether `node` is a call of `owner.name` (`name` alone where `owner` is empty):
    through `self` or `cls` only `inside` the class (another class's `self.name` is its
    own)."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    if not owner:
        return isinstance(f, ast.Name) and f.id == name
    receivers = (*_RECEIVERS, owner) if inside else (owner,)
    return isinstance(f, ast.Attribute) and f.attr == name and isinstance(f.value, ast.Name) \
        and f.value.id in receivers


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[int]:
    """The lines of a def's statements, its docstring left out: its def line and defaults
    run at import, which is no test's call."""
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    return frozenset(range(body[0].lineno, (node.end_lineno or node.lineno) + 1))


def with_kin(targets: Sequence[Target], base: str, rel: str) -> list[Target]:
    """`targets` of the file `rel` with their kin in its `base` text, and the functions
    reaching them there (`reaching`), each with its own kin."""
    return [dataclasses.replace(t, kin=kin_of(base, t.qualname),
                                through=_through(base, rel, t)) if t.file == rel else t
            for t in targets]


def _through(base: str, rel: str, t: Target) -> tuple[Target, ...]:
    found = (caller_target(base, rel, q, t) for q in reaching(base, t.qualname))
    return tuple(dataclasses.replace(c, kin=kin_of(base, c.qualname)) for c in found
                 if c is not None)


def behaviour_scope(targets: Sequence[Target], coverage: Coverage | None) \
        -> tuple[list[Target], list[str]]:
    """The targets and the tests to capture with: the tests that entered them
    (governance.proof.behaviour.covering_tests); a target some test entered keeps no kin
    (its own calls are the evidence); one no test entered borrows from the first MAX_KIN
    of its kin that some test enters (configobj's `Section.popitem`: its nearest kin `pop`,
    `update` and `clear` are called by no test, while `__getitem__` is by every one), and
    is reached through those of its callers by name that some test enters or whose kin
    some test enters; their tests join, dealt a kin (or a caller) at a time up to
    MAX_KIN_TESTS, so that every kin lends (the first eight tests by name had entered
    only the constructor)."""
    found, out = covering_tests(targets, coverage), []
    for t in targets:
        own = coverage.hits(t.file, t.lines) - {None} if coverage is not None else set()
        if own or coverage is None:
            out.append(dataclasses.replace(t, kin=(), through=()))
            continue
        kept, queues = _entered(t, coverage)
        through = []
        for caller in t.through:
            entered = sorted(coverage.hits(t.file, past_def_line(caller.lines)) - {None})
            reached, theirs = (dataclasses.replace(caller, kin=()), [entered]) if entered \
                else _entered(caller, coverage)
            if theirs:
                through.append(reached)
                queues += theirs
        out.append(dataclasses.replace(kept, through=tuple(through)))
        found += [test for test in _dealt(queues, MAX_KIN_TESTS) if test not in found]
    return out, found


def _entered(t: Target, coverage: Coverage) -> tuple[Target, list[list[str]]]:
    """`t` with the first MAX_KIN of its kin that some test enters, and each one's tests."""
    entered = [(k, sorted(coverage.hits(t.file, k[1]) - {None})) for k in t.kin]
    entered = [(k, tests) for k, tests in entered if tests][:MAX_KIN]
    return dataclasses.replace(t, kin=tuple(k for k, _ in entered)), \
        [tests for _, tests in entered]


def _dealt(queues: Sequence[Sequence[str]], limit: int) -> list[str]:
    """Up to `limit` distinct items taken from each queue in turn, each in its order."""
    out: list[str] = []
    for row in itertools.zip_longest(*queues):
        for item in row:
            if item is not None and item not in out and len(out) < limit:
                out.append(item)
    return out
