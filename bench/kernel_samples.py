"""Best-of-N on the embedded model (issue 32, item 5): N samples decoded as one batch
(kernel.samples) against the same N decoded one after another, in this process.

Both sides run the same N seeds with the same sampling settings (temperature 0.8, top-p
0.95, the default repetition penalty and n-gram ban, the canary observing and never
stopping, no stop token: every sample decodes --tokens tokens) after the same 16-token
prompt, and must produce the same tokens (checked). Printed: tokens per second of each,
whole calls and decode steps alone (the prefill left out), and the ratio (target >= 2.5 for
4 samples). Then where a step's time goes, per decoded token: the native call (split
into its weight products, timed alone by native.c's ob_products, and the rest: attention,
norms, threads' barriers) and the choosing (penalties, grammar, top-p, the draw, the canary).
With --grammar each sample also decodes under the candidate grammar.

Run: .venv/bin/python bench/kernel_samples.py [--samples 4] [--tokens 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and bench/kernel.py would
# shadow the `kernel` package; the repository root takes its place.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path
                                    if Path(p or ".").resolve() not in (_HERE, _HERE.parent))]
import kernel  # noqa: E402, F401, I001  (its OpenMP default must precede torch: kernel/__init__.py)

import torch  # noqa: E402

from bench.timing import interleaved  # noqa: E402
from kernel import samples  # noqa: E402
from kernel.canary import CanaryConfig  # noqa: E402
from kernel.decode import Generation, GenerationConfig, generate  # noqa: E402
from kernel.fast_plain import FastLlama, FastPlain  # noqa: E402
from kernel.native import Cpu  # noqa: E402
from kernel.plain import default_cache_root, dequantized_dir, embedded_model_path  # noqa: E402
from kernel.samples import generate_samples  # noqa: E402
from kernel.tokenizer import ChatTokenizer  # noqa: E402

PROMPT = "Write a short poem about git."


class Clock:
    """Seconds spent inside wrapped callables, by name (patched into kernel classes for one
    run, then put back)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.patched: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attr: str, name: str) -> None:
        inner = getattr(owner, attr)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            began = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - began

        self.patched.append((owner, attr, inner))
        setattr(owner, attr, timed)

    def restore(self) -> None:
        for owner, attr, inner in reversed(self.patched):
            setattr(owner, attr, inner)


def products_ms(lean: FastLlama, rows: int, threads: int, repeats: int = 9) -> float:
    """Median milliseconds of one step's weight products alone over `rows` rows."""
    assert lean.native is not None
    lib, step = lean.native.lib, lean._step
    lib.ob_products.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int] * 2
    times = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        lib.ob_products(step.dims.data_ptr(), step.layers.data_ptr(), step.globals.data_ptr(),
                        rows, threads)
        times.append(time.perf_counter() - began)
    return statistics.median(times[1:]) * 1000


def runs(lean: FastLlama, tok: ChatTokenizer, prompt: list[int], cfg: GenerationConfig,
         seeds: list[int], constraint: Callable[[], object] | None
         ) -> dict[str, Callable[[], list[Generation]]]:
    def batched() -> list[Generation]:
        return generate_samples(FastPlain(lean, lean.prefill_chunk), tok, prompt, cfg, seeds,
                                constraints=constraint)  # type: ignore[arg-type]

    def one_by_one() -> list[Generation]:
        stepper = FastPlain(lean, lean.prefill_chunk)  # as the engine's kept one: reused
        return [generate(stepper, tok, prompt, replace(cfg, seed=seed),
                         constraint=constraint() if constraint else None)  # type: ignore[arg-type]
                for seed in seeds]

    return {"batched": batched, "sequential": one_by_one}


def timed(repeats: int, fns: dict[str, Callable[[], list[Generation]]]
          ) -> tuple[dict[str, float], dict[str, float], dict[str, list[Generation]]]:
    """Median whole-call and decode-only seconds of each, and each one's last samples."""
    last: dict[str, list[Generation]] = {}
    decode_s: dict[str, list[float]] = {name: [] for name in fns}

    def run(name: str) -> Callable[[], None]:
        def go() -> None:
            began = time.perf_counter()
            gens = fns[name]()
            wall = time.perf_counter() - began
            decode_s[name].append(wall - sum(g.prefill_seconds for g in gens))
            last[name] = gens
        return go

    whole = interleaved(repeats, {name: run(name) for name in fns})
    return whole, {k: statistics.median(v[1:]) for k, v in decode_s.items()}, last


def breakdown(lean: FastLlama, tok: ChatTokenizer, prompt: list[int], cfg: GenerationConfig,
              seeds: list[int], constraint: Callable[[], object] | None) -> None:
    """One more run of each, the model calls timed apart from the rest of the loop (the
    samples' choices: penalties, grammar, top-p, the draw, the canary; on two threads when
    batched), per decoded token."""
    for name, fn in runs(lean, tok, prompt, cfg, seeds, constraint).items():
        clock = Clock()
        clock.wrap(samples.LeanBatch, "advance", "model")
        clock.wrap(FastPlain, "advance", "model")
        try:
            began = time.perf_counter()
            gens = fn()
            wall = time.perf_counter() - began - sum(g.prefill_seconds for g in gens)
        finally:
            clock.restore()
        tokens = sum(len(g.token_ids) for g in gens)
        steps = tokens // len(seeds) if name == "batched" else tokens
        model = clock.spent["model"] / tokens * 1000
        print(f"  {name:10} per decoded token: {wall / tokens * 1000:5.2f} ms = model "
              f"{model:5.2f} ({steps} steps of {clock.spent['model'] / steps * 1000:.2f} ms) + "
              f"choosing {wall / tokens * 1000 - model:5.2f}", flush=True)


def steps_alone(lean: FastLlama, prompt: list[int], n: int, repeats: int,
                count: int = 32) -> tuple[float, float]:
    """Median milliseconds of a model step alone, no choosing between steps: one sequence's,
    and n samples' batched step (fed fixed tokens, after the prompt)."""
    parent = FastPlain(lean, lean.prefill_chunk)
    parent.prefill(prompt)

    def single() -> float:
        stepper = FastPlain(lean, lean.prefill_chunk)
        stepper.prefill(prompt)
        began = time.perf_counter()
        for k in range(count):
            stepper.advance(100 + k, 0.0)
        return (time.perf_counter() - began) / count

    def batched() -> float:
        batch = samples.LeanBatch(parent, n)
        began = time.perf_counter()
        for k in range(count):
            batch.advance(list(range(n)), [100 + k + i for i in range(n)])
        return (time.perf_counter() - began) / count

    t = interleaved(repeats, {"single": single, "batched": batched})
    return t["single"] * 1000, t["batched"] * 1000


def section(args: argparse.Namespace) -> None:
    n, tokens = getattr(args, "samples", 4), args.tokens
    repeats, with_grammar = args.repeats, getattr(args, "grammar", False)
    model_dir = dequantized_dir(embedded_model_path(), default_cache_root())
    lean = FastLlama.from_dir(model_dir)
    lean.decode_threads = getattr(args, "threads", 0) or None
    tok = ChatTokenizer.from_file(model_dir / "tokenizer.json")
    prompt = tok.chat([{"role": "user", "content": PROMPT}])
    cfg = GenerationConfig(max_new_tokens=tokens, temperature=0.8, top_p=0.95, stop_ids=(),
                           canary=CanaryConfig(mode="observe", patience=10**9))
    constraint = None
    if with_grammar:
        from governance.brains.provider import CANDIDATE_SHAPE
        from kernel.grammar import Grammars

        grammars = Grammars(tok)
        grammar = grammars.compile(CANDIDATE_SHAPE)

        def constraint() -> object:
            return grammars.constraint(grammar, tokens)

    seeds = list(range(n))
    cpu = Cpu.read()
    print(f"CPU: {cpu.model}, {os.cpu_count()} cores, {cpu.isa()}; lean steps: {lean.kernels}"
          f", threads {lean.decode_threads or '1 or 2 by timing'}")
    shape = ", candidate grammar" if with_grammar else ""
    print(f"best-of-{n} on SmolLM2-135M: {n} samples x {tokens} tokens after a {len(prompt)}-"
          f"token prompt, temperature 0.8, top-p 0.95{shape}, median of {repeats} interleaved "
          f"runs, load average before {os.getloadavg()[0]:.1f}:", flush=True)
    whole, dec, last = timed(repeats, runs(lean, tok, prompt, cfg, seeds, constraint))
    same = [a.token_ids for a in last["batched"]] == [b.token_ids for b in last["sequential"]]
    made = sum(len(g.token_ids) for g in last["batched"])
    for name in ("batched", "sequential"):
        print(f"  {name:10} {made / whole[name]:6.1f} tokens/s whole calls, "
              f"{made / dec[name]:6.1f} decoding")
    print(f"  batched-{n} = {whole['sequential'] / whole['batched']:.2f}x the tokens/s of {n} "
          f"sequential decodes (decoding alone {dec['sequential'] / dec['batched']:.2f}x; "
          f"target >= 2.50); same tokens: {'yes' if same else 'NO'}", flush=True)
    breakdown(lean, tok, prompt, cfg, seeds, constraint)
    one_step, n_step = steps_alone(lean, prompt, n, repeats)
    print(f"  model steps alone: one sequence {one_step:.2f} ms, {n} samples {n_step:.2f} ms = "
          f"{n * one_step / n_step:.2f}x the tokens/s", flush=True)
    threads = lean.decode_threads or lean.threads.current
    one, many = products_ms(lean, 1, threads), products_ms(lean, n, threads)
    print(f"  weight products alone ({threads} thread(s)): 1 row {one:.2f} ms, {n} rows "
          f"{many:.2f} ms = {n * one / many:.2f}x the rows per second", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--grammar", action="store_true")
    p.add_argument("--threads", type=int, default=0,
                   help="fix the native steps' threads (default: 1 or 2 by timing)")
    return p.parse_args(argv)


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    section(parse_args())
