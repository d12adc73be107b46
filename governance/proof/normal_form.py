"""A changed function that is its base once both are brought to one normal form: every
temporary inlined where nothing with an effect runs between its value and its one read
(governance.proof.temporaries), every choice between two branches written as an `if`
statement (governance.proof.branches), every f-string part that formats a string constant
written as the text it formats, every shift or mask of an exact int as its arithmetic;
then compared as they are, or renamed one for one (governance.proof.renamed). Each rewrite
keeps what the function does on every input, so two functions with one normal form are the
same code (governance.proof.same_code).

Pure: texts in, spans out.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from governance.proof.ast_diff import functions
from governance.proof.ast_helpers import dump, parse
from governance.proof.bindings import span
from governance.proof.branches import branches_in_one_form
from governance.proof.exact_ints import ExactInts, exact_ints
from governance.proof.renamed import renamed_only
from governance.proof.temporaries import Module, inline_temporaries

_MAX_SHIFT = 1024  # bits a shift may move for its power of two to be written out


@dataclass(frozen=True)
class NormalForm:
    """A function shown to be its base in normal form, and where it lies in each."""

    function: str  # qualname
    base_lines: range
    candidate_lines: range


def normal_forms(old: str, new: str) -> list[NormalForm]:
    """The functions of `new` whose normal form is their base's in `old` (and whose text is
    not). Unparsable text shows nothing."""
    try:
        before, after = parse(old, "base"), parse(new, "candidate")
        olds, news = functions(before), functions(after)
        found = []
        for name, fn in news.items():
            if name not in olds or dump(olds[name]) == dump(fn):
                continue
            bases = normal_forms_of(olds[name], Module(before), exact_ints(olds[name], before))
            cands = normal_forms_of(fn, Module(after), exact_ints(fn, after))
            if any(dump(b) == dump(c) or renamed_only(b, c) for b in bases for c in cands):
                found.append(NormalForm(name, span(olds[name]), span(fn)))
        return found
    except Exception:  # a rule that cannot decide shows nothing (fail closed)
        return []


def normal_forms_of(fn: ast.AST, module: Module, ints: ExactInts) -> list[ast.AST]:
    """Copies of `fn` in normal form, its rewrites made in two orders (`module`: the globals
    no call can rebind; `ints`: what is an exact int in `fn`): inlining a temporary can
    make a choice a statement's whole value, and writing a choice as an `if` can hide a
    temporary's read in a branch, so neither order alone brings every pair of equal
    functions to one form. Each copy does what `fn`
    does, so one form in common is enough."""
    fn = _IntForms(ints).visit(copy.deepcopy(fn))
    first = inline_temporaries(copy.deepcopy(fn), module)
    second = inline_temporaries(branches_in_one_form(copy.deepcopy(fn)), module)
    return [ast.fix_missing_locations(_Folded().visit(branches_in_one_form(f)))
            for f in (first, second)]


class _IntForms(ast.NodeTransformer):
    """A shift or mask of an exact int (governance.proof.exact_ints) written as the
    arithmetic it is: `x >> k` as `x // 2**k`, `x << k` as `x * 2**k`, `x & (2**k - 1)` as
    `x % 2**k`. For every int, negative ones too, each pair answers alike (Python's floor
    division and modulo round as its shifts and masks do); for a float or any other kind
    they part, so an operand not shown to be an exact int keeps its form. confusable-
    homoglyphs' `(le + r) // 2` written `(le + r) >> 1` (wave 30) is the same code."""

    def __init__(self, ints: ExactInts) -> None:
        self.ints = ints

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        k = node.right.value if isinstance(node.right, ast.Constant) else None
        if type(k) is not int or k < 0 or not self.ints.holds(node.left):
            return node
        if isinstance(node.op, (ast.RShift, ast.LShift)) and k <= _MAX_SHIFT:
            op = ast.FloorDiv() if isinstance(node.op, ast.RShift) else ast.Mult()
            return ast.BinOp(node.left, op, ast.Constant(2 ** k))
        if isinstance(node.op, ast.BitAnd) and (k + 1) & k == 0 and k + 1 <= 2 ** _MAX_SHIFT:
            return ast.BinOp(node.left, ast.Mod(), ast.Constant(k + 1))
        return node


class _Folded(ast.NodeTransformer):
    """An f-string part that formats a string constant, written as the text it formats
    (`f"{'a'}b"` is `f"ab"`); an f-string of text alone, the string it is."""

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        self.generic_visit(node)
        parts: list[ast.expr] = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue) and part.conversion == -1 \
                    and part.format_spec is None and isinstance(part.value, ast.Constant) \
                    and isinstance(part.value.value, str):
                part = ast.Constant(part.value.value)
            if isinstance(part, ast.Constant) and parts and isinstance(parts[-1], ast.Constant):
                parts[-1] = ast.Constant(parts[-1].value + part.value)
            else:
                parts.append(part)
        if all(isinstance(p, ast.Constant) for p in parts):
            return ast.Constant("".join(p.value for p in parts))
        return ast.JoinedStr(parts)

