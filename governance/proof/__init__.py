"""The proof room: does a candidate do what its op claims, and nothing else (docs/proof.md).

The claim and the rules:
- claim.py: an op's claim and texts from the pipeline, GATE's evidence, VALIDATE's refusals.
- rules.py: the proof rules, pure: an op's claim (its intent) against the checks' reports.

The static analyses (pure):
- static.py: changed statements, TODO resolution, and the parts below.
- names.py: which names a candidate changed, and which public ones it broke.
- sniff.py: code that asks whether it runs under a test runner or a tracer.
- moved.py: code a change moves out of a file (that file belongs to the change).
- same_code.py: a changed function that is its base's code all the same: renamed.py (only
  its local names differ), extracted.py (statements moved, unchanged, into a new helper),
  normal_form.py (one normal form: temporaries.py inlines temporaries, branches.py writes
  a choice as an `if`); bindings.py: the walks they share.
- mutant_shaped.py: a preserve change shaped like a mutant.
- diff.py: the line diff under the analyses, bounded on hostile texts.
- ast_helpers.py, ast_diff.py, symbols.py: the AST helpers the analyses share.

The mutation check (a repair's or new behaviour's changed lines checked, not just run):
- mutation.py: one mutant per changed statement, behind a switch (pure); quiet_calls.py:
  calls that only log get none; added_bindings.py: import-time bindings the change adds.
- mutation_run.py: running it in the jail for one candidate.
- mutant_equivalence.py: a line whose every mutant survived: an equivalent mutant, or a
  line truly unchecked (the input that tells it, for the reviewer).
- entered.py: which functions a fail-to-pass test enters.

The differential check (a preserve change: the base as the oracle):
- differential_check.py: running it for one candidate, in the jail; check_record.py its
  record; lifted.py its step judging a function at its callers.
- behaviour.py: which functions it judges and the tests that enter them; nested.py,
  callers.py: the inner functions and the callers it judges too.
- noticed.py: which changed lines its inputs notice (their mutants answer otherwise).
- boundaries.py, guards.py, value_flow.py, callees.py, conversions.py, environ.py: where
  its generated inputs go (boundaries, the callees' literals, a removed conversion, the
  environment variables it reads); edges.py:
  the comparisons a change rewrote, which its search steers toward.

The lint gate:
- lint_gate.py: the repository's linters and type checkers on the candidate and the base.

The missing test (after a review is made; governance.phases.missing_test_step asks):
- missing_test_rules.py: the causes a test could decide, the question asked, the static
  checks of an answer and the typed verdict (pure).
- missing_test_runs.py: the checks of a proposed test that run tests, in the jail.
- skip_marks.py: what a proposed test adds that makes it skip or xfail.
"""
