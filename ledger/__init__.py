"""The ledger: an append-only SQLite record of everything the daemon decided and did."""

from ledger.errors import LedgerError, MigrationError, UnknownOperation
from ledger.store import Ledger

__all__ = ["Ledger", "LedgerError", "MigrationError", "UnknownOperation"]
