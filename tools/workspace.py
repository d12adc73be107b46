"""The op's generation sandbox: HEAD, plus the human's working-tree state of the target
files, under the state dir. Mutating tools change only this tree; the candidate is its
diff against the base it started from.

A candidate holds only what a file tool (or the final answer) wrote: a file that a jailed
command created or changed (`cat /etc/os-release > notes.txt` puts a host file in the
tree) is left out, with a note, unless its content is again exactly what a file tool
last wrote there. Deletions count whoever made them: they carry no content.

A jailed command can rearrange this tree at will (swap a directory for a symlink, make
FIFOs, hard links, loops), so every host-side access goes through governance.fs.nofollow:
nothing here ever follows a symlink. Symlinks committed at HEAD are materialised only when
they are relative and cannot resolve outside the tree (nofollow.link_stays_inside); any
other is left out with a note, never a failure of the whole op.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Sequence
from pathlib import Path

import git

from governance.errors import CandidateParseError
from governance.fs import nofollow, nofollow_write
from governance.fs.protected import PathEscape, protected_reason
from governance.oracle.sandbox import copy_link, write_changes
from governance.schemas import Candidate, FileChange

SKIP_DIRS = frozenset({"__pycache__", ".pytest_cache"})
MAX_CANDIDATE_FILE_BYTES = 8 << 20  # a sandbox file larger than this cannot be proposed


def _sha(root: Path, rel: str) -> str:
    digest = hashlib.sha256()
    with nofollow.open_read(root, rel, allow_hardlinks=True) as fd:
        while chunk := os.read(fd, 1 << 16):
            digest.update(chunk)
    return digest.hexdigest()


def _is_protected(rel: str, state_rel: str, globs: Sequence[str]) -> str | None:
    try:
        return protected_reason(rel, state_rel, globs)
    except PathEscape as exc:
        return str(exc)


class Workspace:
    def __init__(self, root: Path, base: dict[str, str], notes: list[str] | None = None):
        self.root = root
        self.base = base  # repo-relative path -> sha256 at creation
        self.notes = notes or []  # what was left out of the tree, and why
        self.written: dict[str, str | None] = {}  # path -> sha256 a file tool left (None: deleted)
        self.left_out: list[str] = []  # changed files the last candidate left out, and why

    @classmethod
    def create(cls, repo_root: Path, dest: Path, targets: Sequence[str], state_rel: str,
               protected_globs: Sequence[str] = ()) -> Workspace:
        if os.path.lexists(dest):
            nofollow_write.remove_tree(dest)
        dest.mkdir(parents=True)
        notes: list[str] = []
        repo = git.Repo(repo_root)
        if repo.head.is_valid():
            buf = io.BytesIO()
            repo.archive(buf, "HEAD", format="tar")
            buf.seek(0)
            with tarfile.open(fileobj=buf) as tar:
                for member in tar:
                    why = _materialize(tar, member, dest, state_rel, protected_globs)
                    if why:
                        notes.append(f"{member.name}: {why}")
        for rel in targets:  # the human's current state of the files the op is about
            why = _copy_live(repo_root, rel, dest, state_rel, protected_globs)
            if why:
                notes.append(f"{rel}: {why}")
        return cls(dest, cls._hashes(dest), notes)

    @staticmethod
    def _hashes(root: Path) -> dict[str, str]:
        out = {}
        for rel in nofollow.walk(root, skip_dirs=SKIP_DIRS):
            try:
                out[rel] = _sha(root, rel)
            except (OSError, PathEscape):
                continue  # vanished or replaced since the listing: not a file now
        return out

    def wrote(self, rel: str, data: bytes | None, *, edited: bytes | None = None) -> None:
        """Record what a file tool (or the stated candidate) left at `rel`: these bytes, or
        None for a deletion. Call it after the write succeeded. `edited`: for an edit, the
        content it changed; an edit of what a command left does not make that content the
        tool's (the file stays out)."""
        key = "/".join(nofollow.split(rel))
        if edited is not None and hashlib.sha256(edited).hexdigest() != self.written.get(
                key, self.base.get(key)):
            return
        self.written[key] = None if data is None else hashlib.sha256(data).hexdigest()

    def changed(self) -> tuple[list[str], list[str], list[str]]:
        """(modified, added, deleted) relative to the base; regular files only."""
        return self._diff(self._hashes(self.root))

    def _diff(self, now: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
        modified = sorted(p for p in now if p in self.base and now[p] != self.base[p])
        added = sorted(p for p in now if p not in self.base)
        deleted = sorted(p for p in self.base if p not in now)
        return modified, added, deleted

    def proposable(self) -> tuple[list[str], list[str], list[str]]:
        """changed(), less the files whose content is not what a file tool last wrote
        there (a command made or changed them); `left_out` says which and why."""
        now = self._hashes(self.root)
        modified, added, deleted = self._diff(now)
        out = [rel for rel in modified + added if self.written.get(rel) != now[rel]]
        self.left_out = [f"{rel}: {'changed' if rel in self.base else 'created'} by a command, "
                         "not written by a file tool; left out of the candidate" for rel in out]
        keep = set(modified + added) - set(out)
        return [r for r in modified if r in keep], [r for r in added if r in keep], deleted

    def candidate(self, rationale: str, *, only_written: bool = False) -> Candidate | None:
        """The sandbox's diff as a multi-file candidate, or None when nothing changed.
        `only_written`: only what file tools wrote (proposable()), as Venom proposes."""
        modified, added, deleted = self.proposable() if only_written else self.changed()
        files = []
        for rel in modified + added:
            try:
                data = nofollow.read_bytes(self.root, rel, MAX_CANDIDATE_FILE_BYTES,
                                           allow_hardlinks=True)
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{rel} is not UTF-8 text; binary files cannot be "
                                 "proposed") from None
            except (OSError, PathEscape) as exc:
                raise ValueError(f"{rel} cannot be proposed: {exc}") from None
            files.append(FileChange(file_path=rel, full_content=text))
        files += [FileChange(file_path=rel, action="delete") for rel in deleted]
        if not files:
            return None
        return Candidate(files=sorted(files, key=lambda f: f.file_path), rationale=rationale)

    def apply(self, candidate: Candidate) -> None:
        """Write a candidate the model stated in its final answer into the sandbox."""
        try:
            write_changes(self.root, candidate.changes())
        except (OSError, ValueError) as exc:  # PathEscape and UnicodeError are ValueErrors
            raise CandidateParseError(f"the stated candidate cannot be written: {exc}") from None
        for c in candidate.changes():  # what write_changes wrote, byte for byte
            self.wrote(c.file_path, None if c.action == "delete" else (
                c.full_content or "").encode("utf-8"))

    def destroy(self) -> None:
        nofollow_write.remove_tree(self.root)  # however deep a jailed process made it


def _materialize(tar: tarfile.TarFile, m: tarfile.TarInfo, dest: Path, state_rel: str,
                 globs: Sequence[str]) -> str | None:
    """Write one archive member into `dest` without following anything; why it was
    left out, or None."""
    if m.name in ("", ".", "./") or m.type == tarfile.XGLTYPE:
        return None
    if _is_protected(m.name, state_rel, globs):
        return None  # protected: never copied, and nothing to tell the model about it
    try:
        if m.isdir():
            with nofollow.open_dir(dest, m.name, create=True):
                return None
        if m.issym():
            return copy_link(dest, m.name, m.linkname)
        if m.isfile():
            src = tar.extractfile(m)
            data = src.read() if src is not None else b""
            mode = 0o755 if m.mode & 0o111 else 0o644
            nofollow_write.write_bytes_atomic(dest, m.name, data, mode)
            return None
    except (OSError, PathEscape) as exc:
        return f"not materialised ({exc})"
    return f"not materialised (archive member of type {m.type!r})"


def _copy_live(repo_root: Path, rel: str, dest: Path, state_rel: str,
               globs: Sequence[str]) -> str | None:
    """Bring the human's current state of target `rel` into the sandbox."""
    if _is_protected(rel, state_rel, globs):
        return None
    try:
        st = nofollow.lstat(repo_root, rel)
        if st is not None and stat.S_ISREG(st.st_mode):
            data = nofollow.read_bytes(repo_root, rel, allow_hardlinks=True)
            nofollow_write.write_bytes_atomic(dest, rel, data, stat.S_IMODE(st.st_mode))
        elif st is None:
            nofollow_write.remove(dest, rel)
        else:
            return f"live {nofollow.kind_of(st.st_mode)} left as it is at HEAD"
    except (OSError, PathEscape) as exc:
        return f"live state not copied ({exc})"
    return None
