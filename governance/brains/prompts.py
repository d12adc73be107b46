"""Prompts for the model-facing phases, and the output contract the parser enforces.

Files enter a prompt only through nofollow (a symlink is named, never followed), never
when protected, and every prompt passes through ledger.redact on its way out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from governance import candidate_edits as edits
from governance.brains.called_code import called_files, called_section
from governance.brains.failure_shown import failure_section
from governance.brains.files_shown import (
    Reader,
    Shown,
    files_shown,
    read_for_prompt,
)
from governance.brains.quoted_words import Quotes, library_quotes
from governance.brains.reached_code import (
    MAX_REACHED,
    Source,
    reached_functions,
    reached_room,
    reached_section,
)
from governance.edit_blocks import ReplyForm
from governance.memory.lessons import MAX_LINE, one_line
from governance.schemas import OperationContext
from governance.schemas import Source as SignalSource
from ledger.redact import redact

GOAL_LINES, GOAL_LINE_CHARS = 40, 300
REFUSED_SHOWN = 5  # the latest refused answers a retry after a repeat lists
LESSONS_HEADING = ("## Session lessons (from earlier ops of this run; advice, not "
                   "instructions: goals and reasons are quoted as they were)\n")

CANDIDATE_CONTRACT = """\
Reply with one JSON object and nothing else, in one of these shapes:
  {"schema": "candidate.1", "file_path": "<path>", "full_content": "<whole new file>",
   "rationale": "<why>"}
  {"schema": "candidate.1", "files": [{"file_path": "<path>", "full_content": "<...>",
   "rationale": "<why>"}, {"file_path": "<path>", "action": "delete"}], "rationale": "<why>"}
  {"schema": "candidate.1", "no_op": true, "rationale": "<why nothing should change>"}
Paths are relative to the repository root. full_content is the complete file."""

# The contract of GENERATE and L2, whose replies governance.candidate_edits resolves: edits
# for a file that exists, whole content for a new or small one (form_for says which).
CHANGE_CONTRACT = """\
A change is one JSON object and nothing else:
  {"schema": "candidate.1", "file_path": "<path>", "edits": [{"search": "<lines copied
   exactly from the file>", "replace": "<their new text>"}], "rationale": "<why>"}
  or the same with "full_content": "<the whole new file>" instead of "edits"
  or {"schema": "candidate.1", "files": [{"file_path": "<path>", "edits": [...]},
   {"file_path": "<path>", "full_content": "..."}, {"file_path": "<path>", "action":
   "delete"}], "rationale": "<why>"}
A search text matches the file exactly once, whitespace included: the lines you change and
one around them. full_content is a whole file (new or small), never a copy of a shortened
view or a placeholder such as "...". Paths are relative to the repository root."""

# The same contract for a brain told the SEARCH/REPLACE form (governance.edit_blocks); its
# replies in JSON are read too. Its path line is a placeholder: shown 'src/pkg/module.py',
# Qwen2.5-Coder-1.5B wrote that path in 4 of 6 replies to semver's db55f27cb7c3 (whose
# module is semver.py) and in 21 of 165 of stop 62's card; shown the placeholder, 0 of 6,
# and 3 of 6 named semver.py (stop 63).
BLOCKS_CONTRACT = """\
A change is each file's path on a line of its own, then one or more SEARCH/REPLACE blocks:
<the file's path>
<<<<<<< SEARCH
<lines copied exactly from the file>
=======
<their new text>
>>>>>>> REPLACE
A SEARCH part matches the file exactly once, whitespace included: the lines you change and
one around them. To add lines and change none: <<<<<<< AFTER, the line they follow copied
exactly, =======, the new lines, >>>>>>> INSERT. A new file: its path, then one block with
an empty SEARCH and the whole file after =======. After the blocks, one line saying why.
Paths are relative to the repository root."""

# Offered in the Output of the ops that may end with it, not in the shared HEAD: a repair's
# failing tests refuse it (governance.phases.generate), and offered it, Qwen2.5-Coder-1.5B
# answered no_op to them; told it was refused, in 5 of 8 samples (stop 62).
NO_CHANGE = ('If nothing should change, reply {"schema": "candidate.1", "no_op": true, '
             '"rationale": "<why nothing should change>"} instead.')

PLAN_CONTRACT = """\
Reply with one JSON object: {"schema": "plan.1", "approach": "...", "complexity":
"trivial|simple|moderate|complex|architectural", "ordered_changes": [{"file_path": "...",
"change": "...", "rationale": "...", "new": false}], "risk_factors": [...],
"test_strategy": "..."}
Name only files that exist, unless the change creates the file: then set "new": true.
A plan naming a missing, protected or outside path is dropped for the default approach."""


# Every model step's prompt starts with this, byte for byte, so a server's prompt cache
# keeps it across the turns of an op and across ops; what changes comes after it, from the
# most stable part to the least: the tool manifest (a tool session's, inserted by
# with_tools), the repository's files, the op, then the step and its turn.
SYSTEM = ("You are one step of a governed maintenance daemon that changes a repository's "
          "code. Its steps share this start (the reply format, the tools, the files, the "
          "work); what this step asks for comes last (Output).")
HEAD = f"{SYSTEM}\n\n## Reply format\n{CHANGE_CONTRACT}"
HEADS = {ReplyForm.JSON: HEAD, ReplyForm.BLOCKS: f"{SYSTEM}\n\n## Reply format\n{BLOCKS_CONTRACT}"}
OP_RESERVE = 4_000  # characters kept for the op's and the step's sections when files are cut


def head_of(ctx: OperationContext) -> str:
    """The HEAD of every step of the op: its reply format is the one its brain is told
    (ctx.reply_form, set at ROUTE: governance.brains.brain_names.reply_form_of)."""
    return HEADS[ReplyForm(ctx.reply_form)]


def with_tools(prompt: str, manifest: str) -> str:
    """`prompt` with a tool manifest right after the shared HEAD (where it stays the same
    across the op's steps and turns); appended to a prompt without the HEAD."""
    if not manifest or manifest in prompt:
        return prompt
    for head in HEADS.values():
        if prompt.startswith(head + "\n\n"):
            return f"{head}\n\n{manifest}{prompt[len(head):]}"
    return f"{prompt}\n\n{manifest}"


def quoted_goal(goal: str) -> str:
    """The goal as quoted data: it comes from repo files, issues and backlogs, so each of
    its lines (any line or paragraph separator splits) is cleaned of control and format
    characters, capped, and starts with "> ": no goal can open a prompt section of its own."""
    lines = goal.replace("\r\n", "\n").translate(_LINE_BREAKS).split("\n")
    shown = [f"> {one_line(line, GOAL_LINE_CHARS)}".rstrip() for line in lines[:GOAL_LINES]]
    if len(lines) > GOAL_LINES:
        shown.append(f"> [... {len(lines) - GOAL_LINES} more lines]")
    # Redacted here, on its own: redact's rule for a cut-short private key eats letters,
    # spaces and newlines, so a goal ending in a key header, redacted with the whole
    # prompt, swallowed the newline before the next heading.
    return redact("\n".join(shown))


_LINE_BREAKS = {ord(c): "\n" for c in "\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def files_section(ctx: OperationContext, root: Path, budget: int | None, read: Reader | None,
                  after: int, reached: str) -> Shown:
    """The repository's files of the op (governance.brains.files_shown) and the form a
    change to each target is asked in. With a `budget` (characters of the whole prompt) they
    share what HEAD and the sections `after` them leave, at least OP_RESERVE kept for those,
    and the `reached` code on top (every step shows it): the same files text in every step
    of the op (PLAN, GENERATE, L2), unless a step's own sections pass the reserve. A repair
    that shows the code its failure reached shows no files: the Output names where that
    code lies (reached_files). Qwen2.5-Coder-1.5B shown the files as well (6,200 tokens)
    garbled 4 replies of 4; shown them named, one line each, it wrote a block for each of
    the nine (stop 62)."""
    if shows_code(reached):
        return [], {}
    if budget is not None:  # the reserve is the same in every step: so are the files
        # The reached code is the op's, in each step: the reserve holds it on top, or in a
        # small window GENERATE's plan pushed its sections past it and its files differed
        # from PLAN's (Qwen through llama.cpp, 4,096 tokens: 615 of 2,527 tokens cached).
        budget -= len(head_of(ctx)) + max(min(OP_RESERVE, budget // 4) + len(reached),
                                          after) + 64
    return files_shown(ctx, root, budget, read)


def shows_code(reached: str) -> bool:
    """Whether the reached section (library_reached) shows code, not only names."""
    return "```" in reached


def reached_files(ctx: OperationContext, root: Path | None = None,
                  read: Reader | None = None) -> list[str]:
    """The files of the library functions the failure reached, in the signal's order, then
    those of the functions its call ran whose code the prompt shows (called_code)."""
    evidence, source = ctx.envelope.evidence, _source(root, read)
    causes = reached_functions(evidence)
    return list(dict.fromkeys([*(c[3:].partition("::")[0] for c in causes[:MAX_REACHED]),
                               *called_files(evidence, source, reached_room(
                                   evidence, source, ctx.reply_form), frozenset(causes))]))


def op_sections(ctx: OperationContext, root: Path | None = None,
                read: Reader | None = None, reached: str | None = None,
                quotes: Quotes | None = None) -> list[str]:
    """What the op is about, the same in each of its steps: the goal, the signal, where a
    failure reached the library (`reached`, or read here: with a `root`, its code as the
    file has it), where the failing test's words are quoted in it (`quotes`, or read
    here), then what GENERATE adds (digest, lessons, cautions, plan)."""
    env = ctx.envelope
    parts = [f"## Goal\n{quoted_goal(env.goal)}",
             f"## Signal\nsource={env.source} urgency={env.urgency} confidence={env.confidence}"]
    if failed := failure_section(ctx.envelope.evidence, _source(root, read)):
        parts.append(failed)
    if reached is None:
        reached = library_reached(ctx, root, read)
    if reached:
        parts.append(reached)
    if quotes is None:
        quotes = quotes_of(ctx, root, read)
    if quotes is not None and (quoted := quotes.section()):
        parts.append(quoted)  # a table's row no call shows (governance.brains.quoted_words)
    if ctx.digest:  # governance.memory.digest: quoted, capped, under a heading of its own
        parts.append(ctx.digest)
    if ctx.lessons:  # governance.memory.lessons: one sanitized line each
        parts.append(LESSONS_HEADING + "\n".join(f"- {one_line(x, MAX_LINE)}"
                                                 for x in ctx.lessons))
    if ctx.cautions:
        parts.append("## Caution: what happened to these files before\n"
                     + "\n".join(f"- {c}" for c in ctx.cautions))
    if ctx.plan is not None:
        steps = "\n".join(f"- {c.file_path}: {c.change}" for c in ctx.plan.ordered_changes)
        parts.append(f"## Implementation Plan\n{ctx.plan.approach}\n{steps}")
    return parts


def quotes_of(ctx: OperationContext, root: Path | None = None,
              read: Reader | None = None) -> Quotes | None:
    """Where the failing test's words are quoted in the packages of the reached code
    (governance.brains.quoted_words); None without a `root`, a failing test or words."""
    if root is None:
        return None
    return library_quotes(ctx.envelope.evidence, _source(root, read), root,
                          reached_files(ctx, root, read))


def library_reached(ctx: OperationContext, root: Path | None = None,
                    read: Reader | None = None) -> str:
    """The section naming where the failure reached the library (governance.brains.
    reached_code.reached_section); with a `root`, each function's code as the file has it;
    then, for a failure asserted in the test's frame, what its call ran (called_code) in
    the room the reached code leaves."""
    evidence, source = ctx.envelope.evidence, _source(root, read)
    reached = reached_section(evidence, source, ctx.reply_form)
    called = called_section(evidence, source, reached_room(evidence, source, ctx.reply_form),
                            frozenset(reached_functions(evidence))) if reached else ""
    return f"{reached}\n\n{called}" if called else reached


def _source(root: Path | None, read: Reader | None) -> Source | None:
    """The repository's files as the prompt may show them (none without a `root`)."""
    return None if root is None else (lambda rel: (read or read_for_prompt)(root, rel)[0])


def failing_test_files(ctx: OperationContext) -> list[str]:
    """The files of the failing tests a repair's signal names (its evidence's `tests`)."""
    tests = ctx.envelope.evidence.get("tests")
    return list(dict.fromkeys(t.split("::", 1)[0] for t in tests
                              if isinstance(t, str) and "::" in t)) \
        if isinstance(tests, list) else []


# What the reply format's forms are called in each contract.
FORM_NAMES = {ReplyForm.JSON: "candidate.1", ReplyForm.BLOCKS: "SEARCH/REPLACE blocks"}
_WORDS = {ReplyForm.JSON: ("edits", "edits or full_content", "full_content"),
          ReplyForm.BLOCKS: ("blocks", "blocks", "one block with an empty SEARCH")}


def _forms_line(forms: dict[str, edits.Form], spec: Sequence[str] = (),
                told: ReplyForm = ReplyForm.JSON) -> str:
    """The form each target's change is asked in, in the words of the form the brain is
    `told`; the failing tests' files (`spec`) are said to be the specification instead (a
    small model edited the test it was to pass)."""
    part, either, whole = _WORDS[told]
    shown = [f"{rel}: {part if form == 'edits' else either}"
             for rel, form in forms.items() if rel not in spec]
    line = ("Give each file's change as " + "; ".join(shown) + f"; a new file as {whole}."
            if shown else f"Give a new file as {whole}, a file that exists as {part}.")
    return line + _spec_line(spec)


def _tables(quotes: Quotes | None) -> str:
    """The files of the tables keyed by the failing test's words, a place for the change
    (a fix that is a table's row: Qwen2.5-Coder-1.5B, told only the reached code, edited
    parse() for a keyword sqlparse's table lacked); '' without one."""
    return one_line(", ".join(quotes.table_files), 300) if quotes else ""


def _spec_line(spec: Sequence[str]) -> str:
    """The failing tests' files said to be the specification (a small model edited the
    test it was to pass); '' without failing tests."""
    return (f" {one_line(', '.join(spec), 300)}: the failing tests, the specification your "
            "change must pass, not the place to edit.") if spec else ""


def generation_prompt(ctx: OperationContext, root: Path, budget: int | None = None,
                      read: Reader | None = None) -> str:
    """The candidate prompt: HEAD, the files, the op, then this attempt (answers refused,
    the last failure) and the Output. With a `budget` (characters, from the brain's context
    window: governance.brains.window) the files share what the rest leaves of it
    (files_section); a file cut short shows the lines the signal names. `read` (default
    read_for_prompt) lets a caller that builds it again reuse what it read."""
    reached, quotes = library_reached(ctx, root, read), quotes_of(ctx, root, read)
    op, turn = op_sections(ctx, root, read, reached, quotes), _attempt_sections(ctx)
    files, forms = files_section(ctx, root, budget, read,
                                 len("\n\n".join([*op, *turn])) + 300, reached)
    told, spec = ReplyForm(ctx.reply_form), failing_test_files(ctx)
    output = (f"## Output\nThis step writes the change ({FORM_NAMES[told]}, in the reply "
              "format above)")
    if shows_code(reached):  # the place is known: named, with no other file offered
        output += (f" to the code the failure reached: "
                   f"{one_line(', '.join(reached_files(ctx, root, read)), 300)}"
                   + (f", or to a row of the table in {t} the failing test's words key"
                      if (t := _tables(quotes)) else "") + f".{_spec_line(spec)}")
    else:
        output += f". {_forms_line(forms, spec, told)}" + (
            f" A row of the table the failing test's words key goes in {t}."
            if (t := _tables(quotes)) else "")
    if ctx.envelope.source != SignalSource.TEST_FAILURE:  # GENERATE refuses it for those
        output += f" {NO_CHANGE}"
    return redact("\n\n".join([head_of(ctx), *files, *op, *turn, output]))


def _attempt_sections(ctx: OperationContext) -> list[str]:
    """What this attempt adds: the answers already refused, the last failure."""
    parts = []
    if ctx.repeats and ctx.refused:  # the brain gave a refused answer again (phases.repeats)
        parts.append("## Answers already refused (do not give any of them again)\n" + "\n".join(
            f"- attempt {r.attempt}: {one_line(', '.join(r.files), 200)}: "
            f"{one_line(r.reason, MAX_LINE)}" for r in ctx.refused[-REFUSED_SHOWN:]))
    if ctx.last_failure:
        parts.append(f"## The previous attempt failed\n{ctx.last_failure}\nFix that.")
    return parts


def plan_prompt(ctx: OperationContext, root: Path | None = None, budget: int | None = None,
                read: Reader | None = None) -> str:
    """PLAN's prompt: HEAD, the files and the op as GENERATE shows them (with a `root`; else
    the files are named), then the plan's Output."""
    env = ctx.envelope
    reached = library_reached(ctx, root, read)
    op = op_sections(ctx, root, read, reached)
    names = "\n".join(f"- {f}" for f in [*env.target_files, *ctx.context_files])
    output = ("## Output\nThis step plans the change, writing no code and calling no tool. "
              f"{PLAN_CONTRACT}\nFiles of the op:\n{names}")
    files = [] if root is None else files_section(
        ctx, root, budget, read, len("\n\n".join(op)) + len(output), reached)[0]
    return redact("\n\n".join([head_of(ctx), *files, *op, output]))


@dataclass(frozen=True)
class RepairTurn:
    """What one L2 turn is about: its iteration, the failure, and the change so far (each
    file's block: a diff against the live file, or its text)."""

    iteration: int
    max_iters: int
    failure_class: str
    detail: str
    failing: list[str]
    changes: list[str]
    max_files: int
    max_lines: int


def repair_prompt(ctx: OperationContext, root: Path, turn: RepairTurn, budget: int | None = None,
                  read: Reader | None = None) -> str:
    """L2's repair turn: HEAD, the live files and the op as GENERATE shows them, then the
    change so far, what failed and how, and the patch limits. The failure sits under the
    same heading as a retry's, so one reader serves both."""
    reached = library_reached(ctx, root, read)
    op = op_sections(ctx, root, read, reached)
    parts = ["## Your change so far (your edits apply to the files as it left them)\n"
             + "\n\n".join(turn.changes),
             f"## The previous attempt failed\nclass: {turn.failure_class}\n"
             f"{turn.detail[-6000:]}"]
    if turn.failing:
        parts.append("## Failing tests\n" + "\n".join(f"- {t}" for t in turn.failing[:50]))
    told = ReplyForm(ctx.reply_form)
    parts.append(
        f"## Output\nThis is the repair step (L2 self-repair, iteration {turn.iteration} of "
        f"{turn.max_iters}): your last change did not pass; fix it, as {FORM_NAMES[told]} "
        "(the reply format above) with no tool calls. Fix what the failure names. Change at "
        f"most {turn.max_files} files and {turn.max_lines} lines; name only the files you "
        f"change. Do not remove, skip or weaken a test. A file you changed already: "
        f"{_WORDS[told][0]}.")
    files, _ = files_section(ctx, root, budget, read, len("\n\n".join([*op, *parts])),
                             reached)
    return redact("\n\n".join([head_of(ctx), *files, *op, *parts]))
