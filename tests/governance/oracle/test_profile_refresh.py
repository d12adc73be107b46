"""The suite profile refreshed to the function (governance.oracle.profile_refresh, profile_blocks,
profile_detail, profile_plugin): after a commit only the tests that entered a changed
function rerun, a changed module part reruns every test that entered the file, a changed
or new test file reruns whole, comments and moved lines rerun nothing, and a detail that is
missing, corrupt or of another tree (a crash between the two writes) means the whole suite.
Real git commits, real pytest runs through the learner."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.suite_profile import ProfileLearner
from governance.git.gitops import GitOps
from governance.oracle import profile_detail as detail_store
from governance.oracle import profile_store as store
from governance.oracle.profile_blocks import MODULE, blocks_of, changed_entries, entries_of
from governance.oracle.profile_refresh import MAX_NODES, Rerun
from governance.oracle.testrun import TestRunner
from tests.helpers import PYTEST, commit_files, git

SOURCE = '''"""Blocks."""
import functools

LIMIT = 10


@functools.cache
def double(x):
    return x * 2


class Box:
    def __init__(self, v):
        self.v = v

    @property
    def size(self):
        return min(self.v, LIMIT)

    @size.setter
    def size(self, v):
        self.v = v

    class Inner:
        def deep(self):
            return sorted([3, 1], key=lambda n: -n)


if LIMIT:
    def guarded():
        def nested():
            return 1
        return nested()
'''


def _line(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize("fragment, block", [
    ("@functools.cache", "double"),  # a decorated function's code starts at its decorator
    ("return x * 2", "double"),
    ("class Box:", MODULE),  # a class body runs at import: the module part
    ("def __init__", "Box.__init__"),
    ("return min(", "Box.size"),
    ("@size.setter", "Box.size#2"),  # a property's setter: the same name, told apart
    ("key=lambda", "Box.Inner.deep"),  # a lambda belongs to its function
    ("def nested", "guarded"),  # so does a nested function; a def under `if` is a block
    ("LIMIT = 10", MODULE),
])
def test_a_line_maps_to_the_function_around_it(fragment: str, block: str) -> None:
    blocks = blocks_of(SOURCE)
    assert blocks is not None
    assert blocks.block_at(_line(SOURCE, fragment)) == block


@pytest.mark.parametrize("before, after, whole, changed", [
    ("return x * 2", "return x + x", False, {"double"}),
    ("return 1", "return 2", False, {"guarded"}),  # a nested function's change is its block's
    ("    return x * 2", "    # doubled\n\n    return x * 2", False, set()),  # comments, lines
    ('"""Blocks."""', '"""Blocks."""\n\n\n', False, set()),  # every block moved down
    ("LIMIT = 10", "LIMIT = 11", True, set()),
    ("def double(x):", "def double(x, y=0):", True, set()),  # a signature is the module's
    ("@functools.cache\n", "", True, set()),  # so is a decorator
    ("class Inner:", "class Inner(object):", True, set()),
    ("return x * 2", "return x *", True, set()),  # does not parse: the whole file
])
def test_a_change_is_a_function_s_or_the_whole_file_s(before: str, after: str, whole: bool,
                                                     changed: set[str]) -> None:
    old = blocks_of(SOURCE)
    assert old is not None
    new = SOURCE.replace(before, after, 1)
    assert new != SOURCE
    found = changed_entries({"m.py": old.prints}, {"m.py"}, lambda rel: new)
    assert found == ({"m.py"} if whole else set(), {("m.py", b) for b in changed})


def test_a_deleted_or_never_parsed_file_changes_whole() -> None:
    old = blocks_of(SOURCE)
    assert old is not None
    assert changed_entries({"m.py": old.prints}, {"m.py"}, lambda rel: None)[0] == {"m.py"}
    assert changed_entries({"m.py": {}}, {"m.py"}, lambda rel: SOURCE)[0] == {"m.py"}
    assert changed_entries({"m.py": old.prints}, {"other.py"}, lambda rel: "") == (set(), set())


CORE = '''LIMIT = 10


def double(x):
    return x * 2


def triple(x):
    return x * 3


def clamp(x):
    return min(x, LIMIT)
'''
SUITE = {
    "pkg/__init__.py": "",
    "pkg/core.py": CORE,
    "tests/test_core.py": "from pkg.core import double, triple\n\n\n"
                          "def test_double():\n    assert double(2) == 4\n\n\n"
                          "def test_triple():\n    assert triple(2) == 6\n\n\n"
                          "def test_both():\n    assert double(triple(1)) == 6\n",
    "tests/test_clamp.py": "import pytest\n\nfrom pkg.core import clamp\n\n\n"
                           "@pytest.mark.parametrize('n', [1, 2])\n"
                           "def test_clamp(n):\n    assert clamp(n) == n\n",
    "tests/test_data.py": "def test_nothing_of_pkg():\n    assert True\n",
}


async def _never_busy() -> None:
    return None


class Learning:
    """A repository, its state dir and the learner, with a commit step."""

    def __init__(self, tmp: Path):
        self.repo = commit_files(tmp / "repo", SUITE)
        self.state = tmp / "state"
        self.state.mkdir()
        self.learner = self.new_learner()

    def new_learner(self) -> ProfileLearner:
        return ProfileLearner(self.repo, self.state, "", GitOps(self.repo),
                              TestRunner(PYTEST, 60), (), _never_busy, 0.05)

    def commit(self, rel: str, text: str) -> None:
        (self.repo / rel).write_text(text)
        git(self.repo, "add", rel)
        git(self.repo, "commit", "-qm", f"edit {rel}")

    def edit(self, rel: str, before: str, after: str) -> None:
        text = (self.repo / rel).read_text()
        assert before in text
        self.commit(rel, text.replace(before, after, 1))

    def profile(self) -> store.SuiteProfile:
        profile = store.load(self.state / store.PROFILE_FILE).profile
        assert profile is not None
        return profile

    def detail(self) -> detail_store.Detail:
        found = detail_store.load(self.state / detail_store.DETAIL_FILE, self.profile().tree)
        assert found is not None
        return found


@pytest.fixture
def learning(tmp_path: Path) -> Learning:
    return Learning(tmp_path)


@pytest.mark.slow
async def test_a_refresh_reruns_only_the_tests_that_entered_a_changed_function(
        learning: Learning) -> None:
    assert await learning.learner.once() == "learnt"
    first, detail = learning.profile(), learning.detail()
    assert first.rerun is None and len(detail.nodes) == 6
    assert ("pkg/core.py", "triple") in detail.nodes["tests/test_core.py::test_both"]
    assert ("pkg/core.py", "triple") not in detail.nodes["tests/test_core.py::test_double"]
    assert first.tests["tests/test_core.py"] == {"pkg/core.py"}

    learning.edit("pkg/core.py", "return x * 3", "return x + x + x")
    assert await learning.learner.once() == "learnt"
    refreshed = learning.profile()
    assert refreshed.rerun == 2  # test_triple and test_both; not test_double, not the rest
    assert refreshed.tests == first.tests and refreshed.suite_s == first.suite_s
    assert learning.detail().nodes == detail.nodes and refreshed.tree != first.tree

    learning.edit("pkg/core.py", "def double(x):\n", "# twice\n\n\ndef double(x):\n")
    runs = learning.learner.runs
    assert await learning.learner.once() == "nothing to rerun"  # a comment, moved lines
    assert learning.learner.runs == runs and learning.profile().rerun == 0

    learning.edit("pkg/core.py", "LIMIT = 10", "LIMIT = 20")  # the module part
    assert await learning.learner.once() == "learnt"
    assert learning.profile().rerun == 5  # every test that entered pkg/core.py


@pytest.mark.slow
async def test_changed_and_new_test_files_rerun_whole_and_gone_ones_drop(
        learning: Learning) -> None:
    assert await learning.learner.once() == "learnt"
    learning.commit("tests/test_new.py", "from pkg.core import double\n\n\n"
                    "def test_new():\n    assert double(0) == 0\n")
    assert await learning.learner.once() == "learnt"
    assert learning.profile().rerun == 1
    assert ("pkg/core.py", "double") in learning.detail().nodes["tests/test_new.py::test_new"]

    learning.edit("tests/test_clamp.py", "[1, 2]", "[1, 2, 3]")  # a case added
    assert await learning.learner.once() == "learnt"
    assert learning.profile().rerun == 3 and len(learning.detail().nodes) == 8

    git(learning.repo, "rm", "-q", "tests/test_data.py")
    git(learning.repo, "commit", "-qm", "gone")
    assert await learning.learner.once() == "nothing to rerun"
    assert "tests/test_data.py::test_nothing_of_pkg" not in learning.detail().nodes


@pytest.mark.slow
async def test_a_test_named_alone_that_is_gone_gives_way_to_the_whole_suite(
        learning: Learning) -> None:
    """Cases made from the code's values: a changed module part reruns them by name,
    pytest cannot find the old names, and the whole suite runs instead."""
    learning.commit("tests/test_cases.py", "import pytest\n\nfrom pkg import core\n\n\n"
                    "@pytest.mark.parametrize('n', core.CASES)\n"
                    "def test_case(n):\n    assert core.double(n) == 2 * n\n")
    learning.edit("pkg/core.py", "LIMIT = 10\n", "LIMIT = 10\nCASES = [1, 2]\n")
    assert await learning.learner.once() == "learnt"
    learning.edit("pkg/core.py", "CASES = [1, 2]", "CASES = [3, 4]")
    runs = learning.learner.runs
    assert await learning.learner.once() == "learnt"
    assert learning.learner.runs == runs + 2 and learning.profile().rerun is None
    assert "tests/test_cases.py::test_case[3]" in learning.detail().nodes
    assert "tests/test_cases.py::test_case[1]" not in learning.detail().nodes


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["another tree", "corrupt", "missing"])
async def test_without_the_profiled_tree_s_detail_the_whole_suite_reruns(
        learning: Learning, damage: str) -> None:
    """A crash between the detail's write and the profile's leaves a detail of another
    tree; a torn or lost file is as good as none: the next refresh is a whole run."""
    assert await learning.learner.once() == "learnt"
    path = learning.state / detail_store.DETAIL_FILE
    if damage == "another tree":
        detail_store.save(path, detail_store.Detail("t" * 64, {}, {}))
    elif damage == "corrupt":
        path.write_bytes(path.read_bytes()[:40])
    else:
        path.unlink()
    learning.edit("pkg/core.py", "return x * 3", "return 3 * x")
    restarted = learning.new_learner()  # what a daemon started after the crash does
    assert await restarted.once() == "learnt" and restarted.runs == 1
    assert learning.profile().rerun is None and len(learning.detail().nodes) == 6
    assert not list(learning.state.glob(".*.tmp"))


def test_a_detail_round_trips_and_counts_only_for_its_tree(tmp_path: Path) -> None:
    path = tmp_path / detail_store.DETAIL_FILE
    entered = frozenset({("pkg/core.py", "double"), ("pkg/core.py", MODULE)})
    detail = detail_store.Detail("a" * 64, {"tests/test_x.py::test_a": entered,
                                            "tests/test_x.py::test_b": entered},
                                 {"pkg/core.py": {MODULE: "0" * 16, "double": "1" * 16}})
    detail_store.save(path, detail)
    assert detail_store.load(path, "a" * 64) == detail
    assert detail_store.load(path, "b" * 64) is None
    path.write_text('{"version": 1, "tree": "t", "entries": [["a.py", ""]], "sets": [[5]],'
                    ' "nodes": {}, "prints": {}}')
    assert detail_store.load(path, "t") is None  # an index out of range is no detail


def test_too_many_single_tests_give_way_to_their_files() -> None:
    few = Rerun(("tests/test_new.py",), ("tests/test_a.py::test_1", "tests/test_b.py::test_2"))
    assert few.args() == ["tests/test_new.py", "tests/test_a.py::test_1",
                          "tests/test_b.py::test_2"]
    many = Rerun((), tuple(f"tests/test_{n % 3}.py::test_{n}" for n in range(MAX_NODES + 1)))
    assert many.args() == ["tests/test_0.py", "tests/test_1.py", "tests/test_2.py"]
    assert many.covers("tests/test_1.py::test_1") and not few.covers("tests/test_c.py::t")


@pytest.mark.parametrize("report", [
    None, [], {"codes": [], "sets": []}, {"codes": [["m.py"]], "sets": [], "tests": {}},
    {"codes": [["m.py", "1"]], "sets": [], "tests": {}},
    {"codes": [["m.py", 1]], "sets": [[1]], "tests": {}},  # no such code
    {"codes": [["m.py", 1]], "sets": [[0]], "tests": {"t.py::t": 1}},  # no such set
])
def test_a_report_not_of_the_plugin_s_shape_is_none(report: object) -> None:
    assert entries_of(report, lambda rel: SOURCE) is None


def test_a_report_maps_each_test_to_the_blocks_it_entered() -> None:
    report = {"codes": [["m.py", _line(SOURCE, "def double")], ["m.py", 1], ["data.txt", 3]],
              "sets": [[0, 1], [2]], "tests": {"t.py::a": 0, "t.py::b": 1}}
    found = entries_of(report, lambda rel: SOURCE)
    assert found is not None
    nodes, prints = found
    assert nodes == {"t.py::a": {("m.py", "double"), ("m.py", MODULE)},
                     "t.py::b": {("data.txt", MODULE)}}
    assert prints["data.txt"] == {} and "double" in prints["m.py"]
