"""The reply's shape from governance to the kernel: only a provider that takes one gets it
(replay and test fakes are called as before), the tool loop asks for its round's forms, and
KernelProvider decodes the embedded model under the grammar and says how it ended."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from governance.brains.provider import CANDIDATE_SHAPE, PLAN_SHAPE, ReplyShape, shaped
from governance.brains.reflex import Band, ReflexStats
from governance.errors import CandidateParseError
from governance.phases.reground import Watched
from governance.schemas import ToolRecord, parse_candidate, parse_plan
from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig
from kernel.engine import Engine, EngineConfig
from kernel.provider import KernelProvider
from kernel.replay import ReplayProvider, ReplayTurn
from tests.helpers import loop_limits, make_policy, tool_loop

PROMPT = ("You are the code-generation step of a governed maintenance daemon.\n\n## Goal\n"
          "Fix the typo in greet(): it returns 'helo'.\n\n## Target files\n--- app.py\n"
          "def greet():\n    return 'helo'\n\n## Output\n"
          'Reply with one JSON object and nothing else: {"schema": "candidate.1", '
          '"file_path": "<path>", "full_content": "<whole new file>", "rationale": "<why>"}')


@pytest.fixture(scope="module")
def engine(embedded_engine) -> Engine:
    config = GenerationConfig(max_new_tokens=40, canary=CanaryConfig(mode="observe"))
    return embedded_engine(EngineConfig(generation=config))


class Recording(ReplayProvider):
    """A replay provider that declares it takes shapes, and keeps what it was given."""

    takes_shape = True

    def __init__(self, turns):
        super().__init__(turns)
        self.shapes: list[ReplyShape | None] = []

    async def generate(self, prompt, *, deadline, steer=None, shape=None):
        self.shapes.append(shape)
        return await super().generate(prompt, deadline=deadline, steer=steer)

    async def plan(self, prompt, *, deadline, shape=None):
        self.shapes.append(shape)
        return await super().plan(prompt, deadline=deadline)


class Old(ReplayProvider):
    """A provider written before shapes: a `shape=` keyword would be a TypeError."""

    async def generate(self, prompt, *, deadline, steer=None):
        return await super().generate(prompt, deadline=deadline, steer=steer)


def turns(n: int) -> list[ReplayTurn]:
    return [ReplayTurn(text='{"schema": "candidate.1", "no_op": true}')] * n


async def test_the_shape_reaches_only_providers_that_take_it():
    recording, old = Recording(turns(2)), Old(turns(1))
    assert shaped(old, CANDIDATE_SHAPE) == {} and shaped(recording, None) == {}
    watched = Watched(recording, None, Band.of(make_policy()), ReflexStats())
    await watched.generate("p", deadline=math.inf, shape=CANDIDATE_SHAPE)
    await watched.plan("p", deadline=math.inf, shape=PLAN_SHAPE)
    assert recording.shapes == [CANDIDATE_SHAPE, PLAN_SHAPE]
    reply = await Watched(old, None, Band.of(make_policy()), ReflexStats()).generate(
        "p", deadline=math.inf, shape=CANDIDATE_SHAPE)  # no TypeError: never handed one
    assert reply.text.startswith("{")


def test_the_tool_loop_asks_for_its_rounds_forms():
    loop = tool_loop(env=None, policy=None,  # _shape reads only records and MCP
                               limits=loop_limits())
    first = loop._shape(nudge=False)
    names = [s["properties"]["tool"]["const"] for s in first.lines]
    assert "read_file" in names and "edit_file" in names and not first.prose
    assert first.final is not None and not loop._shape(nudge=True).lines
    loop.records.append(ToolRecord(tool="read_file", verdict="ok"))
    assert not loop._shape(nudge=False).prose  # reading is not editing
    loop.records.append(ToolRecord(tool="edit_file", verdict="failed"))
    assert not loop._shape(nudge=False).prose
    loop.records.append(ToolRecord(tool="edit_file", verdict="ok"))
    assert loop._shape(nudge=True).prose  # now a one-line summary of the edits is allowed


@pytest.mark.slow
async def test_kernel_provider_decodes_the_embedded_model_under_the_shape(engine):
    provider = KernelProvider(engine)
    reply = await provider.generate(PROMPT, deadline=math.inf, shape=CANDIDATE_SHAPE)
    grammar = reply.telemetry["grammar"]
    assert grammar["shape"] == "candidate.1" and "unconstrained" not in grammar
    assert reply.text.startswith('{"schema": "candidate.1", ')
    if grammar["outcome"] == "complete":
        parse_candidate(reply.text)
    else:  # 40 tokens may end inside full_content: reported as cut, never as complete
        assert grammar["outcome"] == "cut"
        assert reply.telemetry["exit_reason"] in ("length", "collapse")
        with pytest.raises(CandidateParseError):
            parse_candidate(reply.text)
    plan = await provider.plan("Plan this change: fix the typo in app.py.\n"
                               'Reply with one JSON object: {"schema": "plan.1", ...}',
                               deadline=math.inf, shape=PLAN_SHAPE)
    assert plan.telemetry["grammar"]["shape"] == "plan.1"
    if plan.telemetry["grammar"]["outcome"] == "complete":
        parse_plan(plan.text)


@pytest.mark.slow
async def test_a_rejected_schema_decodes_unconstrained_and_says_so(engine):
    odd = ReplyShape("odd", final={"type": "object", "properties": {
        "a": {"type": "string", "format": "no-such-format"}}})
    reply = await KernelProvider(engine).generate("Say hi.", deadline=math.inf, shape=odd)
    assert "no-such-format" in reply.telemetry["grammar"]["unconstrained"]
    assert reply.usage.completion_tokens > 0


@pytest.mark.slow
async def test_constrain_off_and_no_shape_decode_as_before(engine):
    off = await KernelProvider(engine, constrain=False).generate(
        "Say hi.", deadline=math.inf, shape=CANDIDATE_SHAPE)
    plain = await KernelProvider(engine).generate("Say hi.", deadline=math.inf)
    assert "grammar" not in off.telemetry and "grammar" not in plain.telemetry
    assert off.text == plain.text  # greedy: the same reply either way


@pytest.mark.slow
async def test_the_re_prompt_loop_decodes_each_answer_under_a_fresh_grammar(engine):
    config = replace(engine.config, reprompt_loops=2,
                     generation=replace(engine.config.generation, max_new_tokens=24))
    looped = Engine(engine.model, engine.tokenizer, engine.kind, engine.name, config)
    reply = await KernelProvider(looped).generate(PROMPT, deadline=math.inf,
                                                  shape=CANDIDATE_SHAPE)
    assert reply.telemetry["loops"] >= 1
    assert reply.text.startswith('{"schema": "candidate.1", ')  # the last answer, masked too
    assert reply.telemetry["grammar"]["outcome"] in ("complete", "cut")
