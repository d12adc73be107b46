"""The replay stand-ins eval runs as brains: scripted answers, never a model.

Each is the replay provider (kernel/replay.py) with a script written for one task, named
`replay` in the ledger like every replay turn. They are how the harness proves itself
(docs/eval.md): the maintainer's own fix must land on every task the daemon's gates allow
(the tasks where it does not are the daemon's friction), no change must resolve nothing,
and the fix plus a careless rider must never land as proven.

- `replay:fix`: a plan naming the fix's files, an exploration turn (a read of every target
  and every file the fix changes, a list_dir and a glob: the exploration gate asks for it),
  then the maintainer's fix as whole files;
- `replay:none`: the same exploration, then "no change is needed" (a `no_op` candidate);
- `replay:careless`: as `replay:fix`, with the task's rider's file in place of the fix's;
- `replay:mixed`: the careless answer and the fix in turn, one a sample: with one sample it
  is `replay:careless`, with two or more the fix is among the samples (pass@1 against
  best-of-N, docs/eval.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from daemon.eval.task import Task
from governance.schemas import SignalEnvelope
from kernel.replay import ReplayProvider, ReplayTurn


def tool_call(tool: str, **arguments: object) -> str:
    """One tool call as a Venom model writes it: a JSON line."""
    return json.dumps({"tool": tool, "arguments": arguments})


def _turn(text: str, purpose: str = "generate") -> ReplayTurn:
    return ReplayTurn(purpose=purpose, text=text)  # a script: no model, no cost


def exploration(envelope: SignalEnvelope, files: dict[str, str | None], root: Path) -> str:
    seen = [*envelope.target_files, *(p for p in files if (root / p).is_file())]
    reads = [tool_call("read_file", path=p) for p in dict.fromkeys(seen)]
    return "\n".join([*reads, tool_call("list_dir", path="."),
                      tool_call("glob_files", pattern="**/*.py")])


def fix_script(subject: str, envelope: SignalEnvelope, files: dict[str, str | None],
               root: Path, samples: int = 1,
               other: dict[str, str | None] | None = None) -> ReplayProvider:
    """A plan naming `files`, the exploration, then `files` (None: deleted) as the
    candidate, whole; the exploration and candidate once for each of best-of-N's
    `samples`: the same answer each time, or with `other` that answer first and `files`
    second, in turn (a stand-in mixing a wrong candidate with the right one)."""
    changes = [{"file_path": p, "change": "the maintainer's change",
                "new": not (root / p).is_file()} for p in files]
    plan = {"schema": "plan.1", "approach": subject, "complexity": "simple",
            "ordered_changes": changes, "test_strategy": "the failing tests pass"}
    answers = [_answer(subject, envelope, f, root) for f in (other, files) if f is not None]
    turns = [t for k in range(samples) for t in answers[k % len(answers)]]
    return ReplayProvider([_turn(json.dumps(plan), "plan"), *turns])


def _answer(subject: str, envelope: SignalEnvelope, files: dict[str, str | None],
            root: Path) -> list[ReplayTurn]:
    """The exploration turn, then `files` as the candidate."""
    candidate = {"schema": "candidate.1", "rationale": subject, "files": [
        {"file_path": p, "action": "delete"} if t is None else {"file_path": p,
                                                                "full_content": t}
        for p, t in files.items()]}
    return [_turn(exploration(envelope, files, root)), _turn(json.dumps(candidate))]


def none_script(subject: str, envelope: SignalEnvelope, root: Path,
                samples: int = 1) -> ReplayProvider:
    """The exploration, then no change (any plan asked for names no file)."""
    plan = {"schema": "plan.1", "approach": "nothing to change", "complexity": "simple",
            "ordered_changes": [], "test_strategy": "none"}
    no_op = {"schema": "candidate.1", "no_op": True,
             "rationale": f"no change is needed for: {subject}"}
    answer = [_turn(exploration(envelope, {}, root)), _turn(json.dumps(no_op))]
    return ReplayProvider([_turn(json.dumps(plan), "plan"), *answer * samples])


def for_task(brain: str, task: Task, envelope: SignalEnvelope, root: Path,
             samples: int = 1) -> ReplayProvider:
    """The stand-in `brain` (one of daemon.eval.settings.STAND_INS) for `task`, answering
    each of `samples` samples."""
    if brain == "replay:none":
        return none_script(task.subject, envelope, root, samples)
    files = dict(task.fix)
    if brain in ("replay:careless", "replay:mixed"):
        if task.rider is None:
            raise ValueError(f"task {task.id} has no careless rider (mined with "
                             "rider_tries = 0, or no public function qualified)")
        careless = {**files, task.rider.path: task.rider.text}
        if brain == "replay:mixed":  # the careless answer first, the fix second, in turn
            return fix_script(task.subject, envelope, files, root, samples, careless)
        files = careless
    return fix_script(task.subject, envelope, files, root, samples)
