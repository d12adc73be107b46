"""Where a jailed run's failures were raised: the oracle plugin's `frames.json`
(governance/oracle/oracle_plugin.py), read back as typed frames per test.

Per failed or errored test, `where` (pytest's crash location, the innermost frame) and
`library_where` (the innermost frame in the repository's library code, when it is another),
as the developer's results plugin writes them (ouroboros_pytest.library_frames), so a
jailed run's failure has the same causes as a human's (sensors.failure_causes). The file
was written in the jail, where the tests could write too: it counts only with this run's
nonce, and an entry that is not two short strings is left out (frames only group failures
into work; no verdict reads them). With a run's `calls` asked for, a failed test's frame
also holds the library functions its own call entered, in first-entry order (`calls`:
`Call`s; a malformed one is left out).
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


MAX_CALLS = 200  # of one test (the plugin's _MAX_CALLS)


@dataclass(frozen=True)
class Call:
    """A library function a test's call entered: its file, qualified name, first line, and
    how many library frames deep it was first entered (1: the test called it)."""

    file: str
    name: str
    line: int
    depth: int


@dataclass(frozen=True)
class FailureFrame:
    """Where one failed test was raised, and where it went through the library."""

    where: str = ""  # rootdir-relative `path:line`, absolute outside the tree
    library_where: str = ""  # rootdir-relative `path:line`; '' when none or `where`
    calls: tuple[Call, ...] = ()  # in the order first entered


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
        calls = _calls(entry.get("calls"))
        if where or lib or calls:
            out[nodeid] = FailureFrame(where, lib if lib != where else "", calls)
    return out


def _calls(value: object) -> tuple[Call, ...]:
    """The well-formed [file, name, line, depth] entries of a frame's `calls`, in order."""
    if not isinstance(value, list):
        return ()
    out = []
    for item in value[:MAX_CALLS]:
        if isinstance(item, list) and len(item) == 4 and all(
                isinstance(v, str) and 0 < len(v) <= 300 and "\n" not in v
                for v in item[:2]) and all(type(v) is int and v > 0 for v in item[2:]):
            out.append(Call(*item))
    return tuple(out)


def _location(value: object) -> str:
    """A `path:line` string, else ''."""
    if not isinstance(value, str) or len(value) > WHERE_CAP or "\n" in value:
        return ""
    path, _, line = value.rpartition(":")
    return value if path and line.isascii() and line.isdigit() else ""
