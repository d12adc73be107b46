"""The daemon wires session lessons and the strategic digest into its grounding memory from
the settings (governance.lessons, lessons_max, lessons_check_interval, digest,
digest_chars), and leaves them out when switched off."""

from __future__ import annotations

import pytest

from tests.helpers import make_repo, running_daemon, settings_for


@pytest.mark.slow
@pytest.mark.parametrize("knobs, lessons_on, digest_on", [
    ({}, True, True),
    ({"lessons_max": 3, "lessons_check_interval": 4, "digest_chars": 900}, True, True),
    ({"lessons": False, "digest": False}, False, False),
])
async def test_the_daemon_wires_lessons_and_digest(tmp_path, knobs, lessons_on, digest_on):
    repo = make_repo(tmp_path)
    async with running_daemon(repo, settings_for(None, governance=knobs)) as daemon:
        memory = daemon.memory
        status = await daemon.status()
    assert (memory.lessons is not None) is lessons_on
    assert (memory.digest is not None) is digest_on
    if lessons_on:
        assert memory.lessons.session == daemon.session_id
        assert (memory.lessons.cap, memory.lessons.interval) == \
            (knobs.get("lessons_max", 20), knobs.get("lessons_check_interval", 10))
        assert status.grounding.lessons.count == 0
    else:
        assert status.grounding.lessons is None
    if digest_on:
        assert memory.digest.chars == knobs.get("digest_chars", 2500)
        assert memory.digest.root == repo
