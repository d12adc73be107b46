"""A jailed run never outlives its runner's deadline or cancellation, even where a process
of it left the process group the runner kills. bubblewrap's own PID 1 does: --new-session's
setsid comes before it sets its parent-death signal, and a kill of the group that landed in
between ended the outer bubblewrap only, while PID 1 ran the command on, orphaned, holding
the output pipe that `proc.wait()` waits on (the fresh-clone CI's hang at a daemon's
shutdown, in a suite-profile refresh). A stand-in for bubblewrap makes that shape on
purpose: a child in a session of its own that ignores SIGTERM and holds stdout."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from governance.git.index_sync import process_alive
from tests.helpers import jail_limits
from tools.jail import Jail, JailLimits

# The stand-in: the child leaves the group, says its pid on the fd it is given and waits
# for ever holding stdout; the parent (the group's leader, bubblewrap's place) waits on it.
ESCAPE = ("import os, signal, sys\n"
          "fd = int(sys.argv[1])\n"
          "pid = os.fork()\n"
          "if pid == 0:\n"
          "    os.setsid()\n"
          "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
          "    os.write(fd, b'%d' % os.getpid())\n"
          "    while True:\n"
          "        signal.pause()\n"
          "os.close(fd)\n"
          "os.waitpid(pid, 0)\n")
DEADLINE_S = 5.0  # the stand-in forks at once: its child exists well before this
RETURN_S = 30.0  # the kill is bounded well below this; before the fix the run never returned


class EscapingJail(Jail):
    """The real runner (spawn, limits, collect, kill) around the stand-in."""

    def __init__(self, sandbox: Path, limits: JailLimits, fd: int):
        super().__init__(sandbox, [], limits)
        self.fd = fd

    @contextlib.contextmanager
    def prepared(self, command: Sequence[str], cwd: Path | None = None
                 ) -> Iterator[tuple[list[str], list[int]]]:
        try:
            yield [sys.executable, "-c", ESCAPE, str(self.fd)], [self.fd]
        finally:
            os.close(self.fd)  # as the real one closes its fds: the child holds its copy


@pytest.mark.parametrize("ending", ["deadline", "cancelled"])
async def test_a_process_that_left_the_group_is_killed_and_the_run_returns(tmp_path, ending):
    said, says = os.pipe()
    limits = jail_limits(timeout_s=DEADLINE_S if ending == "deadline" else 600.0)
    run = asyncio.create_task(EscapingJail(tmp_path, limits, says).run(["unused"]))
    escaped = None
    try:
        text = await asyncio.to_thread(os.read, said, 64)  # EOF (b"") if it never escaped
        assert text, "the stand-in's child never left the group"
        escaped = int(text)
        if ending == "cancelled":  # the daemon's shutdown: its task cancels the run
            run.cancel()
        done, _ = await asyncio.wait({run}, timeout=RETURN_S)
        assert done, "the run outlived its kill: it waited on a pipe its escaped child held"
        if ending == "deadline":
            assert run.result().timed_out
        else:
            assert run.cancelled()
        assert not process_alive(escaped), "the escaped child outlived the run"
    finally:
        os.close(said)
        if escaped is not None and process_alive(escaped):  # never leave it behind, fix or not
            os.kill(escaped, signal.SIGKILL)
        with contextlib.suppress(BaseException):
            await run
