"""The proof room: does a candidate do what its op claims, and nothing else (docs/proof.md).

- rules.py: the proof rules, pure: an op's claim (its intent) against the oracle's reports.
- static.py: the static analyses: changed statements, TODO resolution, and the parts below.
- names.py: which names a candidate changed, and which public ones it broke.
- sniff.py: code that asks whether it runs under a test runner or a tracer.
- diff.py: the line diff under the analyses, bounded on hostile texts.
- ast_helpers.py: the AST helpers the analyses share.
"""
