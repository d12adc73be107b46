"""The event bus's storm layer (seed §55.2, layer 2): an envelope whose SHA-256 fingerprint
was seen within the last `window_s` seconds is dropped before it costs a WAL write or a
router pass.

The fingerprint covers what makes two signals the same work: source, urgency, files, goal,
confidence, dedup key and evidence. It leaves out what every re-emission changes (its
creation time) and the session id (a restart's rehydrated envelopes bypass the bus).

Memory is bounded: at most `max_entries` fingerprints, the oldest forgotten first. A
fingerprint is forgotten early when its envelope was evicted from a full queue, so the
sensor firing again re-ingests it as the seed promises (§56.1).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable

from governance.schemas import SignalEnvelope

_FIELDS = {"source", "urgency", "target_files", "goal", "confidence", "dedup_key", "evidence"}


def fingerprint(env: SignalEnvelope) -> str:
    """SHA-256 over the envelope's work-defining fields, in a canonical JSON form."""
    data = env.model_dump(mode="json", include=_FIELDS)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class FingerprintWindow:
    def __init__(self, window_s: float, max_entries: int,
                 clock: Callable[[], float] = time.monotonic):
        self.window_s, self.max_entries, self.clock = window_s, max_entries, clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # fingerprint -> first seen
        self.dropped = 0

    def admit(self, env: SignalEnvelope) -> bool:
        """True when `env` is new in the window (and remember it); False for a repeat."""
        if self.window_s <= 0:
            return True
        now = self.clock()
        self._expire(now)
        key = fingerprint(env)
        if key in self._seen:
            self.dropped += 1
            return False
        self._seen[key] = now
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True

    def forget(self, env: SignalEnvelope) -> None:
        self._seen.pop(fingerprint(env), None)

    def _expire(self, now: float) -> None:
        # Insertion order is time order (a repeat never refreshes its entry), so the
        # expired entries are a prefix.
        while self._seen:
            key, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self.window_s:
                break
            del self._seen[key]
