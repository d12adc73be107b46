"""An eval task: one commit of the repository's own history whose tests say what it did, and
the cache of tasks in the state dir.

A task is mined once (daemon.eval.mine) and kept as JSON under `<state>/eval/tasks/`, so
every later run of every brain judges the same work. It holds the commit's parent (the
base), the goal (the commit message), the commit's test change and its code change (the
maintainer's fix), the tests that failed on the base with the test change and pass on the
commit (fail-to-pass), the tests that passed on both (pass-to-pass), and the tests whose
outcome changed between identical runs (flaky: quarantined, in neither list). The JSON is
read back through the pydantic model: a cache edited by hand or by another version is a
boundary like any other.

A task is run as one of two kinds (Kind): *repair*, where the test change is committed
first, as the human would, and the brain fixes the failure the daemon's sensor sees; and
*new behaviour*, where the brain gets only the goal and the test change stays hidden.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from governance.fs.protected import normalize

SCHEMA = "eval-task.1"
TASKS_DIR = "eval/tasks"  # under the state dir
# commit sha -> {"why": why it is not a task ("task" when it is one), "settings": the
# mine_digest it was judged under}; an older cache's plain string is a why with no digest.
JUDGED_FILE = "judged.json"


@dataclass(frozen=True)
class Judged:
    """What became of one commit, and the settings digest it was judged under ("" when
    unknown: a cache from before digests were recorded)."""

    why: str
    settings: str = ""

    @property
    def task(self) -> bool:
        return self.why == "task"


class Kind(StrEnum):
    REPAIR = "repair"  # the test change is committed first; the brain fixes the failure
    NEW = "new"  # the brain gets the goal only; the test change stays hidden


class Rider(BaseModel):
    """The careless stand-in's extra change: one statement of another public function
    mutated (daemon.eval.rider), and the hidden tests that notice it ([] when none do)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    function: str
    line: int
    mutation: str
    noticed: list[str] = Field(default_factory=list)
    text: str  # the whole file, fix and mutation applied

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        return _repo_path(value)


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_tag: str = Field(default=SCHEMA, alias="schema")
    id: str = Field(pattern=r"^[0-9a-f]{12}$")  # the commit's sha, first 12
    sha: str = Field(pattern=r"^[0-9a-f]{40}$")
    parent: str = Field(pattern=r"^[0-9a-f]{40}$")
    date: str  # the commit's author date, YYYY-MM-DD
    subject: str
    message: str  # the whole commit message: the goal
    tests: dict[str, str | None]  # the commit's test files (None: deleted)
    fix: dict[str, str | None]  # its code files: the maintainer's fix
    fail_to_pass: list[str] = Field(min_length=1)
    pass_to_pass: list[str]
    flaky: list[str] = Field(default_factory=list)  # quarantined: judged by neither list
    runs: int = Field(ge=1)  # times each side ran while mining
    suite_s: float  # the whole suite's time on the commit
    rider: Rider | None = None

    @field_validator("tests", "fix")
    @classmethod
    def _paths_inside(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        """Every path a task writes stays inside the scratch it is written into."""
        return {_repo_path(p): t for p, t in value.items()}

    @property
    def hidden(self) -> list[str]:
        """The tests that judge a brain's change: fail-to-pass, then pass-to-pass."""
        return [*self.fail_to_pass, *self.pass_to_pass]

    @property
    def test_files(self) -> list[str]:
        return sorted(p for p, t in self.tests.items() if t is not None and p.endswith(".py"))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(by_alias=True), sort_keys=True, indent=1) + "\n"


def _repo_path(value: str) -> str:
    """A plain repository-relative path (PathEscape, a ValueError, when it climbs out, is
    absolute or hostile): the cache is read back like any input."""
    if normalize(value, allow_non_ascii=True) != value:
        raise ValueError(f"not a plain repository path: {value!r}")
    return value


class TaskCache:
    """`<state>/eval/tasks/`: one `<id>.json` per task, and `judged.json`, every commit
    looked at and what became of it (so mining again goes on where it stopped)."""

    def __init__(self, state_dir: Path):
        self.dir = state_dir / TASKS_DIR

    def tasks(self) -> list[Task]:
        """Every cached task, newest commit first; a file that does not read back as a task
        is left out (a problem, not a crash: `problems` names it)."""
        return sorted(self._read_all()[0], key=lambda t: (t.date, t.id), reverse=True)

    def problems(self) -> list[str]:
        return self._read_all()[1]

    def _read_all(self) -> tuple[list[Task], list[str]]:
        found, bad = [], []
        for path in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            if path.name == JUDGED_FILE:
                continue
            try:
                found.append(Task.model_validate_json(path.read_text(encoding="utf-8")))
            except (OSError, ValidationError, UnicodeDecodeError) as exc:
                bad.append(f"{path.name}: {str(exc).splitlines()[0]}")
        return found, bad

    def judged(self) -> dict[str, str]:
        """Commit sha -> why it is not a task ("task" when it is one)."""
        return {sha: j.why for sha, j in self.verdicts().items()}

    def verdicts(self) -> dict[str, Judged]:
        """Commit sha -> what became of it and under which settings."""
        try:
            data = json.loads((self.dir / JUDGED_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): Judged(str(v["why"]), str(v.get("settings", "")))
                if isinstance(v, dict) and "why" in v else Judged(str(v))
                for k, v in data.items()}

    def put(self, task: Task, settings: str = "") -> None:
        self._write(self.dir / f"{task.id}.json", task.to_json())
        self.judge(task.sha, "task", settings)

    def judge(self, sha: str, verdict: str, settings: str = "") -> None:
        """Record what became of `sha` (`settings`: the mine_digest it was judged under)."""
        judged = {k: {"why": j.why, "settings": j.settings}
                  for k, j in self.verdicts().items()}
        judged[sha] = {"why": verdict, "settings": settings}
        self._write(self.dir / JUDGED_FILE, json.dumps(judged, indent=1, sort_keys=True) + "\n")

    def _write(self, path: Path, text: str) -> None:
        """Whole or not at all: a mine interrupted mid-write leaves the old file."""
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
