"""Rollback snapshots, kept on disk so a crash mid-APPLY can be undone at the next start.

Layout under `<state>/rollback/<op_id>/`: `manifest.json` (written atomically before the
first live write) and one `<n>.orig` per file that existed. A file that did not exist is
recorded for deletion. Restoring is idempotent, so a crash during restore is safe too.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from governance import atomic


@dataclass(frozen=True)
class SnapshotEntry:
    path: str  # repo-relative
    existed: bool
    mode: int | None
    blob: str | None  # file name of the saved original under the snapshot dir


class RollbackSnapshot:
    def __init__(self, directory: Path, repo_root: Path, entries: list[SnapshotEntry]):
        self.directory = directory
        self.repo_root = repo_root
        self.entries = entries

    @classmethod
    def capture(cls, state_dir: Path, op_id: str, repo_root: Path,
                paths: list[str]) -> RollbackSnapshot:
        """Save the pre-APPLY state of every path (present or not) before anything is written."""
        directory = state_dir / "rollback" / op_id
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        entries = []
        for n, rel in enumerate(paths):
            live = repo_root / rel
            if live.is_file():
                blob = f"{n}.orig"
                atomic.write_bytes(directory / blob, live.read_bytes())
                entries.append(SnapshotEntry(rel, True, live.stat().st_mode & 0o7777, blob))
            else:
                entries.append(SnapshotEntry(rel, False, None, None))
        manifest = {"op_id": op_id, "entries": [asdict(e) for e in entries]}
        atomic.write_text(directory / "manifest.json", json.dumps(manifest, indent=2))
        return cls(directory, repo_root, entries)

    @classmethod
    def load(cls, directory: Path, repo_root: Path) -> RollbackSnapshot:
        manifest = json.loads((directory / "manifest.json").read_text())
        return cls(directory, repo_root, [SnapshotEntry(**e) for e in manifest["entries"]])

    def restore(self) -> list[str]:
        """Put every file back as it was (new files removed); return the restored paths."""
        for entry in reversed(self.entries):
            live = self.repo_root / entry.path
            if entry.existed and entry.blob:
                atomic.write_bytes(live, (self.directory / entry.blob).read_bytes(), entry.mode)
            else:
                atomic.remove(live)
        return [e.path for e in self.entries]

    def discard(self) -> None:
        """Forget the snapshot once the change is committed (or restored)."""
        shutil.rmtree(self.directory, ignore_errors=True)


def pending_snapshots(state_dir: Path) -> list[Path]:
    """Snapshot dirs with a manifest: ops that applied and never finished."""
    root = state_dir / "rollback"
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if (d / "manifest.json").is_file())
