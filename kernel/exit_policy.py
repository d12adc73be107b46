"""Per-token exit policies for the looped model: when has a token thought enough?

A policy makes a fresh tracker per token; the decode loop feeds it each step's normed
state and gate and stops the loop (physically) at the first step it says yes. A tracker
never exits before `min_depth` (the canary's adapt mode raises it) and always exits at the
last step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from kernel import defaults


class ExitTracker(Protocol):
    def should_exit(self, t: int, h: torch.Tensor, gate: float) -> bool: ...


class ExitPolicy(Protocol):
    name: str

    def start(self, total_steps: int, min_depth: int = 1) -> ExitTracker: ...


@dataclass
class _Base:
    total: int
    min_depth: int

    def _bounded(self, t: int, wants: bool) -> bool:
        if t >= self.total - 1:
            return True
        return wants and t + 1 >= self.min_depth


@dataclass
class _QTracker(_Base):
    q: float
    survival: float = 1.0

    def should_exit(self, t: int, h: torch.Tensor, gate: float) -> bool:
        self.survival *= 1.0 - gate
        return self._bounded(t, 1.0 - self.survival >= self.q - 1e-7)


@dataclass
class _ConvergeTracker(_Base):
    eps: float
    prev: torch.Tensor | None = None

    def should_exit(self, t: int, h: torch.Tensor, gate: float) -> bool:
        prev, self.prev = self.prev, h
        if prev is None:
            return self._bounded(t, False)
        ratio = (h - prev).norm() / prev.norm().clamp_min(1e-12)
        return self._bounded(t, bool(ratio < self.eps))


@dataclass
class _AccelTracker(_Base):
    eps: float
    patience: int
    prev: torch.Tensor | None = None
    prev_delta: torch.Tensor | None = None
    held: int = 0

    def should_exit(self, t: int, h: torch.Tensor, gate: float) -> bool:
        prev, self.prev = self.prev, h
        if prev is None:
            return self._bounded(t, False)
        delta = h - prev
        prev_delta, self.prev_delta = self.prev_delta, delta
        if prev_delta is None:
            return self._bounded(t, False)
        accel = (delta - prev_delta).norm() / prev.norm().clamp_min(1e-12)
        self.held = self.held + 1 if accel < self.eps else 0
        return self._bounded(t, self.held >= self.patience)


@dataclass
class _FixedTracker(_Base):
    depth: int

    def should_exit(self, t: int, h: torch.Tensor, gate: float) -> bool:
        return self._bounded(t, t + 1 >= self.depth)


@dataclass(frozen=True)
class QExit:
    """First step whose cumulative exit probability reaches q (the learned gate)."""

    q: float = defaults.Q
    name: str = "qexit"

    def start(self, total_steps: int, min_depth: int = 1) -> ExitTracker:
        return _QTracker(total_steps, min_depth, self.q)


@dataclass(frozen=True)
class Converge:
    """First-order fixed point: ||h_t - h_{t-1}|| / ||h_{t-1}|| < eps."""

    eps: float = defaults.EPS
    name: str = "converge"

    def start(self, total_steps: int, min_depth: int = 1) -> ExitTracker:
        return _ConvergeTracker(total_steps, min_depth, self.eps)


@dataclass(frozen=True)
class Accel:
    """Second-order: ||D_t - D_{t-1}|| / ||h_{t-1}|| < eps held for `patience` steps
    (robust to the spiral dynamics on which first-order convergence exits falsely)."""

    eps: float = defaults.EPS
    patience: int = defaults.PATIENCE
    name: str = "accel"

    def start(self, total_steps: int, min_depth: int = 1) -> ExitTracker:
        return _AccelTracker(total_steps, min_depth, self.eps, self.patience)


@dataclass(frozen=True)
class FixedDepth:
    depth: int
    name: str = "fixed"

    def start(self, total_steps: int, min_depth: int = 1) -> ExitTracker:
        return _FixedTracker(total_steps, min_depth, self.depth)


def make_policy(name: str, *, q: float = defaults.Q, eps: float = defaults.EPS,
                patience: int = defaults.PATIENCE, depth: int | None = None) -> ExitPolicy:
    if name == "qexit":
        return QExit(q)
    if name == "converge":
        return Converge(eps)
    if name == "accel":
        return Accel(eps, patience)
    if name == "fixed":
        if depth is None:
            raise ValueError("the fixed policy needs a depth")
        return FixedDepth(depth)
    raise ValueError(f"unknown exit policy {name!r} (qexit, converge, accel, fixed)")
