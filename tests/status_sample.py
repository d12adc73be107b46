"""A whole, valid `status` answer for render tests, changed where a test needs it."""

from __future__ import annotations

from typing import Any

from daemon.status.model import Status

IDLE_HOST = {"enabled": False, "waiting": False, "since": None, "waited_s": None,
             "reasons": [], "load1": None, "own_load": 0.0, "cores": None,
             "on_battery": None, "temp_c": None, "zone": None, "measure": None,
             "value": None, "threshold": None, "resumes_below": None, "bound": "",
             "runs_anyway_at": None, "overdue_op": None}
IDLE_STORAGE = {"waiting": False, "reason": "", "since": None, "waited_s": None,
                "free_mb": 5120.0, "min_free_mb": 64.0, "path": "/r/.ouroboros"}
QUIET = {
    "state": "ACTIVE", "degraded_reason": "", "paused": False, "host": IDLE_HOST,
    "repo": "/r", "session_id": "s-test", "provider": "replay", "failback": None,
    "brain_note": None, "queue": [], "held_back": [], "reviews": {"count": 0, "items": []},
    "sensor_problems": {}, "questions": {}, "mcp": {"servers": [], "problems": []},
    "in_flight": [], "model_turn": None, "cost_today_usd": 0.0, "budget_exhausted": False,
    "daily_budget_usd": 5.0,
    "reflex": {"spooks": 0, "collapses": 0, "regrounds": 0, "recoveries": 0},
    "grounding": None,
    "commit_signing": {"signed": True, "fingerprint": "SHA256:x", "allowed_signers": "",
                       "warning": ""},
    "live_view": None,
}


def sample_status(**changes: Any) -> Status:
    """QUIET with `changes`; a dict for a part whose default is a dict updates that part."""
    data = dict(QUIET)
    for key, value in changes.items():
        base = QUIET.get(key)
        data[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) \
            else value
    return Status.model_validate(data)
