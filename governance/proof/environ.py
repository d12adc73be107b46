"""The environment variables a function reads by a literal name (governance.oracle.
replay_environ varies them): `os.environ.get("X")`, `os.environ["X"]`, `os.getenv("X")`,
`"X" in os.environ`, and `environ` or `getenv` imported from `os` by those names.

Pure: a function's tree in, names out, in the order the code names them.
"""

from __future__ import annotations

import ast

MAX_NAMES = 4


def environ_names(*fns: ast.AST) -> tuple[str, ...]:
    """The variables any of `fns` reads by a literal name, each once, in order."""
    found: list[str] = []
    for fn in fns:
        for node in ast.walk(fn):
            name = _read_name(node)
            if name is not None and name not in found:
                found.append(name)
    return tuple(found[:MAX_NAMES])


def _read_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and node.args:
        f = node.func
        getter = (isinstance(f, ast.Attribute) and f.attr == "get" and _environ(f.value)) \
            or (isinstance(f, ast.Attribute) and f.attr == "getenv"
                and isinstance(f.value, ast.Name) and f.value.id == "os") \
            or (isinstance(f, ast.Name) and f.id == "getenv")
        return _text(node.args[0]) if getter else None
    if isinstance(node, ast.Subscript) and _environ(node.value):
        return _text(node.slice)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 \
            and isinstance(node.ops[0], (ast.In, ast.NotIn)) and _environ(node.comparators[0]):
        return _text(node.left)
    return None


def _environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os") \
        or (isinstance(node, ast.Name) and node.id == "environ")


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value \
            and "=" not in node.value and "\0" not in node.value:
        return node.value
    return None
