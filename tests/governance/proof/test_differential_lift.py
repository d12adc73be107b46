"""When the differential check judges a function at its callers
(governance.proof.lifted), with the runs faked: a function whose own
replay generated no input beyond the captured calls, or could not place one of its
boundary values, is judged at its callers too, however many captured calls answered
alike and whatever the mutants (hijridate's `Hijri._check_date(self)`, wave 10: 100
captured calls, no input generated, its dropped `1 <= day` told only by `Hijri(1410, 8,
0)` through `__init__`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from governance.oracle.differential import Counterexample, FunctionCheck, Target
from governance.proof.check_record import Record
from governance.proof.lifted import lifted as _lifted

MODULE = '''class Day:
    def __init__(self, day):
        self._day = day
        self._check()

    def _check(self):
        if not 1 <= self._day <= 30:
            raise ValueError("day out of range")
'''
CHECKED = Target("dates.py", "Day._check", frozenset(range(6, 9)), (1, 30))


@dataclass
class _Faked(Record):
    """A record whose capture and replay runs answer at once: each caller replayed tells
    the trees apart (what `_lifted` does with that is what is tested)."""

    asked: list[str] = field(default_factory=list)  # shared by the callers' record

    async def traced(self, tree: Path, **how: bool) -> dict | str:
        return {"functions": [{} for _ in self.targets]}

    async def replay(self, targets, captured, spread=1):
        self.asked.extend(t.qualname for t in targets)
        return [FunctionCheck(self.name(t), 1, 9, 10, (Counterexample(
            self.name(t), "Day(0)", "raises ValueError", "Day(0)"),)) for t in targets]


async def _judged(tmp_path: Path, own: FunctionCheck) -> tuple[FunctionCheck, list[str]]:
    (tmp_path / "dates.py").write_text(MODULE)
    record = _Faked(None, tmp_path, tmp_path, [CHECKED], ["test_dates.py"],  # type: ignore[arg-type]
                    tmp_path, checks=[own],
                    captured={"functions": [{"callers": [["dates.py", "Day.__init__", 100]]}]})
    await _lifted(record)
    return record.checks[0], record.asked


@pytest.mark.parametrize("generated, unplaced", [(0, 0), (40, 2)])
async def test_a_function_varied_no_further_than_its_captured_calls_is_judged_at_its_callers(
        tmp_path: Path, generated: int, unplaced: int) -> None:
    own = FunctionCheck("dates.py::Day._check", 100, generated, 100 + generated,
                        unplaced=unplaced)
    check, asked = await _judged(tmp_path, own)
    assert asked == ["Day.__init__"]
    assert check.via == "dates.py::Day.__init__" and check.counterexamples
    assert "(reaches dates.py::Day._check)" in check.counterexamples[0].context


async def test_a_function_whose_inputs_were_varied_and_placed_keeps_its_own_evidence(
        tmp_path: Path) -> None:
    own = FunctionCheck("dates.py::Day._check", 100, 40, 140)
    check, asked = await _judged(tmp_path, own)
    assert asked == [] and check == own
