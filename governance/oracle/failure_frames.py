"""Where a jailed run's failures were raised: the oracle plugin's `frames.json`
(governance/oracle/oracle_plugin.py), read back as typed frames per test.

Per failed or errored test, `where` (pytest's crash location, the innermost frame) and
`library_where` (the innermost frame in the repository's library code, when it is another),
as the developer's results plugin writes them (ouroboros_pytest.library_frames), so a
jailed run's failure has the same causes as a human's (sensors.failure_causes). The file
was written in the jail, where the tests could write too: it counts only with this run's
nonce, and an entry that is not two short strings is left out (frames only group failures
into work; no verdict reads them).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ouroboros_pytest.library_frames import WHERE_CAP

FRAMES_FILE = "frames.json"  # in the run's out/ directory, beside report.json
FRAMES_CAP = 4 << 20  # bytes read back
MAX_FRAMES = 1000  # tests (the plugin's _MAX_FRAMES)
ID_CAP = 1000  # characters of a node id (the plugin's _ID_CAP)
SCHEMA = "ouroboros-oracle-frames.1"


@dataclass(frozen=True)
class FailureFrame:
    """Where one failed test was raised, and where it went through the library."""

    where: str = ""  # rootdir-relative `path:line`, absolute outside the tree
    library_where: str = ""  # rootdir-relative `path:line`; '' when none or `where`


def parse_frames(data: object, nonce: str) -> dict[str, FailureFrame]:
    """The frames of a `frames.json` object by node id; {} unless it carries `nonce`."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA \
            or not hmac.compare_digest(str(data.get("nonce")).encode(), nonce.encode()):
        return {}
    raw = data.get("frames")
    if not isinstance(raw, dict):
        return {}
    out: dict[str, FailureFrame] = {}
    for nodeid, entry in raw.items():
        if len(out) >= MAX_FRAMES:
            break
        if not isinstance(nodeid, str) or len(nodeid) > ID_CAP or not isinstance(entry, dict):
            continue
        where, lib = _location(entry.get("where")), _location(entry.get("library_where"))
        if where or lib:
            out[nodeid] = FailureFrame(where, lib if lib != where else "")
    return out


def _location(value: object) -> str:
    """A `path:line` string, else ''."""
    if not isinstance(value, str) or len(value) > WHERE_CAP or "\n" in value:
        return ""
    path, _, line = value.rpartition(":")
    return value if path and line.isascii() and line.isdigit() else ""
