"""Where a repository's daemon keeps its state, found without the heavy imports.

The socket verbs (`status`, `pause`, ...) and `ledger` only need two paths: the working tree
and the state dir. Finding them through GitPython and the pydantic settings costs more than
the whole round-trip to the daemon, so this module reads exactly what decides them:

- the working tree: the nearest directory, from the given path upwards, holding a `.git`
  directory with a HEAD or a `.git` file naming the git dir (worktree, submodule), as
  GitPython's `Repo(path, search_parent_directories=True)` finds it, and one git works in
  (a tree another user owns is refused with git's `safe.directory` fix, before any command
  of the daemon's fails on it: `git_refuses`);
- the state dir: `[daemon] state_dir` from the config file, then its `OUROBOROS_` override,
  as `load_settings(...).state_path(repo)` places it; when that is the default and the repo
  has no `.ouroboros/`, the systemd unit's StateDirectory if it exists (a daemon run as
  `ouroboros@<escaped path>.service` is found without setting OUROBOROS_DAEMON__STATE_DIR).

Anything unexpected (an explicit config file that is missing, TOML that does not parse, a
value that is not a string) falls back to the full `load_settings`, for its exact error.
tests/daemon/test_cli_speed.py checks both answers against GitPython and `load_settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from daemon.errors import CliError, ConfigError, UnsafeRepository

# Both as in daemon/config/settings.py (not imported from there: that module loads pydantic).
CONFIG_NAME = "ouroboros.toml"
ENV_PREFIX = "OUROBOROS_"
DEFAULT_STATE_DIR = ".ouroboros"
SOCKET_NAME = "control.sock"


def repo_root(path: str) -> Path:
    """The working tree holding `path` (`~` expanded), one git will work in; CliError when
    there is none (UnsafeRepository when git refuses it for its owner)."""
    root = work_tree(path)
    if refused := git_refuses(root):
        raise refused
    return root


def work_tree(path: str) -> Path:
    """The working tree holding `path` (`~` expanded), whoever owns it; CliError when the
    path does not exist or no repository holds it."""
    start = Path(os.path.abspath(os.path.expanduser(path)))
    try:
        if not start.exists():
            raise CliError(f"{_short(path)} does not exist")
        for cur in (start, *start.parents):
            dotgit = cur / ".git"
            if (dotgit / "HEAD").is_file() or _is_gitfile(dotgit):
                return cur
    except OSError as exc:  # a name too long, a directory we may not search
        raise CliError(f"{_short(path)}: {exc.strerror or exc}") from None
    raise CliError(f"{_short(path)} is not inside a git repository")


def git_refuses(root: Path) -> UnsafeRepository | None:
    """Whether git refuses to work in `root` because another user owns it (git's
    safe.directory check), which every git command the daemon runs would then fail on.

    Owned by this user, as almost always, it costs two stats. Otherwise git is asked:
    `rev-parse` failing as is and passing with the path named in `-c safe.directory` is
    git's ownership refusal and nothing else (git honours that setting from the command
    line, never from the repository), so no message text is read. None: git works here, or
    fails for a reason of its own that the command's own error will name."""
    dotgit = root / ".git"
    try:
        owners = [(p, p.stat().st_uid) for p in (root, dotgit)]
    except OSError:
        return None
    strangers = [(p, uid) for p, uid in owners if uid != os.geteuid()]
    if not strangers or _git_works(root):
        return None  # sudo (git trusts SUDO_UID's files) or an existing safe.directory
    for path, _ in owners:  # git names the work tree even when only .git is another's
        real = Path(os.path.realpath(path))  # git compares the path it found: symlinks resolved
        if _git_works(root, f"safe.directory={real}"):
            return UnsafeRepository(root, real, *strangers[0])
    return None


def _git_works(root: Path, *config: str) -> bool:
    import subprocess  # only for a repository another user owns

    options = [arg for c in config for arg in ("-c", c)]
    try:
        done = subprocess.run(["git", *options, "-C", str(root), "rev-parse", "--git-dir"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return True  # no git to ask: the command that needs it says so
    return done.returncode == 0


def _short(path: str | Path, keep: int = 200) -> str:
    text = str(path)
    return text if len(text) <= keep else f"{text[:keep]}... ({len(text)} characters)"


def _is_gitfile(dotgit: Path) -> bool:
    if not dotgit.is_file():  # a FIFO named .git would block the open below forever
        return False
    try:
        with dotgit.open("rb") as f:
            return f.read(8) == b"gitdir: "
    except OSError:  # unreadable, or replaced since
        return False


def state_dir(repo: Path, config: Path | None = None,
              environ: Mapping[str, str] | None = None) -> Path:
    """The daemon's state dir for `repo`, as the daemon started with the same config and
    environment computes it."""
    environ = os.environ if environ is None else environ
    value = _state_dir_setting(repo, config, environ)
    if value is None:
        return _validated_state_dir(repo, config, environ)
    try:
        p = Path(value).expanduser()
    except RuntimeError as exc:  # `~nosuchuser/...`: the daemon cannot start with it either
        raise CliError(f"daemon.state_dir = {value!r}: {exc}") from None
    p = p if p.is_absolute() else repo / p
    if value == DEFAULT_STATE_DIR and not os.path.lexists(p):
        # No daemon ran here in the foreground: perhaps as systemd/ouroboros@.service, whose
        # state lives in its StateDirectory (the same place the pytest plugin looks).
        from ouroboros_pytest import systemd_state_dir

        unit = systemd_state_dir(repo, environ)
        if unit.is_dir() and not unit.is_symlink():
            return unit
    return p


def control_socket(repo: Path, config: Path | None = None,
                   environ: Mapping[str, str] | None = None) -> Path:
    return state_dir(repo, config, environ) / SOCKET_NAME


def _state_dir_setting(repo: Path, config: Path | None,
                       environ: Mapping[str, str]) -> str | None:
    """The one setting, or None when only the full validation can say what it is."""
    path = config or repo / CONFIG_NAME
    data: dict[str, Any] = {}
    try:
        present = path.is_file()
        text = path.read_text(encoding="utf-8") if present else ""
    except UnicodeDecodeError:
        return None
    except OSError as exc:  # unreadable, a name too long
        raise CliError(f"cannot read the configuration {_short(path)}: "
                       f"{exc.strerror or exc}") from None
    if present:
        import tomllib  # here: it loads datetime, a sixth of a verb's time when unused

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
    elif config is not None:
        return None
    section = data.get("daemon", {})
    if not isinstance(section, dict):
        return None
    value = section.get("state_dir", DEFAULT_STATE_DIR)
    for key, raw in environ.items():  # the same matching as config._overlay_env; last wins
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX):].lower() == "daemon__state_dir":
            value = raw
    if not isinstance(value, str) or value.strip().startswith(("[", "{")):
        return None  # a JSON list/object from the environment: not a path
    return value


def _validated_state_dir(repo: Path, config: Path | None,
                         environ: Mapping[str, str]) -> Path:
    from daemon.config.settings import load_settings  # pydantic: only to explain what is wrong

    try:
        return load_settings(repo, config, environ).state_path(repo)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
