"""Cancellation reaches into the prefill: a long prompt is consumed in chunks and the cancel
event is checked before each, so a cancel (a missed deadline, a cancelled op, the daemon's
SIGTERM drain) stops the worker thread after at most one more chunk. The tests assert on
chunk counts, never on wall time; the stop latency is printed (see -s) for the report."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import torch

from governance.errors import ProviderError
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate
from kernel.engine import Engine, EngineConfig
from kernel.errors import Cancelled
from kernel.provider import KernelProvider
from kernel.steppers import OuroFast
from tests.kernel.tiny import tiny_model

GREEDY = GenerationConfig(max_new_tokens=8, stop_ids=(), canary=CanaryConfig(mode="off"))
LONG = list(range(3, 2003))  # 2,000 tokens: 125 chunks of 16


def _cancel_at(stepper, chunk: int, cancel: threading.Event) -> None:
    """Set `cancel` from inside the `chunk`-th forward pass (deterministic, no timing)."""
    real = stepper._forward

    def forward(ids):
        if stepper.chunks + 1 == chunk:
            cancel.set()
        return real(ids)

    stepper._forward = forward


def test_a_cancel_stops_the_prefill_at_the_next_chunk_and_keeps_what_was_done():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = tiny_model()
        stepper, cancel = OuroFast(model, chunk=16), threading.Event()
        _cancel_at(stepper, 3, cancel)
        gen = generate(stepper, None, LONG, GREEDY, cancel=cancel)
        assert gen.exit_reason == "cancelled" and gen.token_ids == []
        assert stepper.chunks == 3 and stepper.tokens == LONG[:48]
        assert stepper.cache.length(0) == 48
        # What was done is a valid prefix: the next attempt reuses it and matches cold.
        again = generate(stepper, None, LONG[:100], GREEDY)
        assert stepper.reused == 48
        assert again.token_ids == generate(OuroFast(model, chunk=16), None, LONG[:100],
                                           GREEDY).token_ids
    finally:
        torch.set_num_threads(threads)


def test_a_cancel_set_before_the_call_runs_no_forward_pass_at_all():
    stepper = OuroFast(tiny_model(), chunk=16)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled, match="after 0 of 2000"):
        stepper.prefill(LONG, cancel)
    assert stepper.chunks == 0 and stepper.tokens == []


@pytest.fixture(scope="module")
def embedded(embedded_engine) -> Engine:
    return embedded_engine(EngineConfig(generation=GREEDY))


def long_messages(engine: Engine) -> tuple[list[dict[str, str]], int]:
    """A ~6,000-token prompt of the real model and its chunk count."""
    body = "\n".join(f"def helper_{i}(value):\n    return value * {i} + {i % 7}  # step {i}"
                     for i in range(220))
    messages = [{"role": "user", "content": f"Review this file.\n\n{body}"}]
    n = len(engine.tokenizer.chat(messages))
    assert 5000 < n < 8000
    return messages, len(engine.stepper().chunk_sizes(0, n))


@pytest.mark.slow
def test_cancelling_a_provider_call_stops_a_long_real_prefill(embedded):
    """The daemon's SIGTERM drain cancels the op's task; the provider sets the event."""
    messages, total = long_messages(embedded)
    provider = KernelProvider(embedded)

    async def scenario() -> float:
        task = asyncio.create_task(provider.complete(messages, deadline=time.monotonic() + 600))
        # The progress counter lives on the worker thread: nothing to await but a poll.
        while embedded._kept is None or embedded._kept.chunks < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        start = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(embedded._lock.acquire)  # the worker thread has let go
        embedded._lock.release()
        return time.monotonic() - start

    embedded.forget()
    latency = asyncio.run(scenario())
    stopped_at = embedded._kept.chunks
    print(f"\nprefill stop latency after cancel: {latency:.2f} s "
          f"(chunk {stopped_at} of {total})")
    assert stopped_at <= total // 4, f"ran {stopped_at} of {total} chunks after the cancel"


@pytest.mark.slow
def test_a_missed_deadline_stops_a_long_real_prefill(embedded):
    messages, total = long_messages(embedded)
    provider = KernelProvider(embedded)
    embedded.forget()
    with pytest.raises(ProviderError, match="missed its deadline after 0 tokens"):
        asyncio.run(provider.complete(messages, deadline=time.monotonic() + 0.5))
    assert embedded._kept.chunks <= total // 4
