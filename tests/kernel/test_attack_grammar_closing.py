"""Attacks on the grammar's closing reserve (kernel.grammar.Closing): a stand-in model
whose taste inside a string is code's brackets, budgets too small to reserve anything,
and penalties that ban every token the reserve narrows to."""

from __future__ import annotations

import pytest
import torch

from governance.brains.provider import CANDIDATE_SHAPE
from governance.schemas import parse_candidate
from tests.kernel.test_grammar import (
    TOOL_ROUND,
    VOCAB,
    Rambler,
    decode_under,
    valid_tool_reply,
)


class CodeRambler(Rambler):
    """Writes words, and ranks code's closing brackets (`])`, `}`, `],`: string content
    inside a JSON string) above a quote: what a model writing a file's code would pick."""

    def __init__(self, tokenizer, want: str):
        super().__init__(tokenizer, want)
        pieces = tokenizer.tok.decode_batch([[i] for i in range(VOCAB)],
                                            skip_special_tokens=False)
        for i, piece in enumerate(pieces):
            if ("]" in piece or "}" in piece) and '"' not in piece and "\\" not in piece:
                self.base[i] = 3.0


@pytest.mark.slow
@pytest.mark.parametrize("budget", [64, 200])
def test_code_brackets_inside_a_string_still_close(tokenizer, grammars, budget):
    want = '{"schema": "candidate.1", "file_path": "'
    stepper = CodeRambler(tokenizer, want)
    gen, c = decode_under(tokenizer, grammars, stepper, CANDIDATE_SHAPE, budget)
    assert c.outcome() == "complete", gen.text[-200:]
    assert parse_candidate(gen.text).file_path


@pytest.mark.slow
def test_code_brackets_inside_tool_arguments_still_close(tokenizer, grammars):
    want = '{"tool": "search_code", "arguments": {"pattern": "'
    gen, c = decode_under(tokenizer, grammars, CodeRambler(tokenizer, want), TOOL_ROUND, 160)
    assert c.outcome() == "complete" and valid_tool_reply(gen.text), gen.text[-200:]


@pytest.mark.slow
@pytest.mark.parametrize("budget", [0, 1, 2, 3, 4, 5])
def test_tiny_budgets_never_raise_and_stay_in_the_vocabulary(tokenizer, grammars, budget):
    want = '{"schema": "candidate.1", "file_path": "'
    stepper = CodeRambler(tokenizer, want)
    gen, c = decode_under(tokenizer, grammars, stepper, CANDIDATE_SHAPE, budget)
    assert len(gen.token_ids) <= budget and c.outcome() in ("cut", "complete")
    assert not c.error


@pytest.mark.slow
def test_penalties_banning_every_narrowed_token_leave_a_finite_allowed_row(tokenizer,
                                                                           grammars):
    """In the reserve, scores that are -inf everywhere (a penalty banned them all) fall
    back to the model's raw logits over the narrowed set: never a row of -inf."""
    constraint = grammars.constraint(grammars.compile(CANDIDATE_SHAPE), 8)
    for token in tokenizer.encode('{"schema": "candidate.1", "file_path": "ab'):
        constraint.advance(token)
    raw = torch.zeros(VOCAB)
    out = constraint.mask(torch.full((VOCAB,), float("-inf")), raw)
    finite = torch.isfinite(out)
    assert finite.any() and constraint.penalty_overrides == 1
    assert bool(constraint.allowed(VOCAB)[finite].all())  # only what the grammar allows
    assert constraint.telemetry()["closing"] == 1
    pieces = tokenizer.tok.decode_batch([[i] for i in finite.nonzero().flatten().tolist()])
    assert all(p.lstrip().startswith('"') for p in pieces), pieces[:5]  # quotes first
