"""Kernel exceptions.

    KernelError             base
    └── ModelLoadError      a checkpoint or model could not be loaded (says why and what)
"""

from __future__ import annotations


class KernelError(Exception):
    pass


class ModelLoadError(KernelError):
    pass

