"""The looped-reasoning approximation for plain models: re-prompt with the previous answer
as context, up to `max_loops`, until confident or no longer changing.

Exit reasons: threshold_met (confidence >= 0.85), converged (|delta confidence| < 0.04,
from the second loop on), max_loops.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kernel.decode import Generation

MAX_LOOPS = 4
CDF_THRESHOLD = 0.85
CONVERGENCE_EPS = 0.04
_STATED = re.compile(r"confidence\s*[:=]\s*([01](?:\.\d+)?|\d{1,3}\s*%)", re.IGNORECASE)


def stated_confidence(text: str) -> float | None:
    """A 'Confidence: 0.9' (or 90%) field the model wrote itself, if any."""
    m = _STATED.search(text)
    if not m:
        return None
    raw = m.group(1).replace(" ", "")
    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    return min(max(value, 0.0), 1.0)


def confidence_of(gen: Generation) -> float:
    stated = stated_confidence(gen.text)
    return stated if stated is not None else gen.confidence


@dataclass
class LoopedAnswer:
    generation: Generation
    loops: int
    confidence: float
    exit_reason: str
    history: list[float]


def looped(run: Callable[[Sequence[dict[str, str]]], Generation],
           messages: Sequence[dict[str, str]], *, max_loops: int = MAX_LOOPS,
           threshold: float = CDF_THRESHOLD, eps: float = CONVERGENCE_EPS) -> LoopedAnswer:
    history: list[float] = []
    convo = list(messages)
    gen = run(convo)
    for loop in range(1, max_loops + 1):
        conf = confidence_of(gen)
        history.append(conf)
        if conf >= threshold:
            return LoopedAnswer(gen, loop, conf, "threshold_met", history)
        if loop >= 2 and abs(history[-1] - history[-2]) < eps:
            return LoopedAnswer(gen, loop, conf, "converged", history)
        if loop == max_loops or gen.exit_reason in ("cancelled", "collapse"):
            break
        convo = [*messages, {"role": "assistant", "content": gen.text},
                 {"role": "user", "content": "Reconsider your previous answer above, fix any "
                  "mistake, and give the final answer in the same format."}]
        gen = run(convo)
    return LoopedAnswer(gen, len(history), history[-1], "max_loops", history)
