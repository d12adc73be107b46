"""Is a host this machine? Both answers the daemon gives, side by side on one rule.

A loopback address (127.0.0.0/8, ::1) is this machine; so is the name `localhost`. Two
questions differ only in which other spellings of a name they accept, and on purpose:

- `on_this_machine(url)`: will the HTTP client connect to this machine? The brain set prices
  such a server at $0 and `doctor` probes it, so only what surely resolves here counts: no
  trailing dot, no `*.localhost` (a resolver may send those anywhere; a remote brain taken
  for free would blind the cost ceilings).
- `is_loopback(host)`: does a name or address a peer or browser sent (`serve --host`, a Host
  or Origin header) name loopback? Brackets, case and a trailing dot are ignored and a
  `*.localhost` name counts (RFC 6761, as browsers resolve it).

A name that merely starts with "127." or "localhost." is neither.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def _loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """`host` (a name or address, brackets allowed) names this machine's loopback."""
    host = host.strip("[]").lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost") or _loopback_address(host)


def on_this_machine(url: str) -> bool:
    """The HTTP client would connect to this machine for `url`: a loopback address or
    exactly `localhost` (not a name that merely starts with "127.")."""
    host = (urlsplit(url).hostname or "").lower()
    return host == "localhost" or _loopback_address(host)
