"""`ouroboros eval`: how good a brain is on this repository, measured on tasks mined from its
own history and run through the daemon's real pipeline (docs/eval.md).

Listed from the bottom up (a module imports only those above it in this list):

- pointer.py: where the eval ledger is; the pointer `ledger OP` gives for an eval op
  (light: the `ledger` verb imports it).
- task.py: a task (pydantic: the cache is a boundary), its two kinds, the cache of tasks
  in `<state>/eval/tasks/`.
- history.py: the repository's history, read only: commits shaped like a fix with tests.
- scratch.py: scratch clones, where everything runs; the user's repository is only read.
- rider.py: the careless rider's mutants (bench/real_history_rider.py uses them too).
- settings.py: the settings a run uses (the user's, changed for a scratch and one brain),
  the brains `--brain` may name, the digest a mining verdict is recorded under.
- suite.py: the repository's tests in the jail (the scratch shown at the repository's
  path), each test's outcome.
- imports.py (with import_probe.py, a jailed script): the scratch's tests import the
  scratch's own code, checked before `mine` judges a commit.
- standins.py: the replay stand-ins (`replay:fix`, `replay:none`, `replay:careless`,
  `replay:mixed`);
  tests/governance/real_history.py plays its cases with them too.
- result.py: a task's verdict, its postmortem reason class (a table), what it cost.
- op.py: one task through the real pipeline in a scratch, and its verdict.
- records.py: the eval ledger: runs, task results, cards; resuming a run.
- card.py: the report card summed from a run's results, friction, the date split.
- render.py, page.py: the card as text, and as an HTML page with SVG plots.
- facts.py: what a card records of the tree and the machine.
- progress.py: progress said as work goes: `eval run`'s bar, `eval mine`'s counts, each
  with an ETA bounded by the limits given, and a heartbeat while one step runs long.
- mine.py: `eval mine`: candidates judged by their tests; flaky tests quarantined.
- runner.py: `eval run`: the brain, the host gate, the tasks, the card.
- commands.py: the commands behind daemon/cli/eval_cli.py.
"""
