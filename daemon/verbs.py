"""The control verbs, one table: the socket (daemon.control), the CLI and the REPL all read it.

`needs_op`: the verb acts on one op, named by id or unique prefix. `text`: what the words
after the op are: an optional reason that is recorded, a required answer, an optional
sensor name, or nothing. On the socket the text travels in the request's `reason` field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Text(StrEnum):
    NONE = "none"
    REASON = "reason"  # optional, recorded with the decision
    ANSWER = "answer"  # required: the answer to an op's question
    SENSOR = "sensor"  # optional: one sensor's name (all when left out)


@dataclass(frozen=True)
class VerbSpec:
    name: str
    help: str
    needs_op: bool = False
    text: Text = Text.NONE

    @property
    def usage(self) -> str:
        words = [self.name, *(["<op>"] if self.needs_op else [])]
        words += {Text.NONE: [], Text.REASON: ["[reason]"], Text.ANSWER: ["<text>"],
                  Text.SENSOR: ["[sensor]"]}[self.text]
        return " ".join(words)


VERBS: tuple[VerbSpec, ...] = (
    VerbSpec("status", "service state, queue, in-flight ops, costs and reflex counters"),
    VerbSpec("cancel", "cancel an in-flight op (id prefix)", True, Text.REASON),
    VerbSpec("pause", "stop dispatching new ops (in-flight ops continue)"),
    VerbSpec("resume", "resume dispatching"),
    VerbSpec("approve", "approve an op awaiting approval", True, Text.REASON),
    VerbSpec("reject", "reject an op awaiting approval", True, Text.REASON),
    VerbSpec("answer", "answer the question an op asked (ask_human)", True, Text.ANSWER),
    VerbSpec("scan", "run the sensors' scan now (all, or the one named: todo, backlog)",
             False, Text.SENSOR),
)
BY_NAME: dict[str, VerbSpec] = {v.name: v for v in VERBS}
assert len(BY_NAME) == len(VERBS), "a verb is listed twice"
