"""`ouroboros repl`: the control verbs, interactively."""

from __future__ import annotations

import shlex

from daemon.cli import VERBS, print_reply
from daemon.client import ControlClient, DaemonNotRunning

HELP = """verbs: status | cancel <op> [reason] | pause | resume | approve <op> |
       reject <op> [reason] | answer <op> <text> | help | quit"""


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
        if verb == "help" or verb not in VERBS:
            print(HELP if verb == "help" else f"unknown verb {verb!r}\n{HELP}")
            continue
        if verb in ("cancel", "approve", "reject", "answer") and not rest:
            print(f"error: {verb} needs an op id")
            continue
        op = rest[0] if rest else None
        try:
            print_reply(verb, client.request(verb, op, " ".join(rest[1:])))
        except DaemonNotRunning as exc:
            print(f"error: {exc}")
