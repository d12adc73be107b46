"""[eval]: how `ouroboros eval` mines tasks from the repository's history and runs a brain on
them (daemon.eval; docs/eval.md). daemon.config.settings assembles the sections."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from daemon.config.base import Section


class EvalSection(Section):
    # Mining: commits newest first, back to `since` (YYYY-MM-DD; "" = the whole history),
    # until `max_tasks` valid tasks are found or `max_commits` commits of the right shape
    # (code and tests changed together, nothing else in Python) were judged.
    since: str = ""
    max_tasks: int = Field(default=20, ge=1, le=10_000)
    max_commits: int = Field(default=200, ge=1, le=100_000)
    max_code_lines: int = Field(default=80, ge=1)  # added + deleted lines of the fix's code
    max_code_files: int = Field(default=2, ge=1, le=16)
    # Each side (the parent with the test change; the commit) runs this many times more
    # after the first: a test whose outcome changes between runs is flaky, quarantined.
    reruns: int = Field(default=1, ge=0, le=10)
    suite_timeout_s: float = Field(default=300.0, gt=0)  # one whole-suite run while mining
    # Suite runs spent looking for a careless rider (the careless stand-in's answer).
    rider_tries: int = Field(default=3, ge=0, le=20)
    # Tasks run at once; the model is shared either way (ops take turns at it).
    workers: int = Field(default=1, ge=1, le=8)
    # brain name -> its training cutoff (YYYY-MM-DD): the card splits tasks dated before
    # and after it (a task the brain may have seen in training, and one it cannot have).
    cutoffs: dict[str, str] = Field(default_factory=dict)

    @field_validator("since")
    @classmethod
    def _since_date(cls, value: str) -> str:
        return value and _date(value)

    @field_validator("cutoffs")
    @classmethod
    def _cutoff_dates(cls, value: dict[str, str]) -> dict[str, str]:
        return {name: _date(day) for name, day in value.items()}


def _date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None
