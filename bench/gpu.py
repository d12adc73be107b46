"""GPU benchmarks for the kernel's CUDA path (kernel/gpu_model.py, kernel/gpu_stepper.py).

Every ratio is of numbers measured in this run:
1. the device's memory bandwidth, measured by a device-to-device copy (bytes read + written);
2. random weights in Ouro-1.4B's shapes (bf16): prefill, fast-mode decode eager, with CUDA
   graphs, and with graphs over the fused (compiled) layer, against the decode's bandwidth
   bound (the bytes a token must read: the layer stack once per loop step, the lm_head, its
   cached keys and values). Target >= 0.5;
3. deep mode (q-exit 0.5): time per token against fast x (mean depth / steps), target <= 1.15;
4. batched decode (best-of-N: n sequences forked from one prompt, a token each per step):
   tokens/s of the batch against batch 1, and each batch against its own bound;
5. random weights in the embedded SmolLM2-135M's shapes: decode with and without graphs,
   against its bound (a model this small is bound by launches, not bytes).
Random weights decode at the speed real ones would: nothing here depends on the values.
`--variants` also times the fused decode in each attention form, tuned and not;
`--profile` lists the fused step's kernels by GPU time.

Run (needs CUDA): python bench/gpu.py [--prompt 512] [--tokens 128] [--variants] [--profile]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and would shadow nothing
# today, but the kernel package must be importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from kernel.exit_policy import QExit
from kernel.gpu_model import GpuModel, Shape
from kernel.gpu_stepper import BatchDecode, GpuStepper
from kernel.ouro_model import OuroConfig

SMOLLM2 = {"num_hidden_layers": 30, "hidden_size": 576, "num_attention_heads": 9,
           "num_key_value_heads": 3, "head_dim": 64, "intermediate_size": 1536,
           "vocab_size": 49152, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
           "max_position_embeddings": 8192, "model_type": "llama"}
EAGER_TOKENS = 16  # the eager decode is slow (hundreds of launches a step): fewer tokens
REPEATS = 3  # timed decodes per measurement; the median is printed


def bandwidth() -> float:
    """Bytes per second a device-to-device copy of 1 GiB moves (read + written)."""
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    torch.cuda.synchronize()
    began = time.perf_counter()
    for _ in range(20):
        dst.copy_(src)
    torch.cuda.synchronize()
    return 2 * src.numel() * 20 / (time.perf_counter() - began)


def prompt_of(model: GpuModel, n: int) -> list[int]:
    return [(7 * i) % model.shape.vocab for i in range(n)]


def prefill_rate(model: GpuModel, prompt: list[int]) -> float:
    """Prompt tokens per second of a cold prefill (after one to warm cuBLAS up)."""
    GpuStepper(model, graphs=False).prefill(prompt)
    torch.cuda.synchronize()
    began = time.perf_counter()
    GpuStepper(model, graphs=False).prefill(prompt)
    torch.cuda.synchronize()
    return len(prompt) / (time.perf_counter() - began)


def steps(stepper: GpuStepper, token: int, tokens: int) -> tuple[float, float]:
    """(seconds per token, mean depth) of `tokens` greedy decode steps from `token`."""
    depths = []
    torch.cuda.synchronize()
    began = time.perf_counter()
    for _ in range(tokens):
        logits, depth = stepper.advance(token, 0.0)
        token = int(logits.argmax())  # a host read per token, as the decode loop does
        depths.append(depth)
    return (time.perf_counter() - began) / tokens, sum(depths) / len(depths)


def decode(stepper: GpuStepper, prompt: list[int], tokens: int,
           repeats: int = REPEATS) -> tuple[float, float]:
    """(seconds per token, mean depth) of a greedy decode after `prompt` (whose prefix the
    stepper may hold from the last call: only the decode is timed); the median of
    `repeats` runs."""
    runs = [steps(stepper, int(stepper.prefill(prompt).argmax()), tokens)
            for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.mean(r[1] for r in runs)


def batch_steps(batch: BatchDecode, tokens: list[int], n: int) -> float:
    """Seconds per step of `n` greedy steps of every sequence of the batch."""
    torch.cuda.synchronize()
    began = time.perf_counter()
    for _ in range(n):
        tokens = batch.advance(tokens).argmax(-1).tolist()  # one host read per step
    return (time.perf_counter() - began) / n


def bytes_per_token(model: GpuModel, context: int, batch: int = 1) -> int:
    """What one full-depth step of `batch` sequences must read: each loop step reads the
    layer stack, then the lm_head reads its rows; attention reads every cached key and
    value of every slot of every sequence."""
    s = model.shape
    layers = sum(t.numel() * t.element_size() for w in model.layers
                 for t in vars(w).values() if t is not None)
    kv = 2 * s.slots * s.kv_heads * s.head_dim * context * model.embed.element_size()
    return s.steps * layers + model.lm_head.numel() * model.lm_head.element_size() + batch * kv


def fused_decode(model: GpuModel, args: argparse.Namespace, attention: str, tuned: bool,
                 parts: bool = True) -> tuple[float, str, float]:
    """(seconds per token, what fuse() did, seconds to compile and capture) of fast-mode
    decode over the fused layer in one configuration."""
    torch._dynamo.reset()  # a new configuration compiles afresh
    model.attention = attention
    prompt = prompt_of(model, args.prompt)
    began = time.perf_counter()
    why = model.fuse(tuned=tuned, parts=parts)
    stepper = GpuStepper(model)
    decode(stepper, prompt, 8, repeats=1)  # compiles, then captures this bucket
    compile_s = time.perf_counter() - began
    seconds, _ = decode(stepper, prompt, args.tokens)
    return seconds, why, compile_s


def run_model(name: str, model: GpuModel, args: argparse.Namespace, bw: float) -> float:
    prompt = prompt_of(model, args.prompt)
    model.fused = None
    eager = GpuStepper(model, graphs=False)
    graphed = GpuStepper(model)
    for stepper in (eager, graphed):  # warm up; capture the graphs of this context's bucket
        decode(stepper, prompt, 8, repeats=1)
    prefill = prefill_rate(model, prompt)
    eager_s, _ = decode(eager, prompt, EAGER_TOKENS)
    graph_s, _ = decode(graphed, prompt, args.tokens)
    fused_s, why, compile_s = fused_decode(model, args, model.attention, tuned=True)
    bound = bw / bytes_per_token(model, args.prompt + args.tokens // 2)
    print(f"{name}: {model.nbytes() / 1e9:.2f} GB of bf16 weights, {model.steps} loop step(s)")
    print(f"  prefill {args.prompt} tokens:       {prefill:9.0f} tokens/s")
    print(f"  decode, eager:              {1 / eager_s:9.1f} tokens/s")
    print(f"  decode, CUDA graphs:        {1 / graph_s:9.1f} tokens/s  "
          f"({eager_s / graph_s:.2f}x eager)")
    print(f"  decode, graphs + fused:     {1 / fused_s:9.1f} tokens/s  "
          f"({eager_s / fused_s:.2f}x eager; {why}, {model.attention} attention, "
          f"{compile_s:.0f} s to compile and capture)")
    print(f"  bandwidth bound:            {bound:9.1f} tokens/s  "
          f"best = {(1 / min(graph_s, fused_s)) / bound:.2f}x the bound (target >= 0.5)")
    return min(graph_s, fused_s)


def run_variants(model: GpuModel, args: argparse.Namespace, bw: float) -> float:
    """The fused fast-mode decode in each configuration (attention form, coordinate-descent
    tuning, the products' inputs stored); leaves the model fused in the fastest and returns
    its seconds per token."""
    bound = bw / bytes_per_token(model, args.prompt + args.tokens // 2)
    results = []
    for config in (("sdpa", False, True), ("sdpa", True, False), ("sdpa", True, True)):
        seconds, _, compile_s = fused_decode(model, args, *config)
        attention, tuned, parts = config
        print(f"  variant {attention:6} {'tuned' if tuned else 'plain'} "
              f"{'parts' if parts else 'whole'}: {1 / seconds:7.1f} tokens/s = "
              f"{(1 / seconds) / bound:.3f}x the bound ({compile_s:.0f} s to compile and "
              "capture)", flush=True)
        results.append((seconds, config))
    best = min(results)
    if best is not results[-1]:
        return fused_decode(model, args, *best[1])[0]
    return best[0]


def run_deep(model: GpuModel, args: argparse.Namespace, fast_s: float) -> None:
    """Deep mode against fast x depth/steps; and deep mode that never exits early (q = 1),
    whose difference from fast is the cost of a graph and a host read per loop step."""
    prompt = prompt_of(model, args.prompt)
    deep = GpuStepper(model, policy=QExit(0.5))
    decode(deep, prompt, 8, repeats=1)
    deep_s, depth = decode(deep, prompt, args.tokens)
    expected = fast_s * depth / model.steps
    print(f"  deep mode (q-exit 0.5):     {1 / deep_s:9.1f} tokens/s, mean depth {depth:.2f} of "
          f"{model.steps}: {deep_s / expected:.2f}x fast x depth/steps (target <= 1.15)")
    full = GpuStepper(model, policy=QExit(1.0))
    decode(full, prompt, 8, repeats=1)
    full_s, _ = decode(full, prompt, args.tokens)
    print(f"  deep mode, q = 1 (no exits): {1 / full_s:8.1f} tokens/s, {full_s / fast_s:.2f}x "
          f"fast's time: {(full_s - fast_s) / model.steps * 1e6:.0f} us more a loop step")
    if args.profile_deep:
        profile(deep, prompt, "deep mode, q-exit 0.5", rows=6)


def run_batches(model: GpuModel, args: argparse.Namespace, bw: float) -> None:
    """Best-of-N: tokens/s of n sequences decoding together, against batch 1."""
    prompt = prompt_of(model, args.prompt)
    parent = GpuStepper(model)
    first = int(parent.prefill(prompt).argmax())
    context = args.prompt + args.tokens // 2
    one = None
    for n in args.batches:
        tokens = [(first + i) % model.shape.vocab for i in range(n)]
        runs = []
        for _ in range(REPEATS):  # each from the prompt, as a best-of-N sample would be
            batch = parent.fork(n)
            batch_steps(batch, tokens, 8)  # compiles (the first time), then captures
            runs.append(batch_steps(batch, tokens, args.tokens))
            del batch
        seconds = statistics.median(runs)
        rate = n / seconds
        one = rate if one is None else one
        bound = bw / bytes_per_token(model, context, n) * n
        print(f"  batch {n}: {rate:9.1f} tokens/s ({1 / seconds:6.1f} steps/s), "
              f"{rate / one:.2f}x batch {args.batches[0]}, {rate / bound:.2f}x its bound")
        torch.cuda.empty_cache()


def profile(stepper: GpuStepper, prompt: list[int], label: str, rows: int = 14,
            n: int = 8) -> None:
    """The kernels of `n` decode steps by GPU time per token, against the wall clock."""
    from torch.profiler import ProfilerActivity, profile

    token = int(stepper.prefill(prompt).argmax())
    steps(stepper, token, 4)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        wall, _ = steps(stepper, token, n)
    kernels = []
    for e in prof.key_averages():
        gpu = getattr(e, "self_device_time_total", 0) or getattr(e, "self_cuda_time_total", 0)
        if gpu > 0 and not e.key.startswith("aten::"):
            kernels.append((gpu / n, e.count / n, e.key))
    kernels.sort(reverse=True)
    total = sum(k[0] for k in kernels) or 1.0
    print(f"  profile ({label}; {n} tokens): {total / 1e3:.2f} ms of kernels and "
          f"{sum(k[1] for k in kernels):.0f} kernels a token, {wall * 1e3:.2f} ms a token on "
          "the wall clock (profiled)")
    for us, count, name in kernels[:rows]:
        print(f"    {us / 1e3:6.3f} ms {us / total:5.1%} {count:5.0f}x {us / count:7.1f} us "
              f"{name[:100]}")


def run_profile(model: GpuModel, args: argparse.Namespace) -> None:
    """The fused fast-mode step's kernels by GPU time per token, replayed in its CUDA graph."""
    profile(GpuStepper(model), prompt_of(model, args.prompt), "fused fast mode, graphs")


SECTIONS = ("ouro", "variants", "deep", "batch", "profile", "smol")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", type=int, default=512)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 4, 8])
    parser.add_argument("--only", type=lambda s: s.split(","),
                        default=["ouro", "deep", "batch", "smol"],
                        help=f"sections to run, of {','.join(SECTIONS)}")
    parser.add_argument("--variants", action="store_true", help="add the variants section")
    parser.add_argument("--profile", action="store_true", help="add the profile section")
    parser.add_argument("--profile-deep", action="store_true",
                        help="profile deep mode's kernels too")
    args = parser.parse_args()
    only = set(args.only) | ({"variants"} if args.variants else set()) | (
        {"profile"} if args.profile else set())
    if not only <= set(SECTIONS):
        parser.error(f"unknown sections: {sorted(only - set(SECTIONS))}")
    if not torch.cuda.is_available():
        print("no CUDA device: the GPU bench measures nothing here")
        return 0
    props = torch.cuda.get_device_properties(0)
    bw = bandwidth()
    print(f"device: {props.name}, {props.total_memory / 2**30:.0f} GiB, torch {torch.__version__}"
          f"; measured copy bandwidth {bw / 1e12:.2f} TB/s", flush=True)
    with torch.inference_mode():
        ouro = GpuModel.random(Shape.of_ouro(OuroConfig()), "cuda")
        fast_s = None
        if "ouro" in only:
            fast_s = run_model("Ouro-1.4B shapes (random)", ouro, args, bw)
        if "variants" in only:
            fast_s = run_variants(ouro, args, bw)
        if fast_s is None and only & {"deep", "batch", "profile"}:
            fast_s, why, _ = fused_decode(ouro, args, ouro.attention, tuned=True)
            print(f"  decode, graphs + fused:     {1 / fast_s:9.1f} tokens/s ({why})")
        if "deep" in only:
            run_deep(ouro, args, fast_s)
        if "batch" in only:
            run_batches(ouro, args, bw)
        if "profile" in only:  # last: the profiler slows what runs after it
            run_profile(ouro, args)
        del ouro
        torch.cuda.empty_cache()
        if "smol" in only:
            smol = GpuModel.random(Shape.of_llama(SMOLLM2), "cuda", tied=True)
            run_model("SmolLM2-135M shapes (random)", smol, args, bw)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
