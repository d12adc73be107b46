"""Sandbox copies of the repository: candidates are tested here, never in the live tree.

A sandbox holds the tracked and untracked-not-ignored files exactly as they are in the
working tree (so the human's uncommitted state is what gets tested), minus the state dir,
with the candidate written over it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from governance.protected import contained, protected_reason
from governance.schemas import FileChange


class Sandbox:
    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def create(cls, live_root: Path, files: list[str], dest: Path,
               skip_prefix: str, protected_globs: tuple[str, ...] = ()) -> Sandbox:
        """Copy `files` (never protected ones: no secret reaches a test run)."""
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for rel in files:
            if protected_reason(rel, skip_prefix, protected_globs):
                continue
            src = live_root / rel
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                os.symlink(os.readlink(src), out)
            elif src.is_file():
                shutil.copy2(src, out)
        return cls(dest)

    def apply(self, changes: list[FileChange]) -> None:
        write_changes(self.root, changes)

    def destroy(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def write_changes(root: Path, changes: list[FileChange]) -> None:
    """Write candidate changes into a scratch tree (never the live one); every path is
    containment-checked before anything is written."""
    targets = [(contained(root, c.file_path), c) for c in changes]
    for path, change in targets:
        if change.action == "delete":
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(change.full_content or "", encoding="utf-8")
