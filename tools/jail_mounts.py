"""What the jail's filesystem is made of: bubblewrap mount arguments, built from tables.

The jail's root is an empty read-only tmpfs. Into it go, read-only, only the system
directories a test run needs (SYSTEM_DIRS, with /etc's secrets masked), the interpreter's
prefixes, and the work tree (writable for a sandbox, read-only for the live tree). Inside
the work tree, every directory the daemon hides (its state dir) and every file or directory
that `governance.fs.protected.protected_reason` calls protected is masked: a file by an empty
read-only bind, a directory by an empty read-only tmpfs. `.git` is bound read-only with its
`config` replaced by a copy that keeps only the `core.*` and `extensions.*` settings git
needs to read the repository: remote URLs (which can carry tokens), credential helpers
and includes stay outside. /run, /var, /home, the host's /tmp and everything else not named
here are simply absent, so no host Unix socket is reachable by path.

Arguments are a list of strings and `Data` items (bytes bubblewrap reads from an fd).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from governance.fs.protected import protected_reason
from tools.errors import MountPlanError

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Secrets of the host that sit in /etc: masked even though /etc is readable.
ETC_SECRETS = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers",
               "/etc/sudoers.d", "/etc/ssh", "/etc/ssl/private", "/etc/pki/tls/private",
               "/etc/security/opasswd", "/etc/krb5.keytab", "/etc/docker", "/etc/containers",
               "/etc/NetworkManager/system-connections", "/etc/wpa_supplicant", "/etc/ppp",
               "/etc/letsencrypt", "/etc/credstore", "/etc/credstore.encrypted",
               "/etc/netplan", "/etc/openvpn", "/etc/wireguard", "/etc/ipsec.secrets",
               "/etc/environment", "/etc/gitconfig", "/etc/pip.conf", "/etc/npmrc",
               "/etc/apt/auth.conf", "/etc/apt/auth.conf.d", "/etc/mysql", "/etc/postgresql",
               "/etc/ldap.secret", "/etc/ssmtp", "/etc/msmtprc", "/etc/rancher", "/etc/kubernetes")
GIT_CONFIG_KEEP = ("core.repositoryformatversion", "core.bare", "core.filemode",
                   "core.symlinks", "core.ignorecase", "core.precomposeunicode",
                   "core.logallrefupdates", "core.autocrlf", "core.eol", "extensions.")
MASK_DIR_BYTES = 4096
MAX_SCAN_ENTRIES = 200_000  # ~50 us each to check: a bound on the time before a run starts


@dataclass(frozen=True)
class Data:
    """Bytes that bubblewrap reads from a file descriptor (the fd number is set at spawn)."""

    content: bytes


Arg = str | Data


def mask_file(path: Path, empty: Path) -> list[Arg]:
    # An empty regular file: /dev/null would not open (bubblewrap binds with nodev).
    return ["--ro-bind", str(empty), str(path)]


def mask_dir(path: Path) -> list[Arg]:
    return ["--perms", "0555", "--size", str(MASK_DIR_BYTES), "--tmpfs", str(path),
            "--remount-ro", str(path)]


def mask(path: Path, empty: Path, at: Path | None = None) -> list[Arg]:
    """Mask host `path`, which shows in the jail at `at` (its own path by default)."""
    dest = path if at is None else at
    return mask_dir(dest) if path.is_dir() else mask_file(dest, empty)


def system_args(empty: Path) -> list[Arg]:
    """The read-only system directories (symlinks such as merged-usr /bin kept as links)."""
    args: list[Arg] = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for secret in ETC_SECRETS:
        path = Path(secret)
        if os.path.lexists(path) and not path.is_symlink():
            args += mask(path, empty)
    return args


def interpreter_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """The interpreter's prefixes (a venv and its base) plus `extra`, minus what the system
    directories already show."""
    out: list[Path] = []
    for raw in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, *extra):
        path = Path(raw).resolve()
        covered = any(path == Path(d) or Path(d) in path.parents for d in SYSTEM_DIRS)
        if path.is_dir() and not covered and path not in out:
            out.append(path)
    return out


def _is_protected(rel: str, globs: Sequence[str]) -> bool:
    try:
        return protected_reason(rel, "", globs) is not None
    except ValueError:  # a name the rules cannot even parse is hidden, not shown
        return True


def protected_masks(root: Path, hidden: Sequence[Path], globs: Sequence[str] = ()
                    ) -> list[Path]:
    """Paths under `root` to mask: hidden paths, and protected files and directories.

    A directory whose every entry would be masked is masked whole instead (each mask is a
    mount, and bubblewrap's cost per mount grows with the number of mounts). Symlinks are
    not followed and not masked: a link's target is either inside the tree (and masked by
    its own name) or outside it (and not in the jail). The top-level `.git` is handled by
    `git_args`; a nested `.git` (a submodule's) is masked whole. The walk keeps its own
    stack: a jailed command can leave a tree deeper than Python's recursion limit.
    """
    # (dir, masks directly in it, kept subdirs, every file and link masked / None: unread)
    scans: list[tuple[Path, list[Path], list[Path], bool | None]] = []
    hidden_set, stack, seen = set(hidden), [root], 0
    while stack:
        here = stack.pop()
        masks, keep, clean = [], [], True
        try:
            with os.scandir(here) as it:
                entries = list(it)
        except OSError:  # unreadable (or a path too long to name): masked unseen
            scans.append((here, [], [], None))
            continue
        seen += len(entries)
        if seen > MAX_SCAN_ENTRIES:
            raise MountPlanError(f"{root} holds over {MAX_SCAN_ENTRIES} entries: too many to "
                                 "check for protected files")
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink() or (here == root and entry.name == ".git"):
                clean = False
            elif path in hidden_set or _is_protected(path.relative_to(root).as_posix(), globs):
                masks.append(path)
            elif entry.is_dir(follow_symlinks=False):
                keep.append(path)
            else:
                clean = False
        stack.extend(keep)
        scans.append((here, masks, keep, clean))  # a parent always before its children
    return _collapse(root, scans)


def _collapse(root: Path, scans: list[tuple[Path, list[Path], list[Path], bool | None]]
              ) -> list[Path]:
    """Masks from the scans; `clean` None marks a directory that could not be read."""
    whole: dict[Path, bool] = {}
    for here, masks, subdirs, clean in reversed(scans):  # children before parents
        whole[here] = here != root and (clean is None or (
            clean and all(whole.get(d, False) for d in subdirs) and bool(masks or subdirs)))
    out: list[Path] = []
    covered: set[Path] = set()
    for here, masks, _, _ in scans:  # parents before children
        if here.parent in covered or here in covered:
            covered.add(here)
        elif whole[here]:
            out.append(here)
            covered.add(here)
        else:
            out += masks
    return out


def sanitized_git_config(config: Path) -> bytes:
    """Only the settings git needs to read the repository; empty when git cannot parse it."""
    try:
        listing = subprocess.run(["git", "config", "--file", str(config), "--null", "--list"],
                                 capture_output=True, timeout=10, check=True,
                                 env={"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1",
                                      "HOME": "/nonexistent"}).stdout
    except (OSError, subprocess.SubprocessError):
        return b""
    sections: dict[str, list[str]] = {}
    for entry in listing.split(b"\0"):
        key, _, value = entry.decode("utf-8", "replace").partition("\n")
        if "." not in key or not any(key == k or (k.endswith(".") and key.startswith(k))
                                     for k in GIT_CONFIG_KEEP):
            continue
        section, _, name = key.rpartition(".")
        if "." in section or not name.replace("-", "").isalnum():
            continue
        quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        sections.setdefault(section, []).append(f'\t{name} = "{quoted}"')
    return "".join(f"[{s}]\n" + "\n".join(lines) + "\n"
                   for s, lines in sections.items()).encode()


def git_args(root: Path, at: Path | None = None) -> list[Arg]:
    """`.git` read-only, its config replaced by the sanitized copy; `at` is where `root`
    shows in the jail (its own path by default)."""
    git_dir = root / ".git"
    if git_dir.is_symlink() or not os.path.lexists(git_dir):
        return []
    shown = (at or root) / ".git"
    args: list[Arg] = ["--ro-bind", str(git_dir), str(shown)]
    config = git_dir / "config"
    # A symlinked config points out of the jail, where git cannot follow it anyway.
    if git_dir.is_dir() and config.is_file() and not config.is_symlink():
        args += ["--ro-bind-data", Data(sanitized_git_config(config)), str(shown / "config")]
    return args
