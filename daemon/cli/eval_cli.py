"""`ouroboros eval mine | run | report`: the parser (argparse only, so the CLI's light path
stays light) and the commands, which import daemon.eval when they run (docs/eval.md)."""

from __future__ import annotations

import argparse

KINDS = ("repair", "new", "both")

MINE = ("mine tasks from this repository's own history: commits that change code and tests "
        "together, validated by running the tests in the jail (the maintainer's fix passes, "
        "the test change alone fails, flaky tests quarantined); cached in the state dir")
RUN = ("run a brain on the cached tasks, each through the real pipeline in a scratch clone "
       "(the user's repository, branch and working tree are never touched); resumable; "
       "waits for the host like the daemon; prints a progress bar with an ETA, then the card")
REPORT = ("print a run's report card (default: the newest) and every run compared; write it "
          "as JSON or HTML")


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {n}")
    return n


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ev = sub.add_parser("eval", help="how good is a brain on this repository: tasks from its "
                        "history, run through the real pipeline, a report card")
    esub = ev.add_subparsers(dest="eval_command", required=True, metavar="ECOMMAND")
    mine = esub.add_parser("mine", parents=[common], help=MINE, description=MINE + ".")
    mine.add_argument("--max-tasks", type=_positive, help="stop at this many cached tasks "
                      "(default: [eval] max_tasks, 20)")
    mine.add_argument("--max-commits", type=_positive, help="judge at most this many candidate "
                      "commits now (default: [eval] max_commits, 200)")
    mine.add_argument("--since", help="only commits from this date on (YYYY-MM-DD)")
    mine.add_argument("--max-minutes", type=_positive, help="stop after this many minutes "
                      "(the commit then being judged is left for the next `mine`)")
    mine.add_argument("--rejudge", action="store_true", help="judge every commit refused "
                      "before again (after the test command, the interpreter or its packages "
                      "changed; `mine` says when a refusal was made under other settings)")
    mine.add_argument("--list", action="store_true", help="list the cached tasks and the "
                      "commits refused, with why; mine none")
    mine.add_argument("--json", action="store_true", help="machine-readable output")
    mine.set_defaults(func=cmd_eval)
    run = esub.add_parser("run", parents=[common], help=RUN, description=RUN + ".")
    run.add_argument("--brain", required=True, help="kernel, an HTTP brain's name, or a "
                     "stand-in: replay:fix (the maintainer's own fix), replay:none (no "
                     "change), replay:careless (the fix plus a careless rider), replay:mixed (the "
                     "careless answer and the fix in turn, one a sample)")
    run.add_argument("--kind", choices=KINDS, default="repair", help="repair: the test "
                     "change is committed first and the brain fixes the failure; new: the "
                     "brain gets the goal only, the tests stay hidden (default repair)")
    run.add_argument("--tasks", type=_positive, help="only the newest N cached tasks")
    run.add_argument("--task", action="append", default=[], help="only this task (an id "
                     "prefix; repeatable)")
    run.add_argument("--fresh", action="store_true", help="start a new run even when an "
                     "unfinished one with the same brain and tasks exists")
    run.add_argument("--samples", type=_positive, help="best-of-N: N candidates an "
                     "attempt, each judged by the proof, the first proven going on (the "
                     "kernel decodes them as one batch where no tools run; default: "
                     "[generate] samples, as the daemon runs)")
    run.add_argument("--max-minutes", type=_positive, help="stop after this many minutes "
                     "(the tasks in flight are left for `eval run` to resume)")
    run.add_argument("--json", action="store_true", help="print the card as JSON")
    run.set_defaults(func=cmd_eval)
    rep = esub.add_parser("report", parents=[common], help=REPORT, description=REPORT + ".")
    rep.add_argument("--run", help="a run id (default: the newest finished run)")
    rep.add_argument("--tasks", action="store_true", help="one row per task too (a long "
                     "reason cut at a word)")
    rep.add_argument("--full", action="store_true", help="one row per task, each reason "
                     "whole")
    rep.add_argument("--json", action="store_true", help="print the card as JSON")
    rep.add_argument("--html", metavar="PATH", help="write the card's HTML page here")
    rep.add_argument("--op", help="print one eval op's causal chain instead (an op id or "
                     "unique prefix, as the card's JSON names it), as `ledger OP` does")
    rep.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from daemon.eval.commands import COMMANDS

    return COMMANDS[args.eval_command](args)
