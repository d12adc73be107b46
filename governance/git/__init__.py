"""The git room: everything the pipeline asks of git, and what it signs.

- gitops.py: status of the target files, and the op-only commit on a temporary index.
- index_sync.py: the real index brought to HEAD for the op's paths only, crash-safe.
- review.py: review branches, where a change that cannot land waits for a human.
- review_commit.py: a review branch's commit, built in a private index and signed.
- signing.py: the daemon's own SSH commit-signing key.
- provenance.py: the checks behind `ouroboros verify` and `ledger --verify`.
"""
