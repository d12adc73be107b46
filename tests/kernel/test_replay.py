"""The replay stand-in as the daemon loads it from its config."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from kernel.replay import ReplayProvider, load_script


def test_the_daemons_stand_in_keeps_no_record_of_what_it_was_asked(tmp_path):
    """A daemon runs its configured replay script for hours: each op's prompts held to the
    end grew the fifth soak's daemon ~43 KB an op. A test's own provider still records."""
    script = tmp_path / "script.jsonl"
    script.write_text("\n".join(json.dumps({"purpose": "generate", "text": str(i)})
                                for i in range(3)) + "\n")
    daemons = ReplayProvider.from_file(script)
    asyncio.run(daemons.generate("a long prompt " * 1000, deadline=time.monotonic() + 5))
    assert not daemons._prompts and not daemons._steers
    with pytest.raises(RuntimeError, match="keeps no record"):
        daemons.prompts  # noqa: B018 - asking is the test: no vacuous "never shown X"
    tests = ReplayProvider(load_script(script))
    asyncio.run(tests.generate("p", deadline=time.monotonic() + 5))
    assert (tests.prompts, tests.steers) == (["p"], [None])
