"""Protected paths and path containment: pure functions over path strings.

These run at CLASSIFY (targets), GATE and APPLY (every candidate file) and, later, for
every tool argument. They work on the path text, never on file contents, so a model
cannot talk them round.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from collections.abc import Iterable
from pathlib import Path

# (rule name, glob over the lower-cased basename)
_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("dotenv", ".env"),
    ("dotenv", ".env.*"),
    ("credentials", "*credentials*"),
    ("secret", "*secret*"),
    ("private key", "*.pem"),
    ("private key", "*.key"),
    ("private key", "*.p12"),
    ("private key", "*.pfx"),
    ("private key", "id_rsa*"),
    ("private key", "id_ed25519*"),
    ("private key", "id_ecdsa*"),
    ("netrc", ".netrc"),
    ("pypirc", ".pypirc"),
)
# (rule name, directory component, lower-cased)
_DIR_RULES: tuple[tuple[str, str], ...] = (
    ("git internals", ".git"),
    ("ssh config", ".ssh"),
    ("gnupg", ".gnupg"),
    ("virtualenv", ".venv"),
    ("virtualenv", "venv"),
    ("virtualenv", ".tox"),
    ("virtualenv", "site-packages"),
)


class PathEscape(ValueError):
    """A path that resolves outside the root it must stay in."""


def normalize(rel_path: str) -> str:
    """Normalize a repo-relative POSIX path; raise PathEscape if it is absolute or climbs out."""
    if not rel_path or "\x00" in rel_path:
        raise PathEscape(f"empty or NUL-containing path: {rel_path!r}")
    if rel_path.startswith("/") or "\\" in rel_path or (len(rel_path) > 1 and rel_path[1] == ":"):
        raise PathEscape(f"path must be relative to the repository: {rel_path!r}")
    norm = posixpath.normpath(rel_path)
    if norm == ".." or norm.startswith("../") or norm == ".":
        raise PathEscape(f"path escapes the repository: {rel_path!r}")
    return norm


def protected_reason(rel_path: str, state_dir: str, extra_globs: Iterable[str] = ()) -> str | None:
    """Why `rel_path` is protected, or None. `state_dir` is repo-relative (may be '')."""
    norm = normalize(rel_path)
    lowered = norm.lower()
    parts = lowered.split("/")
    if state_dir:
        sd = posixpath.normpath(state_dir).lower()
        if lowered == sd or lowered.startswith(sd + "/"):
            return f"inside the daemon's state dir ({state_dir})"
    for rule, component in _DIR_RULES:
        if component in parts[:-1] or parts[-1] == component:
            return f"{rule} ({component}/)"
    for rule, pattern in _NAME_RULES:
        if fnmatch.fnmatchcase(parts[-1], pattern):
            return f"{rule} ({pattern})"
    for pattern in extra_globs:
        if fnmatch.fnmatchcase(norm, pattern) or fnmatch.fnmatchcase(lowered, pattern.lower()):
            return f"configured protected glob ({pattern})"
    return None


def contained(root: Path, rel_path: str) -> Path:
    """Resolve `rel_path` under `root`, following symlinks; raise PathEscape if it leaves root.

    A path that does not exist yet is resolved through its nearest existing parent, so
    a symlinked directory cannot smuggle a new file out of the tree.
    """
    norm = normalize(rel_path)
    real_root = root.resolve()
    target = (real_root / norm).resolve()
    if target != real_root and real_root not in target.parents:
        raise PathEscape(f"{rel_path!r} resolves outside {root}")
    if target.exists() and not (target.is_file() or target.is_dir()):
        raise PathEscape(f"{rel_path!r} is not a regular file")
    if os.path.lexists(real_root / norm) and target.is_dir():
        raise PathEscape(f"{rel_path!r} is a directory")
    return target
