"""Sensor exceptions. A sensor never crashes the daemon: a read that fails is logged and
the file is looked at again on its next event.

    Exception
    └── SourceReadError   a file that exists could not be read (or its git state asked)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class SourceReadError(Exception):
    """A file that exists could not be read (or its git state asked): look again later."""

    def __init__(self, path: Path | str, cause: BaseException):
        super().__init__(f"{path}: {type(cause).__name__}: {cause}")
        self.path = path
        self.cause = cause


def first_problem(exc: ValidationError) -> str:
    """A file a person wrote, refused: the first field at fault and why, in one line."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the file"
    return f"{where}: {first['msg']}"
