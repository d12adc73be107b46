"""ToolLoopCoordinator: the multi-turn conversation in which the model explores, edits and
tests inside its sandbox.

Each round: send the prompt plus accumulated tool results; parse the reply's tool calls;
judge each through the policy; run the allowed ones (at most `max_concurrent` at once,
each with a timeout); append capped results; repeat until a reply has no tool calls.
Bounded by `max_rounds` (the last round carries the "produce your final change now"
nudge, which also comes after `max_exploration_rounds` rounds of looking only) and by the
generation deadline. Older tool results are compacted deterministically when the prompt
passes 75% of its budget.

The re-ground reflex (governance.brains.reflex) reads every reply's collapse signal: a spook
deflates what is left of the round budget (time, and the tokens the next turns may use)
and is noted; a collapsed reply is recorded, then discarded: its tool calls never run, it is
never the final answer, and the loop raises ModelCollapsed for the caller to re-ground.
Tool calls are parsed here, from the reply's text, and nowhere else.

Jailed commands (bash, run_tests) run exclusively: no host-side tool of the same op runs
while one is running, and the jail leaves no process behind when it ends, so nothing can
rearrange the sandbox under a file tool. Whatever a model sends and whatever a handler or
the policy raises becomes a refused or failed tool result in the ledger, never a crash.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from governance.brains import reflex
from governance.brains import window as window_fit
from governance.brains.outage import BrainsUnreachable
from governance.brains.prompts import with_tools
from governance.brains.provider import (
    CandidateProvider,
    CollapseSignal,
    ModelReply,
    ReplyShape,
    shaped,
)
from governance.errors import ModelCollapsed, ProviderError
from governance.schemas import CANDIDATE_JSON_SCHEMA, ModelUsage, ToolRecord
from ledger.redact import redact
from tools.builtin import MANIFEST, TOOLS, ToolFailed
from tools.env import ToolEnv
from tools.exploration import CATEGORY_OF, ExplorationLedger
from tools.mcp_hub import McpCallFailed, McpHub, McpTool
from tools.policy import PolicyContext, evaluate
from tools.rwlock import SharedOrExclusive
from tools.toolcalls import CallFormat, call_format_of, call_schema, parse_tool_calls
from tools.transcript import Chunk, calling, cap, compact, safe_arguments, tool_instructions

NUDGE = "You have enough context. Produce your final change now, without tool calls."
JAILED = frozenset({"bash", "run_tests"})  # tools that run commands in the op's sandbox
EDITING = frozenset({"bash", *(s.name for s in MANIFEST if s.category == "mutation")})


@dataclass(frozen=True)
class LoopLimits:
    """The tool loop's limits, from the settings (daemon.phase_deps.loop_limits): the config
    is the one place their defaults live."""

    max_rounds: int
    max_exploration_rounds: int
    tool_timeout_s: float
    max_concurrent: int
    output_cap_bytes: int
    budget_chars: int
    preserve_chunks: int


@dataclass
class _Rounds:
    """What the rounds did so far: the usage summed, the newest reply kept."""

    usage: ModelUsage
    round: int = 0
    reply: ModelReply | None = None
    signals: list[CollapseSignal] = field(default_factory=list)

    def collapse(self) -> CollapseSignal:
        """The closest any kept reply came to a loop."""
        return max(self.signals, key=lambda c: c.proximity, default=CollapseSignal())


@dataclass
class ToolEvent:
    round: int
    tool: str
    arguments: dict[str, Any]
    verdict: str
    rule: str
    reason: str
    result_bytes: int = 0
    truncated: bool = False
    duration_ms: float = 0.0


@dataclass
class ToolLoopCoordinator:
    env: ToolEnv
    policy: PolicyContext
    limits: LoopLimits  # from the settings (daemon.phase_deps.loop_limits)
    on_reply: Callable[[ModelReply], Awaitable[None]] | None = None
    on_tool: Callable[[ToolEvent], Awaitable[None]] | None = None
    on_note: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
    mcp: McpHub | None = None
    exploration: ExplorationLedger = field(default_factory=ExplorationLedger)
    band: reflex.Band = field(kw_only=True)  # reflex.Band.of(the op's policy)

    def __post_init__(self) -> None:
        self.mcp_tools: dict[str, McpTool] = {}
        self.calls: Counter[str] = Counter()
        self.records: list[ToolRecord] = []
        self.compactions = 0
        self.runs = SharedOrExclusive()
        self.malformed: list[str] = []  # malformed tool calls the model wrote (telemetry)
        self.call_format = CallFormat.JSON_LINE  # the form the brain is told (run() sets it)

    async def run(self, provider: CandidateProvider, prompt: str, *,
                  deadline: float) -> ModelReply:
        """The loop's answer. A deadline that ends it after a tool may have edited the
        sandbox ends it with those edits as the candidate (`partial` in the telemetry)."""
        if self.mcp is not None:  # discovered at prompt time: servers may change their tools
            self.mcp_tools = await self.mcp.tools()
        self.call_format = call_format_of(provider)  # what the brain was trained on
        notes = getattr(self.env.workspace, "notes", None)
        if notes:
            await self._note("sandbox entries left out", {"entries": notes[:50]})
        budget = reflex.RoundBudget(deadline, deadline)
        state = _Rounds(ModelUsage(provider=provider.name))
        try:
            await self._rounds(provider, prompt, budget, state)
        except ProviderError as exc:
            if not (exc.deadline_missed and self._edited()):
                raise
            await self._note("deadline reached: the sandbox's edits so far are the candidate",
                             {"round": state.round, "error": str(exc)[:300]})
            return self._partial(state, exc)
        reply = state.reply
        assert reply is not None
        telemetry = {**reply.telemetry, "rounds": state.round, "compactions": self.compactions,
                     "exploration": self.exploration.summary()}
        if self.malformed:
            telemetry["malformed_tool_calls"] = self.malformed[:20]
        return ModelReply(text=reply.text, usage=state.usage, tool_records=self.records,
                          telemetry=telemetry, collapse=state.collapse())

    async def _rounds(self, provider: CandidateProvider, prompt: str,
                      budget: reflex.RoundBudget, state: _Rounds) -> None:
        """The rounds, until a reply without tool calls or the last round; `state` keeps
        the newest reply, so a deadline that ends them leaves what they did."""
        chunks: list[Chunk] = []
        looking_rounds = 0
        transcript = self._transcript_budget(provider, prompt)
        for rnd in range(1, self.limits.max_rounds + 1):
            state.round = rnd
            budget.check(rnd, time.monotonic())
            last = rnd == self.limits.max_rounds
            nudge = last or looking_rounds >= self.limits.max_exploration_rounds
            chunks, n = compact(chunks, transcript, self.limits.preserve_chunks)
            if n:
                self.compactions += 1
                await self._note("context compacted", {"round": rnd, "compacted": n})
            reply = await self._turn(provider, self._compose(prompt, chunks, nudge), budget, rnd,
                                     self._shape(nudge))
            self._add_usage(state.usage, reply.usage)
            if self.on_reply:
                await self.on_reply(reply)
            await self._reflex(reply, budget, rnd)  # a collapsed reply ends here
            state.reply = reply
            state.signals.append(reply.collapse)
            calls, malformed = self._calls(reply)
            if not calls and not malformed:
                break
            chunks.append(Chunk("assistant", reply.text))
            if last:
                await self._note("tool calls after the last round were ignored",
                                 {"round": rnd, "calls": len(calls)})
                break
            self.malformed += malformed
            for bad in malformed:
                chunks.append(Chunk("result", f"[malformed tool call] {bad}", "malformed"))
            results = await self._execute(rnd, calls)
            chunks += results
            if calls and all(CATEGORY_OF.get(c[0]) for c in calls):
                looking_rounds += 1

    def _edited(self) -> bool:
        """Whether a tool may have changed the sandbox (a file tool or a command ran)."""
        return any(r.verdict == "ok" and r.tool in EDITING for r in self.records)

    def _partial(self, state: _Rounds, exc: ProviderError) -> ModelReply:
        """The reply standing for a loop its deadline ended: no text of its own (the
        candidate is the sandbox's diff), the usage so far, marked partial."""
        text = (f"The generation deadline ended the tool loop in round {state.round}; "
                "the edits made with tools so far are the candidate.")
        return ModelReply(text=text, usage=state.usage, tool_records=self.records,
                          telemetry={"rounds": state.round, "partial": True,
                                     "deadline": str(exc)[:300],
                                     "exploration": self.exploration.summary()},
                          collapse=state.collapse())

    def _shape(self, nudge: bool) -> ReplyShape:
        """What this round's reply may be (for a provider that decodes under a grammar):
        tool-call lines (unless nudged to answer), the candidate, or, once something may
        have edited the sandbox, the one-line summary tool_instructions() allows."""
        lines = () if nudge else (
            *(call_schema(s.name, s.args.model_json_schema(), s.description)
              for s in MANIFEST),
            *(call_schema(t.name, t.schema, t.description) for t in self.mcp_tools.values()))
        return ReplyShape("tool round", final=CANDIDATE_JSON_SCHEMA, lines=lines,
                          prose=self._edited())

    @staticmethod
    async def _turn(provider: CandidateProvider, text: str, budget: reflex.RoundBudget,
                    rnd: int, shape: ReplyShape | None = None) -> ModelReply:
        """One model turn within the deflated budget. A turn that fails under a deflated
        budget is the reflex's to handle (ModelCollapsed "deflated"): the re-grounded turn
        gets the caller's whole deadline back, and a dead model fails again there."""
        try:
            return await provider.generate(text, deadline=budget.soft, steer=budget.steer(),
                                           **shaped(provider, shape))
        except (ModelCollapsed, BrainsUnreachable):  # an outage is no collapse: the op waits
            raise
        except ProviderError as exc:
            if budget.soft < budget.deadline:
                raise ModelCollapsed(f"the reflex's deflated budget ran out in round {rnd}: "
                                     f"{exc}", proximity=budget.last, exit_reason="deflated",
                                     round=rnd, completion_tokens=exc.completion_tokens,
                                     prompt_tokens=exc.prompt_tokens) from exc
            raise

    async def _reflex(self, reply: ModelReply, budget: reflex.RoundBudget, rnd: int) -> None:
        """Judge one reply: raise on a collapse; deflate and note on a spook."""
        j = reflex.judge(reply.collapse, self.band)
        before, budget.last = budget.last, j.proximity
        if j.reading is reflex.Reading.COLLAPSE:
            raise ModelCollapsed(f"the model collapsed in tool round {rnd} (proximity "
                                 f"{j.proximity:.2f}, exit {j.exit_reason or '-'}); reply "
                                 "discarded", proximity=j.proximity,
                                 exit_reason=j.exit_reason, source=reply.collapse.source,
                                 round=rnd)
        if j.reading is reflex.Reading.SPOOK:
            now = time.monotonic()
            budget.deflate(j.factor, now)
            await self._note("canary spook", {
                "round": rnd, "proximity_before": round(before, 4),
                "proximity_after": round(j.proximity, 4), "source": reply.collapse.source,
                "factor": round(j.factor, 3), "remaining_s": round(budget.soft - now, 2),
                "token_scale": round(budget.token_scale, 3)})

    @staticmethod
    def _calls(reply: ModelReply) -> tuple[list[tuple[str, Any]], list[str]]:
        try:
            calls, malformed = parse_tool_calls(reply.text)
        except Exception as exc:  # the parser's own failure is the model's malformed call
            return [], [f"unparseable tool calls ({type(exc).__name__})"]
        return ([(c.name, c.arguments) for c in calls],
                [f"{m.reason}: {m.text[:120]}" for m in malformed])

    def _transcript_budget(self, provider: CandidateProvider, prompt: str) -> int:
        """What the rounds' transcript may grow to before compaction: the setting, or less
        where the provider declares a context window (`context_tokens`) the transcript must
        share with the prompt and the reply (governance.brains.window)."""
        window = getattr(provider, "context_tokens", None)
        if not isinstance(window, int) or window <= 0:
            return self.limits.budget_chars
        fitted = window_fit.transcript_chars(window, len(self._compose(prompt, [], False)))
        return min(self.limits.budget_chars, fitted)

    def _compose(self, prompt: str, chunks: list[Chunk], nudge: bool) -> str:
        """The round's prompt, from the most stable part to the least: the prompt with the
        tool manifest after its HEAD (as every step of the op has it), how to call a tool,
        then the rounds so far; byte for byte the previous round's prompt plus what came
        since, so a server's prompt cache keeps it (compaction aside)."""
        parts = [with_tools(prompt, tool_instructions()),
                 calling(self.call_format, self.mcp_tools)]
        for c in chunks:
            if c.kind == "assistant":
                parts.append(f"## You wrote\n{c.text}")
            elif c.kind == "result":
                parts.append(f"## Tool result ({c.tool})\n{c.text}")
            else:
                parts.append(c.text)
        if nudge:
            parts.append(f"## Now\n{NUDGE}")
        return "\n\n".join(parts)

    async def _execute(self, rnd: int, calls: list[tuple[str, Any]]) -> list[Chunk]:
        gate = asyncio.Semaphore(self.limits.max_concurrent)

        async def one(name: str, raw: Any) -> Chunk:
            async with gate:
                return await self._one(rnd, name, raw)

        return list(await asyncio.gather(*(one(n, a) for n, a in calls)))

    async def _one(self, rnd: int, name: Any, raw: Any) -> Chunk:
        name = name if isinstance(name, str) else repr(name)[:100]
        args = safe_arguments(raw)
        decision = evaluate(name, raw, self.policy, self.calls, self.mcp_tools)
        self.calls[name] += 1
        event = ToolEvent(rnd, name, args, "allowed" if decision.allowed else "denied",
                          decision.rule, decision.reason)
        if not decision.allowed:
            self.exploration.record(name, args, ok=False, round=rnd)
            text = f"[denied by {decision.rule}] {decision.reason}"
        else:
            start = time.monotonic()
            async with self.runs.hold(exclusive=name in JAILED):
                text, ok = await self._run_tool(name, decision.args)
            event.duration_ms = (time.monotonic() - start) * 1000
            self.exploration.record(name, args, ok=ok, round=rnd)
            event.verdict = "ok" if ok else "failed"
        # File names a jailed process made may not be UTF-8: no lone surrogate reaches a prompt.
        # Whatever a tool read (a test printing a token, an MCP server's answer) is redacted
        # before it enters the next prompt.
        text = redact(text.encode("utf-8", "replace").decode("utf-8"))
        text, event.truncated = cap(text, self.limits.output_cap_bytes)
        event.result_bytes = len(text.encode("utf-8", "replace"))
        self.records.append(ToolRecord(tool=name, arguments=args, verdict=event.verdict,
                                       result_bytes=event.result_bytes,
                                       duration_ms=event.duration_ms))
        if self.on_tool:
            await self.on_tool(event)
        header = f"{name} {json.dumps(args)[:200]}"
        return Chunk("result", f"{header}\n{text}", name)

    async def _run_tool(self, name: str, args: Any) -> tuple[str, bool]:
        timeout = self.limits.tool_timeout_s
        if name in self.mcp_tools and self.mcp is not None:
            try:
                # The hub bounds the call (a reconnect first, then the call); this is a net.
                async with asyncio.timeout(self.mcp.bound_s(timeout) + 1):
                    return await self.mcp.call(self.mcp_tools[name], args, timeout), True
            except TimeoutError:
                return f"error: {name} timed out after {timeout:g}s", False
            except McpCallFailed as exc:  # down, died, hung, garbage: its text is the model's
                return f"error: {name}: {exc}", False
            except Exception as exc:
                return f"error: {name} failed ({type(exc).__name__}: {exc})", False
        spec = TOOLS[name]
        if name == "run_tests":
            timeout = max(timeout, self.env.test_timeout_s + 5)
        try:
            async with asyncio.timeout(timeout):
                return await spec.handler(args, self.env), True
        except TimeoutError:
            return f"error: {name} timed out after {timeout:g}s", False
        except ToolFailed as exc:
            return f"error: {exc}", False
        except Exception as exc:  # a tool bug is reported to the model, never raised
            return f"error: {name} failed ({type(exc).__name__}: {exc})", False

    async def _note(self, msg: str, data: dict[str, Any]) -> None:
        if self.on_note:
            await self.on_note(msg, data)

    @staticmethod
    def _add_usage(total: ModelUsage, part: ModelUsage) -> None:
        total.model = part.model
        total.prompt_tokens += part.prompt_tokens
        total.completion_tokens += part.completion_tokens
        total.cost_usd += part.cost_usd
        total.latency_ms += part.latency_ms
