"""Timing helpers the kernel benches share (bench/kernel.py, bench/kernel_ouro.py)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch


def best_of(repeats: int, fn) -> float:
    """Median wall time of `fn` over `repeats` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interleaved(repeats: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median time of each run, the runs taking turns so that load from other processes
    falls on all of them alike (one warm-up round first). A run that returns a float has
    timed itself (what it left out is its own business); any other is timed whole."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeats + 1):
        for name, fn in runs.items():
            t = time.perf_counter()
            took = fn()
            if round_:
                wall = time.perf_counter() - t
                times[name].append(took if isinstance(took, float) else wall)
    return {name: statistics.median(values) for name, values in times.items()}


def weight_bytes(model: torch.nn.Module) -> int:
    """Parameters and buffers (int8 weights are buffers: they take no gradient)."""
    tensors = [*model.parameters(), *model.buffers()]
    return sum(p.numel() * p.element_size() for p in tensors)
