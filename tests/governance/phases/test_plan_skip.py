"""A repair whose failure reached one place asks for no plan: one function (stop 61), or
one class and its members (stop 65: semver's `VersionInfo(major=0, minor=10, patch=4)`
reached the class, its __init__ and its properties, and the 1.5B model's PLAN took ten
minutes of a loaded box to say where the prompt already shows)."""

from __future__ import annotations

from types import SimpleNamespace

from governance.phases.plan import _not_asked
from governance.schemas import OperationContext, SignalEnvelope

GOAL = "Make the failing test test_semver.py::test_should_compare pass: " + "x" * 300


def _ctx(*causes: str, source: str = "test_failure") -> OperationContext:
    return OperationContext(envelope=SignalEnvelope(
        source=source, target_files=("test_semver.py", "semver.py", "other.py"), goal=GOAL,
        dedup_key="k", session_id="s", evidence={"causes": [*causes, "test:t.py::t"]}))


def _deps() -> SimpleNamespace:
    spec = SimpleNamespace(plan_required=False)
    return SimpleNamespace(policy=SimpleNamespace(routes=SimpleNamespace(spec=lambda _: spec)),
                           provider=object())


def test_a_class_and_its_members_are_one_place():
    why = _not_asked(_ctx("fn:semver.py::VersionInfo", "fn:semver.py::VersionInfo.__init__",
                          "fn:semver.py::VersionInfo.major"), _deps())
    assert why is not None and "one definition (semver.py::VersionInfo)" in why


def test_two_definitions_or_files_are_planned():
    assert _not_asked(_ctx("fn:semver.py::VersionInfo", "fn:semver.py::parse"),
                      _deps()) is None
    assert _not_asked(_ctx("fn:semver.py::VersionInfo", "fn:other.py::VersionInfo"),
                      _deps()) is None
    assert _not_asked(_ctx(), _deps()) is None  # no function reached: planned as before
    assert _not_asked(_ctx("fn:semver.py::VersionInfo", "fn:semver.py::VersionInfo.x",
                           source="human"), _deps()) is None
