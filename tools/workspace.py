"""The op's generation sandbox: HEAD, plus the human's working-tree state of the target
files, under the state dir. Mutating tools change only this tree; the candidate is its
diff against the base it started from.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from collections.abc import Sequence
from pathlib import Path

import git

from governance.protected import contained, protected_reason
from governance.sandbox import write_changes
from governance.schemas import Candidate, FileChange


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Workspace:
    def __init__(self, root: Path, base: dict[str, str]):
        self.root = root
        self.base = base  # repo-relative path -> sha256 at creation

    @classmethod
    def create(cls, repo_root: Path, dest: Path, targets: Sequence[str], state_rel: str,
               protected_globs: Sequence[str] = ()) -> Workspace:
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        repo = git.Repo(repo_root)
        if repo.head.is_valid():
            buf = io.BytesIO()
            repo.archive(buf, "HEAD", format="tar")
            buf.seek(0)
            with tarfile.open(fileobj=buf) as tar:
                members = [m for m in tar.getmembers()
                           if (m.isfile() or m.isdir() or m.issym())
                           and not protected_reason(m.name, state_rel, protected_globs)]
                tar.extractall(dest, members=members, filter="data")
        for rel in targets:  # the human's current state of the files the op is about
            live = repo_root / rel
            if protected_reason(rel, state_rel, protected_globs):
                continue
            out = dest / rel
            if live.is_file():
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(live, out)
            elif out.exists() and not live.exists():
                out.unlink()
        return cls(dest, cls._hashes(dest))

    @staticmethod
    def _hashes(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): _sha(p) for p in root.rglob("*")
                if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts
                and ".pytest_cache" not in p.parts}

    def path(self, rel: str) -> Path:
        """The sandbox path for `rel`, containment-checked (symlinks resolved)."""
        return contained(self.root, rel)

    def changed(self) -> tuple[list[str], list[str], list[str]]:
        """(modified, added, deleted) relative to the base."""
        now = self._hashes(self.root)
        modified = sorted(p for p in now if p in self.base and now[p] != self.base[p])
        added = sorted(p for p in now if p not in self.base)
        deleted = sorted(p for p in self.base if p not in now)
        return modified, added, deleted

    def candidate(self, rationale: str) -> Candidate | None:
        """The sandbox's diff as a multi-file candidate, or None when nothing changed."""
        modified, added, deleted = self.changed()
        files = []
        for rel in modified + added:
            data = (self.root / rel).read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{rel} is not UTF-8 text; binary files cannot be "
                                 "proposed") from None
            files.append(FileChange(file_path=rel, full_content=text))
        files += [FileChange(file_path=rel, action="delete") for rel in deleted]
        if not files:
            return None
        return Candidate(files=sorted(files, key=lambda f: f.file_path), rationale=rationale)

    def apply(self, candidate: Candidate) -> None:
        """Write a candidate the model stated in its final answer into the sandbox."""
        write_changes(self.root, candidate.changes())

    def destroy(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
