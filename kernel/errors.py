"""Kernel exceptions.

    KernelError             base
    ├── ModelLoadError      a checkpoint or model could not be loaded (says why and what)
    └── Cancelled           a prefill was stopped by its cancel event (between two chunks)
"""

from __future__ import annotations


class KernelError(Exception):
    pass


class ModelLoadError(KernelError):
    pass


class Cancelled(KernelError):
    """The cancel event was set while the prompt was being consumed. The stepper's cache
    still holds exactly the chunks finished before the stop (its `tokens` say which)."""

    def __init__(self, done: int, total: int):
        super().__init__(f"prefill cancelled after {done} of {total} new tokens")
        self.done, self.total = done, total
