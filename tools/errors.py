"""Venom's exceptions. None of them escapes the tool loop as a crash: a tool's failure or a
refusal becomes the tool's result for the model; a jail that cannot be set up fails the
run that needed it (nothing ran).

    Exception
    ├── ToolFailed            a tool ran and failed; the message is the model's result
    ├── Denied                the command policy refused a shell command (rule, reason)
    └── RuntimeError
        ├── JailError         bubblewrap could not be set up; nothing ran
        ├── MountPlanError    the tree cannot be prepared for the jail (too large to scan)
        └── SeccompUnsupported  no syscall table for this architecture: the jail refuses
"""

from __future__ import annotations


class ToolFailed(Exception):
    """A tool ran and failed; the message goes back to the model as the result."""


class Denied(Exception):
    def __init__(self, rule: str, reason: str):
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


class JailError(RuntimeError):
    """The jail could not be set up; nothing ran."""


class MountPlanError(RuntimeError):
    """The tree cannot be prepared for the jail (too large to scan for secrets)."""


class SeccompUnsupported(RuntimeError):
    """The machine's architecture has no syscall table here: the jail refuses to run."""
