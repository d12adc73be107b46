"""A table holding the interpreter's builtins namespace compares by that alone: `eval(code,
table)` puts `__builtins__` into the table (evalidate's globals, wave 22), and each replay
runner writes its own machinery into that namespace (the mutant switch, a stable `id`), so
its contents are the runner's state, never the code's answer."""

import builtins

from governance.oracle.canon import canon


def test_a_table_holding_builtins_compares_alike_whatever_the_runner_put_there() -> None:
    table = {"x": 1}
    eval("x + 1", table)  # what the library's code does to its caller's table
    assert table["__builtins__"] is vars(builtins)
    before = canon(table)
    builtins._ouroboros_test_switch = object()  # what a runner's mutant switch does
    try:
        assert canon(table) == before
    finally:
        del builtins._ouroboros_test_switch
    assert canon(table) != canon({"x": 2, "__builtins__": vars(builtins)})


def test_the_builtins_module_and_its_namespace_are_told_apart_from_a_plain_dict() -> None:
    assert canon(vars(builtins)) == ["builtins", "<namespace>"]
    assert canon(dict(vars(builtins)))[0] == "builtins.dict"
