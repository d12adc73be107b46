"""Governance: the deterministic 11-phase pipeline that decides what reaches disk.

Nothing in this package imports the kernel; models are reached only through the
`CandidateProvider` protocol in `governance.brains.provider`.
"""
