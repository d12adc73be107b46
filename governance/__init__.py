"""Governance: the deterministic 11-phase pipeline that decides what reaches disk.

Nothing in this package imports the kernel; models are reached only through the
`CandidateProvider` protocol in `governance.brains.provider`.

Its rooms, each a sub-package whose __init__ lists its modules; a room imports only rooms
below it (tests/test_layering.py holds it), listed here from the top down:

- phases/: the orchestrator, the phase table and the phase functions; PhaseDeps.
- brains/: the model seam (CandidateProvider), the provider chain and failback, the model
  gate, the re-ground reflex, the prompts.
- memory/: the advisory grounding memory: outcomes, reputation, trust, lessons, digest.
- proof/: does a change do what its op claims: the proof rules and static analyses.
- oracle/: the test oracle: affected scope, sandboxes, the pytest run and its report.
- gates/: the risk ladder, test weakening, ASCII strictness.
- git/: git status and the op-only commit, the index, review branches, signing, provenance.
- fs/: path rules and protected names, no-follow reads and writes, rollback snapshots.
- routes/: the route table, each brain's measured speed, a step's deadline.

At the top, what every room shares: schemas.py (the boundary types), errors.py (the
exception tree), phase.py (the phases, a Transition), policy.py (the governance knobs),
retry.py (the one retry rule) and crashpoints.py (named kill points for the crash test).
"""
