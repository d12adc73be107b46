"""kernel/sampling.py's shortcuts against what they replace: top-p over the top k against a
full sort, and draw() against torch.multinomial (the token and the generator's state after
it), on sparse and wide distributions; the one-thread context."""

from __future__ import annotations

import pytest
import torch

from kernel.sampling import DRAW_MOST, choose, draw, exact_draws, nucleus, one_thread


def sorted_top_p(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Top-p as it was written before nucleus(): a sort of the whole distribution."""
    sorted_p, order = torch.sort(probs, descending=True)
    keep = sorted_p.cumsum(-1) - sorted_p < top_p
    kept = torch.zeros_like(probs).scatter(0, order[keep], sorted_p[keep])
    return kept / kept.sum()


def distributions(count: int):
    """Softmaxes over 49,152 entries, from peaked to flat, with top-p from 0.5 to 0.99."""
    shape = torch.Generator().manual_seed(7)
    for k in range(count):
        logits = torch.randn(49152, generator=shape, dtype=torch.float64) * (0.5, 3, 8)[k % 3]
        yield torch.softmax(logits / 0.8, -1), (0.5, 0.9, 0.95, 0.99)[k % 4]


def test_top_p_over_the_top_k_keeps_what_a_full_sort_keeps():
    for probs, top_p in distributions(24):
        assert torch.equal(nucleus(probs, top_p), sorted_top_p(probs, top_p))


def test_draw_picks_multinomials_token_and_leaves_the_generator_alike():
    assert exact_draws()  # this torch draws as draw() assumes (else draw() is multinomial)
    widths = set()
    for k, (probs, top_p) in enumerate(distributions(36)):
        probs = nucleus(probs, top_p)
        widths.add(int(torch.count_nonzero(probs)) <= DRAW_MOST)
        theirs, ours = torch.Generator().manual_seed(k), torch.Generator().manual_seed(k)
        for _ in range(3):  # a second and third draw show the states stayed together
            assert draw(probs, ours) == int(torch.multinomial(probs, 1, generator=theirs))
        assert torch.equal(theirs.get_state(), ours.get_state())
    assert widths == {True, False}  # the shortcut and torch's own path both ran


@pytest.mark.parametrize("top_p", [0.9, 1.0])
def test_choose_with_a_seed_repeats_itself(top_p):
    logits = torch.randn(49152, generator=torch.Generator().manual_seed(3)) * 4
    picks = [[choose(logits, temperature=0.8, top_p=top_p, generator=g) for _ in range(5)]
             for g in (torch.Generator().manual_seed(1), torch.Generator().manual_seed(1))]
    assert picks[0] == picks[1]


def test_one_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
