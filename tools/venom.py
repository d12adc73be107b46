"""Venom: opens one tool session per op (sandbox + policy + tool loop) for GENERATE.

This is the implementation of governance's ToolSessions protocol; the daemon builds it
and governance only ever sees the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance import candidate_edits, edit_blocks
from governance.brains import reflex
from governance.brains.provider import CandidateProvider, ModelReply, SessionDeps
from governance.errors import CandidateParseError
from governance.phase import Phase
from governance.schemas import Candidate, OperationContext
from tools.env import ToolEnv
from tools.exploration import ExplorationLedger, path_key
from tools.jail import JailLimits
from tools.loop import LoopLimits, ToolEvent, ToolLoopCoordinator
from tools.mcp_hub import McpHub
from tools.policy import PolicyContext
from tools.transcript import tool_instructions
from tools.workspace import Workspace


@dataclass(frozen=True)
class VenomConfig:
    """Built from the settings (daemon.phase_deps.venom_config); no defaults of its own."""

    loop: LoopLimits
    jail: JailLimits
    disabled: frozenset[str]
    web_allowlist: tuple[str, ...]
    test_timeout_s: float
    ask_timeout_s: float
    min_exploration_calls: int
    allow_unsandboxed_tests: bool


class VenomSession:
    def __init__(self, workspace: Workspace, loop: ToolLoopCoordinator,
                 targets: tuple[str, ...] = ()):
        self.workspace = workspace
        self.loop = loop
        self.targets = targets
        self.min_calls = loop.exploration.min_calls
        self.edited: list[str] = []  # files the candidate changes that existed before
        self.stated: list[str] = []  # those of them the final answer changed (not a tool)

    async def run(self, provider: CandidateProvider, prompt: str, *,
                  deadline: float) -> ModelReply:
        return await self.loop.run(provider, prompt, deadline=deadline)

    def candidate(self, final_text: str) -> Candidate | None:
        """What the file tools and the final answer wrote; files a jailed command made or
        changed are left out (workspace.left_out says which, exploration() reports it)."""
        stated = _stated_candidate(final_text, self.workspace.root)
        by_tools = self._existing_changed()
        if stated is not None and stated.no_op:
            self.edited = sorted(by_tools)
            found = self.workspace.candidate("", only_written=True)
            return stated if found is None else None
        if stated is not None:
            self.workspace.apply(stated)
        self.edited = sorted(self._existing_changed())
        self.stated = sorted(set(self.edited) - by_tools)
        try:
            found = self.workspace.candidate(stated.rationale if stated else final_text[:2000],
                                             only_written=True)
        except ValueError as exc:
            raise CandidateParseError(str(exc)) from None
        return found

    def _existing_changed(self) -> set[str]:
        modified, _, deleted = self.workspace.proposable()
        return {*modified, *deleted}

    def exploration(self, complexity: str) -> tuple[bool, str, dict[str, Any]]:
        """The exploration gate, judged on what candidate() found (call it first). The
        summary (recorded as a thought) names the files the candidate left out."""
        present = [t for t in self.targets if t in self.workspace.base]
        ok, feedback = self.loop.exploration.verdict(complexity, present, self.edited,
                                                     self.stated)
        summary = {**self.loop.exploration.summary(), "complexity": complexity}
        if self.workspace.left_out:
            summary["left_out"] = self.workspace.left_out[:50]
        return ok, feedback, summary

    def close(self) -> None:
        self.workspace.destroy()


def _stated_candidate(text: str, sandbox: Path) -> Candidate | None:
    """A candidate the final answer states, if it states one (prose-only answers don't);
    its edits apply to the sandbox's files (governance.candidate_edits)."""
    blocks = edit_blocks.has_blocks(text)
    if "{" not in text and not blocks:
        return None
    try:
        return candidate_edits.stated(text, candidate_edits.live_base(
            sandbox, allow_non_ascii=True, allow_hardlinks=True))
    except CandidateParseError as exc:
        if isinstance(exc, candidate_edits.EditRefused) or blocks or any(
                key in text for key in ('"full_content"', '"no_op"', '"files"', '"edits"')):
            raise  # it tried to state one and got it wrong: say so
        return None


class Venom:
    def __init__(self, config: VenomConfig, jail_reason: str | None, home: Path,
                 mcp: McpHub | None = None):
        self.config = config
        self.jail_reason = jail_reason
        self.home = home
        self.mcp = mcp

    def overhead(self) -> str:
        return tool_instructions()

    def open(self, ctx: OperationContext, phase: Phase, deps: SessionDeps) -> VenomSession:
        d = deps
        dest = d.state_dir / "sandboxes" / f"{ctx.op_id}-gen"
        workspace = Workspace.create(d.root, dest, ctx.envelope.target_files, d.state_rel,
                                     d.policy.protected_globs)
        tier = ctx.risk_tier or "SAFE_AUTO"
        questions = d.questions

        async def ask(question: str, timeout_s: float) -> str | None:
            if questions is None:
                return None
            await d.thought(ctx, phase, "asking the human", question=question,
                            answer_with=f"ouroboros answer {ctx.op_id} TEXT")
            return await questions.ask(ctx.op_id, question, timeout_s)

        env = ToolEnv(workspace=workspace, git=d.git, state_rel=d.state_rel,
                      hidden=[self.home, d.root, d.state_dir],
                      protected_globs=d.policy.protected_globs, jail_reason=self.jail_reason,
                      allow_unsandboxed_tests=self.config.allow_unsandboxed_tests,
                      limits=self.config.jail,
                      tests=d.validate_runner.with_timeout(self.config.test_timeout_s),
                      test_scratch=d.state_dir / "oracle",
                      risk_tier=tier, ask_human=ask, ask_timeout_s=self.config.ask_timeout_s,
                      web_allowlist=self.config.web_allowlist)
        policy = PolicyContext(workspace.root, d.state_rel, d.policy.protected_globs, tier,
                               self.config.disabled, self.jail_reason,
                               self.config.allow_unsandboxed_tests,
                               allow_non_ascii=d.policy.allow_non_ascii_paths)

        async def on_reply(reply: ModelReply) -> None:
            await d.record_reply(ctx, phase, reply)

        async def on_tool(e: ToolEvent) -> None:
            await d.ledger.record_tool_call(
                ctx.op_id, round=e.round, tool=e.tool, arguments=e.arguments,
                verdict=e.verdict, rule=e.rule, reason=e.reason, result_bytes=e.result_bytes,
                truncated=e.truncated, duration_ms=e.duration_ms)

        async def on_note(msg: str, data: dict[str, Any]) -> None:
            await d.thought(ctx, phase, msg, **data)

        band = reflex.Band.of(d.policy)
        loop = ToolLoopCoordinator(env, policy, self.config.loop, on_reply, on_tool, on_note,
                                   self.mcp, ExplorationLedger(self.config.min_exploration_calls),
                                   band=band)
        targets = tuple(k for t in ctx.envelope.target_files if (k := path_key(t)))
        return VenomSession(workspace, loop, targets)

