"""A retry after a repeated answer (governance.phases.repeats) really samples otherwise: the
kernel and the HTTP brains (through a real `ouroboros serve` of a tiny random Ouro
checkpoint) take the Steering's temperature floor and seed; an unsteered turn is decoded
exactly as configured."""

from __future__ import annotations

import time

import pytest

from governance.brains.provider import Steering
from kernel import defaults
from kernel.decode import GenerationConfig
from kernel.http.apis import http_provider
from kernel.provider import KernelProvider, steered
from tests.daemon.serve.serve_helpers import running, tiny_chat_checkpoint, tiny_engine
from tests.helpers import http_config

PROMPT = "Name one prime number."
VARY = Steering(temperature_floor=0.4, seed=1234)


@pytest.fixture(scope="module")
def engine():
    return tiny_engine(tiny_chat_checkpoint(), max_new_tokens=16)


def test_the_floor_and_seed_reach_the_decode_settings_and_nothing_else_changes():
    greedy = GenerationConfig()
    assert steered(greedy, None) is greedy
    assert steered(greedy, Steering()) == greedy  # greedy stays greedy
    varied = steered(greedy, VARY)
    assert (varied.temperature, varied.top_p, varied.seed) == (0.4, defaults.SAMPLE_TOP_P, 1234)
    hot = GenerationConfig(temperature=0.9, top_p=0.8, seed=5)
    assert steered(hot, VARY) == GenerationConfig(temperature=0.9, top_p=0.8, seed=1234)
    cooled = VARY.then(Steering(temperature_scale=0.5))  # a re-ground cools, the floor holds
    assert steered(hot, cooled).temperature == pytest.approx(0.45)


async def test_the_kernel_samples_a_retry_with_its_seed(engine):
    provider = KernelProvider(engine, constrain=False)
    first = await provider.generate(PROMPT, deadline=time.monotonic() + 60)
    again = await provider.generate(PROMPT, deadline=time.monotonic() + 60)
    assert again.text == first.text and "sampling" not in first.telemetry  # greedy, as today
    varied = await provider.generate(PROMPT, deadline=time.monotonic() + 60, steer=VARY)
    assert varied.telemetry["sampling"] == {"temperature": 0.4,
                                            "top_p": defaults.SAMPLE_TOP_P, "seed": 1234}
    assert varied.text != first.text
    replayed = await provider.generate(PROMPT, deadline=time.monotonic() + 60, steer=VARY)
    assert replayed.text == varied.text  # the seed makes the retry replayable
    other = await provider.generate(PROMPT, deadline=time.monotonic() + 60,
                                    steer=Steering(temperature_floor=0.4, seed=99))
    assert other.text != varied.text


@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_an_http_brain_sends_the_floor_and_the_seed(engine, kind):
    with running(engine) as (url, _):
        base = f"{url}/v1" if kind == "openai" else url
        provider = http_provider(http_config(kind=kind, base_url=base, model="ouroboros",
                                             max_tokens=16, temperature=0.0))
        try:
            plain = await provider.generate(PROMPT, deadline=time.monotonic() + 60)
            varied = await provider.generate(PROMPT, deadline=time.monotonic() + 60,
                                             steer=VARY)
            replayed = await provider.generate(PROMPT, deadline=time.monotonic() + 60,
                                               steer=VARY)
        finally:
            await provider.aclose()
    assert varied.text != plain.text and replayed.text == varied.text


def test_anthropic_takes_the_floor_but_no_seed():
    provider = http_provider(http_config(kind="anthropic", base_url="http://127.0.0.1:9",
                                         model="m", temperature=0.0))
    body = provider.seeded(provider.body([{"role": "user", "content": "x"}], 8,
                                         VARY.temperature(0.0), [], False), VARY.seed)
    assert body["temperature"] == 0.4 and "seed" not in body


SAMPLE = Steering(sample=True, seed=77)


def test_a_best_of_n_sample_of_a_greedy_brain_is_sampled_with_its_seed():
    """N greedy replies are one reply N times (a local server decoded one 812-token reply
    four times, issue 50): a sample after the first samples at the provider's sampling
    temperature, with a seed of its own; a configured temperature above it stays."""
    assert SAMPLE.temperature(0.0) == 0.0  # no provider's temperature: nothing to floor by
    assert SAMPLE.temperature(0.0, defaults.SAMPLE_TEMPERATURE) == defaults.SAMPLE_TEMPERATURE
    assert SAMPLE.temperature(1.2, defaults.SAMPLE_TEMPERATURE) == 1.2
    assert Steering().temperature(0.0, defaults.SAMPLE_TEMPERATURE) == 0.0  # no sample
    sampled = steered(GenerationConfig(), SAMPLE)
    assert (sampled.temperature, sampled.top_p, sampled.seed) == (
        defaults.SAMPLE_TEMPERATURE, defaults.SAMPLE_TOP_P, 77)
    # a sample's own seed, made with the attempt's: each sample, and each re-ground of one,
    # decodes apart (three re-grounds of a sample decoded one reply three times, issue 50)
    both = VARY.then(SAMPLE)
    assert both.sample and both.seed not in (None, VARY.seed, SAMPLE.seed)
    assert both.seed == VARY.then(SAMPLE).seed != VARY.then(Steering(sample=True, seed=78)).seed
    assert Steering(seed=5).then(Steering()).seed == 5 == Steering().then(Steering(seed=5)).seed


async def test_an_http_brain_samples_a_best_of_n_sample(engine):
    with running(engine) as (url, _):
        provider = http_provider(http_config(kind="openai", base_url=f"{url}/v1",
                                             model="ouroboros", max_tokens=16, temperature=0.0))
        try:
            plain = await provider.generate(PROMPT, deadline=time.monotonic() + 60)
            sample = await provider.generate(PROMPT, deadline=time.monotonic() + 60, steer=SAMPLE)
            again = await provider.generate(PROMPT, deadline=time.monotonic() + 60, steer=SAMPLE)
        finally:
            await provider.aclose()
    assert sample.text != plain.text and again.text == sample.text
