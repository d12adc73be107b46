"""Re-ground reflex trials with the embedded model (SmolLM2-135M-Instruct, on the CPU or
wherever torch puts it): how many collapses does one re-ground recover?

Each trial asks the model, through KernelProvider, a prompt that provokes a loop under
loop-prone settings (greedy, no repetition penalty, no n-gram ban). A first reply the
reflex reads as collapsed (governance.brains.reflex.is_collapse: the canary stopped the decode, or
its sustained proximity reached the threshold) is an incident. The trial then asks again
exactly as the reflex's first re-ground does (same prompt, steered by
reflex.reground_steering(1): canary to adapt, firmer penalty, cooler sampling); the
incident is recovered when that reply stays below the threshold. The prompt is not
rebuilt, so this measures the steering alone (the pipeline also re-reads the files).

Run: .venv/bin/python bench/reflex_trials.py [--trials 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, this file's directory comes first on sys.path and bench/kernel.py
    # would shadow the `kernel` package; the repository root comes in its place. Imported
    # (bench.convergence does), sys.path is the importer's and is left alone.
    _HERE = Path(__file__).parent.resolve()
    sys.path[:] = [str(_HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != _HERE)]

from governance.brains import reflex
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.provider import KernelProvider

# Loop-prone settings: greedy with no repetition penalty and no n-gram ban; the canary as
# the daemon configures it by default (observe, threshold 0.7, patience 8).
SETTINGS = GenerationConfig(max_new_tokens=64, temperature=0.0, repetition_penalty=1.0,
                            no_repeat_ngram=0,
                            canary=CanaryConfig(mode="observe", threshold=0.7, patience=8))


def _bare(a: str, b: str) -> str:
    return " ".join([a, b] * 12)


def _again(a: str, b: str) -> str:
    return f"Write '{a} {b}' again and again: " + " ".join([a, b] * 4)


def _pattern(a: str, b: str) -> str:
    return "Continue the pattern: " + " ".join([a, b] * 5)


# Screened once on the embedded model through KernelProvider with SETTINGS: of 60 prompts
# (these three shapes over 20 word pairs), 22 collapsed on the first turn; these are the 11
# that did so at proximity >= 0.715, so that small numeric differences between machines
# keep them incidents. Chosen for provoking a collapse only; whether a re-ground recovers
# them played no part (at screening, all 22 did).
PROMPTS: tuple[str, ...] = (
    _bare("up", "down"), _bare("sun", "moon"), _bare("big", "small"), _bare("fast", "slow"),
    _again("sun", "moon"), _again("yes", "no"), _again("in", "out"), _again("hot", "cold"),
    _again("true", "false"), _pattern("yes", "no"), _pattern("push", "pull"),
)
BAND = reflex.Band(spook=0.3, threshold=0.7)
TURN_S = 300.0  # per model turn; generous: a 2-core CI box decodes about 10 tokens/s


async def _trial(provider: KernelProvider, prompt: str) -> tuple[bool, bool]:
    """(incident, recovered) for one prompt."""
    first = await provider.generate(prompt, deadline=time.monotonic() + TURN_S)
    if not reflex.is_collapse(first.collapse, BAND):
        return False, False
    again = await provider.generate(prompt, deadline=time.monotonic() + TURN_S,
                                    steer=reflex.reground_steering(1))
    return True, not reflex.is_collapse(again.collapse, BAND)


def run_reflex_trials(trials: int, seed: int = 0) -> dict:
    """Run `trials` trials (prompts in an order drawn from `seed`, cycling when trials
    outnumber PROMPTS; greedy decoding makes a repeated prompt repeat its outcome).
    Returns {"incidents", "recovered", "ratio" (recovered / incidents; 0.0 with no
    incident), "seconds"}. Call it from outside an event loop."""
    if trials < 1:
        raise ValueError(f"trials must be at least 1, not {trials}")
    start = time.perf_counter()
    provider = KernelProvider(Engine.load(EngineConfig(generation=SETTINGS)))
    order = random.Random(seed).sample(PROMPTS, len(PROMPTS))
    prompts = [order[i % len(order)] for i in range(trials)]

    async def run_all() -> list[tuple[bool, bool]]:
        return [await _trial(provider, p) for p in prompts]

    results = asyncio.run(run_all())
    incidents = sum(i for i, _ in results)
    recovered = sum(r for _, r in results)
    return {"incidents": incidents, "recovered": recovered,
            "ratio": recovered / incidents if incidents else 0.0,
            "seconds": round(time.perf_counter() - start, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    r = run_reflex_trials(args.trials, args.seed)
    print(f"reflex: {r['recovered']}/{r['incidents']} collapse incidents recovered by one "
          f"re-ground, ratio {r['ratio']:.2f} (target >= 0.50), {args.trials} trials, "
          f"{r['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
