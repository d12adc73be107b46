"""A brain outage is not the work's failure (issue 44).

When no brain of a step can be reached, the failback chain (governance.brains.provider_chain)
raises BrainsUnreachable instead of a plain ProviderError: the op waits for a brain
(governance.phases.brain_wait) and asks again, instead of ending in POSTMORTEM and handing
its work a failed-work record and its backoff (sensors.work_memory).

Which failures are the infrastructure's and which the work's is decided here, on the typed
failure (its failback mode, its HTTP status, whether the deadline passed, what came back),
never on its message:

    CONNECTION                  outage: nothing answered (refused, reset, DNS, TLS)
    RATE_LIMIT                  outage: 429
    SERVER_ERROR with a 5xx     outage: the server said it failed
    TIMEOUT, nothing came back, outage: a connect timeout, a gateway's 408/504
      the deadline not passed
    anything else               the work's: an unusable reply, a refused request (CONTENT),
                                a deadline the brain used, a reply that broke the protocol

A 5xx is an outage until it is plainly this work's: a server whose probe passes but that
answers the same step with a 5xx past the wait's bounds (governance.phases.brain_wait)
fails the work (BrainFailsTheWork) instead of holding its op forever.

A SERVER_ERROR without a status (a broken stream, a provider's bug) stays the work's: a
health check would pass and the same call would fail again, forever. The failback chain
asks such a server at once whether it still answers: one that does not died under the
reply (llama.cpp's server killed mid-reply ends its stream cleanly), and the chain calls
the failure CONNECTION (ProviderChain._mode).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from governance.brains.failback import FailureMode
from governance.errors import ProviderError


def is_outage(mode: FailureMode, exc: BaseException) -> bool:
    """Whether a failed call of `mode` was the infrastructure's (see the module's table)."""
    if mode in (FailureMode.CONNECTION, FailureMode.RATE_LIMIT):
        return True
    if mode is FailureMode.SERVER_ERROR:
        status = getattr(exc, "status", None)
        return isinstance(status, int) and status >= 500
    if mode is FailureMode.TIMEOUT:
        return not getattr(exc, "deadline_missed", False) and not something_back(exc)
    return False


def something_back(exc: BaseException) -> bool:
    """Whether the failed call had produced anything (a token, some text)."""
    return bool(getattr(exc, "completion_tokens", 0) or getattr(exc, "partial_text", ""))


def address(provider: Any) -> str | None:
    """Where an HTTP brain's server should answer (its base URL); None for the others."""
    return getattr(getattr(provider, "config", None), "base_url", None)


def what_to_start(url: str | None) -> str:
    """What the user can do about a brain that does not answer."""
    if url is None:
        return "the brain does not answer"
    return f"nothing answers at {url}: start your server"


@dataclass(frozen=True)
class Down:
    """One brain that did not answer: its name, the failure's mode, where it lives."""

    name: str
    mode: str
    url: str | None

    @property
    def fix(self) -> str:
        return what_to_start(self.url)


# Waits until one of the step's brains may be asked again (a probe passed, or its backoff
# ran out); the argument says who waits (an op id), for `status`. Returns the seconds waited.
WaitForBrain = Callable[[str], Awaitable[float]]


class BrainsUnreachable(ProviderError):
    """No brain of the step could be reached: `down` says which and why, `wait` returns
    once one of them may be asked again. The work is not at fault."""

    def __init__(self, message: str, *, down: Sequence[Down], wait: WaitForBrain):
        super().__init__(message, mode=down[0].mode if down else None)
        self.down, self.wait = tuple(down), wait

    @property
    def fix(self) -> str:
        return "; ".join(dict.fromkeys(d.fix for d in self.down)) or "no brain answers"


class BrainFailsTheWork(ProviderError):
    """A brain whose server answers (its probe passes) failed the same step with a 5xx past
    the wait's bounds (governance.phases.brain_wait): no longer an outage to wait out, the
    step's failure, as any other failed call is."""
