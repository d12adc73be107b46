"""The phase names the ledger itself must know: those an op ends in.

The ledger imports nothing above itself, so it owns this fact: the store finds unfinished
ops by it, retention archives only the rows of ops that ended, and governance.phase builds
its TERMINAL set from it. A leaf module, so that each of them reads it from here and none
has to import another for it.
"""

from __future__ import annotations

TERMINAL_PHASES = ("COMPLETE", "PROPOSED", "POSTMORTEM", "CANCELLED", "BLOCKED",
                   "FAILED_PERMANENT")
