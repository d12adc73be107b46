"""An HTTP brain cut off by its deadline counts on the eval card's deadline misses.

Measured on python-semver with llama.cpp's server as the brain: a task ended "deadline
missed: ... TIMEOUT: llamacpp: the deadline passed after 887 characters" while the card said
0 deadline misses. The HTTP provider's failure is typed (ProviderError.deadline_missed),
but the failback chain answered it with a new ProviderError that dropped the flag, and the
ledger's failed call kept only its text, where the card looked for the kernel's
`DeadlineMissed`. Here a real OpenAI-compatible server (tests.replay_http: the replay
stand-in behind a socket) answers after the deadline, through the daemon's own chain, the
phases' call record and the real ledger, into eval's count."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from daemon.brains.providers import build_provider
from daemon.config.settings import Settings
from daemon.eval.result import spend
from governance.errors import ProviderError
from governance.phase import Phase
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from tests.helpers import commit_files, op_context, pipeline_deps
from tests.local_http import serving
from tests.replay_http import MODEL, ReplayServer


async def test_an_http_brains_missed_deadline_is_counted(tmp_path: Path) -> None:
    slow = ReplayServer(ReplayProvider([ReplayTurn(purpose="generate", text="late",
                                                   delay_s=1.5)]))
    with serving(slow.app()) as url:
        settings = Settings.model_validate({"provider": {"name": "none", "http": [
            {"kind": "openai", "base_url": f"{url}/v1", "model": MODEL, "name": "served",
             "context_tokens": 4096}]}})
        chain, why = await build_provider(settings, tmp_path)
        assert chain is not None, why
        with pytest.raises(ProviderError) as caught:
            await chain.generate("fix it", deadline=time.monotonic() + 0.5)
    assert caught.value.deadline_missed, caught.value  # typed, past the chain
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    try:
        ctx = op_context()
        await ledger.record_operation(ctx.op_id, source="test", goal="fix it",
                                      session_id="s", envelope={})
        repo = commit_files(tmp_path / "repo", {"README.md": "# r\n"})
        deps = pipeline_deps(repo, ledger, chain)  # type: ignore[arg-type]
        await deps.record_failed_call(ctx, Phase.GENERATE, caught.value)
        calls = (await ledger.chain(ctx.op_id))["model_calls"]
    finally:
        await ledger.close()
    assert calls[0]["telemetry"] == {"deadline_missed": True}, calls
    assert spend({"model_calls": calls})["deadline_misses"] == 1
    # a failure that is not the deadline's is no deadline miss
    other = {"model_calls": [{**calls[0], "error": "ProviderError: 500", "telemetry": {}}]}
    assert spend(other)["deadline_misses"] == 0
