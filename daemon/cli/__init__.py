"""The `ouroboros` command line: the parser and the commands that need no running daemon
(`commands`), those that talk to one over its socket (`socket_commands`), the text a
command prints (`render`), the REPL (`repl`), the live event stream's client (`watch`),
the read-only ledger commands (`stats`, `verify`) and `review` with no daemon running
(`review_offline`).

`main` is the console script's entry point (pyproject.toml: `daemon.cli:main`). Importing
this package loads `commands`, `socket_commands` and `render`; the rest is imported by the
command that needs it, so the socket verbs stay on the light path (daemon/cli/commands.py
says what that is).
"""

from daemon.cli.commands import main

__all__ = ["main"]
