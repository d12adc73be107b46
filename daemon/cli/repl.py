"""`ouroboros repl`: the control verbs, interactively."""

from __future__ import annotations

import argparse
import shlex
import sys

from daemon.cli.socket_commands import add_field_options, print_reply, verb_fields
from daemon.cli.watch import Follower
from daemon.control.client import ControlClient
from daemon.control.verbs import BY_NAME, VERBS, Text
from daemon.errors import CliError, DaemonNotRunning

HELP = "verbs: " + " | ".join([*(v.usage for v in VERBS), "help", "quit"])
PROMPT = "ouroboros> "


def repl(client: ControlClient) -> int:
    print("ouroboros repl - 'help' lists verbs, 'quit' leaves; the daemon's events show "
          "as they happen")
    follower = Follower(client.path, PROMPT)
    follower.start()  # the same stream as `ouroboros watch`, on its own connection
    while True:
        try:
            line = _read(follower)
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        with follower.lock:  # a reply is printed whole: stream lines wait for it
            if _handle(client, follower, line) == "quit":
                return 0


def _read(follower: Follower) -> str:
    """One line; on a terminal readline draws the prompt (the follower redraws it), else
    the prompt is printed under the follower's lock so a stream line never joins it."""
    if sys.stdin.isatty():
        return input(PROMPT)
    with follower.lock:
        print(PROMPT, end="", flush=True)
        follower.at_prompt = True
    try:
        return input()
    finally:
        with follower.lock:
            follower.at_prompt = False


def _handle(client: ControlClient, follower: Follower, line: str) -> str | None:
    """Run one REPL line; "quit" to leave."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        print(f"error: {exc}")
        return None
    if not words:
        return None
    verb, rest = words[0].lstrip("/"), words[1:]
    if verb in ("quit", "exit", "q"):
        return "quit"
    if verb == "help" or verb not in BY_NAME:
        print(HELP if verb == "help" else f"unknown verb {verb!r}\n{HELP}")
        return None
    spec = BY_NAME[verb]
    if spec.stream:
        print("already following the event stream" if follower.alive
              else "following the event stream again")
        follower.start()
        return None
    if spec.needs_op and not rest:
        print(f"error: {verb} needs an op id")
        return None
    if spec.text is Text.ANSWER and len(rest) < 2:
        print(f"error: usage: {spec.usage}")
        return None
    fields = {}
    if spec.fields:  # `signal --goal "..." --file a.py`: the CLI's options, same table
        fields, rest = _fields(spec, rest)
        if fields is None:
            return None
    named = spec.needs_op or (spec.optional_op and rest)  # `review` or `review OP`
    op, text = (rest[0], rest[1:]) if named else (None, rest)
    try:
        print_reply(verb, client.request(verb, op, " ".join(text), fields),
                    prefix="error: ")
    except (DaemonNotRunning, CliError) as exc:  # CliError: a status this client cannot read
        print(f"error: {exc}")
    return None


class _Quiet(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints and exits; a REPL line says why
        raise ValueError(message)


def _fields(spec, words: list[str]) -> tuple[dict | None, list[str]]:
    """The verb's field options parsed as the CLI parses them, and the words left (a verb
    that takes an op or text: `accept OP --tests why`); None after printing why."""
    parser = _Quiet(prog=spec.name, add_help=False)
    add_field_options(parser, spec)
    try:
        if spec.needs_op or spec.optional_op or spec.text is not Text.NONE:
            args, left = parser.parse_known_args(words)
        else:  # a stray word is an error, not a reason
            args, left = parser.parse_args(words), []
    except ValueError as exc:
        print(f"error: {exc}; usage: {spec.usage}")
        return None, words
    return verb_fields(args), left
