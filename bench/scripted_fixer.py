"""ScriptedFixer: a scripted stand-in model for the convergence bench, never a real model.

It is named as such wherever it appears (provider name "scripted-fixer", model "scripted").
It plays the seeded tasks of bench.seeded_tasks like a weak model would: for the task it
recognises from the prompt's goal, its first reply is the buggy first draft; every later
reply reads ONLY the feedback of the prompt - the section headed "## The previous attempt
failed" and, where present, "## Failing tests", each up to the next "## " heading - and
takes one repair step on the first still-broken behaviour whose trigger appears there (a
test's node id, or "SyntaxError"). One step per turn. When the feedback names nothing it
can fix, it sends its current draft again. Replies are candidate.1 JSON (full file).
"""

from __future__ import annotations

import json
import re
import time

from bench.seeded_tasks import Fault, Task
from governance.brains.provider import ModelReply, ProviderHealth, Steering
from governance.errors import ProviderError
from governance.schemas import ModelUsage
from kernel.replay import collapse_of

FEEDBACK_HEADINGS = ("The previous attempt failed", "Failing tests")
_HEADING = re.compile(r"^## (.*)$", re.MULTILINE)


def sections(prompt: str) -> dict[str, str]:
    """The prompt's "## " sections: heading -> body (a later duplicate heading appends)."""
    out: dict[str, str] = {}
    marks = list(_HEADING.finditer(prompt))
    for n, m in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(prompt)
        head = m.group(1).strip()
        out[head] = (out.get(head, "") + "\n" + prompt[m.end():end]).strip("\n")
    return out


def feedback(prompt: str) -> str:
    """The only part of a prompt a later turn may read: the failure feedback sections."""
    found = sections(prompt)
    return "\n".join(body for head, body in found.items()
                     if any(head.startswith(h) for h in FEEDBACK_HEADINGS))


def named(fault: Fault, step: int, text: str) -> bool:
    """Whether `text` names what this fault's next step answers."""
    trigger = fault.trigger(step)
    if trigger:
        return trigger in text
    return re.search(rf"::{re.escape(fault.test)}\b", text) is not None


class ScriptedFixer:
    """A CandidateProvider playing the seeded tasks it was given (see the module docstring)."""

    name = "scripted-fixer"

    def __init__(self, tasks: list[Task] | tuple[Task, ...]):
        self._tasks = {t.goal: t for t in tasks}
        if len(self._tasks) != len(tasks):
            raise ValueError("two tasks share a goal: the fixer could not tell them apart")
        self._steps: dict[str, list[int]] = {}  # task id -> each fault's step
        self.turns: dict[str, int] = {}  # task id -> replies given

    def _recognise(self, prompt: str) -> Task:
        goal = goal_of(prompt)
        task = self._tasks.get(goal)
        if task is None and not goal and len(self._tasks) == 1:
            task = next(iter(self._tasks.values()))  # a prompt without a goal section
        if task is None:
            raise ProviderError(f"scripted-fixer: no seeded task has the goal {goal[:80]!r}")
        return task

    def _turn(self, task: Task, prompt: str) -> str:
        """One reply's candidate: the draft first, then one repair step per turn."""
        steps = self._steps.get(task.id)
        if steps is None:
            self._steps[task.id] = [0] * len(task.faults)
            return self._candidate(task, self._steps[task.id], "first draft: " + task.goal)
        said = feedback(prompt)
        for n, fault in enumerate(task.faults):
            if not fault.done(steps[n]) and named(fault, steps[n], said):
                why = fault.trigger(steps[n]) or fault.test
                steps[n] = fault.next_step(steps[n])
                return self._candidate(task, steps, f"fix what the feedback names: {why}")
        return self._candidate(task, steps, "the feedback names nothing I can fix")

    @staticmethod
    def _candidate(task: Task, steps: list[int], rationale: str) -> str:
        return json.dumps({"schema": "candidate.1", "file_path": task.target,
                           "full_content": task.render(steps), "rationale": rationale})

    async def generate(self, prompt: str, *, deadline: float,
                       steer: Steering | None = None) -> ModelReply:
        """One turn; `steer` (the reflex's sampling advice) means nothing to a script. Like
        any provider without logits, the reply's collapse signal is the text detector's."""
        start = time.monotonic()
        task = self._recognise(prompt)
        text = self._turn(task, prompt)
        self.turns[task.id] = self.turns.get(task.id, 0) + 1
        usage = ModelUsage(provider=self.name, model="scripted", prompt_tokens=len(prompt) // 4,
                           completion_tokens=len(text) // 4,
                           latency_ms=(time.monotonic() - start) * 1000)
        return ModelReply(text=text, usage=usage, collapse=collapse_of(text, None))

    async def plan(self, prompt: str, *, deadline: float,
                   steer: Steering | None = None) -> ModelReply:
        """A plan naming the target only (seeded goals are short: PLAN skips them anyway)."""
        goal = goal_of(prompt)
        task = self._tasks.get(goal)
        if task is None:
            raise ProviderError(f"scripted-fixer: no seeded task has the goal {goal[:80]!r}")
        text = json.dumps({"schema": "plan.1", "approach": task.goal, "complexity": "simple",
                           "ordered_changes": [{"file_path": task.target,
                                                "change": task.goal}]})
        return ModelReply(text=text, usage=ModelUsage(provider=self.name, model="scripted"),
                          collapse=collapse_of(text, None))

    async def health(self) -> ProviderHealth:
        return ProviderHealth(healthy=True, detail="scripted stand-in for the bench")


def goal_of(prompt: str) -> str:
    """The goal a prompt quotes line by line (governance.brains.prompts.quoted_goal)."""
    quoted = sections(prompt).get("Goal", "").strip().split("\n")
    return "\n".join(line.removeprefix(">").removeprefix(" ") for line in quoted).strip()
