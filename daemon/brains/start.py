"""Start-up of the daemon's brains and tools: the provider (or the failback chain) and its
health, the routes' brains, the MCP servers, and the jail probe.

The steps fill in the daemon's parts one at a time, in this order, so `status` asked
while the model loads sees what is already there (daemon.service calls start_brains once,
after the control socket is up). The answer is why the daemon starts DEGRADED ("" = ACTIVE).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import structlog

from daemon.brains.embedded import ConfigRead, brain_note
from daemon.brains.providers import build_provider
from daemon.brains.routes import Brains, know_brains
from daemon.config.settings import ConfigError, Settings
from governance.brains.provider import CandidateProvider
from governance.brains.provider_chain import ProviderChain, Record
from ledger import Ledger
from tools.jail import bwrap_available, process_limit_reason
from tools.mcp_hub import McpHub, load_mcp_config

log = structlog.get_logger("daemon")


class Starting(Protocol):
    """The parts of the daemon (daemon.service.Daemon) that start-up fills in."""

    settings: Settings
    config_read: ConfigRead  # the file settings came from: the brain note's wording
    root: Path
    provider: CandidateProvider | None
    brains: Brains | None
    mcp: McpHub | None
    mcp_problems: list[str]
    jail_reason: str | None


async def start_brains(d: Starting, ledger: Ledger, override: CandidateProvider | None,
                       record: Record, on_change: Callable[[], None]) -> str:
    """Provider, brains, MCP servers, jail, in that order; why the daemon is DEGRADED
    ("" = not). A malformed MCP config file raises ConfigError (the start fails)."""
    why = await _open_provider(d, override, record, on_change)
    try:
        d.brains = await know_brains(d.settings, d.provider, ledger)
    except ConfigError as exc:  # a route naming a brain that does not exist
        d.provider, why = None, str(exc)
    await _start_mcp(d)
    return await _probe_jail(d, why)


async def _open_provider(d: Starting, override: CandidateProvider | None, record: Record,
                         on_change: Callable[[], None]) -> str:
    """`override` (tests, benches) or the configured provider, then its health."""
    d.provider, why = ((override, "") if override
                       else await build_provider(d.settings, d.root, record=record,
                                                 on_change=on_change))
    down = await d.provider.check_at_start() if isinstance(d.provider, ProviderChain) else []
    for brain in down:  # a brain whose server is down: said once
        log.warning(f"brain {brain.name} is down: {brain.fix}; work waits for it (no op "
                    "fails for it) and starts once a probe finds it answering")
    if d.provider is not None:
        health = await d.provider.health()
        if getattr(d.provider, "name", None) == "kernel" and (
                note := brain_note(d.settings.provider, d.config_read)):
            log.warning(note)  # the embedded model alone does no real work
        # An outage is said by the chain's state (status' provider and down lines), which
        # follows the brain back; a DEGRADED reason would outlive it.
        why = "" if health.healthy or down else f"provider {d.provider.name}: {health.detail}"
    return why


async def _start_mcp(d: Starting) -> None:
    """Connect configured MCP servers (a malformed config file fails the start)."""
    path = d.settings.tools.mcp_config
    if not path:
        return
    try:
        config = await asyncio.to_thread(load_mcp_config, _resolve(d.root, path))
    except ValueError as exc:
        raise ConfigError(f"tools.mcp_config: {exc}") from None
    d.mcp = McpHub(config)
    d.mcp_problems = await d.mcp.start()
    log.info("mcp servers", connected=sorted(d.mcp.sessions), problems=d.mcp_problems)


def _resolve(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


async def _probe_jail(d: Starting, why: str) -> str:
    """Whether bubblewrap can jail (and cap processes); without it the daemon is DEGRADED
    unless something already made it so."""
    d.jail_reason = await asyncio.to_thread(bwrap_available)
    if d.jail_reason is None and (unlimited := process_limit_reason(
            d.settings.tools.max_procs)):
        log.warning("jail without a process limit", reason=unlimited)
    if d.jail_reason and not why:
        why = (f"{d.jail_reason}; bash is denied"
               + ("" if d.settings.tools.allow_unsandboxed_tests
                  else " and tests cannot run (tools.allow_unsandboxed_tests is off)"))
    return why
