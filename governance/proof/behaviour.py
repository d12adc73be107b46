"""Which functions of a changed file the differential check judges, and the tests that
enter them (governance.oracle.differential says what the check is).

Pure: texts and coverage in. A changed def or method is a target, and so is each function
defined inside it whose own code changed (governance.proof.nested); so is one that reads a
name a changed import binds (`from math import floor` becoming `ceil as floor` changes it
without touching its text); one shown to be its base's code is not (governance.proof.
same_code: locals renamed, statements moved into a new helper, one normal form: the
same code answers alike on every input). The constants a
target's inputs are generated near are its own literals, then those of the tables and
functions it reads by name; its boundaries (the values at and beside what its base and
candidate code compare a parameter with) are tried first (governance.proof.boundaries).
What cannot be judged call by call is named instead:
a changed class body, a changed or removed module-level statement (new private names a
refactor adds for its own use are allowed), a removed function.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Sequence

from governance.oracle.differential import MAX_CONSTANTS, Target
from governance.oracle.oracle import Coverage
from governance.oracle.replay_bare import SEEDS
from governance.oracle.replay_lookup import LOCALS
from governance.proof.ast_helpers import FUNCS
from governance.proof.boundaries import boundaries, module_tables
from governance.proof.confined import confined
from governance.proof.edges import edges
from governance.proof.environ import environ_names
from governance.proof.mutation import mutant_text
from governance.proof.names import private_additions_only, symbol_changes
from governance.proof.nested import FuncDef, changed_nested, nested_defs
from governance.proof.param_roles import key_params, table_params, text_params
from governance.proof.same_code import same_code
from governance.python_ast import parse_python

IMPORTERS = 2  # tests run to capture the calls a module makes of its own at import
FILLABLE = frozenset(SEEDS)  # the plain types the replay makes a value of
MAX_SHIFTED = 12  # characters an `ord` computation reaches, among the constants
MAX_PARTED = 6  # characters one side's changed texts hold and the other's do not
MAX_INNER = 2  # functions a target defines whose captured calls its callable answers take


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
    names -= {c.function for c in same_code(old, new)}  # the same code: nothing to compare
    targets = []
    scopes = (Scope(new), Scope(old))
    tables = {**module_tables(old), **module_tables(new)}
    for name in sorted(names):
        pairs = [(name, defs[name], old_defs[name]),
                 *changed_nested(defs[name], old_defs[name], name)]
        targets += [_target(path, q, node, old_node, scopes, tables,
                            (_siblings(defs, q), _siblings(old_defs, q)),
                            _confined(q, name, defs[name], old_defs[name]))
                    for q, node, old_node in pairs]
    return targets, problems


def _confined(qualname: str, outer: str, new: FuncDef, old: FuncDef) -> bool:
    """Whether `qualname` is a function defined directly in `outer` that, in both trees,
    only `outer` calls (governance.proof.confined)."""
    inner = qualname.removeprefix(outer + LOCALS)
    return inner != qualname and inner.isidentifier() and confined(new, inner) \
        and confined(old, inner)


def _target(path: str, name: str, node: FuncDef, old: FuncDef, scopes: tuple[Scope, Scope],
            tables: dict, siblings: tuple[dict, dict], confined_: bool = False) -> Target:
    """One function to judge: its lines in the candidate, the constants its inputs are
    generated near, its boundaries and the names both its texts read."""
    span = frozenset(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    changed = changed_literals(node, old)
    consts = changed + parted_characters(node, old) \
        + [mutant_text(c) for c in changed if isinstance(c, str) and c] \
        + literals(node) + literals(old) \
        + scopes[0].around(node) + scopes[1].around(old)
    names = _read_names(node) | _read_names(old) | _called_reads(node, siblings[0]) \
        | _called_reads(old, siblings[1])
    if "ord" in names:
        consts = [*consts[:len(changed)], *ord_shifted(consts), *consts[len(changed):]]
    ends = tuple(dict.fromkeys(pattern_ends(node) + pattern_ends(old)))[:2]  # never cut
    kept = tuple(c for c in dict.fromkeys(consts) if c not in ends)
    return Target(path, name, span, kept[:MAX_CONSTANTS - len(ends)] + ends,
                  boundaries((node, old), tables, siblings), names,
                  redefaulted=changed_defaults(node, old), edges=edges(node, old),
                  bare=bare(name, node) and bare(name, old),
                  text_params=tuple(sorted(_texts(node) & _texts(old))),
                  table_params=tuple(sorted(table_params(node) & table_params(old))),
                  inner=tuple(q for q in nested_defs(old, name) if q.count(LOCALS) == 1
                              and q.rpartition(LOCALS)[2].isidentifier())[:MAX_INNER],
                  confined=confined_, environ=environ_names(node, old))


def bare(qualname: str, node: FuncDef) -> bool:
    """Whether `node` is a module-level function the replay can call with no caller's
    argument: each of its parameters has a default, is variadic, is annotated with a
    plain type (FILLABLE, alone or `| None`) the replay makes values of (governance.oracle.
    replay_bare), or is one whose role its body shows (governance.proof.param_roles: a
    text, a table, a key into a table).
    evalidate's `test_security(attacks=None, model=None, verbose=False)`, which no test
    calls, waited as one with no input (wave 22); called with its defaults, it runs its
    built-in attacks. chameleon's `lookup_attr(obj: object, key: str)` and
    `parse_attributes(attrs, xml=True)` (`attrs.split(";")`) waited so too (wave 24). So
    is a static method of a module-level class (wonderwords' `RandomWord.read_words(
    word_file: str)`, wave 25): it takes no receiver."""
    a = node.args
    if not isinstance(node, ast.FunctionDef) or LOCALS in qualname \
            or qualname.count(".") > _static_depth(node):
        return False
    positional = [*a.posonlyargs, *a.args]
    required = positional[:len(positional) - len(a.defaults)] + [
        k for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]  # noqa: B905
    filled = text_params(node) | table_params(node) | key_params(node)
    return all(_fillable(p.annotation) or (p.annotation is None and p.arg in filled)
               for p in required)


def _static_depth(node: ast.FunctionDef) -> int:
    """How many dots a bare function's qualified name may hold: one for a static method
    (`Class.name`), none for anything else."""
    return int(any(isinstance(d, ast.Name) and d.id == "staticmethod"
                   for d in node.decorator_list))


def _texts(node: FuncDef) -> frozenset[str]:
    return text_params(node) | key_params(node)


def _fillable(annotation: ast.expr | None) -> bool:
    """Whether an annotation names plain types only (`str`, `'int'`, `Optional[str]`)."""
    if annotation is None:
        return False
    text = annotation.value if isinstance(annotation, ast.Constant) \
        and isinstance(annotation.value, str) else ast.unparse(annotation)
    names = [n for n in re.findall(r"[A-Za-z_]\w*", text)
             if n not in ("typing", "Optional", "Union", "None")]
    return bool(names) and all(n in FILLABLE for n in names)


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
        walk(parse_python(text).body, "")
    except (SyntaxError, ValueError, RecursionError):
        return {}
    return out


def _read_names(node: ast.AST) -> frozenset[str]:
    """The names a def's code reads, as its compiled code lists them: globals and
    attributes (the replay runner's code_names, read from the text)."""
    nodes = list(ast.walk(node))
    bound = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {n.arg for n in nodes if isinstance(n, ast.arg)}
    return frozenset(n.id for n in nodes if isinstance(n, ast.Name) and n.id not in bound) \
        | frozenset(n.attr for n in nodes if isinstance(n, ast.Attribute))


def _called_reads(node: ast.AST, siblings: dict[str, ast.AST]) -> frozenset[str]:
    """The names read by the methods of its class a def calls as `self.m(...)`, one call
    deep: the attributes its object's inputs are varied at first. iuliia's
    `_translate_word` reads its ending table through `self._translate_ending(ending)`; the
    table was its object's last attribute, and no input emptied its values (wave 19)."""
    called = {n.func.attr for n in ast.walk(node) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
              and n.func.value.id in ("self", "cls")}
    return frozenset().union(*(_read_names(siblings[m]) for m in sorted(called)
                               if m in siblings))


def _siblings(defs: dict[str, FuncDef], qualname: str) -> dict[str, ast.AST]:
    """The other methods of the class `qualname` is a method of, by name (none for a
    module-level function or one defined in a function)."""
    owner, dot, _ = qualname.rpartition(".")
    if not dot or owner.endswith("<locals>"):
        return {}
    return {q[len(owner) + 1:]: d for q, d in defs.items()
            if q.startswith(owner + ".") and "." not in q[len(owner) + 1:] and q != qualname}


def _rebound_names(old: str, new: str) -> set[str]:
    def bound(text: str) -> set[tuple[str, str]]:
        return {(a.asname or a.name.split(".")[0], ast.dump(s)) for s in parse_python(text).body
                if isinstance(s, (ast.Import, ast.ImportFrom)) for a in s.names}
    return {name for name, _ in bound(old) ^ bound(new)}


def _reads(node: ast.AST, names: set[str]) -> bool:
    return bool(names) and any(isinstance(n, ast.Name) and n.id in names
                               for n in ast.walk(node))


def pattern_ends(node: ast.AST) -> list[str]:
    """The last literal part of each f-string in `node` that ends in an unescaped `$` (a
    pattern's end anchor built around its fields: validate-docbr's `rf'^[\\d{chars}]*$'`,
    wave 28), which `literals` leaves out: the replay tries a text with a final line break
    first where the code holds one (governance.oracle.replay_values.Context.anchored)."""
    return [last.value for n in ast.walk(node) if isinstance(n, ast.JoinedStr) and n.values
            and isinstance(last := n.values[-1], ast.Constant) and isinstance(last.value, str)
            and last.value.endswith("$") and not last.value.endswith("\\$")]


def literals(node: ast.AST) -> list[object]:
    """The numbers and short strings a piece of code compares and computes with: constants
    (a negated number as written), not docstrings or the text around an f-string's fields."""
    body = getattr(node, "body", [])
    doc = body[0].value if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
        else None
    skip = {id(doc)} | {id(v) for n in ast.walk(node) if isinstance(n, ast.JoinedStr)
                        for v in n.values}
    out: list[object] = []
    for n in ast.walk(node):
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) \
                and isinstance(n.operand, ast.Constant) and _usable(n.operand.value) \
                and not isinstance(n.operand.value, str):
            out.append(-n.operand.value)
        elif isinstance(n, ast.Constant) and id(n) not in skip and _usable(n.value):
            out.append(n.value)
    return out


def changed_literals(node: ast.AST, old: ast.AST) -> list[object]:
    """The literals of the statements one of the two functions holds and the other does
    not, the base's first: what a changed line compares and computes with is where its
    inputs tell it, and a function of many literals put them past the words an input is
    made of (jaconv's `hiragana2julius`, fifty replacements, one of them dropped: only a
    text holding its '〜' tells, wave 12). A compound statement is its header here (an
    `if`'s test, a `for`'s target and iterable), its body's statements on their own."""
    mine, theirs = _statements(node), _statements(old)
    return [c for d, part in theirs.items() if d not in mine for c in literals(part)] \
        + [c for d, part in mine.items() if d not in theirs for c in literals(part)]


def parted_characters(node: ast.AST, old: ast.AST) -> list[str]:
    """The characters the texts of the statements only the base holds and those of the
    statements only the candidate holds do not share, each as a one-character constant
    (at most MAX_PARTED): the letters a text must hold to tell a changed character class
    or list (xpinyin's vowels `[aoeiuvü]` narrowed to `[aeiouü]` is told only by a text
    holding a `v`, which no test's did, wave 21)."""
    mine, theirs = _statements(node), _statements(old)

    def chars(parts: dict, others: dict) -> set[str]:
        return {ch for d, part in parts.items() if d not in others for c in literals(part)
                if isinstance(c, str) for ch in c}
    return sorted(chars(theirs, mine) ^ chars(mine, theirs))[:MAX_PARTED]


def ord_shifted(consts: Sequence[object]) -> list[str]:
    """The characters code that computes with `ord` reaches: each one-character constant
    moved by each small integer constant, and one beside (maidenhead's `ord(x) - ord('A')`
    compared with 18 is told only by a locator starting with 'S'; wave 15). At most
    MAX_SHIFTED, the integers' order kept."""
    chars = [c for c in consts if isinstance(c, str) and len(c) == 1]
    steps = [n for n in consts if type(n) is int and 0 < abs(n) <= 64]
    out = [chr(ord(c) + n + d) for n in steps for c in chars for d in (0, -1, 1)
           if 32 <= ord(c) + n + d < 0x110000]
    return list(dict.fromkeys(out))[:MAX_SHIFTED]


def changed_defaults(node: FuncDef, old: FuncDef) -> tuple[str, ...]:
    """The parameters whose default one def gives and the other does not give alike. A
    captured call passes every argument (the capture reads the frame), so the candidate's
    default is never used unless a call leaves it: marko's `partition_by_spaces` default
    widened and jaconv's `normalize` default 'NFKC' made 'NFC' waited (wave 12)."""
    def defaults(n: FuncDef) -> dict[str, str]:
        a = n.args
        pos = [*a.posonlyargs, *a.args]
        out = {p.arg: ast.dump(d) for p, d in zip(pos[len(pos) - len(a.defaults):],
                                                   a.defaults, strict=True)}
        out.update({p.arg: ast.dump(d) for p, d in zip(a.kwonlyargs, a.kw_defaults,
                                                         strict=True) if d is not None})
        return out
    mine, theirs = defaults(node), defaults(old)
    return tuple(sorted(n for n in mine.keys() | theirs.keys() if mine.get(n) != theirs.get(n)))


def _statements(node: ast.AST) -> dict[str, ast.AST]:
    """{dump: part} of each statement inside `node` (a compound one by its header)."""
    out: dict[str, ast.AST] = {}
    for s in ast.walk(node):
        if s is node or not isinstance(s, ast.stmt) or isinstance(s, (*FUNCS, ast.ClassDef)):
            continue
        head = (s.test,) if isinstance(s, ast.If | ast.While) else \
            (s.target, s.iter) if isinstance(s, ast.For | ast.AsyncFor) else \
            tuple(s.items) if isinstance(s, ast.With | ast.AsyncWith) else \
            () if isinstance(s, ast.Try) else (s,)
        for part in head:
            out.setdefault(ast.dump(part), part)
    return out


def _usable(value: object) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool) \
        and not (isinstance(value, str) and len(value) > 40)


class Scope:
    """What a function's code reaches by name in its module: the literals of the tables
    and constants it reads (module level or its class's), and of the functions and
    methods it calls by name (one level), after its own."""

    def __init__(self, text: str):
        self.values: dict[str, list[ast.AST]] = {}
        self.defs: dict[str, list[ast.AST]] = {}
        with contextlib.suppress(SyntaxError, ValueError, RecursionError):
            self._walk(parse_python(text).body)

    def _walk(self, body: list[ast.stmt]) -> None:
        for s in body:
            if isinstance(s, FUNCS):
                self.defs.setdefault(s.name, []).append(s)
            elif isinstance(s, ast.ClassDef):
                self._walk(s.body)
            elif isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        self.values.setdefault(t.id, []).append(s.value)

    def around(self, node: ast.AST) -> list[object]:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
            n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
        tables = [c for n in sorted(names) for v in self.values.get(n, []) for c in literals(v)]
        called = [c for n in sorted(names) for d in self.defs.get(n, []) if d is not node
                  for c in literals(d)]
        return tables + called


def past_def_line(lines: frozenset[int]) -> frozenset[int]:
    """A def's lines but its first: its def line runs at import, which is no test's call."""
    return lines - {min(lines, default=0)}


def covering_tests(targets: Sequence[Target], coverage: Coverage | None) -> list[str]:
    """The tests that entered a target (a line of its def ran during them: import time,
    None, is no test): every call they made is evidence, not only those that reached the
    changed lines, and inputs generated from them reach further."""
    if coverage is None:
        return []
    found: set[str] = set()
    for target in targets:
        tests = coverage.hits(target.file, target.lines)
        body = past_def_line(target.lines)
        if tests == {None} and coverage.hits(target.file, body):  # called at import alone:
            tests = set(_importers(coverage, target.file))  # a test that imports it calls it
        found |= {t for t in tests if t is not None}
    return sorted(found)


def _importers(coverage: Coverage, file: str) -> list[str]:
    """A few of the tests that ran a line of `file`: each imports it. A function its module
    calls at import only (iso3166's _build_index, wave 9) had no test to capture its calls
    with, and a correct rewrite of it waited as one no test calls; the capture plugin's
    trace runs from before the tests' modules are imported, so the import's own calls are
    captured and replayed like any other."""
    ran = {t for tests in coverage.lines.get(file, {}).values() for t in tests if t is not None}
    return sorted(ran)[:IMPORTERS]


