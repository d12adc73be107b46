"""The base of every configuration section: unknown keys are errors, assignments are
validated (daemon.config.settings assembles the sections)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)
