"""`ouroboros brain list | fetch NAME`: the pinned coder models (daemon.brains.pinned) and
their fetch (daemon.brains.fetch), only when the user asks (docs/brains.md, "A coder model,
pinned"). The parser is argparse only; the hub client is imported by `fetch` when it runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from daemon.brains.pinned import DEFAULT, PINNED, fetched, models_dir, pinned
from daemon.errors import CliError

FETCH = ("download a pinned model from its hub (huggingface_hub) at its pinned revision, "
         "check its size and sha256, and put it in the models directory in one step; a "
         "wrong hash or a cut download leaves nothing there")


def add_parser(sub: argparse._SubParsersAction) -> None:
    br = sub.add_parser("brain", help="the pinned coder models: list them, fetch one")
    bsub = br.add_subparsers(dest="brain_command", required=True, metavar="BCOMMAND")
    ls = bsub.add_parser("list", help="the pinned models, and which are fetched here")
    ls.add_argument("--dir", help="models directory (default: "
                    "$XDG_DATA_HOME/ouroboros/models, else ~/.local/share/ouroboros/models)")
    ls.set_defaults(func=cmd_brain_list)
    fe = bsub.add_parser("fetch", help=FETCH, description=FETCH + ".")
    fe.add_argument("name", nargs="?", default=DEFAULT.name, choices=[p.name for p in PINNED],
                    help=f"which (default {DEFAULT.name})")
    fe.add_argument("--dir", help="models directory (default: as `brain list`)")
    fe.add_argument("--endpoint", help="the hub's base URL (default: $HF_ENDPOINT, else "
                    "https://huggingface.co); a mirror serving the same resolve paths")
    fe.add_argument("--force", action="store_true", help="download again even when a "
                    "verified copy is there")
    fe.set_defaults(func=cmd_brain_fetch)


def _dir(args: argparse.Namespace) -> Path:
    return Path(args.dir).expanduser().resolve() if args.dir else models_dir(os.environ)


def cmd_brain_list(args: argparse.Namespace) -> int:
    directory = _dir(args)
    for entry in PINNED:
        where = fetched(entry, directory)
        print(f"{entry.name}  {entry.about}\n  {entry.label}, {entry.size:,} bytes, "
              f"sha256 {entry.sha256}\n  "
              + (f"fetched: {where}" if where else
                 f"not fetched (`ouroboros brain fetch {entry.name}`)"))
    return 0


def cmd_brain_fetch(args: argparse.Namespace) -> int:
    from daemon.brains.fetch import FetchError, fetch

    entry = pinned(args.name)
    try:
        path = fetch(entry, _dir(args), endpoint=args.endpoint, force=args.force)
    except FetchError as exc:
        raise CliError(f"brain fetch {entry.name}: {exc}; nothing was kept", code=1) from None
    except OSError as exc:  # the models directory itself: not writable, no such disk
        raise CliError(f"brain fetch {entry.name}: {exc}", code=1) from None
    init = "" if args.dir else "`ouroboros init --force` writes it as [provider] model, or "
    print(f"fetched {entry.label}: {path} ({entry.size:,} bytes, sha256 verified)\n"
          f'next:    {init}set it in ouroboros.toml:\n         [provider]\n         model = '
          f'"{path}"')
    return 0
