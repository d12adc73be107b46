"""The refactor corpus: careless refactors of covered code and behaviour-preserving controls,
judged by the differential check (tests/governance/test_refactor_corpus.py, bench/refactors.py).

- corpus.py: the shapes (Module, Refactor), the whole corpus, the CI sample, the counts;
- judge.py: one refactor as VALIDATE judges it, in the jail, or through the whole pipeline;
- pricing.py, dates.py, text.py, settings.py, colls.py, account.py: one small package each
  (its module, its loose tests, its careless refactors and its controls).
"""
