"""Ouro on the CPU, on a small random model (bench/kernel.py runs these sections too).

1. Deep mode (cached, adaptive) vs fast mode (full depth) vs the uncached adaptive loop of
   the design documents, timing decode steps only. Target: deep's time per token within 15%
   of fast x (mean depth / total steps); the uncached loop far behind. The same with int8
   weights (kernel/quantize.py int8_ouro).
2. A 4-bit base (bitsandbytes NF4) vs its full weights: time per token and weight bytes, on
   CUDA when present, else on the CPU (for reference: the daemon enables 4-bit on CUDA only).
   Skipped without bitsandbytes.

Run: .venv/bin/python bench/kernel_ouro.py [--tokens 64] [--repeats 3] [--q 0.5]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# Run as a script, bench/ comes first on sys.path and bench/kernel.py would shadow the
# `kernel` package; the repository root must be there for `bench.timing`.
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path
                                    if Path(p or ".").resolve() not in (_HERE, _HERE.parent))]

import torch  # noqa: E402

from bench.timing import best_of, interleaved, weight_bytes  # noqa: E402
from kernel.canary import CanaryConfig  # noqa: E402
from kernel.decode import GenerationConfig, generate  # noqa: E402
from kernel.exit_policy import QExit  # noqa: E402
from kernel.ouro_model import OuroConfig, OuroForCausalLM  # noqa: E402
from kernel.quantize import FourBit, int8_ouro, quantize_ouro  # noqa: E402
from kernel.steppers import OuroDeep, OuroFast, OuroUncached  # noqa: E402


def small_ouro() -> OuroForCausalLM:
    cfg = OuroConfig.from_dict(dict(
        model_type="ouro", vocab_size=8192, hidden_size=512, intermediate_size=1408,
        num_hidden_layers=6, num_attention_heads=8, num_key_value_heads=8, head_dim=64,
        total_ut_steps=4, rope_theta=10000.0, rms_norm_eps=1e-6))
    torch.manual_seed(0)
    model = OuroForCausalLM(cfg)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.04)
        # Gates that vary by token, so Q-exit depth is genuinely mixed.
        model.model.early_exit_gate.weight.normal_(0, 0.3)
        model.model.early_exit_gate.bias.fill_(-0.3)
    return model.eval().requires_grad_(False)


def decode_steps(stepper: Any, prompt: list[int], tokens: int) -> tuple[float, float]:
    """(seconds, mean depth) of `tokens` greedy decode steps after `prompt`. The prefill is
    not timed: it runs at full depth in fast and deep mode alike, so counting it would scale
    a full-depth cost by depth/steps in the deep target."""
    token, depths = int(stepper.prefill(prompt).argmax()), []
    began = time.perf_counter()
    for _ in range(tokens):
        logits, depth = stepper.advance(token, 0.0)
        token = int(logits.argmax())
        depths.append(depth)
    return time.perf_counter() - began, sum(depths) / len(depths)


def bench_ouro(tokens: int, repeats: int, q: float) -> None:
    model = small_ouro()
    prompt = list(range(3, 67))
    cfg = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0, no_repeat_ngram=0,
                           stop_ids=(), canary=CanaryConfig(mode="off"))
    produced = len(generate(OuroFast(model), None, prompt, cfg).token_ids)
    assert produced == tokens, f"expected {tokens} tokens, got {produced}"
    _, mean_depth = decode_steps(OuroDeep(model, QExit(q)), prompt, tokens)
    t = interleaved(repeats, {
        "fast": lambda: decode_steps(OuroFast(model), prompt, tokens)[0],
        "deep": lambda: decode_steps(OuroDeep(model, QExit(q)), prompt, tokens)[0],
    })
    t_unc, _ = decode_steps(OuroUncached(model, QExit(q)), prompt, tokens)
    expected = t["fast"] * mean_depth / model.steps
    print(f"random Ouro (hidden 512, 6 layers x {model.steps} steps), {tokens} decode steps "
          f"after a {len(prompt)}-token prompt (untimed), q={q}, mean depth "
          f"{mean_depth:.2f}/{model.steps}, median of {repeats} interleaved runs:")
    print(f"  fast (full depth, cached):  {1000 * t['fast'] / tokens:7.2f} ms/token")
    print(f"  deep (adaptive, cached):    {1000 * t['deep'] / tokens:7.2f} ms/token  "
          f"= {t['deep'] / expected:.2f}x fast*(depth/steps)  (target <= 1.15)")
    print(f"  uncached adaptive loop:     {1000 * t_unc / tokens:7.2f} ms/token  "
          f"= {t_unc / t['deep']:.1f}x slower than deep", flush=True)
    bench_ouro_int8(model, prompt, cfg, repeats, q)


def bench_ouro_int8(model: OuroForCausalLM, prompt: list[int], cfg: GenerationConfig,
                    repeats: int, q: float) -> None:
    """The same model with int8 weights (kernel/quantize.py int8_ouro), fast and deep."""
    packed = int8_ouro(copy.deepcopy(model))
    t = interleaved(repeats, {
        "fast": lambda: generate(OuroFast(model), None, prompt, cfg),
        "fast8": lambda: generate(OuroFast(packed), None, prompt, cfg),
        "deep": lambda: generate(OuroDeep(model, QExit(q)), None, prompt, cfg),
        "deep8": lambda: generate(OuroDeep(packed, QExit(q)), None, prompt, cfg),
    })
    ref = generate(OuroFast(model), None, prompt, cfg).token_ids
    mine = generate(OuroFast(packed), None, prompt, cfg).token_ids
    same = next((i for i, (a, b) in enumerate(zip(ref, mine, strict=True)) if a != b), len(ref))
    per_token = cfg.max_new_tokens - 1
    print(f"  int8 weights, fast:         {1000 * t['fast8'] / per_token:7.2f} ms/token  "
          f"= {t['fast'] / t['fast8']:.2f}x float32 fast (same run)")
    print(f"  int8 weights, deep:         {1000 * t['deep8'] / per_token:7.2f} ms/token  "
          f"= {t['deep'] / t['deep8']:.2f}x float32 deep; weights "
          f"{weight_bytes(packed) / weight_bytes(model):.2f}x the bytes; greedy fast-mode "
          f"tokens identical to float32 for the first {same} of {len(ref)} (random weights)",
          flush=True)


def bench_four_bit(tokens: int, repeats: int) -> None:
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        print("4-bit: skipped (bitsandbytes is not installed)")
        return
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    dtype = torch.bfloat16 if cuda else torch.float32
    full = small_ouro().to(device, dtype)
    packed = quantize_ouro(small_ouro(), FourBit(device, dtype))
    prompt = list(range(3, 67))
    cfg = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0, no_repeat_ngram=0,
                           stop_ids=(), canary=CanaryConfig(mode="off"))
    t_full = best_of(repeats, lambda: generate(OuroFast(full), None, prompt, cfg))
    t_packed = best_of(repeats, lambda: generate(OuroFast(packed), None, prompt, cfg))
    per_token = tokens - 1
    print(f"random Ouro, fast mode, {tokens} tokens on {device.type} ({dtype}):")
    print(f"  full weights:   {1000 * t_full / per_token:7.2f} ms/token  "
          f"{weight_bytes(full) / 2**20:6.1f} MiB")
    print(f"  4-bit base:     {1000 * t_packed / per_token:7.2f} ms/token  "
          f"{weight_bytes(packed) / 2**20:6.1f} MiB  "
          f"= {t_packed / t_full:.2f}x the time, {weight_bytes(packed) / weight_bytes(full):.2f}x "
          "the bytes")


def ouro_section(args: argparse.Namespace) -> None:
    bench_ouro(args.tokens, args.repeats, args.q)


def four_bit_section(args: argparse.Namespace) -> None:
    bench_four_bit(args.tokens, args.repeats)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--q", type=float, default=0.5)
    args = p.parse_args()
    ouro_section(args)
    four_bit_section(args)


if __name__ == "__main__":
    main()
