"""The human-filed envelope: `ouroboros signal --goal TEXT --file PATH [--urgency U]`.

Sent over the control socket (daemon.control.server, verb `signal`); the daemon checks the files
(sensors.repo_files: existing regular files of the repository, no links, nothing in .git)
and submits the envelope through the router like any sensor's. The dedup key hashes the
goal and the files, so filing the same request twice while it is queued or running is one
op; the urgency does not change the key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from governance.schemas import SignalEnvelope, Source, Urgency
from sensors.repo_files import repo_files

SOURCE = Source.HUMAN


def envelope_for(root: Path, session_id: str, goal: str, files: list[str],
                 urgency: str = "normal") -> SignalEnvelope:
    """ValueError (PathRefused, a bad urgency, an empty goal) says why nothing is filed."""
    goal = goal.strip()
    if not goal:
        raise ValueError("the goal is empty")
    targets = repo_files(root, files)
    digest = hashlib.sha256(json.dumps([goal, sorted(targets)]).encode()).hexdigest()
    return SignalEnvelope(source=SOURCE, urgency=Urgency(urgency), target_files=targets,
                          goal=goal, confidence=1.0, dedup_key=f"human:{digest[:24]}",
                          session_id=session_id, evidence={"filed_by": "ouroboros signal"})


def reply(env: SignalEnvelope, queued: bool) -> dict[str, Any]:
    """What `ouroboros signal` answers once the envelope was offered to the queue."""
    return {"queued": queued, "files": list(env.target_files), "urgency": env.urgency.value,
            "dedup_key": env.dedup_key, **({} if queued else {"why": (
                "the same signal was filed in the last minute, or the same goal and files "
                "are already queued, running or backing off after a failure, or the queue "
                "is full")})}
