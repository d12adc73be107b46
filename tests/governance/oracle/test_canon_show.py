"""How an input is written in a counterexample (governance.oracle.canon.show): a maintainer
must be able to call the function with it and see both answers."""

from __future__ import annotations

from governance.oracle.canon import show


class _Leaf:
    def __init__(self, value: str, prefix: str, line: int) -> None:
        self.value, self.prefix, self.line, self.parent = value, prefix, line, None

    def __repr__(self) -> str:
        return f"<Leaf: {self.value}>"


def test_an_objects_own_repr_is_followed_by_the_attributes_the_function_reads() -> None:
    """parso's counterexample read `<Leaf: if>`, base (5, 0), candidate (6, 0): its repr hid
    the prefix '\\r' that told them apart (wave 28)."""
    leaf = _Leaf("if", "\r", 5)
    assert show(leaf, {"prefix", "line", "get_previous_leaf"}) \
        == "<Leaf: if> with line=5, prefix='\\r'"
    assert show(leaf) == "<Leaf: if>" and show(leaf, {"other"}) == "<Leaf: if>"
    leaf.prefix = object()  # an attribute's address is no part of the input
    assert " at 0x" not in show(leaf, {"prefix"}) and "<object object" in show(leaf, {"prefix"})
