"""The pure static analyses of governance.proof.static, on ordinary and hostile texts."""

from __future__ import annotations

import textwrap
import time

import pytest

from governance.proof.ast_helpers import layout_only
from governance.proof.static import (
    UNANALYSABLE,
    Statement,
    SymbolChange,
    breaking_changes,
    changed_statements,
    line_opcodes,
    runner_sniffing,
    symbol_changes,
    todo_resolution_problems,
)

BASE = textwrap.dedent('''\
    """Small arithmetic helpers."""
    import os


    def add(a, b):
        """Add."""
        # a comment
        total = a + b
        check = total
        return total


    def clamp(x, lo, hi):
        if x > hi:
            x = hi
        else:
            x = x
            y = 2
        return x
    ''')
# Hostile texts: none of them may raise out of any analysis.
DEEP_EXPR = "x = " + "-" * 200_000 + "1\n"
DEEP_PARENS = "x = " + "(" * 300 + ")" * 300 + "\n"
DEEP_BLOCKS = "".join("    " * i + "if x:\n" for i in range(120)) + "    " * 120 + "pass\n"
SURROGATES = "x = '\udcff'\n"
BROKEN = "def f(:\n    pass\n"
HOSTILE = [DEEP_EXPR, DEEP_PARENS, DEEP_BLOCKS, SURROGATES, BROKEN, "\x00", "if True:\n"]


def _lines(stmts: list[Statement]) -> list[int]:
    return [s.line for s in stmts]


def _dedent(text: str) -> str:
    return textwrap.dedent(text)


# -- changed_statements ------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "want"), [
    # a changed simple statement
    ("    total = a + b\n", "    total = a - b\n", [8]),
    # comments, blank lines and docstrings are not executable
    ("    # a comment\n", "    # another comment\n", []),
    ("    # a comment\n", "    # a comment\n\n\n", []),
    ('    """Add."""\n', '    """Add two numbers."""\n', []),
    # added statements
    ("    return total\n", "    total += 1\n    return total\n", [10]),
    ("        x = hi\n", "        x = hi\n        z = 0\n", [16]),
    # code deleted mid-block: the statement now following it
    ("    check = total\n", "", [9]),
    # code commented out counts as deleted
    ("    check = total\n", "    # check = total\n", [10]),
    # a compound header changed: just the header
    ("    if x > hi:\n", "    if x >= hi:\n", [14]),
    # the first statement of an else body deleted: the one following it
    ("        x = x\n        y = 2\n", "        y = 2\n", [17]),
    # a def's header changed
    ("def clamp(x, lo, hi):\n", "def clamp(x, lo, hi=10):\n", [13]),
])
def test_changed_statements_map_diff_lines(old, new, want):
    changed = BASE.replace(old, new, 1)
    assert changed != BASE
    assert _lines(changed_statements(BASE, changed)) == want


def test_deleting_the_last_statement_of_an_if_body_maps_to_its_header():
    old = "if a:\n    b = 1\n    c = 2\nelse:\n    d = 3\n"
    assert changed_statements(old, old.replace("    c = 2\n", "")) == [
        Statement(1, frozenset({1}))]


def test_deleting_the_last_statement_of_a_function_maps_to_the_one_before():
    """A def's header runs at import: the statement before the deletion must run instead."""
    old = "def f(x):\n    y = g(x)\n    log(y)\n\n\nZ = 1\n"
    new = "def f(x):\n    y = g(x)\n\n\nZ = 1\n"
    assert changed_statements(old, new) == [Statement(2, frozenset({2}))]


def test_deleting_the_last_statement_of_a_module_maps_to_nothing():
    assert changed_statements("x = 1\ny = 2\n", "x = 1\n") == []


def test_deleting_a_module_statement_maps_to_the_next_one():
    assert _lines(changed_statements("import os\nx = 1\ny = 2\n", "import os\ny = 2\n")) == [2]


def test_deleting_a_method_maps_to_the_next_method_or_the_class():
    old = "class C:\n    def a(self):\n        return 1\n\n    def b(self):\n        return 2\n"
    assert _lines(changed_statements(old, old.replace(
        "    def a(self):\n        return 1\n\n", ""))) == [2]
    assert _lines(changed_statements(old, old.replace(
        "\n    def b(self):\n        return 2\n", ""))) == [1]


def test_a_new_file_is_every_executable_statement():
    text = '"""Doc."""\nimport os\n\n\ndef f():\n    """Doc."""\n    return 1\n'
    assert changed_statements(None, text) == [
        Statement(2, frozenset({2})), Statement(5, frozenset({5})),
        Statement(7, frozenset({7}))]


def test_a_decorated_def_spans_its_decorators():
    old = "@cache\ndef f(x):\n    return x\n"
    new = "@cache(maxsize=2)\ndef f(x):\n    return x\n"
    assert changed_statements(old, new) == [Statement(2, frozenset({1, 2}))]


def test_a_multi_line_statement_spans_all_its_lines():
    old = "x = f(\n    1,\n    2,\n)\n"
    assert changed_statements(old, old.replace("2,", "3,")) == [
        Statement(1, frozenset({1, 2, 3, 4}))]


def test_a_comment_inside_a_multi_line_statement_is_not_code():
    old = "x = f(\n    # why\n    1,\n)\n"
    assert changed_statements(old, old.replace("# why", "# because")) == []


_TYPED = "def is_name(node, name):  # type: (ast.Ast, str) -> bool\n    return node == name\n"


@pytest.mark.parametrize(("old", "new"), [
    # pyflakes-84da8cdaad57: a type comment corrected (no runtime effect on Python 3)
    (_TYPED, _TYPED.replace("ast.Ast", "ast.AST")),
    # a pragma added, a comment dropped
    ("import os\nx = os.sep\n", "import os\nx = os.sep  # noqa: F401\n"),
    ("x = 1  # pragma: no cover\n", "x = 1\n"),
    # whitespace inside a statement, a call re-wrapped
    ("x=f(a,b)\n", "x = f(a, b)\n"),
    ("x = f(a,\n      b)\ny = 2\n", "x = f(a, b)\ny = 2\n"),
    # a block re-indented as a whole
    ("if a:\n    x = 1\n", "if a:\n  x = 1\n"),
])
def test_a_change_of_only_comments_or_layout_changes_no_statement(old, new):
    assert changed_statements(old, new) == []


@pytest.mark.parametrize(("old", "new", "want"), [
    # beside a real change elsewhere in the file, only the real one counts
    (_TYPED + "\n\ndef first(xs):\n    return xs[1]\n",
     _TYPED.replace("ast.Ast", "ast.AST") + "\n\ndef first(xs):\n    return xs[0]\n", [6]),
    # a line moved into a block is indented, not re-wrapped: it changed
    ("if a:\n    x = 1\ny = 2\n", "if a:\n    x = 1\n    y = 2\n", [3]),
    # a `#` inside a string is no comment
    ("x = '#a'\n", "x = '#b'\n", [1]),
    ("s = f(\"\"\"a\n# b\"\"\")\n", "s = f(\"\"\"a\n# c\"\"\")\n", [1]),
    # code commented out is code deleted
    ("x = 1\ny = 2\nz = 3\n", "x = 1\n# y = 2\nz = 3\n", [3]),
])
def test_a_change_of_code_beside_comments_still_counts(old, new, want):
    assert _lines(changed_statements(old, new)) == want


def test_alike_tokens_are_not_enough_the_ast_decides():
    """Hunks whose tokens match one by one, but which together reorder the code: applied
    to the old text they give the old AST, taken out of the new one they do not."""
    old, new = "x = 1\ny = 2\n", "y = 2\nx = 1\n"
    crossed = [("replace", 0, 1, 1, 2), ("replace", 1, 2, 0, 1)]
    assert layout_only(old, new, crossed) == set()
    assert layout_only("x=1\n", "x = 1  # why\n", [("replace", 0, 1, 0, 1)]) == {0}


def test_a_hash_line_inside_a_string_literal_is_code():
    old = 'x = """\n# not a comment\n"""\n'
    assert _lines(changed_statements(old, old.replace("not a", "still not a"))) == [1]


def test_an_except_clause_belongs_to_its_try():
    old = "try:\n    f()\nexcept ValueError:\n    g()\nfinally:\n    h()\n"
    [stmt] = changed_statements(old, old.replace("ValueError", "TypeError"))
    assert stmt == Statement(1, frozenset({1, 3}))
    assert _lines(changed_statements(old, old.replace("h()", "k()"))) == [6]


def test_match_case_patterns_and_bodies():
    old = "match cmd:\n    case 'go':\n        go()\n    case _:\n        stop()\n"
    [stmt] = changed_statements(old, old.replace("'go'", "'run'"))
    assert stmt.line == 1 and stmt.lines == frozenset({1, 2, 4})
    assert _lines(changed_statements(old, old.replace("stop()", "halt()"))) == [5]


@pytest.mark.parametrize(("old", "new", "want"), [
    ("async def f():\n    await g()\n", "async def f():\n    await h()\n", [2]),
    ("class A:\n    class B:\n        def m(self):\n            return 1\n",
     "class A:\n    class B:\n        def m(self):\n            return 2\n", [4]),
    ("f = lambda x: x\n", "f = lambda x: x + 1\n", [1]),
    ("if X:\n    def f():\n        return 1\n", "if X:\n    def f():\n        return 2\n", [3]),
    ("a = 1; b = 2\n", "a = 1; b = 3\n", [1]),
    ("if x: y = 1\n", "if x: y = 2\n", [1]),
    ("with open(p) as f, \\\n        lock:\n    pass\n",
     "with open(p) as f, \\\n        other:\n    pass\n", [1]),
    ("while x:\n    x -= 1\nelse:\n    done()\n", "while x:\n    x -= 1\nelse:\n    end()\n", [4]),
    ("@overload\ndef f(x: int) -> int: ...\n",
     "@overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\n", [4, 4]),
])
def test_unusual_constructs(old, new, want):
    assert _lines(changed_statements(old, new)) == want


def test_results_are_sorted_without_duplicates():
    old = "a = 1\nb = 2\nc = 3\n"
    new = "c = 4\na = 5; b = 6\n"
    stmts = changed_statements(old, new)
    assert stmts == sorted(set(stmts), key=lambda s: (s.line, sorted(s.lines)))


def test_an_unparseable_base_does_not_matter():
    assert _lines(changed_statements(BROKEN, "x = 1\n")) == [1]


@pytest.mark.parametrize("new", HOSTILE)
def test_an_unanalysable_candidate_is_never_covered(new):
    assert changed_statements("x = 1\n", new) == [UNANALYSABLE]
    assert 0 in UNANALYSABLE.lines  # line 0 never runs


@pytest.mark.slow
def test_a_huge_file_is_mapped_quickly():
    funcs = [f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(5000)]
    old = "".join(funcs)
    new = old.replace("return x + 2500\n", "return x - 2500\n")
    start = time.monotonic()
    [stmt] = changed_statements(old, new)
    assert stmt.line == 2500 * 4 + 2 and time.monotonic() - start < 30


def test_a_base_with_surrogates_still_maps_the_candidate():
    """The base is read with surrogateescape; only the candidate has to parse."""
    old = "# caf\udce9\nx = 1\ny = 2\n"
    assert _lines(changed_statements(old, "# cafe\nx = 1\ny = 3\n")) == [3]


def test_crlf_and_tab_indented_text():
    old = "def f():\r\n\ta = 1\r\n\tb = 2\r\n\treturn a\r\n"
    assert _lines(changed_statements(old, old.replace("\tb = 2\r\n", ""))) == [3]
    assert _lines(changed_statements(old, old.replace("b = 2", "b = 3"))) == [3]


def _changed_lines(old: list[str], new: list[str]) -> set[int]:
    return {n for tag, _, _, j1, j2 in line_opcodes(old, new) if tag != "equal"
            for n in range(j1 + 1, j2 + 1)}


@pytest.mark.parametrize(("old", "new", "true_change"), [
    # blank lines everywhere: the exact diff is too costly, the keyed one is exact enough
    ([f"x{i} = {i}" if i % 2 else "" for i in range(40_000)],
     [*(f"x{i} = {i}" if i % 2 else "" for i in range(39_997)), "changed = 1", "", ""],
     {39_998}),
    # one line repeated: every diff is too costly, all of the middle counts as changed
    (["x = 1"] * 50_000, ["x = 1"] * 100 + ["y = 2"] + ["x = 1"] * 49_000, {101}),
    # a shuffle: many tiny matching blocks
    ([f"v{i} = 1" for i in range(20_000)],
     [*(f"v{(i * 7919) % 20_000} = 1" for i in range(20_000)), "fresh = 1"], {20_001}),
])
def test_costly_diffs_are_bounded_and_never_miss_a_change(old, new, true_change):
    start = time.monotonic()
    changed = _changed_lines(old, new)
    assert true_change <= changed and time.monotonic() - start < 30


def test_line_opcodes_cover_both_texts():
    old, new = ["a", "b", "c", "d"], ["a", "x", "c", "d", "e"]
    ops = line_opcodes(old, new)
    assert ops[0][:3] == ("equal", 0, 1) and ops[-1][2] == 4 and ops[-1][4] == 5
    assert _changed_lines(old, new) == {2, 5}
    assert line_opcodes([], []) == [] and line_opcodes(old, old) == [("equal", 0, 4, 0, 4)]


# -- todo_resolution_problems ------------------------------------------------------------

TODO_BASE = textwrap.dedent('''\
    def add(a, b):
        return a + b


    def clamp(x, lo, hi):
        """Clamp."""
        # TODO: clamp into range
        return x
    ''')
FIXED_BODY = "        return max(lo, min(x, hi))\n"


def _todo(old: str, old_part: str, new_part: str, lines=(7,)) -> list[str]:
    return todo_resolution_problems(old, old.replace(old_part, new_part), list(lines))


def test_a_reworded_marker_without_code_is_refused():
    assert _todo(TODO_BASE, "# TODO", "# DONE") == [
        "the TODO at line 7 (clamp) was removed but clamp's code did not change: a marker is "
        "resolved only by code"]


def test_a_marker_resolved_by_code_is_fine():
    assert _todo(TODO_BASE, "    # TODO: clamp into range\n    return x\n",
                 "    return max(lo, min(x, hi))\n") == []


@pytest.mark.parametrize(("body", "kind"), [
    ("    pass\n", "pass"),
    ("    ...\n", "..."),
    ("    raise NotImplementedError\n", "raise NotImplementedError"),
    ("    raise NotImplementedError('later')\n", "raise NotImplementedError"),
    ("    return None\n", "return None"),
    ("    return\n", "return None"),
])
def test_a_stubbed_body_is_refused(body, kind):
    [why] = _todo(TODO_BASE, "    # TODO: clamp into range\n    return x\n", body)
    assert f"clamp is now a stub (a docstring and {kind})" in why


def test_a_docstring_only_body_is_a_stub():
    old = "def f():\n    # TODO: do it\n    return 1\n"
    [why] = todo_resolution_problems(old, 'def f():\n    """Done."""\n', [2])
    assert "f is now a stub (a docstring)" in why


def test_deleting_the_marked_function_is_refused():
    [why] = todo_resolution_problems(TODO_BASE, TODO_BASE.split("\n\n\n")[0] + "\n", [7])
    assert "clamp itself was deleted" in why


def test_deleting_the_file_is_refused():
    [why] = todo_resolution_problems(TODO_BASE, None, [7])
    assert "the whole file was deleted" in why


def test_a_marker_still_there_is_no_problem():
    assert todo_resolution_problems(TODO_BASE, TODO_BASE, [7]) == []
    assert _todo(TODO_BASE, "return a + b", "return b + a") == []


def test_a_moved_marker_is_not_a_removed_one():
    add, clamp = TODO_BASE.split("\n\n\n")
    assert todo_resolution_problems(TODO_BASE, clamp + "\n\n" + add + "\n", [7]) == []


def test_lines_without_a_marker_are_ignored_and_markers_found_instead():
    assert len(_todo(TODO_BASE, "# TODO", "# DONE", lines=(1, 99, -3))) == 1
    assert len(_todo(TODO_BASE, "# TODO", "# DONE", lines=())) == 1


def test_a_module_level_marker_needs_some_module_change():
    old = "# FIXME: wrong constant\nLIMIT = 1\n"
    [why] = todo_resolution_problems(old, "LIMIT = 1\n", [1])
    assert why.startswith("the FIXME at line 1 (module level) was removed but no code of the "
                          "module changed")
    assert todo_resolution_problems(old, "LIMIT = 2\n", [1]) == []


def test_a_marker_above_a_def_is_module_level():
    old = "# HACK: speed up\ndef f():\n    return 1\n"
    assert todo_resolution_problems(old, "def f():\n    return 2\n", [1]) == []
    assert "(module level)" in todo_resolution_problems(old, "def f():\n    return 1\n",
                                                         [1])[0]


def test_methods_nested_functions_and_trailing_markers():
    old = _dedent('''\
        class Box:
            def area(self):
                def inner():
                    return 1
                    # TODO: inner
                return inner()
        ''')
    [why] = todo_resolution_problems(old, old.replace("# TODO: inner", "# done"), [5])
    assert "(Box.area.inner)" in why and "Box.area.inner's code did not change" in why


def test_two_markers_in_one_function_are_two_problems():
    old = "async def f():\n    # TODO: a\n    # FIXME: b\n    return 1\n"
    problems = todo_resolution_problems(old, "async def f():\n    return 1\n", [2, 3])
    assert [p.split(" (")[0] for p in problems] == ["the TODO at line 2", "the FIXME at line 3"]


def test_same_named_conditional_defs_are_told_apart():
    old = _dedent('''\
        if WINDOWS:
            def path():
                return "a"
        else:
            def path():
                # TODO: posix
                return "b"
        ''')
    only_first = old.replace('"a"', '"c"').replace("# TODO: posix", "# ok")
    assert "path's code did not change" in todo_resolution_problems(old, only_first, [6])[0]
    assert todo_resolution_problems(old, old.replace('"b"', '"d"').replace(
        "# TODO: posix", "# ok"), [6]) == []


def test_a_signature_change_is_code():
    assert _todo(TODO_BASE, "def clamp(x, lo, hi):\n    \"\"\"Clamp.\"\"\"\n    # TODO: clamp "
                 "into range\n", "def clamp(x, lo=0, hi=1):\n    \"\"\"Clamp.\"\"\"\n") == []


def test_a_marker_in_a_class_body_is_the_class_s():
    old = "class Config:\n    # TODO: a better default\n    size = 1\n"
    assert "(Config)" in todo_resolution_problems(old, "class Config:\n    size = 1\n", [2])[0]
    assert todo_resolution_problems(old, "class Config:\n    size = 2\n", [2]) == []


def test_a_marker_in_a_decorated_def_and_a_match():
    old = _dedent('''\
        @route("/x")
        def handle(cmd):
            match cmd:
                case "go":
                    # TODO: really go
                    return 1
        ''')
    assert todo_resolution_problems(old, old.replace("return 1", "return go()").replace(
        "# TODO: really go", ""), [5]) == []
    assert "handle's code did not change" in todo_resolution_problems(
        old, old.replace("# TODO: really go", "# gone"), [5])[0]


@pytest.mark.slow
def test_todo_on_a_huge_file():
    old = "".join(f"def f{i}(x):\n    return x\n\n\n" for i in range(3000))
    old = old.replace("def f1500(x):\n", "def f1500(x):\n    # TODO: double it\n")
    new = old.replace("    # TODO: double it\n    return x\n", "    return 2 * x\n")
    start = time.monotonic()
    assert todo_resolution_problems(old, new, [6002]) == []
    assert time.monotonic() - start < 30


@pytest.mark.parametrize("new", HOSTILE)
def test_an_unanalysable_candidate_is_a_problem(new):
    [why] = todo_resolution_problems(TODO_BASE, new, [7])
    assert "could not be analysed" in why


def test_an_unanalysable_base_is_a_problem():
    old = "def f(:\n    # TODO: x\n"
    assert "the base text could not be analysed" in todo_resolution_problems(old, "x\n", [2])[0]
    assert "could not be analysed" in todo_resolution_problems(
        "# TODO: x\ny = '\udcff'\n", "y = 1\n", [1])[0]


# -- runner_sniffing ---------------------------------------------------------------------


@pytest.mark.parametrize(("code", "line"), [
    ('import sys\nif "pytest" in sys.modules:\n    x = 1\n', 2),
    ('import sys\nif "_pytest" not in sys.modules:\n    x = 1\n', 2),
    ('import os\nif os.environ.get("PYTEST_CURRENT_TEST"):\n    pass\n', 2),
    ('import os\nx = os.getenv("PYTEST_XDIST_WORKER")\n', 2),
    ('from os import environ\nx = environ["PYTEST_VERSION"]\n', 2),
    ('def f(environ):\n    return "PYTEST_ADDOPTS" in environ\n', 2),
    ('import os\nos.environ.__contains__("PYTEST_FOO")\n', 2),
    ('import sys\nx = sys.modules.get("unittest")\n', 2),
    ('import sys\nx = "py.test" in sys.argv[0]\n', 2),
    ('import sys\nx = sys.argv[0].endswith("pytest")\n', 2),
    ('import sys\nx = hasattr(sys, "_called_from_test")\n', 2),
    ('import sys\nx = sys._called_from_test\n', 2),
    ('import importlib.util\nx = importlib.util.find_spec("pytest")\n', 2),
    ('m = __import__("sys")\nx = getattr(m, "modules").get("pytest")\n', 2),
    ('import sys\nx = sys.__dict__["modules"].get("pytest")\n', 2),
    ('import sys\nx = "py" + "test" in sys.modules\n', 2),
    ('import sys\nNAMES = ("pytest", "unittest")\n\n\ndef f():\n'
     '    return any(n in sys.modules for n in NAMES)\n', 6),
    ('import sys\nfor name in ("pytest",):\n    if name in sys.modules:\n        pass\n', 3),
    ('import sys as s\nx = s.gettrace()\n', 2),
    ('import sys\nx = sys.getprofile() is not None\n', 2),
    ('import sys\nsys.settrace(None)\n', 2),
    ('import threading\nthreading.settrace(None)\n', 2),
    ('import sys\nsys.monitoring.get_tool(1)\n', 2),
    ('from sys import gettrace\n', 1),
    ('from sys import gettrace as g\n', 1),
    ('import sys\nt = sys.gettrace\n', 2),
    ('import sys\nt = getattr(sys, "gettrace")()\n', 2),
    ('s = __import__("sys")\nt = s.gettrace()\n', 2),
    ('import sys\nmods = sys.modules\nx = "pytest" in mods\n', 3),
    ('async def f():\n    import sys\n    return "pytest" in sys.modules\n', 3),
])
def test_runner_and_tracer_checks_are_found(code, line):
    found = runner_sniffing(code)
    assert found and found[0].startswith(f"line {line}:"), found


@pytest.mark.parametrize("code", [
    'import sys\nx = vars(sys)["modules"].get("pytest")\n',
    'import importlib\nx = "pytest" in importlib.import_module("sys").modules\n',
    'import sys\ns = sys\ng = s.gettrace\n',
    'import sys\nx = f"py{\'test\'}" in sys.modules\n',
    'import os as o\nx = o.environ.get("PYTEST_CURRENT_TEST", "")\n',
    'import sys\nclass C:\n    flag = "pytest" in sys.modules\n',
    'import sys\nf = lambda: "pytest" in sys.modules\n',
])
def test_more_spellings_of_a_sniff(code):
    assert runner_sniffing(code)


def test_an_aliased_import_and_its_use_are_two_findings():
    assert runner_sniffing("from sys import gettrace\nif gettrace():\n    pass\n") == [
        "line 1: imports the trace hook sys.gettrace",
        "line 2: looks at the tracer or the test runner (sys.gettrace)"]


@pytest.mark.parametrize("code", [
    'import argparse\nimport sys\np = argparse.ArgumentParser()\n'
    'args = p.parse_args(sys.argv[1:])\n',
    'import os\nhome = os.environ.get("HOME")\n',
    'modules = {"pytest": 1}\nif "pytest" in modules:\n    pass\n',
    'import subprocess\nimport sys\nsubprocess.run([sys.executable, "-m", "pytest"])\n',
    'import sys\nprint("run pytest", file=sys.stderr)\nme = sys.modules[__name__]\n',
    'import os\nenv = dict(os.environ)\nenv["PYTEST_ADDOPTS"] = "-q"\n',
    'def gettrace():\n    return 1\nx = gettrace()\n',
    'RUNNER = "pytest"\n',
    'import sys\nframe = sys._getframe(1)\n',
    'x = lambda: "pytest"\n',
])
def test_ordinary_code_is_not_flagged(code):
    assert runner_sniffing(code) == []


@pytest.mark.parametrize("code", HOSTILE)
def test_unanalysable_code_is_a_finding(code):
    [why] = runner_sniffing(code)
    assert "could not be analysed" in why


# -- symbol_changes ----------------------------------------------------------------------

SYMBOLS = textwrap.dedent('''\
    """Doc."""
    import os
    __all__ = ["_exported"]
    LIMIT = 1


    def add(a, b):
        """Add."""
        return a + b


    def _exported():
        return 0


    def _helper():
        return 1


    class Box:
        size = 2

        def area(self):
            return 1

        def _inner(self):
            return 2

        def __init__(self):
            self.w = 1

        class Lid:
            def open(self):
                return 3


    class _Private:
        def run(self):
            return 4


    if os.name == "nt":
        def plat():
            return "nt"
    else:
        def plat():
            return "posix"
    ''')


def _sym(old_part: str, new_part: str) -> list[tuple[str, str, bool]]:
    new = SYMBOLS.replace(old_part, new_part, 1)
    assert new != SYMBOLS
    return [(c.name, c.kind, c.public) for c in symbol_changes(SYMBOLS, new)]


@pytest.mark.parametrize(("old_part", "new_part", "want"), [
    ("return a + b", "return a - b", [("add", "changed", True)]),
    ('"""Add."""', '"""Add two."""', [("add", "changed", True)]),
    ("def add(a, b):", "@cache\ndef add(a, b):", [("add", "changed", True)]),
    ("        return 1\n\n    def _inner", "        return 9\n\n    def _inner",
     [("Box.area", "changed", True)]),
    ("return 2\n", "return 7\n", [("Box._inner", "changed", False)]),
    ("self.w = 1", "self.w = 2", [("Box.__init__", "changed", True)]),
    ("size = 2", "size = 3", [("Box", "changed", True)]),
    ("return 3", "return 5", [("Box.Lid.open", "changed", True)]),
    ("return 4", "return 6", [("_Private.run", "changed", False)]),
    ("return 0", "return 8", [("_exported", "changed", True)]),
    ('return "posix"', 'return "unix"', [("plat", "changed", True)]),
    ("import os\n", "import os\nimport re\n", [("<imports>", "changed", True)]),
    ("LIMIT = 1", "LIMIT = 2", [("<module>", "changed", True)]),
    ('"""Doc."""', '"""Docs."""', [("<module>", "changed", True)]),
    ('if os.name == "nt":', 'if os.name != "nt":', [("<module>", "changed", True)]),
    ("\n\ndef _helper", "\n\ndef _new():\n    return 5\n\n\ndef _helper",
     [("_new", "added", False)]),
    ("\n\ndef _helper", "\n\nasync def fresh():\n    return 5\n\n\ndef _helper",
     [("fresh", "added", True)]),
    ("def _helper():\n    return 1\n", "", [("_helper", "removed", False)]),
    ("def add(a, b):\n", "@overload\ndef add(a: int, b: int) -> int: ...\n\n\ndef add(a, b):\n",
     [("add", "changed", True)]),
])
def test_symbol_changes(old_part, new_part, want):
    assert _sym(old_part, new_part) == want


def test_no_symbol_changes_for_the_same_text():
    assert symbol_changes(SYMBOLS, SYMBOLS) == []


def test_a_dedent_out_of_a_block_is_a_module_change():
    old = "if X:\n    a = 1\n    b = 2\n"
    assert symbol_changes(old, "if X:\n    a = 1\nb = 2\n") == [
        SymbolChange("<module>", "changed", True)]


def test_new_and_deleted_files():
    text = "import os\nX = 1\n\n\ndef f():\n    pass\n"
    assert symbol_changes(None, text) == [
        SymbolChange("<imports>", "added", True), SymbolChange("<module>", "added", True),
        SymbolChange("f", "added", True)]
    assert [c.kind for c in symbol_changes(text, None)] == ["removed"] * 3
    assert symbol_changes(None, None) == []


@pytest.mark.parametrize("bad", HOSTILE)
def test_unanalysable_symbols(bad):
    assert symbol_changes("x = 1\n", bad) == [SymbolChange("<unanalysable>", "changed", True)]
    assert symbol_changes(bad, "x = 1\n") == [SymbolChange("<unanalysable>", "changed", True)]


# -- breaking_changes --------------------------------------------------------------------

API = textwrap.dedent('''\
    __all__ = ["scale", "_legacy", "CONST"]
    CONST = 1
    RATE: float = 0.5
    LEFT, RIGHT = 1, 2
    _private = 3


    def scale(x, k):
        return x * k


    def _legacy():
        pass


    def _internal():
        pass


    class Box:
        def __init__(self, w):
            self.w = w

        def area(self, h=1):
            return self.w * h

        def _cache(self):
            pass


    class _Hidden:
        def run(self, a):
            pass
    ''')


@pytest.mark.parametrize(("old_part", "new_part", "want"), [
    ("def scale(x, k)", "def scale(x, *, k)",
     "changes the signature of scale(x, k) -> scale(x, *, k) (k became keyword-only)"),
    ("def scale(x, k)", "def scale(x, k, /)",
     "changes the signature of scale(x, k) -> scale(x, k, /) (x became positional-only)"),
    ("def scale(x, k)", "def scale(x, factor)",
     "changes the signature of scale(x, k) -> scale(x, factor) (k was removed or renamed)"),
    ("def scale(x, k)", "def scale(k, x)",
     "changes the signature of scale(x, k) -> scale(k, x) (x was moved)"),
    ("def scale(x, k)", "def scale(x)",
     "changes the signature of scale(x, k) -> scale(x) (k was removed or renamed)"),
    ("def scale(x, k)", "def scale(x, k, m)",
     "changes the signature of scale(x, k) -> scale(x, k, m) (new parameter m has no default)"),
    ("def scale(x, k)", "def scale(x, k, *, m)",
     "changes the signature of scale(x, k) -> scale(x, k, *, m) (new parameter m has no "
     "default)"),
    ("area(self, h=1)", "area(self, h)",
     "changes the signature of Box.area(self, h=...) -> Box.area(self, h) (h lost its "
     "default)"),
    ("__init__(self, w)", "__init__(self, w, d)",
     "changes the signature of Box.__init__(self, w) -> Box.__init__(self, w, d) (new "
     "parameter d has no default)"),
    ("CONST = 1\n", "", "removes public name CONST"),
    ("RATE: float = 0.5\n", "", "removes public name RATE"),
    ("LEFT, RIGHT = 1, 2\n", "LEFT = 1\n", "removes public name RIGHT"),
    ("def _legacy():\n    pass\n", "", "removes public name _legacy"),
    ("    def area(self, h=1):\n        return self.w * h\n", "",
     "removes public name Box.area"),
    ("class Box:", "class Crate:", "removes public name Box"),
])
def test_breaking_changes(old_part, new_part, want):
    new = API.replace(old_part, new_part, 1)
    assert new != API
    assert breaking_changes(API, new) == [want]


@pytest.mark.parametrize(("old_part", "new_part"), [
    ("def scale(x, k)", "def scale(x, k, m=1)"),
    ("def scale(x, k)", "def scale(x, k, *args, **kwargs)"),
    ("def scale(x, k)", "def scale(x: float, k: float) -> float"),
    ("def scale(x, k)", "async def scale(x, k)"),
    ("area(self, h=1)", "area(self, h=2)"),
    ("_private = 3\n", ""),
    ("def _internal():\n    pass\n", ""),
    ("    def _cache(self):\n        pass\n", ""),
    ("def run(self, a)", "def run(self)"),
    ("CONST = 1\n", "from consts import CONST\n"),
    ("CONST = 1\n", "if True:\n    CONST = 1\n"),
    ("return x * k", "return k * x"),
])
def test_compatible_changes(old_part, new_part):
    new = API.replace(old_part, new_part, 1)
    assert new != API
    assert breaking_changes(API, new) == []


@pytest.mark.parametrize(("old", "new", "why"), [
    ("def f(*args): return 1\n", "def f(): return 1\n", "*args was removed"),
    ("def f(**kw): return 1\n", "def f(): return 1\n", "**kw was removed"),
    ("def f(a, *args): return 1\n", "def f(a, b=1, *args): return 1\n",
     "new parameter b takes what *args took"),
    ("def f(*, a=1): return 1\n", "def f(*, a): return 1\n", "a lost its default"),
    ("def f(*, a): return 1\n", "def f(a, /): return 1\n", "a became positional-only"),
    ("def f(*, a): return 1\n", "def f(*, b): return 1\n", "a was removed or renamed"),
])
def test_star_and_keyword_only_parameters(old, new, why):
    [found] = breaking_changes(old, new)
    assert found.endswith(f"({why})")


@pytest.mark.parametrize(("old", "new"), [
    ("def f(a, /): pass\n", "def f(b): pass\n"),  # a positional-only name is not API
    ("def f(*, a=1): pass\n", "def f(a=1): pass\n"),  # keyword-only may loosen
    ("def f(a): pass\n", "def f(a, *args, b=2, **kw): pass\n"),
])
def test_loosened_signatures_are_compatible(old, new):
    assert breaking_changes(old, new) == []


@pytest.mark.parametrize(("old", "new"), [
    ("for i in range(3):\n    pass\n", ""),  # a loop variable is no API
    ("import cfg\ncfg.debug = True\n", "import cfg\n"),  # nor an attribute set on a module
    ("try:\n    import json\nexcept ImportError:\n    json = None\n", "import json\n"),
    ("with open('x') as fh:\n    DATA = fh.read()\n", "DATA = open('x').read()\n"),
    ("x: int\n", ""),  # an annotation alone binds nothing
])
def test_bindings_that_are_not_api(old, new):
    assert breaking_changes(old, new) == []


def test_a_deleted_file_removes_every_public_name_and_a_new_one_nothing():
    assert breaking_changes(API, None) == [
        "removes public name Box", "removes public name CONST", "removes public name LEFT",
        "removes public name RATE", "removes public name RIGHT",
        "removes public name _legacy", "removes public name scale"]
    assert breaking_changes(None, API) == []


@pytest.mark.parametrize("bad", HOSTILE)
def test_unanalysable_breaking(bad):
    [why] = breaking_changes(API, bad)
    assert "could not be analysed" in why


@pytest.mark.parametrize("moved", [
    "# TODO: clamp x\ndef a():\n    return 1\n\n\ndef clamp(x, lo, hi):\n    return x\n",
    "def a():\n    # TODO: clamp x\n    return 1\n\n\ndef clamp(x, lo, hi):\n    return x\n",
])
def test_a_marker_moved_out_of_its_function_is_gone_from_it(moved: str) -> None:
    old = "def a():\n    return 1\n\n\ndef clamp(x, lo, hi):\n    # TODO: clamp x\n    return x\n"
    [why] = todo_resolution_problems(old, moved, [6])
    assert "clamp's code did not change" in why


STUBS = ["    pass\n", "    ...\n", '    """Soon."""\n', "    raise NotImplementedError\n",
         '    """Soon."""\n    raise NotImplementedError("later")\n']


@pytest.mark.parametrize("body", STUBS)
def test_filling_in_a_stub_breaks_no_caller(body):
    old = f"def mode():\n{body}"
    new = "def mode(word, *, strict):\n    return word.lower() if strict else word\n"
    assert breaking_changes(old, new) == []


def test_a_body_that_does_something_is_no_stub():
    old = "def mode():\n    log()\n    raise NotImplementedError\n"
    new = "def mode(word):\n    return word\n"
    assert breaking_changes(old, new) != []
