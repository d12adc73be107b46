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
