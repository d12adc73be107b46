"""[ledger] and [storage]: how the state dir stays bounded and what happens when it is full
(daemon.config.settings assembles the sections)."""

from __future__ import annotations

from pydantic import Field, model_validator

from daemon.config.base import Section


class LedgerSection(Section):
    """Retention (ledger.retention, docs/observability.md#retention): the rows of old ops
    move to compressed, hash-anchored segment files in `<state>/ledger-archive/`, where
    `ledger OP`, `ledger --verify` and `verify COMMIT` still read and check them."""

    retention: bool = True  # false: every row stays in the database
    # An op stays inline while it is among the newest keep_ops, or ended less than
    # keep_days ago (both must have passed before it moves).
    keep_days: float = Field(default=30.0, ge=0)
    keep_ops: int = Field(default=500, ge=0)
    archive_interval_s: float = Field(default=3600.0, ge=1)  # how often it looks
    # The fewest rows worth a segment (~33 rows per op): fewer wait for a later look.
    segment_min_rows: int = Field(default=2000, ge=1)
    # Retention cuts only where no op was in flight: after this many ops, dispatch lets
    # the ones in flight end first (daemon.quiet_point), waiting at most quiet_wait_s.
    quiet_every_ops: int = Field(default=50, ge=0)  # 0: never
    quiet_wait_s: float = Field(default=300.0, gt=0)


class StorageSection(Section):
    """The state dir's free space (daemon.host.state_gate, docs/operations.md#a-full-or-read-only-
    state-dir): below min_free_mb, or read-only, or a write refused for space, new ops wait
    at dispatch; they resume at resume_free_mb with a write that succeeds."""

    min_free_mb: float = Field(default=64.0, ge=0)
    resume_free_mb: float = Field(default=128.0, ge=0)
    poll_s: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _resume_above_pause(self) -> StorageSection:
        if self.resume_free_mb < self.min_free_mb:
            raise ValueError("storage: resume_free_mb must not be below min_free_mb (the "
                             "gate would flap)")
        return self
