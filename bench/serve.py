"""`ouroboros serve` request overhead: what HTTP, validation, the queue and each API's
shaping add to one generation, measured in one process run.

    .venv/bin/python bench/serve.py [--n N] [--model DIR]

A tiny random Ouro checkpoint (or --model) is served on an ephemeral loopback port. For
each API, a one-token generation over HTTP (a keep-alive httpx client, non-streaming) is
timed against the same one-token Engine.chat called directly, interleaved, N times each;
the overhead is the difference of the medians. Also: GET /api/tags (HTTP and routing
alone) and time to first streamed token against a direct one-token generation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from kernel.decode import GenerationConfig
from tests.daemon.serve.serve_helpers import running, tiny_chat_checkpoint, tiny_engine

MESSAGES = [{"role": "user", "content": "Name one prime number."}]
REQUESTS = {
    "ollama /api/chat": ("/api/chat", {"model": "ouroboros", "messages": MESSAGES,
                                       "stream": False, "options": {"num_predict": 1}}),
    "openai /v1/chat/completions": ("/v1/chat/completions", {
        "model": "ouroboros", "messages": MESSAGES, "max_tokens": 1}),
    "anthropic /v1/messages": ("/v1/messages", {"model": "ouroboros", "messages": MESSAGES,
                                                "max_tokens": 1}),
}


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _first_token(client: httpx.Client) -> float:
    """ms to the first streamed token; the rest is read outside the timing, so the next
    request does not queue behind this one."""
    body = {**REQUESTS["ollama /api/chat"][1], "stream": True,
            "options": {"num_predict": 4}}
    started = time.perf_counter()
    with client.stream("POST", "/api/chat", json=body) as response:
        lines = response.iter_lines()
        next(lines)
        elapsed = (time.perf_counter() - started) * 1000
        for _ in lines:
            pass
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--model", help="a model directory (default: a tiny random Ouro)")
    args = parser.parse_args()
    model_dir = Path(args.model) if args.model else tiny_chat_checkpoint()
    engine = tiny_engine(model_dir)
    one = GenerationConfig(max_new_tokens=1, canary=engine.config.generation.canary)
    with running(engine) as (url, _), httpx.Client(base_url=url, timeout=60) as client:
        direct = lambda: engine.chat(MESSAGES, one)  # noqa: E731
        samples: dict[str, list[float]] = {"direct Engine.chat": [], "GET /api/tags": [],
                                           "first streamed token": []}
        samples.update({name: [] for name in REQUESTS})
        for _ in range(args.n):
            samples["direct Engine.chat"].append(_timed(direct))
            samples["GET /api/tags"].append(_timed(lambda: client.get("/api/tags")))
            samples["first streamed token"].append(_first_token(client))
            for name, (path, body) in REQUESTS.items():
                samples[name].append(_timed(lambda p=path, b=body: client.post(p, json=b)))
    base = statistics.median(samples["direct Engine.chat"])
    print(f"{'':32} {'median ms':>10} {'over direct':>12}   (n={args.n})")
    for name, values in samples.items():
        median = statistics.median(values)
        extra = "" if name in ("direct Engine.chat", "GET /api/tags") else \
            f"{median - base:+12.1f}"
        print(f"{name:32} {median:10.1f} {extra:>12}")


if __name__ == "__main__":
    main()
