"""The git post-commit hook that feeds DocStaleness: `ouroboros install-hooks` and
`ouroboros uninstall-hooks`.

The hook appends one JSON line per commit to `<state dir>/git_events.jsonl`:

    {"schema": "git_event.1", "commit": "<sha>", "files": ["pkg/a.py", ...], "at": <unix s>}

`files` are the commit's added, copied, modified, renamed or type-changed paths (not the
deleted ones). The line is written by the daemon's own interpreter running a few lines of
the standard library in isolated mode (`-I`: a `json.py` the commit put in the work tree, or
a PYTHONPATH, is never imported), so nothing of the project has to be importable. A failure
to record (the state dir gone, the interpreter removed) never fails the hook or the commit.

An existing post-commit hook is never clobbered: it is **chained**. It is moved aside to
`post-commit.ouroboros-chained` (a symlink stays a symlink), our hook runs it first with the
same arguments, and the hook's exit status is its exit status. `uninstall-hooks` removes only
a hook carrying our marker line and moves the chained one back; a hook that is not ours is
never touched. Installing twice rewrites ours in place (a new state dir, a new interpreter)
and keeps the chained one. Refused with a clear message: a hooks directory inside the work
tree (`core.hooksPath = .githooks`: the hook would show up as a file to commit), a
post-commit that is not a regular file or symlink, and a hook of theirs when a chained one is
already parked (both would be theirs; we would have to drop one).

Every step that replaces a file is a rename, so a crash leaves either the old or the new
hook; after a crash between moving theirs aside and putting ours in place, install or
uninstall finishes the job (ours runs the parked one; uninstall puts it back).
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

HOOK = "post-commit"
CHAINED = "post-commit.ouroboros-chained"
MARKER = "# ouroboros post-commit hook (git_event.1)"
EVENTS = "git_events.jsonl"

# Runs in the hook, stdlib only: argv[1] is the events file.
_RECORD = r"""
import json, os, subprocess, sys, time
def git(*a):
    return subprocess.run(["git", *a], capture_output=True, check=True).stdout
sha = git("rev-parse", "HEAD").decode().strip()
raw = git("diff-tree", "--root", "--no-commit-id", "--name-only", "-r", "-z",
          "--diff-filter=d", "HEAD")
files = [os.fsdecode(f) for f in raw.split(b"\0") if f]
line = json.dumps({"schema": "git_event.1", "commit": sha, "files": files,
                   "at": time.time()}) + "\n"
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
             | os.O_CLOEXEC, 0o600)
try:
    os.write(fd, line.encode("utf-8", "surrogateescape"))
finally:
    os.close(fd)
"""


class HookError(Exception):
    """Installing or removing the hook was refused; the message says why and what to do."""


def hooks_dir(repo: Path) -> Path:
    """Where git runs this repository's hooks from (honours core.hooksPath)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--path-format=absolute",
             "--git-path", "hooks", "--show-toplevel"],
            capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError) as exc:
        why = getattr(exc, "stderr", "") or str(exc)
        raise HookError(f"{repo} is not a git work tree: {why.strip()}") from None
    hooks, top = Path(out[0]), Path(out[1])
    if hooks.resolve().is_relative_to(top.resolve()) \
            and not hooks.resolve().is_relative_to((top / ".git").resolve()):
        raise HookError(f"core.hooksPath puts hooks inside the work tree ({hooks}); our hook "
                        "names this machine's paths and must not be committed; point "
                        "core.hooksPath outside the work tree (or unset it) and run again")
    return hooks


def script(events: Path, chained: Path, python: str = sys.executable) -> str:
    q = shlex.quote
    return (f"#!/bin/sh\n{MARKER}\n"
            "# Installed by `ouroboros install-hooks`; `ouroboros uninstall-hooks` removes it\n"
            "# and puts back the hook that was here before (run first, below).\n"
            "status=0\n"
            f"if [ -x {q(str(chained))} ]; then {q(str(chained))} \"$@\"; status=$?; fi\n"
            f"{q(python)} -I -c {q(_RECORD)} {q(str(events))} >/dev/null 2>&1 || true\n"
            "exit $status\n")


def _is_ours(path: Path) -> bool:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return False
        with open(path, "rb") as f:
            return MARKER.encode() in f.read(4096)
    except FileNotFoundError:
        return False


def install(repo: Path, state_dir: Path) -> str:
    """Install (or refresh) the hook; returns what was done, in a sentence."""
    hooks = hooks_dir(repo)
    hook, chained = hooks / HOOK, hooks / CHAINED
    theirs = os.path.lexists(hook) and not _is_ours(hook)
    if theirs and not (stat.S_ISREG(os.lstat(hook).st_mode) or hook.is_symlink()):
        raise HookError(f"{hook} is not a file; move it away and run install-hooks again")
    if theirs and os.path.lexists(chained):
        raise HookError(f"{hook} is not ours and {chained} is already parked there: move one "
                        "of them away (or merge them) and run install-hooks again")
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    hooks.mkdir(parents=True, exist_ok=True)
    tmp = hooks / f".{HOOK}.ouroboros-tmp"
    tmp.write_text(script(state_dir / EVENTS, chained))
    tmp.chmod(0o755)
    if theirs:
        os.rename(hook, chained)
    os.replace(tmp, hook)
    if theirs:
        return f"installed {hook}; the hook that was there is chained as {chained}"
    parked = f" (chaining {chained})" if os.path.lexists(chained) else ""
    return f"installed {hook}{parked}; commits are recorded in {state_dir / EVENTS}"


def uninstall(repo: Path) -> str:
    """Remove our hook and restore the chained one; a hook not ours is left alone."""
    hooks = hooks_dir(repo)
    hook, chained = hooks / HOOK, hooks / CHAINED
    if os.path.lexists(hook) and not _is_ours(hook):
        return f"nothing removed: {hook} is not ours (left as it is)"
    removed = os.path.lexists(hook)
    if os.path.lexists(chained):
        os.replace(chained, hook)  # one rename: theirs is back where ours was
        return f"removed our hook; {hook} is the one that was there before again"
    if removed:
        hook.unlink()
        return f"removed {hook}"
    return "nothing removed: no ouroboros hook is installed"
