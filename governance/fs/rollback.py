"""Rollback snapshots, kept on disk so a crash mid-APPLY can be undone at the next start.

Layout under `<state>/rollback/<op_id>/`: `manifest.json` (written atomically before the
first live write) and one `<n>.orig` per file that existed. Each entry names the exact
repo-relative path APPLY writes (no `..`, no symlink on the way: both refused), the
original bytes and mode, and the directories APPLY had to create for it.

Every live-tree access goes through governance.fs.nofollow: capture reads without following
a symlink, restore writes the original bytes back at exactly that path, removes a file
APPLY created (and the directories it created, when empty), and refuses an entry whose
path now passes through a symlink. Restoring is idempotent, so a crash during restore is
safe too; an entry that is refused does not stop the others, and the restore then raises
so the snapshot is kept for the next start.

Each entry also records what APPLY wrote (its sha256, or '' for "absent after APPLY"). A
file whose content is neither that nor the original was changed by someone else since
APPLY (a human editing while the daemon was down, or during VERIFY): restoring it would
lose their work, so it is left as it is, named in `kept`, and the snapshot is moved to
`<state>/rollback-kept/<op>/` so the pre-op version stays available.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from governance.fs import atomic, nofollow, nofollow_write
from governance.fs.nofollow import UnsafePath


class RollbackIncomplete(UnsafePath):
    """Some snapshot entries could not be restored; the rest were."""


@dataclass(frozen=True)
class SnapshotEntry:
    path: str  # repo-relative, exactly as written (nofollow-checked)
    existed: bool
    mode: int | None
    blob: str | None  # file name of the saved original under the snapshot dir
    new_dirs: tuple[str, ...] = ()  # directories APPLY creates for this path, deepest first
    after_sha256: str | None = None  # what APPLY writes ('' = absent); None = not recorded
    # What this op's earlier APPLY wrote here, before an L2 repair was applied over it: a
    # crash between the two writes must not make the op's own content look like a human's.
    earlier_after: tuple[str, ...] = ()


def exact_path(rel: str) -> str:
    """The one spelling of `rel` that APPLY and restore both use; UnsafePath if `rel`
    needs interpretation (`..`, absolute, backslash, NUL)."""
    parts = nofollow.split(rel)
    if not parts:
        raise UnsafePath(f"{rel!r}: names the repository root, not a file")
    return "/".join(parts)


def live_sha256(root: Path, rel: str) -> str | None:
    """sha256 of the regular file at `rel` (None if missing), read without following links.
    UnsafePath if anything on the way is a symlink or the file is not regular."""
    if nofollow.lstat(root, rel) is None:
        return None
    return hashlib.sha256(nofollow.read_bytes(root, rel, allow_hardlinks=True)).hexdigest()


def _missing_dirs(root: Path, parts: list[str]) -> tuple[str, ...]:
    missing = []
    for i in range(1, len(parts)):
        prefix = "/".join(parts[:i])
        if missing or nofollow.lstat(root, prefix) is None:
            missing.append(prefix)
    return tuple(reversed(missing))


def _capture_entry(directory: Path, root: Path, n: int, rel: str,
                   after: str | None) -> SnapshotEntry:
    path = exact_path(rel)
    st = nofollow.lstat(root, path)  # refuses a symlinked or non-directory parent
    if st is None:
        return SnapshotEntry(path, False, None, None, _missing_dirs(root, path.split("/")),
                             after)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(f"{path!r} is a {nofollow.kind_of(st.st_mode)}, not a regular file; "
                         "it is never written through")
    blob = f"{n}.orig"
    atomic.write_bytes(directory / blob, nofollow.read_bytes(root, path, allow_hardlinks=True))
    return SnapshotEntry(path, True, stat.S_IMODE(st.st_mode), blob, (), after)


def after_digest(data: bytes | None) -> str:
    """What a snapshot entry records for content APPLY writes (None = APPLY deletes)."""
    return "" if data is None else hashlib.sha256(data).hexdigest()


_BLOB = re.compile(r"[0-9]+\.orig")
_SHA = re.compile(r"[0-9a-f]{64}|")


class ManifestEntry(BaseModel):
    """One manifest entry as capture() writes it; anything else is refused, by field."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    path: str
    existed: bool
    mode: int | None = Field(default=None, ge=0, le=0o7777)
    blob: str | None = Field(default=None, validate_default=True)
    new_dirs: list[str] = Field(default_factory=list)
    after_sha256: str | None = None
    earlier_after: list[str] = Field(default_factory=list, max_length=16)

    @field_validator("path")
    @classmethod
    def _canonical_path(cls, path: str) -> str:
        if exact_path(path) != path:  # UnsafePath (a ValueError) for `..`, absolute, NUL
            raise ValueError(f"snapshot entry path is not in canonical form: {path!r}")
        return path

    @field_validator("new_dirs")
    @classmethod
    def _canonical_dirs(cls, dirs: list[str]) -> list[str]:
        for d in dirs:
            if exact_path(d) != d:
                raise ValueError(f"snapshot entry directory is not in canonical form: {d!r}")
        return dirs

    @field_validator("blob")
    @classmethod
    def _blob_of_an_original(cls, blob: str | None, info: ValidationInfo) -> str | None:
        existed = info.data.get("existed")
        if existed is False and blob is not None:
            raise ValueError("a file that did not exist has no saved original")
        if existed and (blob is None or not _BLOB.fullmatch(blob)):
            raise ValueError("the saved original must be named <n>.orig")
        return blob

    @field_validator("after_sha256")
    @classmethod
    def _after_digest(cls, after: str | None) -> str | None:
        if after is not None and not _SHA.fullmatch(after):
            raise ValueError("not a sha256 hex digest nor ''")
        return after

    @field_validator("earlier_after")
    @classmethod
    def _earlier_digests(cls, earlier: list[str]) -> list[str]:
        if not all(_SHA.fullmatch(h) for h in earlier):
            raise ValueError("not a list of sha256 hex digests")
        return earlier

    def entry(self) -> SnapshotEntry:
        return SnapshotEntry(self.path, self.existed, self.mode, self.blob,
                             tuple(self.new_dirs), self.after_sha256, tuple(self.earlier_after))


class Manifest(BaseModel):
    """`manifest.json`: the boundary where a snapshot on disk becomes entries again."""

    entries: list[ManifestEntry]


def _entries(raw: object) -> list[SnapshotEntry]:
    """The entries of a manifest capture() could have written; ValueError naming the first
    field that it could not have (the entry's number, the field, why)."""
    try:
        return [e.entry() for e in Manifest.model_validate(raw).entries]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc, why = err["loc"], err["msg"]
        if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
            field = ".".join(map(str, loc[2:])) or "the entry itself"
            raise ValueError(f"malformed snapshot entry {loc[1]}, field {field}: {why}") from None
        field = ".".join(map(str, loc)) or "the manifest itself"
        raise ValueError(f"malformed rollback manifest, field {field}: {why}") from None


class RollbackSnapshot:
    def __init__(self, directory: Path, repo_root: Path, entries: list[SnapshotEntry]):
        self.directory = directory
        self.repo_root = repo_root
        self.entries = entries
        self.kept: list[str] = []  # paths changed by someone else since APPLY: not restored

    @classmethod
    def capture(cls, state_dir: Path, op_id: str, repo_root: Path, paths: list[str],
                after: list[str] | None = None) -> RollbackSnapshot:
        """Save the pre-APPLY state of every path (present or not) before anything is written;
        `after` holds after_digest() of what APPLY will write to each path.
        Raises UnsafePath (and leaves no snapshot) if a path cannot be captured safely."""
        directory = state_dir / "rollback" / op_id
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        try:
            entries = [_capture_entry(directory, repo_root, n, rel,
                                      after[n] if after is not None else None)
                       for n, rel in enumerate(paths)]
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        snapshot = cls(directory, repo_root, entries)
        snapshot._write_manifest()
        return snapshot

    def _write_manifest(self) -> None:
        manifest = {"op_id": self.directory.name, "entries": [asdict(e) for e in self.entries]}
        atomic.write_text(self.directory / "manifest.json", json.dumps(manifest, indent=2))

    def extend(self, paths: list[str], after: list[str]) -> None:
        """Before an L2 repair is applied over this op's applied change: capture the paths
        the snapshot does not hold yet, and record what will now be written to the ones it
        does (their originals stay). The manifest is replaced atomically, so a crash leaves
        the old or the new one, and either restores the files as they were before the op."""
        entries = list(self.entries)
        index = {e.path: i for i, e in enumerate(entries)}
        blobs = [int(e.blob.split(".")[0]) for e in entries if e.blob]
        next_blob = max([len(entries) - 1, *blobs]) + 1
        for rel, digest in zip(paths, after, strict=True):
            path = exact_path(rel)
            if path in index:
                old = entries[index[path]]
                mine = () if old.after_sha256 is None else (old.after_sha256,)
                earlier = tuple(h for h in (*old.earlier_after, *mine) if h != digest)[-15:]
                entries[index[path]] = replace(old, after_sha256=digest, earlier_after=earlier)
                continue
            entries.append(_capture_entry(self.directory, self.repo_root, next_blob, path,
                                          digest))
            index[path] = len(entries) - 1
            next_blob += 1
        self.entries = entries
        self._write_manifest()

    @classmethod
    def load(cls, directory: Path, repo_root: Path) -> RollbackSnapshot:
        """Read a manifest written by capture(); ValueError for anything capture() would not
        have written (recovery reports it and touches nothing)."""
        manifest = json.loads((directory / "manifest.json").read_text())
        return cls(directory, repo_root, _entries(manifest))

    def restore(self) -> list[str]:
        """Put every file back as it was (new files removed); return the restored paths.
        Raises RollbackIncomplete naming the entries it refused, after restoring the rest."""
        refused = []
        for entry in reversed(self.entries):
            try:
                self._restore_entry(entry)
            except (OSError, ValueError) as exc:  # UnsafePath is a ValueError
                refused.append(f"{entry.path}: {exc}")
        if refused:
            raise RollbackIncomplete("; ".join(refused))
        return [e.path for e in self.entries]

    def _restore_entry(self, entry: SnapshotEntry) -> None:
        path = exact_path(entry.path)
        if self._changed_since_apply(entry, path):
            self.kept.append(path)
            return
        if entry.existed and entry.blob:
            data = (self.directory / entry.blob).read_bytes()
            nofollow_write.write_bytes_atomic(self.repo_root, path, data, entry.mode)
            return
        nofollow_write.remove(self.repo_root, path)
        for rel in entry.new_dirs:
            _rmdir_if_empty(self.repo_root, rel)

    def _changed_since_apply(self, entry: SnapshotEntry, path: str) -> bool:
        """True when the live file is neither what APPLY wrote nor the original."""
        if entry.after_sha256 is None:
            return False  # an older snapshot without the record: restore as before
        now = live_sha256(self.repo_root, path) or ""
        if now == entry.after_sha256 or now in entry.earlier_after:
            return False
        original = ""
        if entry.existed and entry.blob:
            original = hashlib.sha256((self.directory / entry.blob).read_bytes()).hexdigest()
        return now != original

    def discard(self) -> None:
        """Forget the snapshot once the change is committed (or restored). If some file was
        kept (changed by someone else since APPLY), the snapshot moves to rollback-kept/
        instead, so the pre-op version of that file is not lost either."""
        if self.kept:
            keep = self.directory.parent.parent / "rollback-kept" / self.directory.name
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(keep, ignore_errors=True)
            os.replace(self.directory, keep)
            self.directory = keep
            return
        shutil.rmtree(self.directory, ignore_errors=True)

    def kept_note(self) -> str:
        """One line for the ledger about files left as someone else changed them."""
        if not self.kept:
            return ""
        where = self.directory.parent.parent / "rollback-kept" / self.directory.name
        return (f"not rolled back, changed since APPLY (yours is kept): {', '.join(self.kept)}; "
                f"the pre-op versions are in {where}")


def _rmdir_if_empty(root: Path, rel: str) -> None:
    parts = nofollow.split(rel)
    try:
        with nofollow.open_dir(root, "/".join(parts[:-1]) or ".") as fd:
            os.rmdir(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        return
    except OSError as exc:
        # A directory someone filled since, or a non-directory now there: left alone.
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise


def pending_snapshots(state_dir: Path) -> list[Path]:
    """Snapshot dirs with a manifest: ops that applied and never finished."""
    root = state_dir / "rollback"
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if (d / "manifest.json").is_file())
