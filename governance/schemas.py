"""Boundary schemas: what sensors send in and what providers hand back.

Everything that crosses a seam (sensor -> router -> orchestrator, provider -> governance)
is one of these pydantic models, so malformed data fails at the boundary with a clear
message instead of deep inside a phase.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from governance.errors import CandidateParseError


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class Source(StrEnum):
    """Who noticed the work: an envelope's `source`. A StrEnum, so the ledger's rows, the
    intake WAL and JSON keep the same text; the envelope itself holds a plain str (a source
    from an older WAL or another tool still parses, and tables fall back for it)."""

    TODO = "todo_scanner"  # sensors.todo
    TEST_FAILURE = "test_failure"  # sensors.failing_tests
    BACKLOG = "backlog"  # sensors.backlog
    PERF_REGRESSION = "perf_regression"  # sensors.perf_regression
    OPPORTUNITY = "opportunity_miner"  # sensors.opportunity
    DOC_STALENESS = "doc_staleness"  # sensors.doc_staleness
    SCHEDULED = "scheduled"  # sensors.scheduled
    GITHUB_ISSUE = "github_issue"  # sensors.github_webhook
    HUMAN = "human"  # sensors.human: `ouroboros signal`
    REVIEW = "review"  # governance.git.review: an accept op
    # The seed's other names (routing and proof tables read them); no sensor here emits them.
    VOICE_HUMAN = "voice_human"
    RUNTIME_HEALTH = "runtime_health"
    AI_MINER = "ai_miner"
    EXPLORATION = "exploration"
    ARCHITECTURE = "architecture"
    INTENT_DISCOVERY = "intent_discovery"


def new_op_id() -> str:
    return f"op-{uuid.uuid4().hex[:16]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


MAX_FOCUS_LINES = 64


class SignalEnvelope(BaseModel):
    """A unit of noticed work, as a sensor emits it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1)
    urgency: Urgency = Urgency.NORMAL
    target_files: tuple[str, ...] = Field(min_length=1)
    goal: str = Field(min_length=1)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    dedup_key: str = Field(min_length=1)
    session_id: str = Field(min_length=1)
    evidence: dict[str, Any] = Field(default_factory=dict)
    # Lines (1-based) of target_files[0] the work is about: a prompt with no room for the
    # whole file shows these (governance.brains.files_shown.excerpt).
    focus_lines: tuple[int, ...] = Field(default=(), max_length=MAX_FOCUS_LINES)
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("focus_lines")
    @classmethod
    def _positive(cls, lines: tuple[int, ...]) -> tuple[int, ...]:
        if any(n < 1 for n in lines):
            raise ValueError(f"focus lines are 1-based line numbers: {lines!r}"[:200])
        return lines

    @field_validator("target_files")
    @classmethod
    def _relative_posix(cls, files: tuple[str, ...]) -> tuple[str, ...]:
        for f in files:
            if not f or f.startswith("/") or "\\" in f or "\x00" in f:
                raise ValueError(f"target file must be a relative POSIX path: {f!r}")
        return files


class FileChangeDescriptor(BaseModel):
    file_path: str
    change: str = ""
    rationale: str = ""
    new: bool = False  # the change creates this file: it need not exist yet


class PlanResult(BaseModel):
    """The plan.1 schema: the model's strategy before it writes code."""

    model_config = ConfigDict(extra="ignore")

    schema_version: Literal["plan.1"] = Field(default="plan.1", alias="schema")
    approach: str
    complexity: Literal["trivial", "simple", "moderate", "complex", "architectural"] = "simple"
    ordered_changes: list[FileChangeDescriptor] = Field(default_factory=list)
    risk_factors: list[str] = Field(default_factory=list)
    test_strategy: str = ""
    architectural_notes: str = ""


class FileChange(BaseModel):
    """One file of a candidate: its whole new content, or its deletion."""

    model_config = ConfigDict(extra="forbid")

    file_path: str = Field(min_length=1)
    full_content: str | None = None
    action: Literal["write", "delete"] = "write"
    rationale: str = ""

    @model_validator(mode="after")
    def _content_matches_action(self) -> FileChange:
        if self.action == "write" and self.full_content is None:
            raise ValueError(f"{self.file_path}: action 'write' needs full_content")
        if self.action == "delete" and self.full_content is not None:
            raise ValueError(f"{self.file_path}: action 'delete' takes no full_content")
        return self


class Candidate(BaseModel):
    """A proposed change: single file, several files (`files`), or an explicit no-op."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["candidate.1"] = Field(default="candidate.1", alias="schema")
    file_path: str | None = None
    full_content: str | None = None
    files: list[FileChange] | None = None
    no_op: bool = False
    rationale: str = ""

    @model_validator(mode="after")
    def _one_shape(self) -> Candidate:
        single = self.file_path is not None
        multi = self.files is not None
        if sum([single, multi, self.no_op]) != 1:
            raise ValueError("a candidate is exactly one of: file_path+full_content, files, no_op")
        if single and self.full_content is None:
            raise ValueError("a single-file candidate needs full_content")
        if multi and not self.files:
            raise ValueError("'files' must list at least one file")
        if multi:
            paths = [f.file_path for f in self.files or []]
            if len(set(paths)) != len(paths):
                raise ValueError("'files' lists the same path twice")
        return self

    def changes(self) -> list[FileChange]:
        """The candidate as a uniform list of file changes (empty for a no-op)."""
        if self.no_op:
            return []
        if self.files is not None:
            return list(self.files)
        assert self.file_path is not None
        return [FileChange(file_path=self.file_path, full_content=self.full_content,
                           rationale=self.rationale)]


class ToolRecord(BaseModel):
    """One tool call made during generation (filled by the tool loop)."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    verdict: str = "allowed"
    result_bytes: int = 0
    duration_ms: float = 0.0


class ModelUsage(BaseModel):
    provider: str
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    # cost_usd is a nominal charge, not money: the in-process kernel's provider.usd_per_mtok,
    # which lets the cost ceilings bound local compute (said as "nominal" where it is shown)
    nominal: bool = False
    latency_ms: float = 0.0
    # Where the time went, when the provider can tell (the kernel can; an HTTP API reports
    # only the whole latency): the prompt tokens the prefill computed (less a reused
    # prefix) and how long that took. The brain's measured speed (governance.routes.throughput).
    prefill_tokens: int | None = None
    prefill_ms: float | None = None
    decode_tokens: int | None = None  # tokens decoded in all, when more than the reply's


class GenerationResult(BaseModel):
    candidate: Candidate
    rationale: str = ""
    tool_records: list[ToolRecord] = Field(default_factory=list)
    usage: ModelUsage
    raw_text: str = ""

    @property
    def cost_usd(self) -> float:
        return self.usage.cost_usd


class RefusedAnswer(BaseModel):
    """A candidate this op already refused (governance.phases.repeats): its normalized
    signature, the files it named, the attempt that gave it and why it was refused."""

    signature: str
    files: list[str] = Field(default_factory=list)
    attempt: int = 0
    reason: str = ""
    times: int = 1  # how many times the brain gave it


class OperationContext(BaseModel):
    """What the pipeline knows about one op; serialized into the ledger at each step."""

    op_id: str = Field(default_factory=new_op_id)
    envelope: SignalEnvelope
    risk_tier: str | None = None
    risk_rule: str | None = None
    route: str | None = None
    context_files: list[str] = Field(default_factory=list)
    # The reply format the op's brain is told (governance.edit_blocks, set at ROUTE): the
    # same in each of its steps, so their prompts share their start.
    reply_form: Literal["json", "blocks"] = "json"
    plan: PlanResult | None = None
    generation: GenerationResult | None = None
    # Best of N: this attempt's other usable samples, judged after `generation` at VALIDATE
    # (governance.phases.samples); not serialized (GENERATE's payload names them).
    alternates: list[GenerationResult] = Field(default_factory=list, exclude=True)
    generate_attempts: int = 0
    # Candidates refused so far, and answers that repeated one (in all; in a row now):
    # a repeat is refused at once, and a brain that keeps repeating ends the op
    # (governance.phases.repeats)
    refused: list[RefusedAnswer] = Field(default_factory=list)
    repeats: int = 0
    repeat_streak: int = 0
    # ops of this work that failed in a row in the context this one starts from
    # (sensors.work_memory): this one asks otherwise (governance.phases.repeats.variation)
    failed_before: int = 0
    failures: dict[str, int] = Field(default_factory=dict)  # per budget: governance.retry
    last_failure: str | None = None
    l2_runs: int = 0  # L2 self-repair runs so far (one after VALIDATE, one after VERIFY)
    l2_iteration: int = 0  # the iteration the current L2 run is in (status shows it)
    verify_repaired: bool = False  # L2 already repaired a VERIFY failure: the next one ends
    regrounds: int = 0  # re-grounds after a collapsed reply (governance.brains.reflex)
    cautions: list[str] = Field(default_factory=list)  # governance.memory.memory's, for the prompt
    lessons: list[str] = Field(default_factory=list)  # governance.memory.lessons', at GENERATE
    digest: str = ""  # governance.memory.digest's strategic digest, at GENERATE
    base_head: str | None = None
    base_branch: str | None = None  # GitOps.branch() at CLASSIFY ("HEAD": detached)
    live_hashes: dict[str, str | None] = Field(default_factory=dict)
    diff_preview: str = ""  # GATE's redacted diff of the candidate, shown again at APPROVE
    evidence: str = ""  # GATE's proof (governance.proof.rules): the commit's Evidence trailer
    to_review: bool = False  # GATE: not proven, or needs a human: a review branch, not APPLY
    # PROPOSE: the op whose open review already held this work; this op's candidate joined
    # it (no branch of its own), and its work waits for that review (sensors.work_memory)
    review_of: str | None = None
    rollback_dir: str | None = None
    applied: bool = False
    commit_sha: str | None = None
    cost_usd: float = 0.0
    nominal_usd: float = 0.0  # the part of cost_usd that is nominal (ModelUsage.nominal)


_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


def _json_objects(text: str) -> list[str]:
    """Candidate JSON spans in model text: the whole text, fenced blocks, outermost braces."""
    stripped = text.strip()
    spans = [stripped] if stripped.startswith(("{", "[")) else []
    spans += [m.group(1).strip() for m in _FENCE.finditer(text)]
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        spans.append(text[first : last + 1])
    return spans


def parse_model_json(text: str, model: type[BaseModel], what: str) -> Any:
    """Parse a model's reply into `model`, or raise CandidateParseError saying why."""
    errors: list[str] = []
    for span in _json_objects(text):
        try:
            data = json.loads(span)
        except json.JSONDecodeError as exc:
            errors.append(f"invalid JSON ({exc.msg} at line {exc.lineno} col {exc.colno})")
            continue
        except RecursionError:  # nested past the interpreter's limit: garbage, not a crash
            errors.append("JSON nested too deeply")
            continue
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "<root>"
            errors.append(f"JSON does not fit {what}: {loc}: {first['msg']}")
    detail = errors[-1] if errors else "no JSON object found"
    raise CandidateParseError(f"model reply is not a valid {what}: {detail}")


def parse_candidate(text: str) -> Candidate:
    return parse_model_json(text, Candidate, "candidate.1")


def parse_plan(text: str) -> PlanResult:
    return parse_model_json(text, PlanResult, "plan.1")


# The reply contracts as JSON Schemas (governance.brains.prompts states them to the model): data a
# provider may decode under (ReplyShape). They allow only what the models above accept,
# except what a schema cannot say (two entries of `files` naming the same path), and a
# file's edits, which governance.candidate_edits turns into whole files before a Candidate.
_PATH = {"type": "string", "minLength": 1}
_TEXT = {"type": "string"}


def _object(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False}


_WRITE = _object({"file_path": _PATH, "full_content": _TEXT, "action": {"const": "write"},
                  "rationale": _TEXT}, "file_path", "full_content")
_DELETE = _object({"file_path": _PATH, "action": {"const": "delete"}, "rationale": _TEXT},
                  "file_path", "action")
# Exact search/replace edits of one file (governance.candidate_edits resolves them into
# whole files at GENERATE; nothing after it sees an edit).
_EDITS = {"type": "array", "minItems": 1, "maxItems": 64, "items": _object(
    {"search": {"type": "string", "minLength": 1}, "replace": _TEXT}, "search", "replace")}
_EDIT = _object({"file_path": _PATH, "edits": _EDITS, "rationale": _TEXT},
                "file_path", "edits")
_CANDIDATE_TAG = {"const": "candidate.1"}
CANDIDATE_JSON_SCHEMA: dict[str, Any] = {"anyOf": [
    _object({"schema": _CANDIDATE_TAG, "file_path": _PATH, "edits": _EDITS,
             "rationale": _TEXT}, "schema", "file_path", "edits"),
    _object({"schema": _CANDIDATE_TAG, "file_path": _PATH, "full_content": _TEXT,
             "rationale": _TEXT}, "schema", "file_path", "full_content"),
    _object({"schema": _CANDIDATE_TAG, "files": {"type": "array", "minItems": 1,
                                                 "items": {"anyOf": [_EDIT, _WRITE, _DELETE]}},
             "rationale": _TEXT}, "schema", "files"),
    _object({"schema": _CANDIDATE_TAG, "no_op": {"const": True}, "rationale": _TEXT},
            "schema", "no_op"),
]}
PLAN_JSON_SCHEMA: dict[str, Any] = _object({
    "schema": {"const": "plan.1"}, "approach": _TEXT,
    "complexity": {"enum": ["trivial", "simple", "moderate", "complex", "architectural"]},
    "ordered_changes": {"type": "array", "items": _object(
        {"file_path": _PATH, "change": _TEXT, "rationale": _TEXT, "new": {"type": "boolean"}},
        "file_path", "change")},
    "risk_factors": {"type": "array", "items": _TEXT}, "test_strategy": _TEXT,
    "architectural_notes": _TEXT}, "schema", "approach", "complexity", "ordered_changes")
