"""The tool policy (Iron Gate at the tool boundary): a rule ladder, first match decides.

  0 manifest      the tool exists (0b: an MCP tool discovered this session, mcp_<srv>_<tool>)
  1 schema        arguments validate against its schema
  2 enabled       the tool is switched on (web_fetch is off by default)
  3 sandbox       bash / run_tests need a working bubblewrap
  4 human         ask_human only for NOTIFY_APPLY / APPROVAL_REQUIRED ops
  5 paths         every path argument is clean text (governance.fs.protected.normalize: no
                  `..`, no look-alike or non-ASCII characters unless configured), is not
                  protected, passes through no symlink in the sandbox, and names the kind
                  of entry the tool works on (a file for file tools, a directory for
                  list_dir; missing is fine, the handler says so)
  6 command       bash commands pass the command policy
  7 rate          per-tool call budget per op
Every decision (allowed or not) is recorded with its rule and reason. The policy is a
check at one instant; the handlers re-check at the moment of use through
governance.fs.nofollow, so a jailed process racing the two gains nothing.
"""

from __future__ import annotations

import fnmatch
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from governance.fs import nofollow
from governance.fs.protected import PathEscape, normalize, protected_reason
from tools.args import Args
from tools.builtin import TOOLS
from tools.command_policy import check_command
from tools.mcp_hub import McpTool, check_arguments

MCP_RATE_LIMIT = 20

DEFAULT_DISABLED = frozenset({"web_fetch"})
HUMAN_TIERS = frozenset({"NOTIFY_APPLY", "APPROVAL_REQUIRED"})


@dataclass(frozen=True)
class PolicyContext:
    sandbox_root: Path
    state_rel: str
    protected_globs: tuple[str, ...] = ()
    risk_tier: str = "SAFE_AUTO"
    disabled: frozenset[str] = DEFAULT_DISABLED
    jail_reason: str | None = None
    allow_unsandboxed_tests: bool = False
    allow_non_ascii: bool = False  # governance.allow_non_ascii_paths


_ROOT = frozenset({".", "./"})

@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    reason: str
    args: Args | dict[str, Any] | None = None


def _deny(rule: str, reason: str) -> Decision:
    return Decision(False, rule, reason)


def _paths(spec_fields: tuple[str, ...], args: Args) -> list[str]:
    out = []
    for name in spec_fields:
        value = getattr(args, name)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out += [v.split("::", 1)[0] for v in value]
    return out


def _path_problem(rel: str, kind: str, ctx: PolicyContext) -> str | None:
    """Why path argument `rel` is refused for a tool working on `kind`, or None."""
    if rel in _ROOT:
        return "the repository root is not a file" if kind == "file" else None
    if rel.startswith("-"):  # run_tests passes paths to pytest's argv
        return f"{rel[:80]!r} looks like a command-line option, not a path"
    try:
        norm = normalize(rel, allow_non_ascii=ctx.allow_non_ascii)
        why = protected_reason(norm, ctx.state_rel, ctx.protected_globs)
        if why:
            return f"{rel} is protected ({why})"
        st = nofollow.lstat(ctx.sandbox_root, norm)
    except (PathEscape, OSError) as exc:  # nofollow.UnsafePath is a PathEscape
        return str(exc)
    if st is None:
        return None
    found = nofollow.kind_of(st.st_mode)
    if found in ("symlink", "other"):
        return f"{rel} is a {found if found == 'symlink' else 'special file'}; refused"
    if kind == "file" and stat.S_ISDIR(st.st_mode):
        return f"{rel} is a directory; this tool works on files"
    if kind == "dir" and not stat.S_ISDIR(st.st_mode):
        return f"{rel} is not a directory"
    return None


def _evaluate_mcp(tool: McpTool, raw_args: Any, ctx: PolicyContext,
                  calls_so_far: Mapping[str, int]) -> Decision:
    problem = check_arguments(tool.schema, raw_args)
    if problem:
        return _deny("schema", problem)
    if any(fnmatch.fnmatchcase(tool.name, pattern) for pattern in ctx.disabled):
        return _deny("enabled", f"{tool.name} is disabled by configuration")
    if calls_so_far.get(tool.name, 0) >= MCP_RATE_LIMIT:
        return _deny("rate", f"{tool.name} may be called {MCP_RATE_LIMIT} times per op")
    return Decision(True, "allowed:mcp", f"MCP tool of server {tool.server!r}", raw_args)


def evaluate(tool: str, raw_args: Any, ctx: PolicyContext, calls_so_far: Mapping[str, int],
             mcp_tools: Mapping[str, McpTool] | None = None) -> Decision:
    """The first rule that decides; an unexpected error in a rule is a refusal, never raised."""
    try:
        return _evaluate(tool, raw_args, ctx, calls_so_far, mcp_tools)
    except Exception as exc:  # a gate that cannot decide says no
        return _deny("internal", f"the policy could not judge this call "
                                 f"({type(exc).__name__}: {str(exc)[:200]})")


def _evaluate(tool: str, raw_args: Any, ctx: PolicyContext, calls_so_far: Mapping[str, int],
              mcp_tools: Mapping[str, McpTool] | None) -> Decision:
    if not isinstance(tool, str):
        return _deny("manifest", f"tool name must be text, got {type(tool).__name__}")
    spec = TOOLS.get(tool)
    if spec is None and mcp_tools and tool in mcp_tools:
        return _evaluate_mcp(mcp_tools[tool], raw_args, ctx, calls_so_far)
    if spec is None:
        known = sorted([*TOOLS, *(mcp_tools or {})])
        return _deny("manifest", f"unknown tool {tool!r}; known: {', '.join(known)}")
    if not isinstance(raw_args, dict):
        return _deny("schema", "arguments must be a JSON object")
    try:
        args = spec.args.model_validate(raw_args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        return _deny("schema", f"{where}: {first['msg']}")
    if tool in ctx.disabled:
        return _deny("enabled", f"{tool} is disabled by configuration")
    unjailed_ok = tool == "run_tests" and ctx.allow_unsandboxed_tests
    if tool in ("bash", "run_tests") and ctx.jail_reason is not None and not unjailed_ok:
        return _deny("sandbox", f"{tool} needs the sandbox: {ctx.jail_reason}")
    if tool == "ask_human" and ctx.risk_tier not in HUMAN_TIERS:
        return _deny("human", "ask_human is only for NOTIFY_APPLY and APPROVAL_REQUIRED ops")
    for rel in _paths(spec.path_fields, args):
        problem = _path_problem(rel, spec.path_kind, ctx)
        if problem:
            return _deny("paths", problem)
    if tool == "bash":
        verdict = check_command(args.command, str(ctx.sandbox_root.resolve()))  # type: ignore[attr-defined]
        if not verdict.allowed:
            return _deny(f"command:{verdict.rule}", verdict.reason)
    if calls_so_far.get(tool, 0) >= spec.rate_limit:
        return _deny("rate", f"{tool} may be called {spec.rate_limit} times per op")
    return Decision(True, "allowed", "all rules passed", args)
