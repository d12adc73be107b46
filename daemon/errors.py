"""Daemon exceptions. Each ends the command or the start-up with a message for the person
who has to act on it, and an exit code (daemon/cli/commands.py):

    Exception
    ├── CliError            a command cannot proceed; carries its exit code (default 3)
    ├── ConfigError         bad configuration, phrased as key, value and expectation (exit 3)
    ├── DaemonNotRunning    no daemon answers on the control socket (exit 3)
    └── OSError
        └── AlreadyRunning  another live daemon holds this state dir (exit 3)
"""

from __future__ import annotations


class CliError(Exception):
    def __init__(self, message: str, code: int = 3):
        super().__init__(message)
        self.code = code


class ConfigError(Exception):
    """A config problem, phrased for the person who has to fix it."""


class DaemonNotRunning(Exception):
    pass


class AlreadyRunning(OSError):
    """Another live daemon holds this state dir."""
