"""The gates room: rule ladders a candidate passes before it may land.

- risk.py: CLASSIFY's risk ladder (protected, approval, notify, safe); GATE re-runs it.
- weakening.py: GATE's AST comparison of an edited test file with its base.
- ascii_gate.py: ASCII strictness on the lines a candidate adds or changes.
"""
