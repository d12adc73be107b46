"""Which named paths are files of the repository: the check every sensor that takes paths
from outside (a person's `ouroboros signal`, a GitHub issue's body) runs before queueing.

A path is accepted when governance.fs.protected.normalize accepts it (relative, no `..`, no
control or look-alike characters), it is not inside `.git`, no component of it is a
symbolic link (a link could lead out of the repository), and it names an existing regular
file. Everything else is a PathRefused with the reason.
"""

from __future__ import annotations

import stat
from pathlib import Path

from governance.fs.protected import normalize


class PathRefused(ValueError):
    pass


def repo_file(root: Path, path: str) -> str:
    """The canonical repo-relative form of `path`, or PathRefused saying why."""
    try:
        norm = normalize(path, allow_non_ascii=True)  # CLASSIFY judges non-ASCII by config
    except ValueError as exc:
        raise PathRefused(str(exc)) from None  # it names the path
    parts = norm.split("/")
    if ".git" in parts:
        raise PathRefused(f"{norm!r}: inside .git")
    here = root
    for part in parts:
        here = here / part
        try:
            mode = here.lstat().st_mode
        except FileNotFoundError:
            raise PathRefused(f"{norm!r}: no such file in the repository") from None
        except OSError as exc:
            raise PathRefused(f"{norm!r}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(mode):
            raise PathRefused(f"{norm!r}: {here.relative_to(root)} is a symbolic link")
    if not stat.S_ISREG(mode):
        raise PathRefused(f"{norm!r}: not a regular file")
    return norm


def repo_files(root: Path, paths: list[str]) -> tuple[str, ...]:
    """Each path checked (the first refusal raises), duplicates dropped, order kept."""
    return tuple(dict.fromkeys(repo_file(root, p) for p in paths))
