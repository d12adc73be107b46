"""Building the configured model provider, or saying plainly why there is none."""

from __future__ import annotations

from pathlib import Path

from daemon.config import Settings
from governance.provider import CandidateProvider
from kernel.replay import ReplayProvider


def build_provider(settings: Settings, repo: Path) -> tuple[CandidateProvider | None, str]:
    """(provider, why-not). A None provider puts the daemon in DEGRADED with that reason."""
    cfg = settings.provider
    if cfg.name == "none":
        return None, "no provider configured (provider.name = 'none')"
    if cfg.name == "replay":
        if not cfg.replay_script:
            return None, "provider.name is 'replay' but provider.replay_script is not set"
        script = Path(cfg.replay_script).expanduser()
        script = script if script.is_absolute() else repo / script
        try:
            return ReplayProvider.from_file(script), ""
        except ValueError as exc:
            return None, str(exc)
    return None, ("the in-process kernel provider is not built yet (issue #3); "
                  "signals are queued until a provider is available")
