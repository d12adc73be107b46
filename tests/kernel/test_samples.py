"""Best-of-N samples (kernel/samples.py): N replies to one prompt decoded together, each
token for token the single decode with its seed, on every path (the native batched step,
its portable scalar build, the torch fallback, Ouro one after another) and on the embedded
model, with a grammar per sample; the native batch step's logits against single steps', bit
for bit; the Engine and KernelProvider calls."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace

import pytest
import torch

from governance.brains.provider import batches
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate
from kernel.engine import EngineConfig
from kernel.exit_policy import QExit
from kernel.fast_plain import FastLlama, FastPlain
from kernel.kv_cache import LeanTails
from kernel.samples import LeanBatch, fork, generate_samples, sample_seeds
from kernel.steppers import OuroDeep, OuroFast
from tests.kernel.test_native import PROMPT, native_model, tiny_llama
from tests.kernel.tiny import tiny_model

SEEDS = [0, 1, 2, 3, 4]  # odd: the native products take rows two at a time, and one alone
# Sampling that spreads over a tiny model's 256 tokens, a stop token some samples meet
# early (so the batch shrinks as it goes), the canary watching every token.
CFG = GenerationConfig(max_new_tokens=40, temperature=1.0, top_p=0.9, stop_ids=(3, 7),
                       canary=CanaryConfig(mode="observe"))


@pytest.fixture(scope="module")
def hf():
    return tiny_llama()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Native builds land in a cache this module owns (built once a session)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg"))


def singles(make_stepper, tokenizer, prompt, cfg, seeds, constraints=None):
    return [generate(make_stepper(), tokenizer, prompt, replace(cfg, seed=seed),
                     constraint=constraints() if constraints else None) for seed in seeds]


def assert_same(samples, alone):
    """Each sample is its seed's single decode: tokens, log-probabilities, canary readings,
    exit reason."""
    assert len(samples) == len(alone)
    for got, want in zip(samples, alone, strict=True):
        assert got.token_ids == want.token_ids
        assert got.logprobs == want.logprobs
        assert got.exit_reason == want.exit_reason and got.seed == want.seed
        assert [t.proximity for t in got.canary.trace] == \
            [t.proximity for t in want.canary.trace]


def test_native_samples_are_the_single_decodes_with_their_seeds(hf):
    lean = native_model(hf)
    stepper = FastPlain(lean, chunk=4)
    assert isinstance(fork(stepper, 2), LeanBatch)
    samples = generate_samples(stepper, None, PROMPT, CFG, SEEDS)
    alone = singles(lambda: FastPlain(lean, chunk=4), None, PROMPT, CFG, SEEDS)
    assert_same(samples, alone)
    reasons = {s.exit_reason for s in samples}
    assert reasons == {"stop", "length"}, reasons  # the batch shrank, and some ran to the end
    assert len({tuple(s.token_ids) for s in samples}) == len(SEEDS)
    assert stepper.tokens == PROMPT  # the prompt stays cached for the next chat


@pytest.mark.parametrize("threads", [1, 2])
def test_a_batch_step_gives_each_row_the_bits_of_its_own_step(hf, threads):
    """Teacher-forced: three sequences' tokens through one batch (one of them leaving it
    half way) against each through single steps; past 256 positions the tails grow."""
    lean = native_model(hf)
    lean.decode_threads = threads
    torch.manual_seed(5)
    tokens = torch.randint(0, 256, (3, 300)).tolist()
    parent = FastPlain(lean, chunk=4)
    first = parent.prefill(PROMPT)
    tails = LeanTails(3, parent.cache)
    batch = [[first] for _ in range(3)]
    for step in range(300):
        rows = [0, 1, 2] if step < 150 else [0, 2]
        out = lean.batch_step([tokens[r][step] for r in rows], rows, parent.cache, tails,
                              threads)
        for k, r in enumerate(rows):
            batch[r].append(out[k])
    assert tails.k.shape[3] >= 300 > 256
    for r in range(3):
        single = FastPlain(lean, chunk=4)
        want = [single.prefill(PROMPT)]
        want += [single.advance(t, 0.0)[0] for t in tokens[r][: len(batch[r]) - 1]]
        assert all(torch.equal(a, b) for a, b in zip(batch[r], want, strict=True)), r


def test_the_native_batch_refuses_rows_it_would_write_out_of_bounds(hf):
    lean = native_model(hf)
    parent = FastPlain(lean, chunk=4)
    parent.prefill(PROMPT)
    tails = LeanTails(2, parent.cache)
    for rows in ([0, 0], [0, 2], [-1, 1]):
        with pytest.raises(IndexError):
            lean.batch_step([5, 6], rows, parent.cache, tails, 1)


@pytest.mark.slow  # builds the portable C
def test_the_portable_build_batches_with_the_same_bits_as_its_single_steps(hf, monkeypatch):
    monkeypatch.setenv("OUROBOROS_NATIVE", "scalar")
    lean = FastLlama.from_hf(hf)
    assert lean.native is not None and lean.native.level == 0, lean.kernels
    samples = generate_samples(FastPlain(lean, chunk=4), None, PROMPT, CFG, SEEDS[:3])
    assert_same(samples, singles(lambda: FastPlain(lean, chunk=4), None, PROMPT, CFG,
                                 SEEDS[:3]))


def test_without_the_native_library_samples_run_one_after_another(hf, monkeypatch):
    monkeypatch.setenv("OUROBOROS_NATIVE", "0")
    lean = FastLlama.from_hf(hf)
    stepper = FastPlain(lean, chunk=4)
    assert fork(stepper, 2) is None
    samples = generate_samples(stepper, None, PROMPT, CFG, SEEDS[:3])
    assert_same(samples, singles(lambda: FastPlain(lean, chunk=4), None, PROMPT, CFG,
                                 SEEDS[:3]))
    assert samples[0].prefill_tokens == len(PROMPT)
    assert [s.prefill_tokens for s in samples[1:]] == [0, 0]


@pytest.mark.parametrize("deep", [False, True])
def test_ouro_samples_are_the_single_decodes_with_their_seeds(deep):
    model = tiny_model(1)

    def make():
        return OuroDeep(model, QExit(0.5)) if deep else OuroFast(model)

    cfg = replace(CFG, max_new_tokens=16)
    samples = generate_samples(make(), None, PROMPT, cfg, SEEDS[:3])
    assert_same(samples, singles(make, None, PROMPT, cfg, SEEDS[:3]))
    assert [s.depths for s in samples] == [a.depths for a in singles(make, None, PROMPT, cfg,
                                                                     SEEDS[:3])]


def test_a_cancel_stops_every_sample(hf):
    lean = native_model(hf)
    cancel = threading.Event()
    cancel.set()
    samples = generate_samples(FastPlain(lean, chunk=4), None, PROMPT, CFG, SEEDS[:2],
                               cancel=cancel)
    assert [s.exit_reason for s in samples] == ["cancelled", "cancelled"]
    assert all(s.token_ids == [] for s in samples)


def test_seeds_follow_the_configured_one_or_are_drawn():
    assert sample_seeds(replace(CFG, seed=40), 3) == [40, 41, 42]
    drawn = sample_seeds(replace(CFG, seed=None), 3)
    assert len(set(drawn)) == 3 and all(isinstance(s, int) for s in drawn)


@pytest.mark.slow  # the embedded model: ~20 s of decoding on two cores
def test_embedded_samples_with_a_grammar_each_are_the_single_decodes(embedded_engine,
                                                                     tokenizer, grammars):
    from governance.brains.provider import CANDIDATE_SHAPE

    engine = embedded_engine(EngineConfig(reuse_prefix=False))
    prompt = tokenizer.chat([{"role": "user", "content": "Reply with a JSON candidate that "
                              "adds a docstring to calc.py."}])
    cfg = replace(engine.config.generation, max_new_tokens=24, temperature=0.8, top_p=0.95)
    grammar = grammars.compile(CANDIDATE_SHAPE)

    def constraint():
        return grammars.constraint(grammar, cfg.max_new_tokens)

    lean = engine.model
    samples = generate_samples(FastPlain(lean, lean.prefill_chunk), tokenizer, prompt, cfg,
                               SEEDS[:4], constraints=constraint)
    alone = singles(lambda: FastPlain(lean, lean.prefill_chunk), tokenizer, prompt, cfg,
                    SEEDS[:4], constraint)
    assert_same(samples, alone)
    assert all(s.text.startswith("{") for s in samples)
    assert len({s.text for s in samples}) > 1


@pytest.mark.slow  # the embedded model
def test_the_engine_and_the_provider_give_n_replies(embedded_engine):
    from kernel.provider import KernelProvider

    # the provider decodes by the engine's settings: 12 tokens a reply, not 1,024 (a sampled
    # reply to "Name a fruit." can run on: this test took 33 s of a 2-core CI)
    default = EngineConfig()
    engine = embedded_engine(replace(default, generation=replace(default.generation,
                                                                 max_new_tokens=12)))
    cfg = replace(engine.config.generation, temperature=0.8, seed=11)
    messages = [{"role": "user", "content": "Name a fruit."}]
    gens = engine.chat_samples(messages, 3, cfg)
    assert [g.seed for g in gens] == [11, 12, 13]
    assert gens[0].token_ids == engine.chat(messages, cfg).token_ids  # seed 11 alone
    provider = KernelProvider(engine)
    replies = asyncio.run(provider.complete_samples(
        [{"role": "user", "content": "Name a fruit."}], 3, deadline=time.monotonic() + 300))
    assert [r.telemetry["sample"] for r in replies] == [0, 1, 2]
    assert all(r.telemetry["samples"] == 3 and "canary_max_proximity" in r.telemetry
               and r.collapse.source == "canary" for r in replies)
    first, *rest = replies
    assert first.usage.prefill_tokens and first.usage.latency_ms > 0
    assert first.usage.decode_tokens == sum(r.usage.completion_tokens for r in replies)
    assert all(r.usage.latency_ms == 0 and r.usage.prefill_tokens is None for r in rest)
    total = sum(r.usage.cost_usd for r in replies)
    charged = first.usage.prompt_tokens + first.usage.decode_tokens
    assert total == pytest.approx(charged * provider.usd_per_mtok / 1e6)
    # governance's face of it: one prompt, the samples of one batch (random seeds here)
    assert batches(provider)
    again = asyncio.run(provider.generate_samples("Name a fruit.", 3,
                                                  deadline=time.monotonic() + 300))
    assert [(r.telemetry["sample"], r.telemetry["samples"]) for r in again] == [
        (0, 3), (1, 3), (2, 3)]
    assert len({r.telemetry["seed"] for r in again}) == 3


@pytest.mark.slow  # the GPU path's forward, here on the CPU in float32
def test_the_gpu_paths_batch_decodes_the_samples_together():
    """GpuStepper.fork(n) behind generate_samples: a batch's products may round apart from
    batch 1's, so greedy samples (which cannot differ by seed) are held to the single
    decode's tokens, and stops shrink the batch as on the CPU."""
    from kernel.gpu_model import GpuModel
    from kernel.gpu_stepper import GpuStepper
    from kernel.samples import GpuBatch

    gpu = GpuModel.from_ouro(tiny_model(seed=1), "cpu", torch.float32)

    def make():
        return GpuStepper(gpu, chunk=5, graphs=False)

    stepper = make()
    stepper.prefill(PROMPT)
    assert isinstance(fork(stepper, 2), GpuBatch)
    greedy = replace(CFG, temperature=0.0, max_new_tokens=12)
    samples = generate_samples(make(), None, PROMPT, greedy, SEEDS[:3])
    alone = generate(make(), None, PROMPT, greedy)
    assert all(s.token_ids == alone.token_ids for s in samples)
    sampled = generate_samples(make(), None, PROMPT, replace(CFG, max_new_tokens=12), SEEDS)
    assert all(len(s.token_ids) <= 12 for s in sampled)
    assert len({tuple(s.token_ids) for s in sampled}) > 1
    assert all(s.depths == [gpu.steps] * len(s.depths) for s in sampled)
