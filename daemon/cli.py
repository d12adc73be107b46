"""`ouroboros`: run the daemon, talk to it, read its ledger.

Exit codes: 0 success, 1 the daemon refused the request, 2 usage error,
3 daemon not running / configuration or repository problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from daemon import logs, render
from daemon.client import ControlClient, DaemonNotRunning
from daemon.config import ConfigError, Settings, load_settings
from daemon.errors import CliError
from daemon.verbs import VERBS, Text


def _repo_root(path: str) -> Path:
    import git

    try:
        return Path(git.Repo(path, search_parent_directories=True).working_tree_dir or path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise CliError(f"{path} is not inside a git repository") from None


def _settings(args: argparse.Namespace) -> tuple[Path, Settings]:
    repo = _repo_root(args.repo)
    try:
        return repo, load_settings(repo, Path(args.config) if args.config else None)
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def _client(args: argparse.Namespace) -> ControlClient:
    repo, settings = _settings(args)
    return ControlClient(settings.state_path(repo) / "control.sock")


def cmd_run(args: argparse.Namespace) -> int:
    from daemon.service import Daemon

    repo, settings = _settings(args)
    logs.configure(settings.daemon.log_level)
    try:
        daemon = Daemon(repo, settings)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return asyncio.run(_serve(daemon))


async def _serve(daemon) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    interrupts = 0

    def on_sigint() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:  # a second Ctrl-C means now
            raise SystemExit(130)
        stop.set()

    # SIGTERM (systemd, kill) always drains; repeating it does not skip the grace period.
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        await daemon.serve(stop)
    except (OSError, ConfigError) as exc:
        print(f"ouroboros: {exc}", file=sys.stderr)
        return 3
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0


def cmd_verb(args: argparse.Namespace) -> int:
    reply = _client(args).request(args.verb, getattr(args, "op", None),
                                  getattr(args, "reason", "") or "")
    return print_reply(args.verb, reply, as_json=args.json)


def print_reply(verb: str, reply: dict, *, as_json: bool = False) -> int:
    if as_json:
        print(json.dumps(reply, indent=2))
    elif not reply.get("ok"):
        print(f"error: {reply.get('error')}", file=sys.stderr)
    elif verb == "status":
        print(render.status_text(reply["data"]))
    else:
        print(f"{verb}: " + ", ".join(f"{k}={v}" for k, v in reply["data"].items()))
    return 0 if reply.get("ok") else 1


def cmd_repl(args: argparse.Namespace) -> int:
    from daemon.repl import repl

    return repl(_client(args))


def cmd_ledger(args: argparse.Namespace) -> int:
    from ledger import Ledger, UnknownOperation

    repo, settings = _settings(args)
    db = settings.state_path(repo) / "ledger.sqlite3"
    if not db.exists():
        raise CliError(f"no ledger at {db} (has the daemon run on this repository?)")

    async def read() -> str:
        ledger = await Ledger.open(db)
        try:
            if args.list or not args.op:
                ops = await ledger.operations(args.limit)
                return json.dumps(ops, indent=2) if args.json else render.op_list_text(ops)
            chain = await ledger.chain(await ledger.resolve_op(args.op))
            return json.dumps(chain, indent=2) if args.json else render.chain_text(chain)
        finally:
            await ledger.close()

    try:
        print(asyncio.run(read()))
    except UnknownOperation as exc:
        raise CliError(str(exc), code=1) from None
    return 0


def cmd_kernel_probe(args: argparse.Namespace) -> int:
    from daemon.probe import probe
    from kernel.errors import KernelError

    try:
        return probe(args)
    except KernelError as exc:
        raise CliError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--repo", default=".", help="repository (default: the current one)")
    common.add_argument("--config", help="config file (default: <repo>/ouroboros.toml)")
    p = argparse.ArgumentParser(prog="ouroboros", description=(
        "A governed, autonomous software-maintenance daemon for one git repository."))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", parents=[common], help="run the daemon in the foreground")
    run.set_defaults(func=cmd_run)
    for spec in VERBS:
        sp = sub.add_parser(spec.name, parents=[common], help=spec.help)
        sp.add_argument("--json", action="store_true", help="print the raw JSON response")
        if spec.needs_op:
            sp.add_argument("op", help="op id or unique prefix")
        if spec.text is Text.REASON:
            sp.add_argument("reason", nargs="?", default="", help="why (recorded)")
        elif spec.text is Text.ANSWER:
            sp.add_argument("reason", metavar="text", help="the answer")
        sp.set_defaults(func=cmd_verb, verb=spec.name)
    repl_p = sub.add_parser("repl", parents=[common], help="interactive client of the daemon")
    repl_p.set_defaults(func=cmd_repl)
    led = sub.add_parser("ledger", parents=[common],
                         help="list ops, or print one op's causal chain")
    led.add_argument("op", nargs="?", help="op id or unique prefix")
    led.add_argument("--list", action="store_true", help="list recent ops")
    led.add_argument("--limit", type=int, default=50, help="ops to list (default 50)")
    led.add_argument("--json", action="store_true", help="machine-readable output")
    led.set_defaults(func=cmd_ledger)
    kernel = sub.add_parser("kernel", help="the in-process model")
    ksub = kernel.add_subparsers(dest="kernel_command", required=True, metavar="KCOMMAND")
    probe_p = ksub.add_parser("probe", help="load a model, answer a prompt, report tokens/s, "
                              "mean depth and canary maximum")
    from daemon.probe import add_arguments

    add_arguments(probe_p)
    probe_p.set_defaults(func=cmd_kernel_probe)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DaemonNotRunning as exc:
        print(f"ouroboros: {exc}", file=sys.stderr)
        return 3
    except CliError as exc:
        print(f"ouroboros: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
