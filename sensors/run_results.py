"""Test runs' results, per test: the `ouroboros_results` plugin's results files
(ouroboros_pytest/, `<state>/test-results/<run_id>.json`) read and checked, and a jailed
run's oracle report as the same results (sensors.test_failure feeds both to its streaks).
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


class TestResult(BaseModel):
    __test__ = False
    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
    message: str = Field(default="", max_length=MESSAGE_CAP)
    where: str = Field(default="", max_length=1000)


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
    """A jailed run's oracle report as results; messages from pytest's -rfE summary."""
    messages = {m.group(1): (m.group(2) or "") for m in _SUMMARY.finditer(outcome.output_tail)}
    tests: dict[str, TestResult] = {}
    for test_id, raw in outcome.report.tests.items():
        kind = ORACLE_OUTCOMES.get(raw)
        if kind is not None:
            tests[test_id] = TestResult(outcome=kind, message=messages.get(test_id, "")[:500])
    for test_id in outcome.report.collect_errors:
        tests[test_id] = TestResult(outcome="error", message=messages.get(test_id, "")[:500])
    return tests
