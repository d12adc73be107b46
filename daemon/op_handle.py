"""What the daemon holds of itself and of each op in flight: its service state and the op
handles. A leaf: status, control, the heartbeat and the live view read these without
reaching back into daemon.service, which fills them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from governance.phase import Phase
from governance.phases.deps import CancelToken
from governance.schemas import OperationContext


class ServiceState(StrEnum):
    INACTIVE = "INACTIVE"
    STARTING = "STARTING"
    ACTIVE = "ACTIVE"
    DEGRADED = "DEGRADED"
    STOPPING = "STOPPING"
    FAILED = "FAILED"


@dataclass
class OpHandle:
    ctx: OperationContext
    cancel: CancelToken = field(default_factory=CancelToken)
    phase: Phase = Phase.CLASSIFY
    started: float = field(default_factory=time.monotonic)
    phase_started: float = field(default_factory=time.monotonic)  # daemon.status.heartbeat reads it
    task: asyncio.Task[None] | None = None  # the worker running it, once dispatched
    waits: str | None = None  # waiting for the host before a model call or test run, and why


def find_op(ops: Mapping[str, OpHandle], prefix: str) -> OpHandle:
    """The one op in flight whose id starts with `prefix` (with or without "op-");
    LookupError saying how many matched otherwise."""
    want = prefix if prefix.startswith("op-") else f"op-{prefix}"
    matches = [h for op_id, h in ops.items() if op_id.startswith(want)]
    if len(matches) != 1:
        raise LookupError(f"{'no' if not matches else len(matches)} in-flight op(s) "
                          f"match {prefix!r}")
    return matches[0]
