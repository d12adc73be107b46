"""Starting a jailed run's process off the event loop.

`asyncio.create_subprocess_exec` forks on the loop's thread and waits there until the child
has exec'd. With a `preexec_fn` (the jail's rlimits and cgroup join must happen in the child
before exec) CPython cannot use vfork: it forks the whole daemon (a loaded model's pages
included) and the child runs Python before exec. On a loaded 2-core box that stood the loop
still for 1.7 s in CI, freezing every timebox and every other op with it. Here the fork runs
in a worker thread (the wait for the exec releases the GIL), the child's output is read
through the loop as asyncio's own pipes are, and its exit is awaited by a thread of its own,
as asyncio's ThreadedChildWatcher does.

Standard library only, as all of tools.jail's imports: the unprivileged jail test runs it
under the system Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence

READ_LIMIT = 2**16  # asyncio's own default for a subprocess's stream


class Spawned:
    """A started child, used as asyncio.subprocess.Process is: `pid`, `stdout`, `wait()`,
    `returncode` (None until it has exited), and `close()` for the output pipe."""

    def __init__(self, popen: subprocess.Popen[bytes], stdout: asyncio.StreamReader,
                 transport: asyncio.BaseTransport, exited: asyncio.Future[int]) -> None:
        self.pid, self.stdout = popen.pid, stdout
        self._transport, self._exited = transport, exited

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() else None

    async def wait(self) -> int:
        """The exit status once the child has exited (its pipe may still be open)."""
        return await asyncio.shield(self._exited)

    def close(self) -> None:
        """Close the output pipe (idempotent; after EOF it is closed already)."""
        self._transport.close()


async def spawn(argv: Sequence[str], *, env: Mapping[str, str], pass_fds: Sequence[int],
                preexec: Callable[[], None]) -> Spawned:
    """Start `argv` in a session of its own, stdin from /dev/null, stdout and stderr into one
    pipe. Raises what Popen raises (OSError, SubprocessError). Cancelled while the fork
    runs, it waits for the fork to finish (the `pass_fds` must stay open until the child has
    them: a closed, reused number would hand it another file), kills what started, and
    re-raises."""
    loop = asyncio.get_running_loop()
    start = asyncio.ensure_future(asyncio.to_thread(
        subprocess.Popen, list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=preexec, env=dict(env),
        close_fds=True, pass_fds=tuple(pass_fds)))
    try:
        popen = await asyncio.shield(start)
    except asyncio.CancelledError:
        while not start.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({start})
        if not start.cancelled() and start.exception() is None:
            _end(start.result())
        raise
    try:
        assert popen.stdout is not None
        reader = asyncio.StreamReader(limit=READ_LIMIT, loop=loop)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop), popen.stdout)
    except BaseException:
        _end(popen)
        raise
    exited: asyncio.Future[int] = loop.create_future()
    threading.Thread(target=_await_exit, args=(popen, loop, exited), daemon=True,
                     name=f"ouroboros-wait-{popen.pid}").start()
    return Spawned(popen, reader, transport, exited)


def _await_exit(popen: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop,
                exited: asyncio.Future[int]) -> None:
    """Reap the child (blocking: its own thread) and hand its status to the loop."""
    code = popen.wait()
    with contextlib.suppress(RuntimeError):  # the loop closed first: nobody waits any more
        loop.call_soon_threadsafe(_settle, exited, code)


def _settle(exited: asyncio.Future[int], code: int) -> None:
    if not exited.done():
        exited.set_result(code)


def _end(popen: subprocess.Popen[bytes]) -> None:
    """Kill a child nobody will read from, with its session's group, and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, signal.SIGKILL)
    if popen.stdout is not None:
        popen.stdout.close()
    threading.Thread(target=popen.wait, daemon=True,
                     name=f"ouroboros-reap-{popen.pid}").start()
