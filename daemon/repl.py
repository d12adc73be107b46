"""`ouroboros repl`: the control verbs, interactively."""

from __future__ import annotations

import shlex

from daemon.cli import print_reply
from daemon.client import ControlClient, DaemonNotRunning
from daemon.verbs import BY_NAME, VERBS, Text

HELP = "verbs: " + " | ".join([*(v.usage for v in VERBS), "help", "quit"])


def repl(client: ControlClient) -> int:
    print("ouroboros repl - 'help' lists verbs, 'quit' leaves")
    while True:
        try:
            line = input("ouroboros> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        try:
            words = shlex.split(line)
        except ValueError as exc:
            print(f"error: {exc}")
            continue
        if not words:
            continue
        verb, rest = words[0].lstrip("/"), words[1:]
        if verb in ("quit", "exit", "q"):
            return 0
        if verb == "help" or verb not in BY_NAME:
            print(HELP if verb == "help" else f"unknown verb {verb!r}\n{HELP}")
            continue
        spec = BY_NAME[verb]
        if spec.needs_op and not rest:
            print(f"error: {verb} needs an op id")
            continue
        if spec.text is Text.ANSWER and len(rest) < 2:
            print(f"error: usage: {spec.usage}")
            continue
        op, text = (rest[0], rest[1:]) if spec.needs_op else (None, rest)
        try:
            print_reply(verb, client.request(verb, op, " ".join(text)))
        except DaemonNotRunning as exc:
            print(f"error: {exc}")
