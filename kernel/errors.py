"""Kernel exceptions.

    KernelError             base
    ├── ModelLoadError      a checkpoint or model could not be loaded (says why and what)
    └── GenerationCancelled generation was cancelled between tokens
"""

from __future__ import annotations


class KernelError(Exception):
    pass


class ModelLoadError(KernelError):
    pass


class GenerationCancelled(KernelError):
    pass
