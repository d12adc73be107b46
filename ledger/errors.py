"""Ledger exceptions.

    LedgerError             base
    ├── MigrationError      the schema could not be brought to the current version
    └── UnknownOperation    no op (or more than one) matches an id prefix
"""

from __future__ import annotations


class LedgerError(Exception):
    pass


class MigrationError(LedgerError):
    pass


class UnknownOperation(LedgerError):
    def __init__(self, prefix: str, matches: list[str]):
        what = "no operation" if not matches else f"{len(matches)} operations"
        detail = "" if not matches else ": " + ", ".join(matches[:5])
        super().__init__(f"{what} match {prefix!r}{detail}")
        self.prefix = prefix
        self.matches = matches
