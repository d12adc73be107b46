"""Daemon exceptions. Each ends the command or the start-up with a message for the person
who has to act on it, and an exit code (daemon/cli/commands.py):

    Exception
    ├── CliError            a command cannot proceed; carries its exit code (default 3)
    │   └── UnsafeRepository  git refuses the repository: another user owns it
    ├── ConfigError         bad configuration, phrased as key, value and expectation (exit 3)
    ├── DaemonNotRunning    no daemon answers on the control socket (exit 3)
    └── OSError
        └── AlreadyRunning  another live daemon holds this state dir (exit 3)
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class CliError(Exception):
    def __init__(self, message: str, code: int = 3):
        super().__init__(message)
        self.code = code


class UnsafeRepository(CliError):
    """git refuses to work in `repo` ("dubious ownership"): `owned` (the work tree or its
    .git) belongs to user `owner`, not to this one. `reason` says so; `fix` is the command
    that tells git to trust it, naming `path` as git checks it."""

    def __init__(self, repo: Path, path: Path, owned: Path, owner: int):
        self.repo, self.path, self.owned, self.owner = repo, path, owned, owner
        self.fix = f"git config --global --add safe.directory {shlex.quote(str(path))}"
        self.reason = (f"git refuses to work in {repo}: {owned} belongs to another user "
                       f"(uid {owner}), git's \"dubious ownership\"")
        super().__init__(f"{self.reason}; if you trust it, run: {self.fix}")


class ConfigError(Exception):
    """A config problem, phrased for the person who has to fix it. `env` names the
    environment variables whose values are wrong and `file` the config file that is (both,
    when a rule across keys is broken: either may hold the fix); neither is known for a
    problem found after loading."""

    def __init__(self, message: str, *, env: tuple[str, ...] = (), file: Path | None = None):
        super().__init__(message)
        self.env, self.file = env, file

    def fix(self) -> str:
        """Where to correct it, as `doctor` says it."""
        said = [f"correct or unset {', '.join(self.env)} in the daemon's environment (it "
                "overrides the file)"] if self.env else []
        return "; ".join(said + ([f"correct {self.file}"] if self.file else []))

    def said(self) -> str:
        """The message and, where known, its fix: what `run` and `init` refuse with."""
        return f"{self}\nfix: {fix}" if (fix := self.fix()) else str(self)


class DaemonNotRunning(Exception):
    pass


class AlreadyRunning(OSError):
    """Another live daemon holds this state dir."""
