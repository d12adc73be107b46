"""The proof room: does a candidate do what its op claims, and nothing else (docs/proof.md).

- rules.py: the proof rules, pure: an op's claim (its intent) against the oracle's reports.
- static.py: the static analyses: changed statements, TODO resolution, and the parts below.
- names.py: which names a candidate changed, and which public ones it broke.
- sniff.py: code that asks whether it runs under a test runner or a tracer.
- diff.py: the line diff under the analyses, bounded on hostile texts.
- ast_helpers.py: the AST helpers the analyses share.
- differential_check.py: the differential check of one candidate, run in the jail: its
  tests' calls captured on the base and replayed on both trees (the base as the oracle).
- mutant_equivalence.py: a changed line whose every mutant survived: an equivalent mutant,
  or a line truly unchecked (the input that tells it, for the reviewer).
- missing_test.py: the missing test, pure: the causes a test could decide, the question
  asked, the static checks of an answer and the typed verdict.
- missing_test_runs.py: the checks of a proposed missing test that run tests, in the jail
  (governance.phases.propose_test, the pipeline's step, asks the brain and calls them).
"""
