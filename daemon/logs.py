"""structlog set-up: JSON lines for journald when stderr is not a TTY, readable text when it is.

Every event passes through `redact_secrets` just before rendering, so a secret-looking
value (an API key in an exception message, a token in a thought's diff) never reaches a
log line.
"""

from __future__ import annotations

import logging
import sys

import structlog

from governance.redact import redact, redact_data

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}


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


def configure(level: str = "info", *, json_lines: bool | None = None) -> None:
    json_lines = (not sys.stderr.isatty()) if json_lines is None else json_lines
    renderer = (structlog.processors.JSONRenderer() if json_lines
                else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars,
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.format_exc_info,
                    redact_secrets,
                    renderer],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
