"""[health]: when the daemon yields the machine to its human (daemon.config.settings assembles the
sections)."""

from __future__ import annotations

from pydantic import Field, model_validator

from daemon.config.base import Section


class HealthSection(Section):
    """The daemon yields to its human (daemon.host.gate, docs/operations.md): heavy work (a
    new op, a sensor's jailed test run or benchmark) waits while the load average, less the
    daemon's own share, is above max_load_share x cores, on battery, or at max_temp_c; it
    resumes below the resume marks (hysteresis). Unknown readings never hold it back. A wait
    for the load alone is bounded: after max_wait_s one op runs at idle priority anyway
    (daemon.host.overdue), unless memory is short (below min_free_memory_mb available)."""

    enabled: bool = True
    max_load_share: float = Field(default=0.8, gt=0, le=16)
    resume_load_share: float = Field(default=0.6, gt=0, le=16)
    pause_on_battery: bool = True
    max_temp_c: float = Field(default=90.0, gt=0, le=150)
    resume_temp_c: float = Field(default=80.0, gt=0, le=150)
    poll_s: float = Field(default=5.0, gt=0, le=300)  # the kernel updates the load every 5 s
    # 0: no bound, heavy work waits as long as the load stays high (docs/operations.md says
    # how the default was measured)
    max_wait_s: float = Field(default=600.0, ge=0)
    min_free_memory_mb: float = Field(default=1024.0, ge=0)
    # A VALIDATE or VERIFY test run that times out while the gate reports load (or battery,
    # or heat) is the host's slowness, not the work's failure: it runs again once it is quiet,
    # at most timeout_runs_again times an op and waiting at most timeout_wait_h hours in all,
    # and spends no VALIDATE retry (governance.phases.slow_host). 0 runs: the old rule.
    timeout_runs_again: int = Field(default=2, ge=0, le=20)
    timeout_wait_h: float = Field(default=2.0, ge=0, le=72)
    # `ouroboros run` lowers its own CPU and I/O priority to the systemd unit's (Nice=10,
    # best-effort I/O level 7): daemon.host.priority.
    lower_priority: bool = True

    @model_validator(mode="after")
    def _resume_below_pause(self) -> HealthSection:
        if self.resume_load_share > self.max_load_share or self.resume_temp_c > self.max_temp_c:
            raise ValueError("health: resume_load_share and resume_temp_c must not exceed "
                             "max_load_share and max_temp_c (the gate would flap)")
        return self

