"""GPU benchmarks for the kernel's CUDA path (kernel/gpu_model.py, kernel/gpu_stepper.py).

Every ratio is of numbers measured in this run:
1. the device's memory bandwidth, measured by a device-to-device copy (bytes read + written);
2. random weights in Ouro-1.4B's shapes (bf16): prefill, fast-mode decode with and without
   CUDA graphs, and decode against its bandwidth bound (the bytes a token must read: the
   layer stack once per loop step, the lm_head, its cached keys and values). Target >= 0.5;
3. deep mode (q-exit 0.5): time per token against fast x (mean depth / steps), target <= 1.15;
4. random weights in the embedded SmolLM2-135M's shapes: decode with and without graphs,
   against its bound (a model this small is bound by launches, not bytes).
Random weights decode at the speed real ones would: nothing here depends on the values.

Run (needs CUDA): python bench/gpu.py [--prompt 512] [--tokens 128]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and would shadow nothing
# today, but the kernel package must be importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from kernel.exit_policy import QExit
from kernel.gpu_model import GpuModel, Shape
from kernel.gpu_stepper import GpuStepper
from kernel.ouro_model import OuroConfig

SMOLLM2 = {"num_hidden_layers": 30, "hidden_size": 576, "num_attention_heads": 9,
           "num_key_value_heads": 3, "head_dim": 64, "intermediate_size": 1536,
           "vocab_size": 49152, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
           "max_position_embeddings": 8192, "model_type": "llama"}


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


def prefill_rate(model: GpuModel, prompt: list[int]) -> float:
    """Prompt tokens per second of a cold prefill (after one to warm cuBLAS up)."""
    GpuStepper(model, graphs=False).prefill(prompt)
    torch.cuda.synchronize()
    began = time.perf_counter()
    GpuStepper(model, graphs=False).prefill(prompt)
    torch.cuda.synchronize()
    return len(prompt) / (time.perf_counter() - began)


def decode(stepper: GpuStepper, prompt: list[int], tokens: int) -> tuple[float, float]:
    """(seconds per token, mean depth) of a greedy decode after `prompt` (whose prefix the
    stepper may hold from the last call: only the decode is timed)."""
    token = int(stepper.prefill(prompt).argmax())
    depths = []
    torch.cuda.synchronize()
    began = time.perf_counter()
    for _ in range(tokens):
        logits, depth = stepper.advance(token, 0.0)
        token = int(logits.argmax())  # a host read per token, as the decode loop does
        depths.append(depth)
    return (time.perf_counter() - began) / tokens, sum(depths) / len(depths)


def bytes_per_token(model: GpuModel, context: int) -> int:
    """What one full-depth token must read: each loop step reads the layer stack, then the
    lm_head reads its rows; attention reads every cached key and value of every slot."""
    s = model.shape
    layers = sum(t.numel() * t.element_size() for w in model.layers
                 for t in vars(w).values() if t is not None)
    kv = 2 * s.slots * s.kv_heads * s.head_dim * context * model.embed.element_size()
    return s.steps * layers + model.lm_head.numel() * model.lm_head.element_size() + kv


def run_model(name: str, model: GpuModel, args: argparse.Namespace, bw: float) -> float:
    prompt = [(7 * i) % model.shape.vocab for i in range(args.prompt)]
    eager = GpuStepper(model, graphs=False)
    graphed = GpuStepper(model)
    for stepper in (eager, graphed):  # warm up; capture the graphs of this context's bucket
        decode(stepper, prompt, 8)
    prefill = prefill_rate(model, prompt)
    eager_s, _ = decode(eager, prompt, args.tokens)
    graph_s, _ = decode(graphed, prompt, args.tokens)
    began = time.perf_counter()
    why = model.fuse()
    fused = GpuStepper(model)
    decode(fused, prompt, 8)  # compiles (once per bucket), then captures
    compile_s = time.perf_counter() - began
    fused_s, _ = decode(fused, prompt, args.tokens)
    bound = bw / bytes_per_token(model, args.prompt + args.tokens // 2)
    print(f"{name}: {model.nbytes() / 1e9:.2f} GB of bf16 weights, {model.steps} loop step(s)")
    print(f"  prefill {args.prompt} tokens:       {prefill:9.0f} tokens/s")
    print(f"  decode, eager:              {1 / eager_s:9.1f} tokens/s")
    print(f"  decode, CUDA graphs:        {1 / graph_s:9.1f} tokens/s  "
          f"({eager_s / graph_s:.2f}x eager)")
    print(f"  decode, graphs + fused:     {1 / fused_s:9.1f} tokens/s  "
          f"({eager_s / fused_s:.2f}x eager; {why}, {compile_s:.0f} s to compile and capture)")
    print(f"  bandwidth bound:            {bound:9.1f} tokens/s  "
          f"best = {(1 / min(graph_s, fused_s)) / bound:.2f}x the bound (target >= 0.5)")
    return min(graph_s, fused_s)


def run_deep(model: GpuModel, args: argparse.Namespace, fast_s: float) -> None:
    prompt = [(7 * i) % model.shape.vocab for i in range(args.prompt)]
    deep = GpuStepper(model, policy=QExit(0.5))
    decode(deep, prompt, 8)
    deep_s, depth = decode(deep, prompt, args.tokens)
    expected = fast_s * depth / model.steps
    print(f"  deep mode (q-exit 0.5):     {1 / deep_s:9.1f} tokens/s, mean depth {depth:.2f} of "
          f"{model.steps}: {deep_s / expected:.2f}x fast x depth/steps (target <= 1.15)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", type=int, default=512)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: the GPU bench measures nothing here")
        return 0
    props = torch.cuda.get_device_properties(0)
    bw = bandwidth()
    print(f"device: {props.name}, {props.total_memory / 2**30:.0f} GiB, torch {torch.__version__}"
          f"; measured copy bandwidth {bw / 1e12:.2f} TB/s")
    with torch.inference_mode():
        ouro = GpuModel.random(Shape.of_ouro(OuroConfig()), "cuda")
        fast_s = run_model("Ouro-1.4B shapes (random)", ouro, args, bw)
        run_deep(ouro, args, fast_s)
        del ouro
        torch.cuda.empty_cache()
        smol = GpuModel.random(Shape.of_llama(SMOLLM2), "cuda", tied=True)
        run_model("SmolLM2-135M shapes (random)", smol, args, bw)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
