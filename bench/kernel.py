"""Kernel benchmarks. Every result is a ratio of two timings taken in this same run.

1. The decode loop vs transformers `generate()` on the embedded SmolLM2 (greedy, same
   prompt, same token count): target >= 1.0.
2. On a small random Ouro model: deep mode (cached, adaptive) vs fast mode (full depth)
   vs the uncached adaptive loop of the design documents. Target: deep's time per token
   within 15% of fast x (mean depth / total steps); the uncached loop far behind.
3. The same random Ouro model with a 4-bit base (bitsandbytes NF4) vs its full weights:
   time per token and weight bytes, on CUDA when present, else on the CPU (for reference:
   the daemon enables 4-bit on CUDA only). Skipped without bitsandbytes.

Run: .venv/bin/python bench/kernel.py [--tokens 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and the file itself would
# shadow the `kernel` package it benchmarks.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import torch  # noqa: E402

from kernel.canary import CanaryConfig  # noqa: E402
from kernel.decode import GenerationConfig, generate  # noqa: E402
from kernel.exit_policy import QExit  # noqa: E402
from kernel.ouro_model import OuroConfig, OuroForCausalLM  # noqa: E402
from kernel.plain import default_cache_root, dequantized_dir, embedded_model_path, load_plain  # noqa: E402
from kernel.quantize import FourBit, quantize_ouro  # noqa: E402
from kernel.steppers import OuroDeep, OuroFast, OuroUncached, Plain  # noqa: E402
from kernel.tokenizer import ChatTokenizer  # noqa: E402


def best_of(repeats: int, fn) -> float:
    """Median wall time of `fn` over `repeats` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_plain(tokens: int, repeats: int) -> None:
    model_dir = dequantized_dir(embedded_model_path(), default_cache_root())
    model, _ = load_plain(model_dir)
    tok = ChatTokenizer.from_file(model_dir / "tokenizer.json")
    prompt = tok.chat([{"role": "user", "content": "Write a short poem about git."}])
    plain = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0, no_repeat_ngram=0,
                             stop_ids=(), canary=CanaryConfig(mode="off"))
    # Observes every token but never stops early, so both loops produce the same count.
    watched = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0,
                               no_repeat_ngram=0, stop_ids=(),
                               canary=CanaryConfig(mode="observe", patience=10**9))
    for config in (plain, watched):
        produced = len(generate(Plain(model), tok, prompt, config).token_ids)
        assert produced == tokens, f"expected {tokens} tokens, got {produced}"
    ids = torch.tensor([prompt])

    def hf() -> None:
        with torch.inference_mode():
            model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False,
                           pad_token_id=0)

    t_hf = best_of(repeats, hf)
    t_ours = best_of(repeats, lambda: generate(Plain(model), tok, prompt, plain))
    t_watch = best_of(repeats, lambda: generate(Plain(model), tok, prompt, watched))
    print(f"SmolLM2-135M, {tokens} tokens, greedy:")
    print(f"  transformers generate(): {tokens / t_hf:7.1f} tokens/s")
    print(f"  decode loop:             {tokens / t_ours:7.1f} tokens/s  "
          f"ratio {t_hf / t_ours:.2f}x  (target >= 1.00)")
    print(f"  decode loop + canary:    {tokens / t_watch:7.1f} tokens/s  "
          f"ratio {t_hf / t_watch:.2f}x")


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


def bench_ouro(tokens: int, repeats: int, q: float) -> None:
    model = small_ouro()
    prompt = list(range(3, 67))
    cfg = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0, no_repeat_ngram=0,
                           stop_ids=(), canary=CanaryConfig(mode="off"))
    per_token = tokens - 1  # advances after the first (prefill) token
    produced = len(generate(OuroFast(model), None, prompt, cfg).token_ids)
    assert produced == tokens, f"expected {tokens} tokens, got {produced}"
    torch.set_num_threads(torch.get_num_threads())
    deep_run = generate(OuroDeep(model, QExit(q)), None, prompt, cfg)
    mean_depth = deep_run.mean_depth
    t_fast = best_of(repeats, lambda: generate(OuroFast(model), None, prompt, cfg))
    t_deep = best_of(repeats, lambda: generate(OuroDeep(model, QExit(q)), None, prompt, cfg))
    t_unc = best_of(1, lambda: generate(OuroUncached(model, QExit(q)), None, prompt, cfg))
    expected = t_fast * mean_depth / model.steps
    print(f"random Ouro (hidden 512, 6 layers x {model.steps} steps), {tokens} tokens, "
          f"q={q}, mean depth {mean_depth:.2f}/{model.steps}:")
    print(f"  fast (full depth, cached):  {1000 * t_fast / per_token:7.2f} ms/token")
    print(f"  deep (adaptive, cached):    {1000 * t_deep / per_token:7.2f} ms/token  "
          f"= {t_deep / expected:.2f}x fast*(depth/steps)  (target <= 1.15)")
    print(f"  uncached adaptive loop:     {1000 * t_unc / per_token:7.2f} ms/token  "
          f"= {t_unc / t_deep:.1f}x slower than deep")


def weight_bytes(model: torch.nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


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


def plain_section(args: argparse.Namespace) -> None:
    if not args.skip_plain:
        bench_plain(args.tokens, args.repeats)


def ouro_section(args: argparse.Namespace) -> None:
    bench_ouro(args.tokens, args.repeats, args.q)


def four_bit_section(args: argparse.Namespace) -> None:
    bench_four_bit(args.tokens, args.repeats)


# Each entry is a callable taking the parsed arguments and printing its own lines (each target
# beside its measured ratio). Other benches hook in here with one line each, e.g.
# `bench.kernel_prefix.section`; their modules must also run on their own.
SECTIONS: list[Callable[[argparse.Namespace], None]] = [
    plain_section,
    ouro_section,
    four_bit_section,
    lambda args: __import__("runpy").run_path(  # bench/kernel_grammar.py, loaded by path
        str(Path(__file__).with_name("kernel_grammar.py")))["section"](args),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--q", type=float, default=0.5)
    p.add_argument("--skip-plain", action="store_true")
    p.add_argument("--only", default="", help="comma-separated section names to run "
                   "(a section's name is its function's name, e.g. plain_section)")
    return p.parse_args(argv)


def main() -> None:
    args = parse_args()
    only = {name for name in args.only.split(",") if name}
    for section in SECTIONS:
        name = f"{section.__module__.rsplit('.', 1)[-1]}.{section.__name__}"
        if only and section.__name__ not in only and name not in only:
            continue
        section(args)


if __name__ == "__main__":
    main()
