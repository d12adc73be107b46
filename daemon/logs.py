"""structlog set-up: short readable lines on a terminal, JSON lines for journald and pipes.

`daemon.log_format` chooses: "console", "json", or "auto" (the default): console when the
log stream (stderr) is a TTY, JSON otherwise. Under systemd stderr is the journal's socket,
never a TTY, so the journal always gets JSON; a terminal gets `12:31:56 phase op-… GENERATE`
(daemon.console). Colours only when the stream is a TTY, NO_COLOR is unset or empty and TERM
is not "dumb" (https://no-color.org).

Every event passes through `redact_secrets` just before rendering, so a secret-looking
value (an API key in an exception message, a token in a thought's diff) never reaches a
log line, in either format.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Literal, TextIO

import structlog

from daemon.console import ConsoleLines
from ledger.redact import redact, redact_data

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
Format = Literal["console", "json"]


def redact_secrets(logger: object, method: str, event_dict: dict) -> dict:
    """structlog processor: every string in the event (the exception text included)
    redacted; other objects (an exception, a path) are rendered to text first."""
    return {key: _scrubbed(value) for key, value in event_dict.items()}


def _scrubbed(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (str, dict, list, tuple)):
        return redact_data(value)
    return redact(str(value))


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or closed
        return False


def choose_format(setting: str, stream: TextIO) -> Format:
    """"console" or "json" for `setting` ("auto": console on a TTY, JSON otherwise)."""
    if setting in ("console", "json"):
        return setting  # type: ignore[return-value]
    return "console" if _isatty(stream) else "json"


def colours_wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """ANSI colours: only on a TTY, never with NO_COLOR set (non-empty) or TERM=dumb."""
    return (_isatty(stream) and not environ.get("NO_COLOR")
            and environ.get("TERM", "") != "dumb")


def configure(level: str = "info", *, fmt: str = "auto", json_lines: bool | None = None,
              stream: TextIO | None = None, environ: Mapping[str, str] | None = None,
              ) -> Format:
    """Route every structlog logger to `stream` (stderr) in the chosen format; returns it.
    `json_lines` (True/False) overrides `fmt`, as older callers pass it."""
    stream = stream or sys.stderr
    environ = os.environ if environ is None else environ
    if json_lines is not None:
        fmt = "json" if json_lines else "console"
    chosen = choose_format(fmt, stream)
    if chosen == "json":
        stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
        renderer = structlog.processors.JSONRenderer()
    else:  # a person reads it: local wall-clock time, seconds are enough
        stamp = structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False)
        renderer = ConsoleLines(colours=colours_wanted(stream, environ))
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars,
                    structlog.processors.add_log_level,
                    stamp,
                    structlog.processors.format_exc_info,
                    redact_secrets,
                    renderer],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    return chosen
