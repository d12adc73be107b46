"""The commands that talk to a running daemon over its control socket: each verb of
daemon.control.verbs (`status`, `pause`, `signal`, ...), `watch` and `repl`, and what the REPL
shares with them: a verb's own options and how its reply is printed.

This is the light path (daemon/cli/commands.py says what it keeps out): `status` prints the
text the daemon rendered; only a reply without one (an older daemon's) loads pydantic, inside
read_status, and only `review` with no daemon running loads git and the ledger
(daemon/cli/review_offline.py). `watch` and `repl` import their modules when they run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.cli import render
from daemon.config import locate
from daemon.control.client import ControlClient
from daemon.control.verbs import BY_NAME, FIELDS, VerbSpec
from daemon.errors import CliError, DaemonNotRunning
from daemon.status.text import status_text

if TYPE_CHECKING:
    from daemon.status.model import Status


def socket_path(args: argparse.Namespace) -> Path:
    """The control socket of the repository `--repo` names (`--config` may move it)."""
    return locate.control_socket(locate.repo_root(args.repo),
                                 Path(args.config) if args.config else None)


def cmd_verb(args: argparse.Namespace) -> int:
    try:
        reply = ControlClient(socket_path(args)).request(
            args.verb, getattr(args, "op", None), getattr(args, "reason", "") or "",
            verb_fields(args))
    except DaemonNotRunning:
        if args.verb != "review":
            raise
        from daemon.cli.review_offline import review_offline  # git and the ledger, read here

        reply = review_offline(locate.repo_root(args.repo),
                               Path(args.config) if args.config else None, args.op)
    return print_reply(args.verb, reply, as_json=args.json)


def cmd_watch(args: argparse.Namespace) -> int:
    from daemon.cli.watch import watch

    return watch(socket_path(args), as_json=args.json)


def add_field_options(parser: argparse.ArgumentParser, spec: VerbSpec) -> None:
    """The verb's own fields as options (`signal --goal ... --file ...`), from
    daemon.control.verbs."""
    for name in spec.fields:
        f = FIELDS[name]
        if f.switch:  # `--tests`: given or not; left out of the request when not given
            parser.add_argument(f.flag, dest=f"field_{name}", action="store_const",
                                const=True, default=None, help=f.help)
            continue
        parser.add_argument(f.flag, dest=f"field_{name}", required=f.required, help=f.help,
                            action="append" if f.repeat else "store",
                            choices=f.choices or None, default=f.default,
                            metavar=None if f.choices else f.flag.lstrip("-").upper())


def verb_fields(args: argparse.Namespace) -> dict:
    return {key[len("field_"):]: value for key, value in vars(args).items()
            if key.startswith("field_") and value is not None}


def print_reply(verb: str, reply: dict, *, as_json: bool = False,
                prefix: str = "ouroboros: ") -> int:
    """Print the daemon's reply; 0, or 1 for a refusal (said as every command says its
    errors, `ouroboros: ...`; the REPL passes its own `error: `)."""
    if as_json:
        print(json.dumps(reply, indent=2))
    elif not reply.get("ok"):
        print(f"{prefix}{reply.get('error')}", file=sys.stderr)
    elif verb == "status":  # the daemon's text; an older daemon sends none: read its data
        print(reply["text"] if isinstance(reply.get("text"), str)
              else status_text(read_status(reply["data"])))
    elif verb == "review":
        print(render.review_text(reply["data"]))
    elif BY_NAME[verb].waits_for_exit:  # `stop` in the REPL: the CLI's `stop` follows it
        ops = ", ".join(op["op_id"] for op in reply["data"]["in_flight"]) or "no op"
        print(f"{verb}: the daemon (pid {reply['data']['pid']}) drains: {ops} in flight, "
              f"{reply['data']['grace_s']:g}s of grace; this connection ends with it")
    else:
        print(f"{verb}: " + ", ".join(f"{k}={v}" for k, v in reply["data"].items()))
    return 0 if reply.get("ok") else 1


def read_status(data: object) -> Status:
    """The daemon's `status` answer as a daemon.status.model.Status; CliError (exit 3, one
    line naming the first field that does not fit) for an answer this client cannot read,
    such as an older daemon's."""
    # here, not at the top: only an older daemon's reply pays for pydantic
    from pydantic import ValidationError

    from daemon.status.model import Status

    try:
        return Status.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the whole answer)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise CliError(f"the daemon's status answer does not fit this client (a daemon of "
                       f"another version?): {where}: {first['msg']}{more}") from None
