"""Building the configured model provider, or saying plainly why there is none."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from daemon.config.provider import HttpProviderEntry, Price, ProviderSection
from daemon.config.settings import Settings
from daemon.host.loopback import on_this_machine
from governance.brains.brain_names import form_for_names
from governance.brains.failback import ADAPTIVE, ProbeSchedule
from governance.brains.provider import CandidateProvider
from governance.brains.provider_chain import ProviderChain, Record
from governance.edit_blocks import ReplyForm
from kernel import defaults
from kernel.replay import ReplayProvider

if TYPE_CHECKING:
    from kernel.engine import Engine, EngineConfig
    from kernel.http.providers import HttpProviderConfig

log = structlog.get_logger("daemon.brains.providers")
LOAD_NOTE_S = 5.0  # while the model loads, a "still loading" line this often


def _resolve(repo: Path, value: str | None) -> str | None:
    if not value:
        return None
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else repo / path)


def engine_config(cfg: ProviderSection, repo: Path) -> EngineConfig:
    # Imported here: the kernel pulls in torch (about a second), which a daemon on the
    # replay provider or none never needs.
    from kernel.canary import CanaryConfig
    from kernel.decode import GenerationConfig
    from kernel.engine import EngineConfig

    penalty, ngram = penalties(cfg)
    gen = GenerationConfig(
        max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, top_p=cfg.top_p,
        seed=cfg.seed, repetition_penalty=penalty, no_repeat_ngram=ngram,
        loop_lines=defaults.LOOP_LINES,
        canary=CanaryConfig(mode=cfg.canary, threshold=cfg.canary_threshold,
                            patience=cfg.canary_patience))
    return EngineConfig(
        model=_resolve(repo, cfg.model), mode=cfg.mode, exit_policy=cfg.exit_policy, q=cfg.q,
        eps=cfg.eps, patience=cfg.patience, depth=cfg.depth, ut_steps=cfg.ut_steps,
        int8_kv=cfg.int8_kv, lora=_resolve(repo, cfg.lora), lora_merge=cfg.lora_merge,
        load_in_4bit=cfg.load_in_4bit, precision=cfg.precision, device=cfg.device,
        cache_dir=cfg.cache_dir,
        reprompt_loops=cfg.reprompt_loops, generation=gen)


def penalties(cfg: ProviderSection) -> tuple[float, int]:
    """(repetition penalty, no-repeat n-gram) of the in-process model: as set, else a
    .gguf coder model's own, else the seeds' (kernel/defaults.py says why)."""
    coder = (cfg.model or "").lower().endswith(".gguf")
    penalty = cfg.repetition_penalty if cfg.repetition_penalty is not None else (
        defaults.CODER_REPETITION_PENALTY if coder else defaults.REPETITION_PENALTY)
    ngram = cfg.no_repeat_ngram if cfg.no_repeat_ngram is not None else (
        defaults.CODER_NO_REPEAT_NGRAM if coder else defaults.NO_REPEAT_NGRAM)
    return penalty, ngram


async def build_provider(settings: Settings, repo: Path, *, record: Record | None = None,
                         on_change: Callable[[], None] | None = None,
                         ) -> tuple[CandidateProvider | None, str]:
    """(provider, why-not). A None provider puts the daemon in DEGRADED with that reason.
    With [[provider.http]] entries the brains form a ProviderChain (failback); `record` and
    `on_change` are its ledger line and its dispatcher wake-up."""
    local, why = await _local_provider(settings, repo)
    if not settings.provider.http:
        return local, why
    from kernel.http.apis import http_provider

    try:
        remote = [http_provider(http_config(e, settings.provider.prices))
                  for e in settings.provider.http]
    except ValueError as exc:  # an api_key_env that is not set
        return None, str(exc)
    await asyncio.gather(*(p.learn_window() for p in remote))  # where an entry set none
    for p in remote:
        log.info("HTTP brain", name=p.name, window=p.window_text.lstrip(", ") or "none")
    if local is None and why and settings.provider.name != "none":
        log.warning("in-process provider left out of the chain", why=why)
    brains = [*remote, *([local] if local else [])] if settings.provider.http_first \
        else [*([local] if local else []), *remote]
    every = settings.provider.probe_interval_s
    return ProviderChain(brains, record=record, on_change=on_change,
                         probes=ProbeSchedule.every(every) if every else ADAPTIVE), ""


async def probe_forever(provider: object) -> None:
    """The failback chain's prober (its brains in backoff asked again on its schedule), for
    as long as the caller's task group runs it; nothing for a provider without a chain. The
    daemon's run and `eval run` both need it: without it a task waiting for a brain is
    asked again only when the brain's backoff runs out (120 s and more)."""
    if isinstance(provider, ProviderChain):
        await provider.probe_forever()


def price_of(entry: HttpProviderEntry, prices: Mapping[str, Price]) -> tuple[float, float, str]:
    """($ in, $ out per million tokens, where that came from) for one HTTP brain: its own
    usd_per_mtok_in/out, else $0 for an ollama server or any server on this machine, else
    the longest model-name prefix in `prices`, else $0 with a warning (the cost ceilings
    cannot see that brain's spend)."""
    if entry.usd_per_mtok_in is not None or entry.usd_per_mtok_out is not None:
        return entry.usd_per_mtok_in or 0.0, entry.usd_per_mtok_out or 0.0, "configured"
    if entry.kind == "ollama" or on_this_machine(entry.base_url):
        return 0.0, 0.0, "local"
    model = entry.model.lower().rsplit("/", 1)[-1]  # "openai/gpt-4o" on a router: gpt-4o
    family = max((k for k in prices if model.startswith(k.lower())), key=len, default=None)
    if family is None:
        log.warning("no price known for an HTTP brain: its spend counts as $0; set its "
                    "usd_per_mtok_in / usd_per_mtok_out", model=entry.model)
        return 0.0, 0.0, "unknown"
    price = prices[family]
    return price.usd_per_mtok_in, price.usd_per_mtok_out, f"prices.{family}"


def http_config(entry: HttpProviderEntry, prices: Mapping[str, Price]) -> HttpProviderConfig:
    from kernel.http.providers import HttpProviderConfig

    usd_in, usd_out, _ = price_of(entry, prices)
    return HttpProviderConfig(kind=entry.kind, name=entry.name or "", base_url=entry.base_url,
                              model=entry.model,
                              api_key_env=entry.api_key_env, max_tokens=entry.max_tokens,
                              temperature=entry.temperature, usd_per_mtok_in=usd_in,
                              usd_per_mtok_out=usd_out, native_tools=entry.native_tools,
                              grammar=entry.grammar,
                              context_tokens=entry.window,
                              window_from_server=entry.context_tokens is None)


async def _local_provider(settings: Settings,
                          repo: Path) -> tuple[CandidateProvider | None, str]:
    cfg = settings.provider
    if cfg.name == "none":
        return None, "no provider configured (provider.name = 'none')"
    if cfg.name == "replay":
        if not cfg.replay_script:
            return None, "provider.name is 'replay' but provider.replay_script is not set"
        try:
            return ReplayProvider.from_file(Path(_resolve(repo, cfg.replay_script) or "")), ""
        except ValueError as exc:
            return None, str(exc)
    from kernel.errors import KernelError
    from kernel.provider import KernelProvider

    config = engine_config(cfg, repo)
    log.info("loading model", model=config.model or "embedded SmolLM2-135M-Instruct",
             mode=config.mode)
    started = time.monotonic()
    try:
        engine = await _load_engine(config, started)
    except (KernelError, OSError, ValueError) as exc:
        return None, f"kernel model could not be loaded: {exc}"
    log.info("model loaded", model=engine.name, kind=engine.kind, steps=engine.total_steps,
             load_s=round(time.monotonic() - started, 1))
    return KernelProvider(engine, usd_per_mtok=cfg.usd_per_mtok, window=cfg.context_tokens,
                          constrain=constrained(cfg, engine.name),
                          blocks=cfg.constrain is not False), ""


def constrained(cfg: ProviderSection, model: str) -> bool:
    """Whether the in-process model decodes under the daemon's grammar: as set, else on
    but for a code model (governance.edit_blocks: one told the blocks it was trained on)."""
    if cfg.constrain is not None:
        return cfg.constrain
    return form_for_names([model, cfg.model or ""]) is not ReplyForm.BLOCKS


async def _load_engine(config: EngineConfig, started: float) -> Engine:
    """Engine.load in a thread, saying how it goes: a line per checkpoint shard the loader
    reports, and "still loading the model" every LOAD_NOTE_S (the embedded model's first
    start dequantizes it, ~20 s, with no shards to report)."""
    from kernel.engine import Engine

    def shard(done: int, total: int, what: str) -> None:  # called in the loading thread
        if total > 1 and done < total:
            log.info("loading model", shard=f"{done + 1}/{total}", file=what)

    load = asyncio.ensure_future(asyncio.to_thread(Engine.load, config, shard))
    try:
        while not (await asyncio.wait({load}, timeout=LOAD_NOTE_S))[0]:
            log.info("still loading the model", for_s=round(time.monotonic() - started))
    except asyncio.CancelledError:
        load.cancel()  # the thread finishes on its own; nobody waits for it
        raise
    return load.result()
