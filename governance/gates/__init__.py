"""The gates room: rule ladders a candidate passes before it may land.

- risk.py: CLASSIFY's risk ladder (protected, approval, notify, safe); GATE re-runs it.
- weakening.py: GATE's AST comparison of an edited test file with its base.
- ascii_gate.py: ASCII strictness on the lines a candidate adds or changes: confusables
  repaired in code, a literal's or comment's text kept as content, invisible characters refused.
- literal_spans.py: where a Python text's string literals and comments lie (tokenize, or a
  conservative scan when it does not tokenize).
"""
