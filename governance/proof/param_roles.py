"""What a function does with a parameter that has no annotation, read off its body: the
values the replay fills it with where no test calls the function (governance.proof.
behaviour.bare; governance.oracle.replay_bare).

Pure, over the AST. Three roles:

- A text: the function calls a text's own method on it (`attrs.split(";")`,
  `name.startswith("_")`): chameleon's `parse_attributes(attrs, xml=True)` (wave 24).
- A table: the function calls a mapping's own method on it (`result.copy()` then
  `.clear()`, `.items()`, `.setdefault(...)`).
- A key: the function looks it up in a table parameter (`table[key]`, `key in table`,
  `table.get(key)`, `table.pop(key)`): filled with text, then with the keys the table it
  was looked up in holds (governance.oracle.replay_keys). json-merge-patch's
  `move_to_start(result, key)`, the fallback for Pythons before 3.2, which no test calls
  and no kin lends a `key`, was reached by no input (wave 26).

A wrong guess costs nothing but inputs that raise on both trees, which show nothing
unchanged (governance.oracle.differential.ALL_RAISED).
"""

from __future__ import annotations

import ast

from governance.proof.nested import FuncDef

# methods a text has and no other value a caller passes does (bytes share some: the two are
# one kind to a parser; a list, a dict or a number has none of them)
TEXT_METHODS = frozenset({"split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper",
                          "casefold", "startswith", "endswith", "splitlines", "encode",
                          "partition", "rpartition", "title", "isdigit", "isalpha", "zfill"})
# a mapping's own methods (`copy`, `clear` and `pop` are a list's too: with one of these)
TABLE_METHODS = frozenset({"items", "keys", "values", "setdefault", "popitem", "update"})
_LOOKUPS = frozenset({"get", "pop", "setdefault"})  # a table's methods that take a key first


def _unannotated(node: FuncDef) -> set[str]:
    a = node.args
    return {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs] if p.annotation is None}


def _called_on(node: FuncDef, methods: frozenset[str]) -> frozenset[str]:
    params = _unannotated(node)
    return frozenset(n.func.value.id for n in ast.walk(node)
                     if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                     and n.func.attr in methods and isinstance(n.func.value, ast.Name)
                     and n.func.value.id in params)


def text_params(node: FuncDef) -> frozenset[str]:
    """The parameters without an annotation that `node` calls a text's own method on: the
    replay fills them with text."""
    return _called_on(node, TEXT_METHODS)


def table_params(node: FuncDef) -> frozenset[str]:
    """The parameters without an annotation that `node` calls a mapping's own method on:
    the replay fills them with a dict."""
    return _called_on(node, TABLE_METHODS) - text_params(node)


def key_params(node: FuncDef) -> frozenset[str]:
    """The parameters without an annotation that `node` looks up in a table parameter:
    the replay fills them with text, then with the table's keys."""
    params = _unannotated(node)
    tables = table_params(node)
    tables |= _copies(node, tables)
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Subscript) and _named(n.value, tables):
            found.add(n.slice)
        elif isinstance(n, ast.Compare) and len(n.ops) == 1 \
                and isinstance(n.ops[0], (ast.In, ast.NotIn)) and _named(n.comparators[0], tables):
            found.add(n.left)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.args \
                and n.func.attr in _LOOKUPS and _named(n.func.value, tables):
            found.add(n.args[0])
    return frozenset(e.id for e in found if isinstance(e, ast.Name) and e.id in params) \
        - tables


def _copies(node: FuncDef, tables: frozenset[str]) -> frozenset[str]:
    """Local names bound to a copy of a table parameter (`copy = result.copy()`,
    `dict(result)`): a key looked up there was looked up in the table."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call):
            call = n.value
            if (isinstance(call.func, ast.Attribute) and call.func.attr == "copy"
                    and not call.args and _named(call.func.value, tables)) \
                    or (_named(call.func, frozenset({"dict"})) and len(call.args) == 1
                        and _named(call.args[0], tables)):
                out.add(n.targets[0].id)
    return frozenset(out)


def _named(node: ast.expr, names: frozenset[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names
