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
from governance.proof.behaviour import covering_tests
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


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[int]:
    """The lines of a def's statements, its docstring left out: its def line and defaults
    run at import, which is no test's call."""
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    return frozenset(range(body[0].lineno, (node.end_lineno or node.lineno) + 1))


def with_kin(targets: Sequence[Target], base: str, rel: str) -> list[Target]:
    """`targets` of the file `rel` with their kin in its `base` text."""
    return [dataclasses.replace(t, kin=kin_of(base, t.qualname)) if t.file == rel else t
            for t in targets]


def behaviour_scope(targets: Sequence[Target], coverage: Coverage | None) \
        -> tuple[list[Target], list[str]]:
    """The targets and the tests to capture with: the tests that entered them
    (governance.proof.behaviour.covering_tests); a target some test entered keeps no kin
    (its own calls are the evidence); one no test entered borrows from the first MAX_KIN
    of its kin that some test enters (configobj's `Section.popitem`: its nearest kin `pop`,
    `update` and `clear` are called by no test, while `__getitem__` is by every one), and
    their tests join, dealt a kin at a time up to MAX_KIN_TESTS, so that every kin lends
    (the first eight tests by name had entered only the constructor)."""
    found, out = covering_tests(targets, coverage), []
    for t in targets:
        own = coverage.hits(t.file, t.lines) - {None} if coverage is not None else set()
        if own or not t.kin or coverage is None:
            out.append(dataclasses.replace(t, kin=()))
            continue
        entered = [(k, sorted(coverage.hits(t.file, lines) - {None})) for k in t.kin
                   for lines in [k[1]]]
        entered = [(k, tests) for k, tests in entered if tests][:MAX_KIN]
        out.append(dataclasses.replace(t, kin=tuple(k for k, _ in entered)))
        lent = _dealt([tests for _, tests in entered], MAX_KIN_TESTS)
        found += [test for test in lent if test not in found]
    return out, found


def _dealt(queues: Sequence[Sequence[str]], limit: int) -> list[str]:
    """Up to `limit` distinct items taken from each queue in turn, each in its order."""
    out: list[str] = []
    for row in itertools.zip_longest(*queues):
        for item in row:
            if item is not None and item not in out and len(out) < limit:
                out.append(item)
    return out
