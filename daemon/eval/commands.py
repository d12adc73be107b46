"""The `eval` commands behind daemon/cli/eval_cli.py: settings and paths resolved once,
then daemon.eval's parts. Progress goes to stderr, the card to stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

from daemon.config import locate
from daemon.config.settings import ConfigError, Settings, load_settings
from daemon.errors import CliError
from daemon.eval import card as cards
from daemon.eval import history, records, render
from daemon.eval import settings as eval_settings
from daemon.eval.card import Card
from daemon.eval.mine import MineRefused, MineSpec, mine
from daemon.eval.op import REVIEW_KEPT
from daemon.eval.runner import EvalError, RunOptions, out_dir, run
from daemon.eval.suite import Suite
from daemon.eval.task import Kind, Task, TaskCache
from tools.jail import bwrap_available


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _setup(args: argparse.Namespace) -> tuple[Path, Path, Settings]:
    from daemon import logs

    repo = locate.repo_root(args.repo)
    config = Path(args.config) if args.config else None
    try:
        settings = load_settings(repo, config)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    logs.configure("warning")  # the ops' thoughts go to the eval ledger, not the terminal
    return repo, locate.state_dir(repo, config), settings


def _jail(settings: Settings) -> str | None:
    """Why tests cannot run jailed (None: they can); CliError when they cannot run at all."""
    reason = bwrap_available()
    if reason and not settings.tools.allow_unsandboxed_tests:
        raise CliError(f"the repository's tests cannot run: {reason} (eval runs them in the "
                       "jail, as the daemon does; tools.allow_unsandboxed_tests = true runs "
                       "them without it)")
    return reason


def cmd_mine(args: argparse.Namespace) -> int:
    repo, state, settings = _setup(args)
    cache = TaskCache(state)
    if args.list:
        s = eval_settings.for_brain(settings, eval_settings.STAND_INS[0],
                                    eval_settings.test_python(repo, settings, state))
        return _list(repo, cache, args.json,
                     eval_settings.mine_digest(s, jailed=bwrap_available() is None))
    e = settings.eval
    jail = _jail(settings)
    python = _interpreter(repo, settings, state)
    s = eval_settings.for_brain(settings, eval_settings.STAND_INS[0], python)
    spec = MineSpec(since=args.since or e.since, max_tasks=args.max_tasks or e.max_tasks,
                    max_commits=args.max_commits or e.max_commits,
                    max_code_lines=e.max_code_lines, max_code_files=e.max_code_files,
                    reruns=e.reruns, rider_tries=e.rider_tries,
                    max_s=args.max_minutes * 60 if args.max_minutes else None,
                    settings=eval_settings.mine_digest(s, jailed=jail is None),
                    rejudge=args.rejudge)
    with tempfile.TemporaryDirectory(prefix="ob-eval-") as work:
        suite = Suite(s, Path(work) / "state", jail, e.suite_timeout_s, repo=repo)
        try:
            found = asyncio.run(mine(repo, cache, suite, spec, Path(work), _say))
        except MineRefused as exc:  # nothing judged, nothing recorded
            raise CliError(f"eval mine: {exc}", code=1) from None
    every = cache.tasks()
    if args.json:
        print(json.dumps({"new": [t.id for t in found.new], "skipped": found.skipped,
                          "tasks": [t.id for t in every], "stopped": found.stopped},
                         indent=1))
    else:
        print(f"{len(found.new)} new task(s), {len(found.skipped)} commit(s) skipped; "
              f"{len(every)} task(s) cached in {cache.dir}")
    return 0


def _interpreter(repo: Path, settings: Settings, state: Path) -> str | None:
    """The repository's test interpreter for a scratch (None: the daemon's), said."""
    env = eval_settings.test_env(repo, settings, state)
    _say(f"the repository's tests run with {eval_settings.interpreter(env)}")
    return eval_settings.test_python(repo, settings, state)


def _list(repo: Path, cache: TaskCache, as_json: bool, digest: str) -> int:
    """The cached tasks, then every commit judged not to be one, with why (whole) and
    whether it was judged under other settings than now (`digest`)."""
    tasks = cache.tasks()
    why = {sha: v for sha, v in cache.verdicts().items() if not v.task}
    seen = history.described(repo, list(why))
    refused = [{"sha": sha, "date": seen.get(sha, ("", ""))[0],
                "subject": seen.get(sha, ("", "(no longer in the history)"))[1], "why": v.why,
                "other_settings": v.settings != digest}
               for sha, v in sorted(why.items(), key=lambda kv: seen.get(kv[0], ("",))[0],
                                    reverse=True)]
    if as_json:
        print(json.dumps({"tasks": [
            {"id": t.id, "date": t.date, "subject": t.subject,
             "fail_to_pass": len(t.fail_to_pass), "pass_to_pass": len(t.pass_to_pass),
             "flaky": t.flaky, "rider": bool(t.rider)} for t in tasks],
            "refused": refused}, indent=1))
        return 0
    for t in tasks:
        print(f"{t.id}  {t.date}  f2p {len(t.fail_to_pass):>3}  p2p {len(t.pass_to_pass):>5}  "
              f"flaky {len(t.flaky)}  {t.subject[:70]}")
    print(f"{len(tasks)} task(s)")
    if refused:
        print(f"\n{len(refused)} commit(s) judged and refused:")
    for r in refused:
        print(f"{r['sha'][:12]}  {r['date'] or '?':<10}  {r['subject'][:70]}")
        print(textwrap.fill(r["why"], 100, initial_indent="    ", subsequent_indent="    "))
        if r["other_settings"]:
            print("    (judged under other settings than now: `eval mine --rejudge` judges "
                  "it again)")
    return 0


def chosen_tasks(every: list[Task], ids: list[str], newest: int | None) -> list[Task]:
    picked = [t for t in every if not ids or any(t.id.startswith(p) for p in ids)]
    return picked[:newest] if newest else picked


def cmd_run(args: argparse.Namespace) -> int:
    repo, state, settings = _setup(args)
    if args.brain not in eval_settings.brain_names(settings):
        raise CliError(f"no brain named {args.brain!r} (the brains: "
                       f"{', '.join(eval_settings.brain_names(settings))})")
    tasks = chosen_tasks(TaskCache(state).tasks(), args.task, args.tasks)
    if not tasks:
        raise CliError("no task to run: `ouroboros eval mine` first (or no cached task "
                       "matches --task)", code=1)
    python = _interpreter(repo, settings, state)
    s = eval_settings.for_brain(settings, args.brain, python, args.samples)
    kinds = (Kind.REPAIR, Kind.NEW) if args.kind == "both" else (Kind(args.kind),)
    if args.brain in ("replay:careless", "replay:mixed") and (
            bare := [t.id for t in tasks if not t.rider]):
        _say(f"{len(bare)} task(s) without a rider are left out: {', '.join(bare[:5])}")
        tasks = [t for t in tasks if t.rider]
    with tempfile.TemporaryDirectory(prefix="ob-eval-") as work:
        opts = RunOptions(repo, state, s, args.brain, kinds, tuple(tasks), Path(work),
                          _jail(settings), fresh=args.fresh,
                          max_s=args.max_minutes * 60 if args.max_minutes else None)
        try:
            card = asyncio.run(run(opts, _say))
        except EvalError as exc:
            raise CliError(str(exc), code=1) from None
    print(card.model_dump_json(indent=1) if args.json else render.card_text(card))
    _say(f"card: {out_dir(state, card.run_id) / 'card.html'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    _, state, settings = _setup(args)
    if not records.ledger_path(state).exists():
        raise CliError("no eval run yet: `ouroboros eval run --brain NAME`", code=1)
    if args.op:
        return _op_chain(state, args.op, args.json)

    async def read() -> list[records.Run]:
        ledger = await records.open_ledger(state)
        try:
            return await records.runs(ledger)
        finally:
            await ledger.close()

    every = asyncio.run(read())
    finished = cards.rebuilt(every, settings.eval.cutoffs)
    pick = [r for r in finished if r.run_id == args.run] if args.run else finished[-1:]
    if not pick:
        raise CliError(f"no finished run {args.run or ''}".strip(), code=1)
    card = Card.model_validate(pick[0].card)
    if args.html:
        from daemon.eval.page import write_page

        write_page(Path(args.html), card, finished)
    if args.json:
        print(card.model_dump_json(indent=1))
        return 0
    print(render.card_text(card))
    if args.tasks or args.full:
        width = max(110, shutil.get_terminal_size((110, 24)).columns)
        print("\n" + render.tasks_text(card, width, full=args.full))
    print("\n" + render.history_text(every))
    return 0


def _op_chain(state: Path, op: str, as_json: bool) -> int:
    """One eval op's chain from the eval ledger, printed as `ouroboros ledger OP` prints
    the daemon's."""
    from daemon.cli.render import chain_text
    from ledger import LedgerError

    async def read() -> dict:
        ledger = await records.open_ledger(state)
        try:
            return await ledger.chain(await ledger.resolve_op(op))
        finally:
            await ledger.close()

    try:
        chain = asyncio.run(read())
    except LedgerError as exc:
        raise CliError(str(exc), code=1) from None
    if as_json:
        print(json.dumps(chain, indent=2))
        return 0
    print(chain_text(chain))
    for kept in (t for t in chain["thoughts"] if t["phase"] == REVIEW_KEPT):
        data = kept.get("data") or {}
        print(f"\nthe change proposed for review on {data.get('branch', '?')} (the branch "
              "lived in the task's scratch clone, deleted once judged; kept here):\n"
              + str(data.get("diff", "")).rstrip())
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "mine": cmd_mine, "run": cmd_run, "report": cmd_report}
