"""The watcher under a storm of real inotify events (another thread rewriting files as fast
as it can): the loop is woken once per batch, not once per event, and a storm that never
goes quiet is still delivered (MAX_BATCH_S), while it is still going."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from sensors.watcher import RepoWatcher


@pytest.mark.slow
async def test_a_storm_wakes_the_loop_per_batch_and_is_delivered_while_it_lasts(tmp_path: Path):
    root = tmp_path.resolve()
    (root / "storm").mkdir()
    batches: list[set[str]] = []
    delivered = asyncio.Event()
    stop = threading.Event()
    written = 0

    async def on_paths(paths: set[str]) -> None:
        batches.append(set(paths))
        delivered.set()

    async def on_git() -> None:
        return None

    def storm() -> None:
        nonlocal written
        k = 0
        while not stop.is_set():  # until the watcher delivered, however long that takes
            for j in range(20):
                (root / "storm" / f"f{j}.py").write_text(f"x = {k}\n")
                written += 1
            k += 1

    loop = asyncio.get_running_loop()
    wakeups = 0
    real = loop.call_soon_threadsafe

    def counting(*args, **kwargs):
        nonlocal wakeups
        wakeups += 1
        return real(*args, **kwargs)

    loop.call_soon_threadsafe = counting  # every wake-up from watchdog's thread goes here
    watcher = RepoWatcher(root, root / ".ouroboros", 0.3, on_paths, on_git)
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.watching.wait(), 10)  # every watch is in place
    writer = threading.Thread(target=storm)
    writer.start()
    try:
        async with asyncio.timeout(60):
            await delivered.wait()
        still_storming = writer.is_alive()
    finally:
        stop.set()
        writer.join()
        task.cancel()
        del loop.call_soon_threadsafe
    assert still_storming  # the storm never went quiet for 0.3 s, yet a batch came
    assert batches[0] - {"storm"} <= {f"storm/f{j}.py" for j in range(20)}
    assert batches[0] - {"storm"}
    assert written > 200
    # One wake-up per batch (plus stragglers), never one per event.
    assert wakeups <= len(batches) + 5, (wakeups, written)
