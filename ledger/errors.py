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
        what = ("no operation matches" if not matches else
                f"{len(matches) if len(matches) < 6 else 'more than 5'} operations match")
        detail = "" if not matches else ": " + ", ".join(matches[:5])
        super().__init__(f"{what} {prefix!r}{detail}")
        self.prefix = prefix
        self.matches = matches
