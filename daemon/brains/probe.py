"""`ouroboros kernel probe`: load a model, answer one prompt, report speed, depth, canary."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from kernel import defaults
from kernel.precision import DEFAULT_DEVICE, DEVICES

DEFAULT_PROMPT = "In one sentence: why do tests matter?"


class ProgressBar:
    """A one-line progress bar on a TTY, plain lines otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None):
        self.label, self.stream = label, stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.monotonic()

    def __call__(self, done: int, total: int, what: str) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        line = (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                f"{what} ({time.monotonic() - self.start:.1f}s)")
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="Ouro or transformers directory, or a .gguf file "
                   "(default: the embedded SmolLM2-135M-Instruct)")
    p.add_argument("--mode", choices=("fast", "deep"), default="fast")
    p.add_argument("--policy", choices=("qexit", "converge", "accel", "fixed"),
                   default="qexit", help="deep-mode exit policy (default qexit)")
    p.add_argument("--q", type=float, default=defaults.Q,
                   help=f"Q-exit threshold (default {defaults.Q})")
    p.add_argument("--eps", type=float, default=defaults.EPS,
                   help=f"converge/accel epsilon ({defaults.EPS})")
    p.add_argument("--depth", type=int, help="depth for --policy fixed")
    p.add_argument("--ut-steps", type=int, help="override the loop step count")
    p.add_argument("--int8-kv", action="store_true", help="store the KV cache as int8")
    p.add_argument("--lora", help="PEFT LoRA adapter directory")
    p.add_argument("--4bit", dest="load_in_4bit", action="store_true",
                   help="4-bit base weights through bitsandbytes (needs a CUDA GPU)")
    p.add_argument("--device", choices=DEVICES, default=DEFAULT_DEVICE,
                   help="where to compute: auto (a CUDA GPU when torch sees one), cpu, cuda")
    p.add_argument("--canary", choices=("off", "observe", "adapt"), default="observe")
    p.add_argument("--max-new-tokens", type=int, default=48)
    p.add_argument("--prompt", default=DEFAULT_PROMPT)


def probe(args: argparse.Namespace) -> int:
    # Here, not at the top: the CLI's parser imports this module for add_arguments, and
    # torch must load only for a probe (every other verb would pay ~2 s for it).
    from kernel.canary import CanaryConfig
    from kernel.decode import GenerationConfig
    from kernel.engine import Engine, EngineConfig
    from kernel.gpu_model import GpuModel
    from kernel.quantize import count_4bit

    gen = GenerationConfig(max_new_tokens=args.max_new_tokens,
                           canary=CanaryConfig(mode=args.canary))
    config = EngineConfig(model=args.model, mode=args.mode, exit_policy=args.policy, q=args.q,
                          eps=args.eps, depth=args.depth, ut_steps=args.ut_steps,
                          int8_kv=args.int8_kv, lora=args.lora,
                          load_in_4bit=args.load_in_4bit, device=args.device,
                          generation=gen)
    started = time.monotonic()
    if not args.model:
        print("loading the embedded model (dequantized once, ~20 s, then cached)...",
              file=sys.stderr)
    engine = Engine.load(config, progress=ProgressBar("loading"))
    loaded = time.monotonic() - started
    result = engine.chat([{"role": "user", "content": args.prompt}])
    canary = result.canary.summary() if result.canary else {}
    print(f"model:        {engine.name} ({engine.kind}, {engine.total_steps} loop step(s), "
          f"mode {args.mode})")
    print(f"load:         {loaded:.1f}s")
    if isinstance(engine.model, GpuModel):
        print(f"device:       {engine.model.device} (bf16, CUDA graphs)")
    if args.load_in_4bit:
        print(f"weights:      4-bit base, {count_4bit(engine.model)} layers packed "
              "by bitsandbytes")
    print(f"answer:       {result.text.strip()}")
    print(f"tokens:       {len(result.token_ids)} in {result.seconds:.2f}s "
          f"= {result.tokens_per_s:.1f} tokens/s (exit: {result.exit_reason})")
    print(f"mean depth:   {result.mean_depth:.2f} of {engine.total_steps}")
    print(f"canary max:   {canary.get('max_proximity', 'off')}")
    return 0
