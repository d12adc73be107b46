"""Prefix reuse and prefill cancellation on the embedded SmolLM2, through the real Engine.

A scripted five-round tool conversation in the tool loop's own format (one user message
that grows by the model's tool call and the tool's result each round, ~7.5k tokens by
round 5, within the model's 8,192). Measured in the same run, medians over --repeats:

- time to first token of round 5 with the cache kept from rounds 1-4 vs from a cold
  cache (target >= 5x), and the greedy tokens of round 5 must be the same either way;
- how long a cancel takes to stop a cold prefill of the round-5 prompt, and the slowest
  chunk of that prefill (a cancel anywhere waits at most one chunk; target <= 1 s);
- a daemon (`ouroboros run`, embedded model, 2 s shutdown grace) sent SIGTERM while it
  prefills a long GENERATE prompt: seconds to exit, beside the grace.

Run: .venv/bin/python bench/kernel_prefix.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Run as a script, bench/ comes first on sys.path and bench/kernel.py would shadow the
# `kernel` package; the repository root must be there for `tests.helpers` (also when
# bench/kernel.py loads this file by path).
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path
                                    if Path(p or ".").resolve() not in (_HERE, _HERE.parent))]

from kernel.canary import CanaryConfig  # noqa: E402
from kernel.decode import GenerationConfig  # noqa: E402
from kernel.engine import Engine, EngineConfig  # noqa: E402
from tools.transcript import tool_instructions  # noqa: E402

GREEDY = GenerationConfig(max_new_tokens=16, stop_ids=(), canary=CanaryConfig(mode="off"))
SYSTEM = {"role": "system", "content": "You are the code-writing model of a governed "
          "maintenance daemon. Follow the output contract in the user's message exactly."}
TARGETS = ["kernel/decode.py", "kernel/steppers.py", "kernel/canary.py"]  # in the task
READS = ["kernel/engine.py", "kernel/sampling.py", "kernel/exit_policy.py",
         "kernel/reprompt.py"]  # what rounds 1-4 read: real source cut to a fixed size
TARGET_CHARS, RESULT_CHARS = 5800, 2000
CONTEXT = 8192  # SmolLM2's context: round 5 and its reply must fit


def conversation(root: Path) -> list[list[dict[str, str]]]:
    """The five prompts, in tools/loop.py's composition ('\\n\\n'-joined parts)."""
    files = "\n\n".join(f"## {path}\n{(root / path).read_text()[:TARGET_CHARS]}"
                          for path in TARGETS)
    task = ("Fix the bug described below in kernel/decode.py and answer with the "
            f"candidate JSON.\n\n{files}")
    parts = [task, tool_instructions()]
    prompts = []
    for rnd in range(5):
        prompts.append([SYSTEM, {"role": "user", "content": "\n\n".join(parts)}])
        path = READS[rnd % len(READS)]
        call = json.dumps({"tool": "read_file", "arguments": {"path": path}})
        parts += [f"## You wrote\n{call}",
                  f"## Tool result (read_file)\n{(root / path).read_text()[:RESULT_CHARS]}"]
    return prompts


def first_token(engine: Engine, messages: list[dict[str, str]]) -> tuple[float, list[int]]:
    """(seconds to the first chosen token, the round's greedy tokens)."""
    start = time.perf_counter()
    seen: list[float] = []
    gen = engine.chat(messages, GREEDY, on_token=lambda _: seen or seen.append(
        time.perf_counter()))
    return seen[0] - start, gen.token_ids


def cancel_latency(engine: Engine, messages: list[dict[str, str]]) -> tuple[float, int, int]:
    """Cancel a cold prefill once its first chunk is done: (seconds from the cancel to the
    worker's return, chunks run, chunks the prompt needs)."""
    engine.forget()
    cancel = threading.Event()
    worker = threading.Thread(target=engine.chat, args=(messages, GREEDY, cancel))
    worker.start()
    while engine._kept is None or engine._kept.chunks < 1:
        time.sleep(0.005)
    start = time.perf_counter()
    cancel.set()
    worker.join()
    total = len(engine._kept.chunk_sizes(0, len(engine.tokenizer.chat(messages))))
    return time.perf_counter() - start, engine._kept.chunks, total


def sigterm_exit(root: Path) -> float:
    """Seconds from SIGTERM to exit for a daemon caught in a long prefill (2 s grace)."""
    from tests.helpers import git, make_repo

    repo = make_repo(root)
    big = "\n\n".join(f"def helper_{i}(value):\n    # check the bound of step {i}\n"
                       f"    return value * {i} + {i % 7}" for i in range(260))
    (repo / "calc" / "big.py").write_text(f'"""Helpers."""\n\n{big}\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "big helpers")
    cfg = root / "ouroboros.toml"
    cfg.write_text('[provider]\nname = "kernel"\nmax_new_tokens = 64\n\n'
                   "[daemon]\nshutdown_grace_s = 2.0\n\n[intake]\ntodo_scanner = false\n"
                   "opportunity_miner = false\ndoc_staleness = false\ntest_failure = false\n")
    log = (root / "daemon.log").open("w+")
    cli = [sys.executable, "-m", "daemon.cli"]
    proc = subprocess.Popen([*cli, "run", "--repo", str(repo), "--config", str(cfg)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        sock = repo / ".ouroboros" / "control.sock"
        _until(lambda: sock.exists(), 300, "the daemon's control socket")
        subprocess.run([*cli, "signal", "--repo", str(repo), "--config", str(cfg), "--goal",
                        "bound every helper", "--file", "calc/big.py"], check=True,
                       capture_output=True)
        _until(lambda: "generating candidate" in (root / "daemon.log").read_text(), 300,
               "the GENERATE model call")
        time.sleep(3)  # well inside the prefill of ~7k tokens
        start = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
        return time.perf_counter() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def _until(ready, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        time.sleep(0.1)


def section(args: argparse.Namespace) -> None:
    engine = Engine.load(EngineConfig(generation=GREEDY))
    prompts = conversation(_HERE.parent)
    sizes = [len(engine.tokenizer.chat(p)) for p in prompts]
    if sizes[-1] + GREEDY.max_new_tokens > CONTEXT:
        raise SystemExit(f"round 5 ({sizes[-1]} tokens) no longer fits the model's context")
    warm_t, cold_t, stops, slowest = [], [], [], []
    reused = 0
    for _ in range(max(1, args.repeats)):
        engine.forget()
        for messages in prompts[:4]:
            engine.chat(messages, GREEDY)
        t_warm, warm_tokens = first_token(engine, prompts[4])
        reused = engine._kept.reused
        engine.forget()
        t_cold, cold_tokens = first_token(engine, prompts[4])
        slowest.append(max(engine._kept.chunk_seconds))
        if warm_tokens != cold_tokens:
            raise SystemExit(f"prefix reuse changed the tokens: {warm_tokens} vs {cold_tokens}")
        warm_t.append(t_warm)
        cold_t.append(t_cold)
        stops.append(cancel_latency(engine, prompts[4]))
    warm, cold = statistics.median(warm_t), statistics.median(cold_t)
    latency = statistics.median(s[0] for s in stops)
    print(f"prefix reuse, {engine.name} ({type(engine._kept).__name__}), 5-round tool "
          f"conversation, prompts {sizes} tokens, median of {len(warm_t)}:")
    print(f"  round 5 first token, cold cache:  {cold:7.2f} s  ({sizes[4]} tokens prefilled)")
    print(f"  round 5 first token, reused:      {warm:7.2f} s  ({sizes[4] - reused} tokens "
          f"prefilled, {reused} reused)  ratio {cold / warm:.1f}x  (target >= 5x); "
          "same 16 greedy tokens: yes")
    print(f"  cancel during a cold prefill:     {latency:7.2f} s to stop (chunk of "
          f"{engine.prefill_chunk} tokens; stopped after {stops[-1][1]} of "
          f"{stops[-1][2]} chunks; target <= 1 s)")
    print(f"  slowest chunk of a cold prefill:  {statistics.median(slowest):7.2f} s  (a cancel "
          "anywhere in the prompt waits at most this; target <= 1 s)")
    root = Path(tempfile.mkdtemp(prefix="ob-term-", dir="/tmp"))
    try:
        exit_s = sigterm_exit(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"  daemon SIGTERM during a prefill:  {exit_s:7.2f} s to exit with a 2 s grace "
          f"({exit_s - 2:.2f} s beyond it; target <= 1 s)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    section(p.parse_args())


if __name__ == "__main__":
    main()
