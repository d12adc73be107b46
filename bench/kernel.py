"""Kernel benchmarks. Every result is a ratio of two timings taken in this same run.

1. The decode loop vs transformers `generate()` on the embedded SmolLM2 (greedy, same
   prompt, same token count): target >= 1.0. With llama-cpp-python installed, the lean
   forward's decode and its prefill of ~4,000 tokens vs llama.cpp on the same GGUF with the
   same two threads: target >= 1.0 each. The CPU, its vector ISA and the kernels the lean
   forward chose are printed first.
2. The Ouro sections of bench/kernel_ouro.py (deep vs fast mode, int8, a 4-bit base), then
   bench/kernel_grammar.py, bench/kernel_samples.py (best-of-4 decoded as one batch against
   4 sequential decodes: target >= 2.5x the tokens per second), bench/kernel_prefix.py and
   bench/kernel_memory.py.

Run: .venv/bin/python bench/kernel.py [--tokens 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this file's directory comes first on sys.path and the file itself would
# shadow the `kernel` package it benchmarks.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path
                                    if Path(p or ".").resolve() not in (_HERE, _HERE.parent))]
import kernel  # noqa: E402, F401, I001  (its OpenMP default must precede torch: kernel/__init__.py)

import torch  # noqa: E402

from bench.timing import interleaved, weight_bytes  # noqa: E402
from kernel.canary import CanaryConfig  # noqa: E402
from kernel.decode import GenerationConfig, generate  # noqa: E402
from kernel.fast_plain import FastLlama, FastPlain  # noqa: E402
from kernel.native import Cpu  # noqa: E402
from kernel.plain import default_cache_root, dequantized_dir, embedded_model_path, load_plain  # noqa: E402
from kernel.steppers import Plain  # noqa: E402
from kernel.tokenizer import ChatTokenizer  # noqa: E402

PREFILL_TOKENS = 4000  # the long-prompt comparison with llama.cpp


def llama_cpp(gguf: Path) -> Any:
    """llama.cpp on the same GGUF with 2 threads (a Llama), or the reason there is none."""
    try:
        from llama_cpp import Llama
    except ImportError:
        return "llama-cpp-python is not installed (optional: `make bench-setup`, ~10 min)"
    try:
        return Llama(model_path=str(gguf), n_threads=2, n_threads_batch=2,
                     n_ctx=PREFILL_TOKENS + 256, verbose=False)
    except Exception as exc:  # a build without this CPU's features, a bad file, ...
        return f"llama.cpp could not load {gguf.name}: {exc}"


def llama_cpp_decode(llm: Any, tokens: int) -> Callable[[list[int]], None]:
    """Decoding `tokens` greedy tokens after a prompt (prefilled each time, as ours is)."""
    def run(prompt: list[int]) -> None:
        for i, _ in enumerate(llm.generate(prompt, top_k=1, temp=0.0, reset=True)):
            if i + 1 >= tokens:
                break

    return run


def fixed_threads(lean: FastLlama, n: int, fn: Callable[[], object]) -> None:
    lean.decode_threads = n
    try:
        fn()
    finally:
        lean.decode_threads = None


def decode_threads(lean: FastLlama) -> str:
    if lean.native is None:
        return "1 thread"
    if lean.decode_threads:
        return f"{lean.decode_threads} thread(s), fixed"
    return f"1 or {lean.threads.most} threads by timing, {lean.threads.current} at the end"


def cpu_line(lean: FastLlama) -> str:
    cpu = Cpu.read()
    return (f"CPU: {cpu.model}, {os.cpu_count()} cores, {cpu.isa()}; lean decode steps: "
            f"{lean.kernels}; prefill chunks: {str(lean.chunk_dtype).removeprefix('torch.')} "
            "GEMM")


def bench_prefill(lean: FastLlama, tok: ChatTokenizer, llm: Any, repeats: int) -> None:
    """A cold prefill of ~PREFILL_TOKENS prompt tokens, ours (the engine's chunk grid for this
    model and CPU, so the cancel checks stay) vs llama.cpp's eval (its default batch), taking
    turns after a short warm-up each."""
    text = Path(__file__).with_name("kernel.py").read_text()
    ids = tok.encode(text)
    while len(ids) < PREFILL_TOKENS:
        ids += ids
    ids = ids[:PREFILL_TOKENS]
    stepper = FastPlain(lean, lean.prefill_chunk)

    def ours() -> None:
        stepper.release()
        stepper.prefill(ids)

    def theirs() -> None:
        llm.reset()
        llm.eval(ids)

    FastPlain(lean).prefill(ids[:256])  # warm-ups: a whole extra round would cost minutes
    llm.reset()
    llm.eval(ids[:256])
    times: dict[str, list[float]] = {"ours": [], "llama.cpp": []}
    for _ in range(repeats):
        for name, fn in (("ours", ours), ("llama.cpp", theirs)):
            began = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - began)
    t = {name: statistics.median(values) for name, values in times.items()}
    longest = max(stepper.chunk_seconds)
    print(f"  prefill of {len(ids)} tokens: lean {len(ids) / t['ours']:6.1f} tokens/s, llama.cpp "
          f"{len(ids) / t['llama.cpp']:6.1f} tokens/s: lean = {t['llama.cpp'] / t['ours']:.2f}x "
          f"llama.cpp (target >= 1.00); {stepper.chunks} chunks, the longest "
          f"{longest:.2f} s (a cancel waits at most one)", flush=True)


def bench_plain(tokens: int, repeats: int) -> None:
    gguf = embedded_model_path()
    model_dir = dequantized_dir(gguf, default_cache_root())
    model, _ = load_plain(model_dir)
    lean = FastLlama.from_dir(model_dir)
    tok = ChatTokenizer.from_file(model_dir / "tokenizer.json")
    prompt = tok.chat([{"role": "user", "content": "Write a short poem about git."}])
    plain = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0, no_repeat_ngram=0,
                             stop_ids=(), canary=CanaryConfig(mode="off"))
    # Observes every token but never stops early, so both loops produce the same count.
    watched = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0,
                               no_repeat_ngram=0, stop_ids=(),
                               canary=CanaryConfig(mode="observe", patience=10**9))
    for stepper in (Plain(model), FastPlain(lean)):
        produced = len(generate(stepper, tok, prompt, plain).token_ids)
        assert produced == tokens, f"expected {tokens} tokens, got {produced}"
    ids = torch.tensor([prompt])

    def hf() -> None:
        with torch.inference_mode():
            model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False,
                           pad_token_id=0)

    def hf_one_thread() -> None:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            hf()
        finally:
            torch.set_num_threads(threads)

    runs: dict[str, Callable[[], object]] = {
        "hf": hf,
        "hf1": hf_one_thread,
        "ours32": lambda: generate(Plain(model), tok, prompt, plain),
        "lean": lambda: generate(FastPlain(lean), tok, prompt, plain),
        "lean+canary": lambda: generate(FastPlain(lean), tok, prompt, watched),
    }
    if lean.native is not None:  # what the timing choice picks between
        for n in (1, 2):
            runs[f"lean{n}"] = lambda n=n: fixed_threads(lean, n, lambda: generate(
                FastPlain(lean), tok, prompt, plain))
    llm = llama_cpp(gguf)
    if not isinstance(llm, str):
        cpp = llama_cpp_decode(llm, tokens)
        runs["llama.cpp"] = lambda: cpp(prompt)
    print(cpu_line(lean), flush=True)
    t = interleaved(repeats, runs)
    rate = {name: tokens / seconds for name, seconds in t.items()}
    print(f"SmolLM2-135M, {tokens} greedy tokens after a {len(prompt)}-token prompt, torch "
          f"threads {torch.get_num_threads()} (lean decode steps: {decode_threads(lean)}), "
          f"median of {repeats} interleaved runs, load average before {os.getloadavg()[0]:.1f}:")
    print(f"  transformers generate() float32: {rate['hf']:7.1f} tokens/s")
    print(f"  generate() with 1 torch thread:  {rate['hf1']:7.1f} tokens/s  "
          f"{t['hf'] / t['hf1']:.2f}x generate()")
    print(f"  decode loop, float32 reference:  {rate['ours32']:7.1f} tokens/s  "
          f"{t['hf'] / t['ours32']:.2f}x generate()")
    print(f"  decode loop, lean int8:          {rate['lean']:7.1f} tokens/s  "
          f"{t['hf'] / t['lean']:.2f}x generate()  (target >= 1.50)")
    print(f"  lean int8 + canary:              {rate['lean+canary']:7.1f} tokens/s  "
          f"{t['hf'] / t['lean+canary']:.2f}x generate()")
    if lean.native is not None:
        print(f"  lean native, fixed 1 / 2 threads: {rate['lean1']:6.1f} / {rate['lean2']:.1f} "
              "tokens/s")
    if isinstance(llm, str):
        print(f"  llama.cpp: not measured: {llm}")
    else:
        print(f"  llama.cpp Q4_1, 2 threads:       {rate['llama.cpp']:7.1f} tokens/s  "
              f"lean int8 = {t['llama.cpp'] / t['lean']:.2f}x llama.cpp  (target >= 1.00)")
        bench_prefill(lean, tok, llm, 1)
    print(f"  weights: lean int8 {lean.nbytes() / 2**20:.0f} MiB, float32 "
          f"{weight_bytes(model) / 2**20:.0f} MiB", flush=True)
    agreement(model, lean, tok, tokens)


AGREEMENT_PROMPTS = (
    "Write a short poem about git.", "What is a Python decorator? Answer briefly.",
    "List three uses of the Linux command grep.", "Explain what a unit test is.",
    "Fix the bug: def add(a, b): return a - b",
    "Summarize: The quick brown fox jumps over the lazy dog.",
    "Write a JSON object with keys name and age.", "How do I reverse a list in Python?",
    # 24 more: over 8 prompts the share moved by 2 points between builds a rounding apart.
    "Explain the difference between a list and a tuple.", "Write a haiku about testing.",
    "What does git rebase do?", "Give an example of a SQL join.",
    "How do I read a file in Python?", "What is a race condition?",
    "Describe the HTTP GET method.", "Write a function that returns the maximum of a list.",
    "What is recursion? Give an example.", "Explain big O notation briefly.",
    "What is a Docker container?", "How do I create a virtual environment?",
    "What is the purpose of a README file?", "Name three sorting algorithms.",
    "What is a hash table?", "Explain what a mutex is.", "How does garbage collection work?",
    "Write a shell loop that prints 1 to 5.", "What is the difference between TCP and UDP?",
    "What is a pull request?", "Explain what JSON is.",
    "Rename the variable x to count in: x = 0", "What is a segmentation fault?",
    "Why write documentation?",
)


def agreement(model: object, lean: FastLlama, tok: ChatTokenizer, tokens: int) -> None:
    """The quality guard. Per prompt, the lean int8 path's greedy reply; one batched float32
    pass (transformers) over prompt + reply gives float32's greedy choice at every position
    given the same prefix. Their first difference is where a free-running float32 decode
    would have parted from int8's (before it, both saw identical prefixes)."""
    cfg = GenerationConfig(max_new_tokens=tokens, repetition_penalty=1.0, no_repeat_ngram=0,
                           stop_ids=(), canary=CanaryConfig(mode="off"))
    same = total = 0
    parted: list[int] = []
    for text in AGREEMENT_PROMPTS:
        prompt = tok.chat([{"role": "user", "content": text}])
        reply = generate(FastPlain(lean), tok, prompt, cfg).token_ids
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([prompt + reply])).logits[0]
        choices = logits[len(prompt) - 1 : -1].argmax(-1).tolist()
        agree = [a == b for a, b in zip(choices, reply, strict=True)]
        same, total = same + sum(agree), total + len(agree)
        parted.append(agree.index(False) if False in agree else len(agree))
    print(f"  agreement with float32 over {len(AGREEMENT_PROMPTS)} prompts x {tokens} tokens: "
          f"{same / total:.1%} of int8's greedy tokens are float32's choice given the same "
          f"prefix (target >= 95%); a free-running float32 decode would part from it at "
          f"token {statistics.median(parted):.0f} (median), never in {parted.count(tokens)} "
          f"of {len(parted)}", flush=True)


def plain_section(args: argparse.Namespace) -> None:
    if not args.skip_plain:
        bench_plain(args.tokens, args.repeats)


def _by_path(file: str, name: str) -> Callable[[argparse.Namespace], None]:
    """A section of another bench module, loaded by path when it runs (each of those
    modules also runs on its own)."""
    def section(args: argparse.Namespace) -> None:
        __import__("runpy").run_path(str(Path(__file__).with_name(file)))[name](args)

    section.__name__ = name if name != "section" else file.removesuffix(".py") + "_section"
    return section


def memory_section(args: argparse.Namespace) -> None:
    """bench/kernel_memory.py in a process of its own: RSS is a whole-process number, and the
    sections before it leave models (transformers, llama.cpp, Ouro) in this one."""
    import subprocess

    subprocess.run([sys.executable, str(Path(__file__).with_name("kernel_memory.py"))],
                   check=False)


# Each entry is a callable taking the parsed arguments and printing its own lines (each target
# beside its measured ratio). Other benches hook in here with one line each, e.g.
# `bench.kernel_prefix.section`; their modules must also run on their own.
SECTIONS: list[Callable[[argparse.Namespace], None]] = [
    plain_section,
    _by_path("kernel_ouro.py", "ouro_section"),
    _by_path("kernel_ouro.py", "four_bit_section"),
    _by_path("kernel_grammar.py", "section"),
    _by_path("kernel_samples.py", "section"),
    _by_path("kernel_prefix.py", "section"),
    memory_section,
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
