"""Grammar-constrained decoding (kernel.grammar): a stand-in model that wants to write
anything but the contract still yields JSON that parses and validates; the penalties and
sampling never re-enable a token the grammar forbids; odd schemas degrade, never crash."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence

import pytest
import torch

from governance.brains.provider import CANDIDATE_SHAPE, PLAN_SHAPE, ReplyShape
from governance.schemas import CANDIDATE_JSON_SCHEMA, parse_candidate, parse_plan
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate
from kernel.tokenizer import ChatTokenizer
from tools.builtin import MANIFEST, TOOLS
from tools.toolcalls import call_schema, parse_tool_calls

VOCAB = 49152
TOOL_ROUND = ReplyShape(
    "tool round", final=CANDIDATE_JSON_SCHEMA,
    lines=tuple(call_schema(s.name, s.args.model_json_schema()) for s in MANIFEST), prose=True)


class Wants:
    """A stand-in model with fixed preferences: it would rather write `text` (prose, broken
    JSON) and otherwise prefers short tokens and closing quotes/brackets. Its logits never
    depend on the grammar: only the mask can make it write the contract."""

    total_steps = 1

    def __init__(self, tokenizer: ChatTokenizer, text: str, vocab: int = VOCAB):
        self.want = tokenizer.encode(text)
        self.base = torch.full((vocab,), -50.0)
        self.base[:VOCAB] = preferences(tokenizer)
        self.n = 0

    def _logits(self) -> torch.Tensor:
        logits = self.base.clone()
        if self.n < len(self.want):
            logits[self.want[self.n]] += 20.0  # what it would write, far above the rest
        return logits

    def prefill(self, ids: Sequence[int], cancel=None, progress=None) -> torch.Tensor:
        return self._logits()

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        self.n += 1
        return self._logits(), 1


@functools.cache
def preferences(tokenizer: ChatTokenizer) -> torch.Tensor:
    gen = torch.Generator().manual_seed(7)
    base = torch.randn(VOCAB, generator=gen) * 0.1
    pieces = tokenizer.tok.decode_batch([[i] for i in range(VOCAB)], skip_special_tokens=False)
    for i, piece in enumerate(pieces):
        base[i] -= 0.5 * len(piece)
        if piece.strip() in ('"', "}", "]", '"}', '"]', "}]", "}}"):
            base[i] += 6.0
    base[2] = 8.0  # <|im_end|>: it stops as soon as it may
    return base


def run(tokenizer, grammars, shape, want, **config):
    stepper = Wants(tokenizer, want)
    constraint = grammars.constraint(grammars.compile(shape))
    assert constraint is not None
    settings = {"max_new_tokens": 96, "canary": CanaryConfig(mode="off"), **config}
    gen = generate(stepper, tokenizer, [1, 2, 3], GenerationConfig(**settings),
                   constraint=constraint)
    return gen, constraint


def valid_tool_reply(text: str) -> bool:
    calls, bad = parse_tool_calls(text)
    if bad or not calls:
        return False
    for call in calls:
        TOOLS[call.name].args.model_validate(call.arguments)  # raises when invalid
    return True


@pytest.mark.slow
@pytest.mark.parametrize("want", [
    "Sure! Here is the change you asked for:",
    "{'schema': 'candidate.1', 'file_path': 'a.py'}",
    '{"schema": "candidate.2", "file_path": "", "full_content": 3}',
    '```json\n{"schema": "candidate.1", "no_op": true}\n```',
])
def test_candidate_decodes_valid_whatever_the_model_wants(tokenizer, grammars, want):
    gen, constraint = run(tokenizer, grammars, CANDIDATE_SHAPE, want)
    assert constraint.outcome() == "complete", gen.text
    assert gen.exit_reason in ("grammar", "stop")
    assert "\n" not in gen.text  # one line, the separators the prompt shows
    parse_candidate(gen.text)  # raises CandidateParseError when it does not validate


@pytest.mark.slow
def test_plan_decodes_valid(tokenizer, grammars):
    gen, constraint = run(tokenizer, grammars, PLAN_SHAPE, "Plan: first I will read.")
    assert constraint.outcome() == "complete", gen.text
    plan = parse_plan(gen.text)
    assert plan.complexity in ("trivial", "simple", "moderate", "complex", "architectural")


@pytest.mark.slow
@pytest.mark.parametrize("want", [
    '{"tool": "read_file", "arguments": {"path": "a.py", "limit": 5}}',
    '{"tool": "read", "arguments": "a.py"}',
    '{"tool": "get_callers", "arguments": {"name": "1 bad name"}}',
])
def test_tool_round_yields_calls_that_validate_or_a_candidate(tokenizer, grammars, want):
    gen, constraint = run(tokenizer, grammars, TOOL_ROUND, want)
    assert constraint.outcome() == "complete", gen.text
    if gen.text.startswith('{"tool"'):
        assert valid_tool_reply(gen.text), gen.text
    else:
        parse_candidate(gen.text)


@pytest.mark.slow
def test_tool_round_prose_only_when_the_shape_allows_it(tokenizer, grammars):
    with_prose, _ = run(tokenizer, grammars, TOOL_ROUND, "Done editing a.py")
    assert with_prose.text.startswith("Done editing a.py") and "{" not in with_prose.text
    no_prose = ReplyShape("tool round", final=CANDIDATE_JSON_SCHEMA, lines=TOOL_ROUND.lines)
    gen, constraint = run(tokenizer, grammars, no_prose, "Done editing a.py")
    assert gen.text.startswith("{") and constraint.outcome() == "complete"


@pytest.mark.slow
def test_penalties_and_sampling_keep_the_reply_valid(tokenizer, grammars):
    """Hot top-p sampling under a harsh penalty and a no-repeat-2-gram ban (JSON repeats
    '", "'): every complete reply validates; a cut one was cut by the token budget."""
    for seed in range(3):
        gen, constraint = run(tokenizer, grammars, CANDIDATE_SHAPE, "No.", temperature=1.3,
                              top_p=0.9, seed=seed, repetition_penalty=3.0,
                              no_repeat_ngram=2, max_new_tokens=48)
        assert constraint.outcome() in ("complete", "cut"), constraint.telemetry()
        if constraint.outcome() == "complete":
            parse_candidate(gen.text)
        else:
            assert gen.exit_reason == "length"


def test_the_mask_comes_after_the_penalties(grammars):
    """A penalty cannot re-enable a forbidden token (the mask is last); penalties that ban
    every allowed token fall back to the raw logits under the mask, never to a forbidden
    token and never to an all -inf row that sampling cannot use."""
    constraint = grammars.constraint(grammars.compile(CANDIDATE_SHAPE))
    allowed = constraint.allowed(VOCAB)
    raw = torch.randn(VOCAB, generator=torch.Generator().manual_seed(3))
    boosted = raw.masked_fill(~allowed, 1e9)  # forbidden tokens pushed far up
    assert bool(allowed[int(constraint.mask(boosted, raw).argmax())])
    banned = raw.masked_fill(allowed, float("-inf"))  # every allowed token banned
    out = constraint.mask(banned, raw)
    assert torch.equal(torch.isfinite(out), allowed) and constraint.penalty_overrides == 1
    assert torch.equal(out[allowed], raw[allowed])


@pytest.mark.slow
def test_canary_and_logprobs_read_the_raw_logits(tokenizer, grammars):
    """The model wanted prose; the grammar forced '{': the chosen token's logprob is the
    raw model's (low), and the canary watched the whole decode."""
    config = {"canary": CanaryConfig(mode="observe")}
    gen, _ = run(tokenizer, grammars, CANDIDATE_SHAPE, "Sure, here it is", **config)
    assert gen.logprobs[0] < math.log(1e-3)
    assert gen.canary is not None and gen.canary.summary()["tokens"] == len(gen.token_ids)


@pytest.mark.slow
def test_max_new_tokens_cut_mid_json_is_reported_as_cut(tokenizer, grammars):
    gen, constraint = run(tokenizer, grammars, CANDIDATE_SHAPE, "x", max_new_tokens=5)
    assert gen.exit_reason == "length" and constraint.outcome() == "cut"
    assert constraint.telemetry()["outcome"] == "cut"


@pytest.mark.parametrize("final,lines,expect", [
    ({"type": "object", "properties": {"a": {"type": "string", "format": "no-such"}}}, (),
     "unconstrained"),
    ("not a schema", (), "unconstrained"),
    ({"type": "object", "$ref": "#/$defs/missing"}, (), "unconstrained"),
    (None, (), "unconstrained"),  # a shape that allows nothing
    ({"type": "object", "properties": {"a": {"type": "string", "minLength": 5,
                                             "maxLength": 2}}, "required": ["a"]},
     (), "unconstrained"),  # unsatisfiable
    (functools.reduce(lambda inner, _: {"type": "object", "properties": {"a": inner},
                                        "required": ["a"]}, range(200), {"type": "object"}),
     (), "unconstrained"),  # nested past the library's recursion limit
    (CANDIDATE_JSON_SCHEMA, ({"type": "object", "properties": {"tool": {"const": "m"},
      "arguments": {"type": "object", "properties": {"x": {"pattern": "(?<=a)b"}}}}},),
     "loosened"),
    (CANDIDATE_JSON_SCHEMA, (7, None), "loosened"),
])
def test_odd_schemas_degrade_and_say_so(grammars, final, lines, expect):
    grammar = grammars.compile(ReplyShape("odd", final=final, lines=lines))
    assert expect in grammar.telemetry()
    if expect == "unconstrained":
        assert grammar.text is None and grammars.constraint(grammar) is None
    else:
        assert grammars.constraint(grammar) is not None


@pytest.mark.slow
def test_a_loosened_tool_still_takes_any_object(tokenizer, grammars):
    odd = call_schema("mcp_x_y", {"type": "object", "properties": {
        "x": {"type": "string", "pattern": "(?<=a)b"}}})
    shape = ReplyShape("tool round", lines=(odd,))
    gen, constraint = run(tokenizer, grammars, shape, '{"tool": "mcp_x_y", "arguments": {}}')
    assert constraint.outcome() == "complete"
    assert json.loads(gen.text.splitlines()[0])["tool"] == "mcp_x_y"


def test_compiled_grammars_are_cached(grammars):
    a = grammars.compile(CANDIDATE_SHAPE)
    assert grammars.compile(ReplyShape("again", final=CANDIDATE_JSON_SCHEMA)) is a


@pytest.mark.slow
def test_logits_longer_than_the_tokenizer_never_pick_past_it(tokenizer, grammars):
    stepper = Wants(tokenizer, "x", vocab=VOCAB + 64)
    stepper.base[VOCAB:] = 100.0  # the padded rows a model may carry, very likely
    constraint = grammars.constraint(grammars.compile(CANDIDATE_SHAPE))
    gen = generate(stepper, tokenizer, [1], GenerationConfig(max_new_tokens=60),
                   constraint=constraint)
    assert max(gen.token_ids) < VOCAB and constraint.outcome() == "complete"


class Rambler(Wants):
    """A stand-in model that, once it has opened `want`, never wants to close anything: it
    writes short words forever and ranks quotes, brackets and the end of the reply last."""

    def __init__(self, tokenizer: ChatTokenizer, want: str):
        super().__init__(tokenizer, want)
        pieces = tokenizer.tok.decode_batch([[i] for i in range(VOCAB)],
                                            skip_special_tokens=False)
        self.base = torch.full((VOCAB,), -30.0)
        for i, piece in enumerate(pieces):
            if piece.strip().isalpha() and 2 <= len(piece.strip()) <= 6:
                self.base[i] = 5.0 - 0.1 * (i % 37)  # words, never one winner
        self.base[[0, 2]] = -40.0  # the end of the reply: last of all

    def _logits(self) -> torch.Tensor:
        logits = self.base.clone()
        if self.n < len(self.want):
            logits[self.want[self.n]] = 50.0
        return logits


def decode_under(tokenizer, grammars, stepper, shape, budget, give_budget=True, **config):
    """`stepper`'s reply under `shape`, no penalties unless `config` sets them; the
    constraint knows the budget unless `give_budget` is off."""
    constraint = grammars.constraint(grammars.compile(shape), budget if give_budget else None)
    settings = {"max_new_tokens": budget, "canary": CanaryConfig(mode="off"),
                "repetition_penalty": 1.0, "no_repeat_ngram": 0, **config}
    return (generate(stepper, tokenizer, [1, 2, 3], GenerationConfig(**settings),
                     constraint=constraint), constraint)


def ramble(tokenizer, grammars, shape, want, budget, give_budget=True):
    return decode_under(tokenizer, grammars, Rambler(tokenizer, want), shape, budget,
                        give_budget)


@pytest.mark.slow
@pytest.mark.parametrize("budget", [64, 200, 1024])
def test_a_reply_rambling_inside_a_string_closes_within_its_budget(tokenizer, grammars,
                                                                   budget):
    want = '{"schema": "candidate.1", "file_path": "'
    cut, c = ramble(tokenizer, grammars, CANDIDATE_SHAPE, want, budget, give_budget=False)
    assert cut.exit_reason == "length" and c.outcome() == "cut"  # what the budget prevents
    gen, c = ramble(tokenizer, grammars, CANDIDATE_SHAPE, want, budget)
    assert c.outcome() == "complete", gen.text[-200:]
    assert len(gen.token_ids) <= budget and c.telemetry()["closing"] >= 1
    candidate = parse_candidate(gen.text)
    assert candidate.file_path and len(candidate.file_path) > 20  # its words, kept


@pytest.mark.slow
def test_rambling_tool_arguments_close_as_a_call_that_validates(tokenizer, grammars):
    want = '{"tool": "search_code", "arguments": {"pattern": "'
    gen, c = ramble(tokenizer, grammars, TOOL_ROUND, want, 160)
    assert c.outcome() == "complete" and valid_tool_reply(gen.text), gen.text[-200:]


@pytest.mark.slow
def test_a_reply_that_ends_early_is_never_narrowed(tokenizer, grammars):
    stepper = Wants(tokenizer, '{"schema": "candidate.1", "no_op": true}')
    constraint = grammars.constraint(grammars.compile(CANDIDATE_SHAPE), 1024)
    gen = generate(stepper, tokenizer, [1, 2, 3],
                   GenerationConfig(max_new_tokens=1024, canary=CanaryConfig(mode="off")),
                   constraint=constraint)
    assert constraint.outcome() == "complete" and "closing" not in constraint.telemetry()
    assert parse_candidate(gen.text).no_op
