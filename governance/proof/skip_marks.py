"""What a proposed test adds that makes it skip or expect to fail rather than fail
(governance.proof.missing_test_rules's "skips nothing" check): a skip or an xfail can never fail
the suite, so a test that skips when it sees a mutant's answer guards nothing. Pure: texts
in, names out. A skip reached by a name no text shows (`getattr(pytest, "sk" + "ip")`) is
the jail's to find: a new test kills a mutant only by failing with it
(governance.proof.missing_test_runs)."""

from __future__ import annotations

import ast

from governance.python_ast import parse_python

# What makes a test skip or expect to fail rather than fail: pytest's functions and marks,
# unittest's exception and decorators. Named as an attribute (`pytest.skip`), a name
# imported (`from pytest import skip`) or a string (`getattr(pytest, "skip")`).
_SKIPPING = frozenset({"skip", "skipif", "xfail", "importorskip", "SkipTest", "skipIf",
                       "skipUnless", "expectedFailure"})


def skips_added(old: str | None, new: str) -> frozenset[str]:
    """The skipping names `new` uses more often than `old` does (a test file the proposal
    extends may skip already; what it adds may not). A text that does not parse: none (the
    run says what it is)."""
    found, before = _skip_names(new), _skip_names(old or "")
    return frozenset(n for n in found if found.count(n) > before.count(n))


def _skip_names(text: str) -> list[str]:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out = []
    for node in ast.walk(tree):
        name = (node.attr if isinstance(node, ast.Attribute) else node.id
                if isinstance(node, ast.Name) else node.name if isinstance(node, ast.alias)
                else node.value if isinstance(node, ast.Constant)
                and isinstance(node.value, str) else None)
        if name in _SKIPPING:
            out.append(name)
    return out
