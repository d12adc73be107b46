"""What a failing test said: its assertion message, the end of its traceback and output.

The oracle plugin (oracle_plugin) records these for the first failed or errored tests and
collection errors of a session, capped there; `parse` reads them back from the report and
caps them again (the report's nonce says who wrote it, not how big its strings are). A
verdict carries the texts of the tests it names (governance.oracle.oracle), and the phases
that record a failing verdict put `as_payload` of them in the ledger (docs/observability.md),
so a refusal keeps its evidence without a re-run by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_FAILURES = 20  # texts read from one report (the plugin keeps as many)
MESSAGE_CAP = 500  # the exception's type and message
TAIL_CAP = 2_100  # the end of the traceback (the plugin's 2,000 and its cut mark)
OUTPUT_CAP = 3_400  # the captured sections together (the plugin's 4 x 800, titles, marks)
PAYLOAD_FAILURES = 10  # texts one ledger row keeps: the ledger keeps every attempt's


@dataclass(frozen=True)
class FailureText:
    """One failed test (or collection error, or '<session>'), as the plugin saw it."""

    test: str  # the node id: 'tests/test_x.py::test_y', or a file for a collection error
    message: str  # the exception's type and message, e.g. 'assert 1 == 5'
    tail: str = ""  # the last lines of pytest's traceback text
    output: str = ""  # the ends of the captured stdout, stderr and log sections

    def as_payload(self) -> dict[str, str]:
        """The ledger's form (a transition's or a thought's `failures` entry)."""
        out = {"test": self.test, "message": self.message, "tail": self.tail}
        if self.output:
            out["output"] = self.output
        return out


def parse(data: object) -> dict[str, FailureText]:
    """The report's `failures` section by node id; a malformed entry (or section) is left
    out: it proves nothing either way, and reading it never raises."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, FailureText] = {}
    for nodeid, raw in data.items():
        if len(out) >= MAX_FAILURES:
            break
        if not isinstance(nodeid, str) or not isinstance(raw, dict):
            continue
        message = raw.get("message")
        if not isinstance(message, str):
            continue
        out[nodeid] = FailureText(nodeid, message[:MESSAGE_CAP], _end(raw.get("tail"), TAIL_CAP),
                                  _end(raw.get("output"), OUTPUT_CAP))
    return out


def _end(value: object, cap: int) -> str:
    return value[-cap:] if isinstance(value, str) else ""


def texts_of(failures: dict[str, FailureText], tests: Iterable[str]) -> tuple[FailureText, ...]:
    """The texts of `tests`, in their order (a test that left none is skipped)."""
    return tuple(failures[t] for t in tests if t in failures)


def as_payload(failures: Iterable[FailureText],
               limit: int = PAYLOAD_FAILURES) -> list[dict[str, str]]:
    """At most `limit` texts in the ledger's form (the ledger redacts them as it writes)."""
    return [f.as_payload() for _, f in zip(range(limit), failures, strict=False)]
