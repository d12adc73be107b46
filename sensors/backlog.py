"""BacklogSensor: work items a person lists in `backlog.json` at the repository root.

    {"schema": "backlog.1",
     "items": [{"id": "B-12", "goal": "Add a --verbose flag to the CLI",
                "files": ["pkg/cli.py"], "urgency": "normal", "confidence": 0.9,
                "done": false}]}

`id`, `goal` and `files` (repo-relative, at least one) are required; `urgency` (low, normal,
high, critical; default normal), `confidence` (0..1, default 0.9) and `done` (default
false: done items are skipped) are optional; unknown keys are refused. Each open item is
one envelope whose dedup key hashes its id, goal and files, so an edited item is new work
and an unchanged one is not queued twice.

The file is only ever read (never written: the daemon does not tick items off). A file that
is missing is no backlog; one that is not UTF-8 JSON or breaks the schema queues nothing and
its reason shows in `ouroboros status` until it is fixed. Read on every change of the file
(the watcher's events) and by scan_once at start and on the safety-net poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from governance.fs.protected import normalize
from governance.schemas import SignalEnvelope, Source, Urgency
from sensors.errors import SourceReadError, first_problem
from sensors.todo import read_source

log = structlog.get_logger("sensors.backlog")

SOURCE = Source.BACKLOG
FILE = "backlog.json"
MAX_ITEMS = 200  # a longer backlog is refused as a whole: fix it, nothing is half-read


class BacklogItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    goal: str = Field(min_length=1, max_length=2000)
    files: list[str] = Field(min_length=1, max_length=16)
    urgency: Urgency = Urgency.NORMAL
    confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    done: bool = False


class Backlog(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: Literal["backlog.1"] = Field(alias="schema")
    items: list[BacklogItem] = Field(max_length=MAX_ITEMS)


def parse(text: str) -> Backlog:
    """The backlog, or ValueError saying what is wrong (line/column, or which field)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at line {exc.lineno} col {exc.colno})") from None
    try:
        return Backlog.model_validate(data)
    except ValidationError as exc:
        raise ValueError(first_problem(exc)) from None


def envelope_for(item: BacklogItem, session_id: str) -> SignalEnvelope:
    """ValueError (PathEscape) if an item's file is not a plain repository path: absolute,
    climbing, look-alike characters; non-ASCII is left to CLASSIFY and its config."""
    files = tuple(normalize(f, allow_non_ascii=True) for f in item.files)  # CLASSIFY judges
    digest = hashlib.sha256(json.dumps([item.id, item.goal, files]).encode()).hexdigest()
    return SignalEnvelope(source=SOURCE, urgency=item.urgency, target_files=files,
                          goal=f"{item.goal} (backlog item {item.id})",
                          confidence=item.confidence, dedup_key=f"backlog:{digest[:24]}",
                          session_id=session_id, evidence={"backlog_id": item.id})


class BacklogSensor:
    def __init__(self, root: Path, session_id: str,
                 emit: Callable[[SignalEnvelope], Awaitable[bool]]):
        self.root = root
        self.session_id = session_id
        self.emit = emit
        self.problem: str | None = None  # why the backlog queued nothing (status shows it)

    async def on_paths(self, paths: Iterable[str]) -> None:
        if FILE in paths:
            await self.scan_once()

    async def scan_once(self, files: Iterable[str] = ()) -> int:
        """Read the backlog and emit each open item; returns how many were emitted."""
        try:
            backlog = await asyncio.to_thread(self._load)
        except (SourceReadError, ValueError) as exc:  # unreadable, or not a backlog
            return self._refuse(str(exc))
        if backlog is None:
            self.problem = None  # no backlog: nothing to say
            return 0
        envelopes = []
        for n, item in enumerate(backlog.items):
            if item.done:
                continue
            try:
                envelopes.append(envelope_for(item, self.session_id))
            except ValueError as exc:
                return self._refuse(f"items.{n} ({item.id}): {exc}")
        self.problem = None
        for env in envelopes:
            await self.emit(env)
        return len(envelopes)

    def _load(self) -> Backlog | None:
        """The backlog, None when there is no file; ValueError when there is one that
        cannot be used (off the event loop: it reads the file)."""
        text = read_source(self.root / FILE, self.root)
        if text is not None:
            return parse(text)
        if os.path.lexists(self.root / FILE):  # there, but read_source would not read it
            raise ValueError("not read: a symlink, not a regular file, over 1 MB, or binary "
                             "(it is never followed or written)")
        return None

    def _refuse(self, why: str) -> int:
        if why != self.problem:
            log.warning("backlog.json not used", why=why)
        self.problem = f"{FILE}: {why}"
        return 0
