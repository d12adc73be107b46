"""Prefix reuse: a stepper that keeps its cache between prompts gives the same tokens as a
cold one, for plain (a tiny transformers Llama) and Ouro models in both modes, and a prompt
that departs from the cached one (an edit, a shorter prompt, a compaction) reuses exactly
the common prefix."""

from __future__ import annotations

import pytest
import torch

from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate
from kernel.exit_policy import QExit
from kernel.steppers import CachedStepper, OuroDeep, OuroFast, Plain, common_prefix
from tests.kernel.tiny import tiny_model

GREEDY = GenerationConfig(max_new_tokens=12, stop_ids=(), canary=CanaryConfig(mode="off"))
CHUNK = 5  # small, so every prefill here crosses chunk boundaries


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=512)
    return LlamaForCausalLM(cfg).eval().requires_grad_(False)


def _gated(bias: float):
    model = tiny_model(1)
    with torch.no_grad():  # a mix of early and full-depth exits, varying by token
        model.model.early_exit_gate.weight.normal_(0, 2.0)
        model.model.early_exit_gate.bias.fill_(bias)
    return model


MAKERS = {
    "plain": lambda: (lambda m: lambda: Plain(m, chunk=CHUNK))(tiny_llama()),
    "ouro-fast": lambda: (lambda m: lambda: OuroFast(m, chunk=CHUNK))(tiny_model()),
    "ouro-fast-int8kv": lambda: (lambda m: lambda: OuroFast(m, True, chunk=CHUNK))(tiny_model()),
    "ouro-deep": lambda: (lambda m: lambda: OuroDeep(m, QExit(0.5), chunk=CHUNK))(_gated(0.0)),
    "ouro-sliding": lambda: (lambda m: lambda: OuroFast(m, chunk=CHUNK))(tiny_model(
        layer_types=["sliding_attention", "full_attention"], sliding_window=8)),
}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models gain nothing from threads, and on a loaded 2-core box two spinning
    threads per op make each forward ~10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(params=sorted(MAKERS))
def make(request):
    return MAKERS[request.param]()


def turns(first: list[int]):
    """Prompts of a tool conversation: each extends the previous prompt and its reply."""
    prompt = list(first)
    while True:
        reply = yield prompt
        prompt = [*prompt, *reply, 2, 1, *[(7 * len(prompt) + i) % 250 + 3 for i in range(9)]]


def expected_reuse(stepper: CachedStepper, held: list[int], exact: int,
                   prompt: list[int]) -> int:
    """What a prefill may reuse: the common prefix, only as far as whole prefill chunks
    computed it, floored to the chunk grid, leaving the prompt's last token to run."""
    return stepper.grid_floor(min(common_prefix(held, prompt), exact, len(prompt) - 1))


@pytest.mark.slow
def test_a_conversation_with_reuse_gives_the_cold_tokens_and_prefills_only_new_ones(make):
    kept: CachedStepper = make()
    convo = turns([5, 17, 99, 3, 42, 7, 11, 13])
    prompt = next(convo)
    for _ in range(4):
        held, exact = list(kept.tokens), kept.exact
        warm = generate(kept, None, prompt, GREEDY)
        cold = generate(make(), None, prompt, GREEDY)
        assert warm.token_ids == cold.token_ids and len(warm.token_ids) == 12
        assert kept.reused == expected_reuse(kept, held, exact, prompt)
        # The cache holds the prompt and all but the last reply token (never fed), and
        # only whole prefill chunks of the prompt count as reusable.
        assert kept.tokens == [*prompt, *warm.token_ids[:-1]]
        assert kept.exact == kept.grid_floor(len(prompt))
        last, prompt = prompt, convo.send(warm.token_ids)
    assert kept.reused > len(last) // 2  # the later turns really did reuse


class ShapeSensitive(CachedStepper):
    """A toy model whose every cached state depends on the shape of the batch that
    computed it, as reduced-precision rounding does (a one-row decode step, a 7-row chunk
    and a 5-row chunk round differently)."""

    def __init__(self, chunk: int):
        super().__init__(chunk)
        self.states: list[int] = []

    def _reset(self) -> None:
        self.states = []

    def _truncate(self, n: int) -> None:
        del self.states[n:]

    def _forward(self, ids) -> torch.Tensor:
        for token in ids:
            previous = self.states[-1] if self.states else 0
            self.states.append((previous * 31 + token * 7 + len(ids)) % 1_000_003)
        logits = torch.zeros(250)
        logits[self.states[-1] % 247 + 3] = 1.0
        return logits


def test_reuse_runs_the_very_chunks_a_cold_prefill_runs_so_rounding_cannot_differ():
    kept = ShapeSensitive(CHUNK)
    convo = turns([5, 17, 99, 3, 42, 7, 11, 13])
    prompt = next(convo)
    for _ in range(4):
        warm = generate(kept, None, prompt, GREEDY)
        cold_stepper = ShapeSensitive(CHUNK)
        cold = generate(cold_stepper, None, prompt, GREEDY)
        assert kept.states == cold_stepper.states  # every cached state, bit for bit
        assert warm.token_ids == cold.token_ids
        prompt = convo.send(warm.token_ids)
    assert kept.reused > 0


@pytest.mark.slow
def test_deep_mode_never_reuses_decoded_positions():
    model = _gated(0.0)
    stepper = OuroDeep(model, QExit(0.5), chunk=CHUNK)
    prompt = [5, 17, 99, 3, 42, 7, 11, 13]
    gen = generate(stepper, None, prompt, GREEDY)
    assert min(gen.depths) < model.steps  # some tokens exited early (the case that matters)
    assert stepper.exact == 5  # the one whole chunk of the prompt
    nxt = [*prompt, *gen.token_ids, 9, 9]
    again = generate(stepper, None, nxt, GREEDY)
    assert stepper.reused == 5
    assert again.token_ids == generate(OuroDeep(model, QExit(0.5), chunk=CHUNK), None, nxt,
                                       GREEDY).token_ids


EDITS = {
    "an earlier token changed (re-ground)": lambda p: [*p[:6], 201, *p[7:]],
    "a shorter prompt (a retry from earlier)": lambda p: p[:10],
    "the very same prompt": lambda p: list(p),
    "a compaction (middle replaced)": lambda p: [*p[:4], 250, 251, *p[-5:]],
    "a different first token": lambda p: [77, *p[1:]],
}


@pytest.mark.slow
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_prompt_that_departs_reuses_the_common_prefix_and_matches_a_cold_run(make, edit):
    first = [5, 17, 99, 3, 42, 7, 11, 13, 21, 34, 55, 89, 144]
    kept = make()
    gen = generate(kept, None, first, GREEDY)
    held, exact = list(kept.tokens), kept.exact
    prompt = EDITS[edit]([*first, *gen.token_ids])
    warm = generate(kept, None, prompt, GREEDY)
    assert warm.token_ids == generate(make(), None, prompt, GREEDY).token_ids
    assert kept.reused == expected_reuse(kept, held, exact, prompt)


@pytest.mark.slow
def test_a_failed_forward_empties_the_cache_and_the_next_prompt_starts_cold():
    model = tiny_model()
    stepper = OuroFast(model, chunk=CHUNK)
    prompt = list(range(3, 40))
    generate(stepper, None, prompt, GREEDY)
    real, calls = stepper._forward, []

    def flaky(ids):
        calls.append(ids)
        if len(calls) == 2:  # half-way through a prefill: some slots appended, some not
            raise RuntimeError("out of memory")
        return real(ids)

    stepper._forward = flaky
    with pytest.raises(RuntimeError):
        generate(stepper, None, [*prompt, *range(50, 70)], GREEDY)
    assert stepper.tokens == [] and stepper.cache.length(0) == 0
    stepper._forward = real
    nxt = [*prompt, 1, 2, 3]
    assert generate(stepper, None, nxt, GREEDY).token_ids == \
        generate(OuroFast(model, chunk=CHUNK), None, nxt, GREEDY).token_ids
    assert stepper.reused == 0


def test_an_empty_prompt_and_a_zero_chunk_are_refused():
    with pytest.raises(ValueError, match="empty prompt"):
        OuroFast(tiny_model()).prefill([])
    with pytest.raises(ValueError, match="chunk"):
        OuroFast(tiny_model(), chunk=0)


@pytest.mark.slow
def test_plain_that_cannot_crop_starts_cold_with_the_same_tokens():
    model = tiny_llama()
    stepper = Plain(model, chunk=CHUNK)
    prompt = list(range(3, 30))
    generate(stepper, None, prompt, GREEDY)

    def refuse(n):
        raise RuntimeError("sliding window already rolled")

    stepper.past.crop = refuse
    edited = [*prompt[:10], 99, *prompt[11:]]
    assert generate(stepper, None, edited, GREEDY).token_ids == \
        generate(Plain(model, chunk=CHUNK), None, edited, GREEDY).token_ids
    assert stepper.reused == 0 and stepper.tokens[:len(edited)] == edited


def test_cache_truncate_keeps_every_slot_in_step():
    stepper = OuroDeep(_gated(0.0), QExit(0.5), chunk=CHUNK)
    generate(stepper, None, list(range(3, 20)), GREEDY)
    stepper.cache.truncate(9)
    assert {stepper.cache.length(s) for s in range(len(stepper.cache.slots))} == {9}
    with pytest.raises(ValueError):
        stepper.cache.truncate(-1)



def test_chunks_shrink_deep_into_a_long_context_and_cover_every_position():
    stepper = OuroFast(tiny_model(), chunk=256)
    sizes = stepper.chunk_sizes(0, 8192)
    assert sum(sizes) == 8192 and sizes[:8] == [256] * 8  # full size up to 2,048 positions
    assert 64 <= sizes[-2] <= 66 and min(sizes) >= 32  # a quarter near 8k: ~ one early chunk
    assert stepper.chunk_sizes(100, 101) == [1] and stepper.chunk_sizes(5, 5) == []
    assert set(OuroFast(tiny_model(), chunk=5).chunk_sizes(0, 9000)) == {5}  # below MIN
