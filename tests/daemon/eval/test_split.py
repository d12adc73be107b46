"""daemon.eval.mine.split: fail-to-pass, pass-to-pass and flaky tests from the runs of the
three trees (the parent, the parent with the test change, the commit), as a table."""

from __future__ import annotations

import pytest

from daemon.eval.mine import Rejected, Sides, split
from daemon.eval.suite import SuiteRun

P, F = "passed", "failed"


def run(tests: dict[str, str], broken: tuple[str, ...] = ()) -> SuiteRun:
    return SuiteRun(tests=tests, collect_errors=frozenset(broken))


def sides(*runs: tuple[dict, dict, dict] | tuple[dict, dict, dict, tuple]) -> list[Sides]:
    return [Sides(run(b), run(r, *extra), run(g)) for b, r, g, *extra in runs]


CASES = [
    # (runs, fail-to-pass, pass-to-pass, flaky)
    ("a repair", sides(({"a": P, "b": P}, {"a": P, "b": P, "t": F}, {"a": P, "b": P, "t": P})),
     {"t"}, {"a", "b"}, set()),
    ("a module that does not import counts as failing",
     sides(({"a": P}, {}, {"a": P, "m.py::t": P}, ("m.py",))), {"m.py::t"}, {"a"}, set()),
    ("an added test that passes already is pass-to-pass",
     sides(({"a": P}, {"a": P, "n": P, "t": F}, {"a": P, "n": P, "t": P})),
     {"t"}, {"a", "n"}, set()),
    ("a test failing everywhere is in neither list",
     sides(({"a": P, "x": F}, {"a": P, "x": F, "t": F}, {"a": P, "x": F, "t": P})),
     {"t"}, {"a"}, set()),
    ("an outcome that changes between runs of one tree is flaky",
     sides(({"a": P, "f": P}, {"a": P, "f": P, "t": F}, {"a": P, "f": P, "t": P}),
           ({"a": P, "f": F}, {"a": P, "f": P, "t": F}, {"a": P, "f": P, "t": P})),
     {"t"}, {"a"}, {"f"}),
]


@pytest.mark.parametrize(("runs", "f2p", "p2p", "flaky"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_split(runs: list[Sides], f2p: set, p2p: set, flaky: set) -> None:
    assert split(runs) == (f2p, p2p, flaky)


@pytest.mark.parametrize(("runs", "why"), [
    (sides(({"a": P}, {"a": P, "t": F}, {"a": F, "t": P})), r"breaks 1 test\(s\)"),
    (sides(({"a": P}, {"a": P, "t": F}, {"a": P, "t": P}),
           ({"a": P}, {"a": P, "t": P}, {"a": P, "t": P})), "every fail-to-pass test is flaky"),
], ids=["the fix breaks a test", "only flaky failures"])
def test_not_a_task(runs: list[Sides], why: str) -> None:
    with pytest.raises(Rejected, match=why):
        split(runs)
