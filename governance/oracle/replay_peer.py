"""The differential check's peer (governance.oracle.replay_search): the other tree's code in
a process forked from the base's replay runner (governance.oracle.replay_runner) before it
imports the tree, answering calls over a pair of pipes, one pickled message at a time.

Copied beside the replay runner as `_ouroboros_peer`; standard library only.
"""

import contextlib
import os
import pickle
import select
import signal
import struct
import time

_HEADER = struct.Struct(">I")
_MAX_MESSAGE = 64 << 20


def _send(fd, obj):
    data = pickle.dumps(obj, protocol=4)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd, wait_s=None):
    """One message, or None at end of file or past `wait_s` seconds."""
    head = _read_exactly(fd, _HEADER.size, wait_s)
    if head is None:
        return None
    size = _HEADER.unpack(head)[0]
    body = _read_exactly(fd, size, wait_s) if size <= _MAX_MESSAGE else None
    return None if body is None else pickle.loads(body)


def _read_exactly(fd, size, wait_s):
    chunks, left = [], size
    end = None if wait_s is None else time.monotonic() + wait_s
    while left:
        if end is not None:
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                return None
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Peer:
    """The other tree's code in a forked process: `ask(file, qualname, blob, closure)` is
    its answer row (replay_answer.answer_row), or None when it is gone or took past its
    time."""

    def __init__(self, pid, to_peer, from_peer, wait_s):
        self.pid, self.to_peer, self.from_peer, self.wait_s = pid, to_peer, from_peer, wait_s

    @classmethod
    def start(cls, install, texts, serve, wait_s):
        """Fork a peer that runs `install(texts)` and then answers with `serve`; None
        where there is nothing to swap or no fork."""
        if not texts or not hasattr(os, "fork"):
            return None
        down, up = os.pipe(), os.pipe()
        try:
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:  # the peer: never returns into the runner
            code = 0
            try:
                os.close(down[1])
                os.close(up[0])
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                install(texts)
                _serve(down[0], up[1], serve)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(down[0])
        os.close(up[1])
        return cls(pid, down[1], up[0], wait_s)

    def ask(self, file, qualname, blob, closure=None, *more, wait_s=None):
        return self.sent(file, qualname, blob, closure, *more, wait_s=wait_s)()

    def sent(self, file, qualname, blob, closure=None, *more, wait_s=None):
        """The call sent (`more`: what else the peer's `serve` takes), and the function
        that waits for its answer (`wait_s`, or the peer's own): the peer answers while
        this side answers the same input on its own tree."""
        if self.pid is None:
            return lambda: None
        try:
            _send(self.to_peer, (file, qualname, blob, closure, *more))
        except OSError:
            self.close()
            return lambda: None
        return lambda: self._answer(self.wait_s if wait_s is None else wait_s)

    def _answer(self, wait_s):
        try:
            row = _recv(self.from_peer, wait_s)
        except (OSError, EOFError, pickle.UnpicklingError):
            row = None
        if not isinstance(row, dict):
            self.close()
            return None
        return row

    def close(self):
        if self.pid is None:
            return
        for fd in (self.to_peer, self.from_peer):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        self.pid = None


def _serve(rfd, wfd, serve):
    while True:
        message = _recv(rfd)
        if message is None:
            return
        try:
            row = serve(*message)
        except Exception as exc:
            row = {"problem": type(exc).__name__}
        _send(wfd, row)
