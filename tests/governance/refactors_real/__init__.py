"""The real-library refactor corpus: refactors of complex functions of three libraries from
PyPI (mistune, isodate, xmltodict), judged by the differential check as VALIDATE judges a
preserve change (tests/governance/test_refactor_corpus_real.py, bench/refactors_real.py).

- corpus.py: the shapes (Library, Case, Probe, Refactor), the whole corpus, the CI sample;
- lib_mistune.py, lib_isodate.py, lib_xmltodict.py: each library's controls and careless
  refactors, as edits of its files (the libraries: tests/data/refactors_real/);
- expected.py: what today's check makes of each refactor (lands, counterexample, not shown);
- judge.py: one refactor in the real jail (the library's own suite with coverage, then
  governance.proof.differential_check), the premise, and the probes that show each careless
  refactor's change.
"""
