"""The memory room: the advisory grounding memory (it may raise a tier, never lower one).

- memory.py: outcome records of finished ops, and what they say about the next op's files.
- reputation.py: file reputation and regression prophecy, from those records.
- trust.py: trust calibration: how often work of one kind landed against its confidence.
- lessons.py: session lessons, one line per finished op, for the next prompt.
- digest.py: the strategic digest: the README and the momentum of the last 50 commits.
"""
