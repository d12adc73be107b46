"""`ouroboros`: the parser, `main`, and the commands that need no running daemon (`run`,
`serve`, `ledger`, `verify`, `stats`, the hooks, `init`, `doctor`, `eval` (its parser and
commands in daemon/cli/eval_cli.py), `brain list | fetch` (daemon/cli/brain_cli.py),
`kernel probe`); the
verbs, `watch` and `repl`, which talk to one over its socket, are in
daemon/cli/socket_commands.py, and `stop`, which follows the daemon to its exit, in
daemon/cli/stop.py.

Exit codes: 0 success, 1 the daemon refused the request, 2 usage error,
3 daemon not running (or its `status` answer unreadable) / configuration or repository
problem, 141 the reader of the output went away (`ouroboros status | head -1`): quiet, as
a tool killed by SIGPIPE.

Only what a command needs is imported: the socket verbs load neither torch, GitPython,
pydantic nor asyncio (see daemon/config/locate.py), so they answer in tens of milliseconds
(`status` prints the text the daemon rendered from its typed answer); `run`,
`ledger` and `kernel probe` import their machinery inside their functions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.cli import render
from daemon.cli.socket_commands import add_field_options, cmd_verb, cmd_watch, socket_path
from daemon.cli.stop import add_arguments as stop_arguments
from daemon.cli.stop import cmd_stop
from daemon.config import locate
from daemon.control.client import ControlClient
from daemon.control.verbs import VERBS, Text
from daemon.errors import CliError, ConfigError, DaemonNotRunning

if TYPE_CHECKING:
    from daemon.config.settings import Settings

EXIT_PIPE_CLOSED = 128 + 13  # 128 + SIGPIPE, what a shell reports for `yes | head -1`


def _state_dir(args: argparse.Namespace) -> tuple[Path, Path]:
    repo = locate.repo_root(args.repo)
    return repo, locate.state_dir(repo, Path(args.config) if args.config else None)


def _settings(args: argparse.Namespace) -> tuple[Path, Settings]:
    from daemon.config.settings import load_settings

    repo = locate.repo_root(args.repo)
    try:
        return repo, load_settings(repo, Path(args.config) if args.config else None)
    except ConfigError as exc:  # with where to fix it: the file, or a variable
        raise CliError(exc.said()) from None
    except OSError as exc:  # unreadable: load_settings explains only what it could read
        raise CliError(f"cannot read the configuration: {exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    repo, settings = _settings(args)  # first: a wrong path or config is said in a moment
    import asyncio

    from daemon import logs
    from daemon.host.malloc import compact_malloc
    from daemon.service import Daemon

    compact_malloc()  # before any thread starts: RSS flat over months (daemon/host/malloc.py)
    logs.configure(settings.daemon.log_level, fmt=settings.daemon.log_format)
    try:
        daemon = Daemon(repo, settings, config=Path(args.config) if args.config else None)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return asyncio.run(_serve(daemon))


async def _serve(daemon) -> int:
    import asyncio
    import signal

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


def cmd_serve(args: argparse.Namespace) -> int:
    from daemon.serve.cli import serve

    return serve(args)


def cmd_ledger(args: argparse.Namespace) -> int:
    import asyncio

    from ledger import Ledger, LedgerError

    repo, state = _state_dir(args)
    db = state / "ledger.sqlite3"
    if not db.exists():
        from daemon.eval.pointer import eval_op_pointer  # an eval op is in eval's ledger

        pointer = None if args.verify else eval_op_pointer(state, args.op)
        raise CliError(pointer or f"no ledger at {db} (has the daemon run on this repository?)")
    if args.verify:  # read-only; daemon/cli/verify.py
        from daemon.cli.verify import cmd_ledger_verify

        return cmd_ledger_verify(repo, state, args.json)

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
    except LedgerError as exc:  # no such op, or its archive segment unreadable or altered
        from daemon.eval.pointer import eval_op_pointer

        raise CliError(eval_op_pointer(state, args.op) or str(exc), code=1) from None
    return 0


def cmd_repl(args: argparse.Namespace) -> int:
    from daemon.cli.repl import repl  # here, not beside the verbs: repl builds on them

    return repl(ControlClient(socket_path(args)))


def cmd_verify(args: argparse.Namespace) -> int:
    from daemon.cli.verify import cmd_verify as verify

    repo, state = _state_dir(args)
    return verify(repo, state, args.commit, args.json)


def cmd_stats(args: argparse.Namespace) -> int:
    from daemon.cli.stats import cmd_stats as stats

    repo, settings = _settings(args)
    state = locate.state_dir(repo, Path(args.config) if args.config else None)
    return stats(repo, state, settings.governance.memory_ttl_h, args.json)


def cmd_hooks(args: argparse.Namespace) -> int:
    """install-hooks / uninstall-hooks: local file work in .git/hooks, no daemon needed."""
    from sensors import hooks

    repo, state = _state_dir(args)
    try:
        done = hooks.install(repo, state) if args.command == "install-hooks" \
            else hooks.uninstall(repo)
    except (hooks.HookError, OSError) as exc:
        raise CliError(str(exc), code=1) from None
    print(done)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from daemon.init_config import init

    return init(locate.repo_root(args.repo), Path(args.config) if args.config else None,
                force=args.force, hosted=args.hosted)


def cmd_doctor(args: argparse.Namespace) -> int:
    from daemon.doctor import doctor

    # work_tree, not repo_root: a tree git refuses is one of the checks, not the end
    return doctor(locate.work_tree(args.repo), Path(args.config) if args.config else None,
                  as_json=args.json)


def cmd_kernel_probe(args: argparse.Namespace) -> int:
    from daemon.brains.probe import probe
    from kernel.errors import KernelError

    try:
        return probe(args)
    except KernelError as exc:
        raise CliError(str(exc)) from None


def _at_least_one(text: str) -> int:
    """--limit: 0 listed nothing and said "no operations recorded yet"; -1 listed them all."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--repo", default=".", help="repository (default: the current one)")
    common.add_argument("--config", help="config file (default: <repo>/ouroboros.toml)")
    p = argparse.ArgumentParser(prog="ouroboros", description=(
        "A governed, autonomous software-maintenance daemon for one git repository."))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", parents=[common], help="run the daemon in the foreground")
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", parents=[common], help=(
        "serve the configured kernel model over the Ollama, OpenAI and Anthropic HTTP APIs "
        "(foreground; 127.0.0.1:11434 by default)"))
    from daemon.serve.cli import add_arguments as serve_arguments  # argparse only

    serve_arguments(serve)
    serve.set_defaults(func=cmd_serve)
    for spec in VERBS:
        sp = sub.add_parser(spec.name, parents=[common], help=spec.help,
                            aliases=["watch"] if spec.stream else [])
        sp.add_argument("--json", action="store_true", help=(
            "print the outcome as JSON (stopped, pid, seconds)" if spec.waits_for_exit
            else "print the raw JSON response"))
        if spec.needs_op:
            sp.add_argument("op", help="op id or unique prefix")
        elif spec.optional_op:
            sp.add_argument("op", nargs="?", default=None,
                            help="op id or unique prefix (default: all of them)")
        if spec.text is Text.REASON:
            sp.add_argument("reason", nargs="?", default="", help="why (recorded)")
        elif spec.text is Text.ANSWER:
            sp.add_argument("reason", metavar="text", help="the answer")
        elif spec.text is Text.SENSOR:
            sp.add_argument("reason", nargs="?", default="", metavar="sensor",
                            help="one sensor (default: all)")
        add_field_options(sp, spec)
        if spec.waits_for_exit:  # `stop`: follows the drain until the process exits
            stop_arguments(sp)
        sp.set_defaults(func=cmd_watch if spec.stream else cmd_stop if spec.waits_for_exit
                        else cmd_verb, verb=spec.name)
    repl_p = sub.add_parser("repl", parents=[common], help="interactive client of the daemon")
    repl_p.set_defaults(func=cmd_repl)
    led = sub.add_parser("ledger", parents=[common],
                         help="list ops, or print one op's causal chain")
    led.add_argument("op", nargs="?", help="op id or unique prefix")
    led.add_argument("--list", action="store_true", help="list recent ops")
    led.add_argument("--limit", type=_at_least_one, default=50, help="ops to list (default 50)")
    led.add_argument("--json", action="store_true", help="machine-readable output")
    led.add_argument("--verify", action="store_true", help="check the hash chains and the "
                     "newest signed anchor (read-only; no daemon needed)")
    led.set_defaults(func=cmd_ledger)
    ver = sub.add_parser("verify", parents=[common], help="check an auto-commit: its "
                         "signature and its op in the hash-verified ledger (read-only)")
    ver.add_argument("commit", help="a commit (sha, HEAD, ...)")
    ver.add_argument("--json", action="store_true", help="machine-readable output")
    ver.set_defaults(func=cmd_verify)
    st = sub.add_parser("stats", parents=[common], help="what the grounding memory knows: "
                        "file reputation and risk, trust, Brier score, drift (read-only)")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(func=cmd_stats)
    for name, what in (("install-hooks", "install the post-commit hook that DocStaleness reads "
                        "(an existing hook is kept and chained)"),
                       ("uninstall-hooks", "remove that hook (the chained one is put back)")):
        sub.add_parser(name, parents=[common], help=what).set_defaults(func=cmd_hooks)
    what = ("write a commented ouroboros.toml (or --config FILE) with the brains found here: "
            "a local Ollama or OpenAI-compatible server, hosted API keys in the environment")
    ini = sub.add_parser("init", parents=[common], help=what, description=what + (
        ". Never overwrites a file without --force; the text is checked as the daemon reads "
        "it before it is written."))
    ini.add_argument("--force", action="store_true", help="replace an existing file")
    ini.add_argument("--hosted", action="store_true", help="write the hosted APIs whose key "
                     "is set as active brains (default: commented out, as they send the "
                     "repository's code away and cost money)")
    ini.set_defaults(func=cmd_init)
    what = ("check what the daemon needs and finds (git's trust in the repository, config, "
            "brains, bubblewrap and the jail, the test environment, systemd): ok / missing / "
            "warn with how to fix; exit 1 when something required is missing")
    doc = sub.add_parser("doctor", parents=[common], help=what, description=what + (
        ". Read-only: local model servers are asked for their model lists; hosted APIs are "
        "not contacted and no key is sent."))
    doc.add_argument("--json", action="store_true", help="machine-readable output")
    doc.set_defaults(func=cmd_doctor)
    from daemon.cli.eval_cli import add_parser as eval_parser  # argparse only

    eval_parser(sub, common)
    from daemon.cli.brain_cli import add_parser as brain_parser  # argparse only

    brain_parser(sub)
    kernel = sub.add_parser("kernel", help="the in-process model")
    ksub = kernel.add_subparsers(dest="kernel_command", required=True, metavar="KCOMMAND")
    probe_p = ksub.add_parser("probe", help="load a model, answer a prompt, report tokens/s, "
                              "mean depth and canary maximum")
    from daemon.brains.probe import add_arguments  # argparse only: the kernel loads in probe()

    add_arguments(probe_p)
    probe_p.set_defaults(func=cmd_kernel_probe)
    return p


def main(argv: list[str] | None = None) -> int:
    args = None
    try:
        try:
            args = build_parser().parse_args(argv)
            return _dispatch(args)
        finally:
            if sys.stdout is not None:  # None: started with stdout closed (`>&-`)
                sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
    except BrokenPipeError:
        if args is not None and args.command == "run":
            raise  # the daemon never swallows a broken pipe (its sockets raise it too)
        _stdout_to_devnull()
        return EXIT_PIPE_CLOSED


def _dispatch(args: argparse.Namespace) -> int:
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


def _stdout_to_devnull() -> None:
    """The reader left: what Python still holds for stdout (or stderr, when that was the
    closed pipe) goes nowhere, so the interpreter's last flush cannot fail loudly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in filter(None, (sys.stdout, sys.stderr)):
            with contextlib.suppress(OSError, ValueError):  # not a real file (a test)
                os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
