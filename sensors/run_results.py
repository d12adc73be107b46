"""Test runs' results, per test: the `ouroboros_results` plugin's results files
(ouroboros_pytest/, `<state>/test-results/<run_id>.json`) read and checked, and a jailed
run's oracle report as the same results (sensors.failing_tests feeds both to its streaks).

A jailed run's message is the oracle plugin's (the crash's own message, as the results
plugin writes it: the same failure keeps the same signature in both), and its `where` and
`library_where` the oracle plugin's failure frames (governance.oracle.failure_frames: the
crash location and the innermost library frame, read by the results plugin's own
definition); for a test it kept no frame of, `where` is the traceback's last `path:line:`
line. pytest's -rfE summary line, cut to the terminal's width, is the message only for a
test the oracle kept no text of (it keeps the first few).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from governance.oracle.testrun import TestOutcome
from ouroboros_pytest import MAX_TESTS, MESSAGE_CAP, SCHEMA
from sensors.errors import first_problem

RESULTS_CAP = 4 << 20  # bytes; a larger results file is refused
# The oracle's outcomes (governance/oracle/oracle_plugin.py) as this sensor counts them.
ORACLE_OUTCOMES: Mapping[str, str] = {"passed": "passed", "xpassed": "passed",
                                      "failed": "failed", "forged": "failed", "error": "error"}
_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (\S+?)(?: - (.*))?$", re.MULTILINE)
_CRASH_LINE = re.compile(r"^(\S[^:\n]*\.py):(\d+): \S")  # pytest's `path:line: Error`


class TestResult(BaseModel):
    __test__ = False
    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
    message: str = Field(default="", max_length=MESSAGE_CAP)
    where: str = Field(default="", max_length=1000)
    # The innermost frame in the repository's library code, when it is not `where`.
    library_where: str = Field(default="", max_length=1000)


class ResultsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: Literal["ouroboros-test-results.1"] = Field(alias="schema")
    run_id: str = Field(pattern=r"^[0-9A-Za-z-]{1,80}$")
    time: str = Field(max_length=64)
    rootdir: str = Field(max_length=4096)
    exitstatus: int
    truncated: bool = False
    tests: dict[str, TestResult] = Field(max_length=MAX_TESTS)


assert SCHEMA == "ouroboros-test-results.1"  # the plugin and the reader agree


def read_results(path: Path) -> ResultsFile:
    """One results file; ValueError saying why it is not usable (never follows a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise ValueError(f"not readable ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError("not a regular file")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(RESULTS_CAP + 1)
    if len(data) > RESULTS_CAP:
        raise ValueError(f"larger than {RESULTS_CAP} bytes")
    try:
        return ResultsFile.model_validate_json(data)
    except ValidationError as exc:
        raise ValueError(first_problem(exc)) from None

def from_outcome(outcome: TestOutcome) -> dict[str, TestResult]:
    """A jailed run's oracle report as results: each failure's message from the oracle's
    failure texts (else pytest's -rfE summary), where it was raised and its library frame
    from the oracle's failure frames (else the crash location its text ends with)."""
    summary = {m.group(1): (m.group(2) or "") for m in _SUMMARY.finditer(outcome.output_tail)}
    texts = outcome.report.failures
    tests: dict[str, TestResult] = {}
    failing = [(t, ORACLE_OUTCOMES.get(raw)) for t, raw in outcome.report.tests.items()]
    failing += [(t, "error") for t in outcome.report.collect_errors]
    for test_id, kind in failing:
        if kind is None:
            continue
        text = texts.get(test_id)
        if kind == "passed":
            tests[test_id] = TestResult(outcome=kind, message=summary.get(test_id, "")[:500])
            continue
        frame = outcome.frames.get(test_id)
        where = frame.where if frame and frame.where else crash_where(text.tail) if text \
            else ""
        message = text.message if text else summary.get(test_id, "")
        tests[test_id] = TestResult(outcome=kind, message=message[:MESSAGE_CAP], where=where,
                                    library_where=frame.library_where if frame else "")
    return tests


def crash_where(tail: str) -> str:
    """`path:line` of the traceback's last entry (pytest ends a long traceback with
    `path:line: ErrorType`, the crash location); '' when the tail does not end so."""
    lines = tail.strip().splitlines()
    found = _CRASH_LINE.match(lines[-1]) if lines else None
    where = f"{found.group(1)}:{found.group(2)}" if found else ""
    return where if len(where) <= 1000 else ""
