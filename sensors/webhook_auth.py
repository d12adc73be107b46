"""Who may talk to the webhook endpoint: the secret file, the two signature schemes and the
replay memory. Pure functions plus one small class; sensors.github_webhook serves HTTP.

- GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body keyed with the
  secret's text; `X-GitHub-Delivery` names the delivery. GitHub signs no timestamp, so the
  freshness of a GitHub delivery is judged by the signed payload (sensors.github_webhook).
- Standard Webhooks: `webhook-id`, `webhook-timestamp` (Unix seconds) and
  `webhook-signature: v1,<base64>` (several, space-separated, allowed), HMAC-SHA256 of
  `id.timestamp.body` keyed with the base64 after the secret's `whsec_` prefix.

Every comparison is hmac.compare_digest. A request with both schemes' headers is judged by
Standard Webhooks (it signs the timestamp). Delivery ids and signatures seen within the
replay window are refused the second time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPLAY_WINDOW_S = 300.0
MAX_SEEN = 10_000  # deliveries remembered at once; beyond this new ones wait (503)
MAX_SECRET_BYTES = 4096
WHSEC = "whsec_"


class SecretProblem(ValueError):
    """The secret file cannot be used; the endpoint does not start."""


class Refused(Exception):
    def __init__(self, status: int, why: str):
        super().__init__(why)
        self.status = status
        self.why = why


def load_secret(path: Path) -> bytes:
    """The secret's bytes (surrounding whitespace stripped). SecretProblem when the file is
    missing, not a regular file, not ours, readable by group or others, empty or huge."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise SecretProblem(f"webhook secret file {path}: {exc.strerror or exc}") from None
    try:
        _check_secret_file(path, os.fstat(fd))
        data = os.read(fd, MAX_SECRET_BYTES + 1).strip()
    except OSError as exc:
        raise SecretProblem(f"webhook secret file {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if not data:
        raise SecretProblem(f"webhook secret file {path} is empty")
    if len(data) > MAX_SECRET_BYTES:
        raise SecretProblem(f"webhook secret file {path} is over {MAX_SECRET_BYTES} bytes")
    return data


def _check_secret_file(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise SecretProblem(f"webhook secret file {path} is not a regular file")
    if st.st_uid != os.getuid():
        raise SecretProblem(f"webhook secret file {path} belongs to uid {st.st_uid}, "
                            f"not to the daemon's uid {os.getuid()}")
    if st.st_mode & 0o077:
        raise SecretProblem(f"webhook secret file {path} is readable or writable by group or "
                            f"others (mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}")


def standard_key(secret: bytes) -> bytes | None:
    """The Standard Webhooks key (base64 after `whsec_`), or None if the secret is not one."""
    if not secret.startswith(WHSEC.encode()):
        return None
    try:
        return base64.b64decode(secret[len(WHSEC):], validate=True) or None
    except (binascii.Error, ValueError):
        return None


def github_signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def standard_signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@dataclass(frozen=True)
class Verified:
    scheme: str  # "github" or "standard"
    delivery: str  # the delivery (or webhook) id
    timestamp: float | None  # signed send time (Standard Webhooks only)


def verify(secret: bytes, headers: Mapping[str, str], body: bytes,
           now: float | None = None) -> Verified:
    """Raises Refused(401) unless `body` carries a valid signature. `headers`: lower-case."""
    now = time.time() if now is None else now
    if "webhook-signature" in headers:
        return _standard(secret, headers, body, now)
    given = headers.get("x-hub-signature-256")
    if given is None:
        raise Refused(401, "unsigned: no X-Hub-Signature-256 or webhook-signature header")
    if not hmac.compare_digest(github_signature(secret, body).encode(),
                               given.strip().encode("ascii", "replace")):
        raise Refused(401, "wrong X-Hub-Signature-256 signature")
    delivery = headers.get("x-github-delivery", "").strip()
    if not delivery:
        raise Refused(401, "signed, but no X-GitHub-Delivery id (replays could not be told)")
    return Verified("github", delivery[:128], None)


def _standard(secret: bytes, headers: Mapping[str, str], body: bytes,
              now: float) -> Verified:
    key = standard_key(secret)
    if key is None:
        raise Refused(401, "a Standard Webhooks signature, but the secret is not a "
                      "whsec_<base64> secret")
    msg_id, ts = headers.get("webhook-id", "").strip(), headers.get("webhook-timestamp", "")
    if not msg_id or not ts.strip().isdigit() or len(ts.strip()) > 12:
        raise Refused(401, "Standard Webhooks headers incomplete: webhook-id and a numeric "
                      "webhook-timestamp are required")
    ts = ts.strip()
    expected = standard_signature(key, msg_id, ts, body).encode()
    offered = headers["webhook-signature"].split()[:16]
    if not any(hmac.compare_digest(expected, sig.encode("ascii", "replace"))
               for sig in offered):  # compare every one: no early exit
        raise Refused(401, "wrong webhook-signature")
    if abs(now - int(ts)) > REPLAY_WINDOW_S:
        raise Refused(401, f"webhook-timestamp is {now - int(ts):+.0f}s from now, outside "
                      f"the {REPLAY_WINDOW_S:g}s window")
    return Verified("standard", msg_id[:128], float(ts))


@dataclass
class ReplayMemory:
    """Delivery ids and signatures seen in the last `window_s` seconds."""

    window_s: float = REPLAY_WINDOW_S
    capacity: int = MAX_SEEN
    _seen: dict[str, float] = field(default_factory=dict)  # key -> expiry (monotonic)

    def admit(self, keys: tuple[str, ...], now: float | None = None) -> None:
        """Remember `keys`; Refused(409) if any was seen in the window, 503 when full."""
        now = time.monotonic() if now is None else now
        for key, expiry in list(self._seen.items()):
            if expiry > now:
                break  # insertion order is expiry order
            del self._seen[key]
        repeated = next((k for k in keys if k in self._seen), None)
        if repeated is not None:
            raise Refused(409, f"replayed delivery ({repeated[:80]}) within "
                          f"{self.window_s:g}s")
        if len(self._seen) + len(keys) > self.capacity:
            raise Refused(503, f"{self.capacity} deliveries in the last {self.window_s:g}s; "
                          "try later")
        for key in keys:
            self._seen[key] = now + self.window_s
