"""The oracle room: which tests judge a change, where they run, and what really ran.

- scope.py: the affected scope: every test that can observe a changed module.
- import_graph.py: who imports a module (the scope's dependents, and reputation's).
- oracle_run.py: one op's oracle sessions (original and test-side), and which trees.
- testrun.py: a killable pytest subprocess, read from the plugin's report.
- oracle_plugin.py: our pytest plugin, copied beside each run: what ran, per test.
- oracle_tracer.py: its tracer, copied with it: the lines, files and calls each test ran.
- oracle.py: reading that report, and judging a change against its baseline.
- failure_text.py: what a failing test said (message, traceback and output tails).
- sandbox.py: sandbox copies of the repository, where candidates are tested.
- interpreter.py: which interpreter runs a repository's tests, and what it must see.
"""
