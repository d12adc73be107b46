"""The control verbs, one table: the socket (daemon.control.server), the CLI and the REPL all
read it.

`needs_op`: the verb acts on one op, named by id or unique prefix (`optional_op`: it may
name one, `review`). `text`: what the words
after the op are: an optional reason that is recorded, a required answer, an optional
sensor name, or nothing. On the socket the text travels in the request's `reason` field.
`stream`: the connection then carries events, not one reply (`subscribe`).
`fields`: the verb's own request fields (FIELDS: the CLI's options, the REPL's words and the
socket's Request validation all read them); no other verb may send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Text(StrEnum):
    NONE = "none"
    REASON = "reason"  # optional, recorded with the decision
    ANSWER = "answer"  # required: the answer to an op's question
    SENSOR = "sensor"  # optional: one sensor's name (all when left out)


URGENCIES = ("low", "normal", "high", "critical")  # governance.schemas.Urgency (a test checks)


@dataclass(frozen=True)
class FieldSpec:
    """A request field beyond cmd/op/reason: `--flag VALUE` on the CLI and in the REPL."""

    name: str  # the key on the socket
    flag: str
    help: str
    required: bool = False
    repeat: bool = False  # a list: the flag may be given several times
    choices: tuple[str, ...] = ()
    default: str | None = None
    switch: bool = False  # a flag alone (`--tests`), sent as true when given


FIELDS: dict[str, FieldSpec] = {f.name: f for f in (
    FieldSpec("goal", "--goal", "what should be done (1-2000 characters)", required=True),
    FieldSpec("files", "--file", "a repository file the work is about (1-16)", required=True,
              repeat=True),
    FieldSpec("urgency", "--urgency", "how soon (default normal)", choices=URGENCIES,
              default="normal"),
    FieldSpec("tests", "--tests", "land only the review's kept missing test, not the change "
              "(it must pass on your HEAD without the change)", switch=True),
)}


@dataclass(frozen=True)
class VerbSpec:
    name: str
    help: str
    needs_op: bool = False
    text: Text = Text.NONE
    optional_op: bool = False  # `review [op]`: one op, or all of them when left out
    fields: tuple[str, ...] = ()  # keys of FIELDS
    # The reply is a stream: one line of acknowledgement, then events until the client
    # leaves (daemon.live.events); the CLI's `watch` and the REPL read it.
    stream: bool = False
    # The CLI follows the reply until the daemon has exited (`stop`: daemon/cli/stop.py).
    waits_for_exit: bool = False

    @property
    def usage(self) -> str:
        words = [self.name, *(["<op>"] if self.needs_op else
                              ["[op]"] if self.optional_op else [])]
        words += {Text.NONE: [], Text.REASON: ["[reason]"], Text.ANSWER: ["<text>"],
                  Text.SENSOR: ["[sensor]"]}[self.text]
        for name in self.fields:
            f = FIELDS[name]
            word = f.flag if f.switch else (f"{f.flag} {name.upper().rstrip('S')}"
                                            + (" ..." if f.repeat else ""))
            words.append(word if f.required else f"[{word}]")
        return " ".join(words)


VERBS: tuple[VerbSpec, ...] = (
    VerbSpec("status", "service state, queue, in-flight ops, changes waiting for review, "
             "costs and reflex counters"),
    VerbSpec("cancel", "cancel an in-flight op (id prefix)", True, Text.REASON),
    VerbSpec("pause", "stop dispatching new ops (in-flight ops continue)"),
    VerbSpec("resume", "resume dispatching"),
    VerbSpec("review", "list the changes waiting for review on their own branches (op, "
             "goal, why unproven, files, size, age), or show one's evidence and diff",
             optional_op=True),
    VerbSpec("accept", "land a change waiting for review: queue an op that applies, "
             "verifies and commits exactly its review branch's files, with its kept missing "
             "test (or, --tests, that test alone)", True, Text.REASON, fields=("tests",)),
    VerbSpec("reject", "drop a change waiting for review: delete its review branch",
             True, Text.REASON),
    VerbSpec("answer", "answer the question an op asked (ask_human)", True, Text.ANSWER),
    VerbSpec("scan", "run the sensors' scan now (all, or the one named)",
             False, Text.SENSOR),
    VerbSpec("signal", "file work for the daemon: a goal and the files it is about",
             fields=("goal", "files", "urgency")),
    VerbSpec("subscribe", "stream the daemon's events live (the CLI's `watch`)", stream=True),
    VerbSpec("stop", "stop the daemon as SIGTERM does (in-flight ops get the shutdown grace, "
             "then are cancelled) and wait until it has exited; under systemd, says to use "
             "systemctl", waits_for_exit=True),
)
BY_NAME: dict[str, VerbSpec] = {v.name: v for v in VERBS}
assert len(BY_NAME) == len(VERBS), "a verb is listed twice"
assert all(f in FIELDS for v in VERBS for f in v.fields), "a verb names an unknown field"
assert not any(v.needs_op and v.optional_op for v in VERBS), "an op is needed or optional"
assert not any(v.stream and v.waits_for_exit for v in VERBS), "a stream or one reply"
