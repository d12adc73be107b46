"""`ouroboros stop [--timeout S]`: ask the running daemon to stop, follow its drain, and
return once the process has exited.

    stopping: waiting for op-1a2b… (GENERATE) to end; after the grace of 30s it is
              cancelled at its next safe point
    stopping: op-1a2b… VALIDATE
    stopping: op-1a2b… ended COMPLETE
    stopped: pid 4242 exited after 12.3s

The event stream is subscribed to before `stop` is sent, so nothing between the answer and
the stream is missed; the daemon closes the stream when its drain is done, and the process's
exit is waited for on a pidfd (an event, no polling). Exit codes: 0 stopped; 1 refused
(under systemd: the reply names the `systemctl` command) or still stopping at `--timeout`
(the drain goes on: `ouroboros status` shows it); 3 no daemon runs here. Progress goes to
stderr; the last line (or `--json`'s object) to stdout.

The light path, as the other socket verbs (daemon/cli/commands.py): sockets and JSON only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from daemon.cli.socket_commands import print_reply, socket_path
from daemon.control.client import ControlClient
from daemon.errors import DaemonNotRunning

MARGIN_S = 60.0  # the default --timeout past the grace: the systemd unit's measured margin


def cmd_stop(args: argparse.Namespace) -> int:
    path = socket_path(args)
    began = time.monotonic()
    with _stream(path) as events:  # before `stop`: the drain's first event is not missed
        reply = ControlClient(path).request("stop")
        if not reply.get("ok"):
            return print_reply("stop", reply, as_json=args.json)
        data = reply["data"]
        timeout = args.timeout if args.timeout is not None else data["grace_s"] + MARGIN_S
        drain = Drain(data, began)
        drain.follow(events, began + timeout)
    exited = drain.wait_exit(began + timeout)
    took = round(time.monotonic() - began, 1)
    if args.json:
        print(json.dumps({"stopped": exited, "pid": drain.pid, "seconds": took,
                          "in_flight": sorted(drain.waiting)}, indent=2))
    elif exited:
        print(f"stopped: pid {drain.pid} exited after {took:g}s")
    else:
        left = f" (waiting for {', '.join(sorted(drain.waiting))})" if drain.waiting else ""
        print(f"ouroboros: the daemon (pid {drain.pid}) is still stopping after {took:g}s"
              f"{left}; it goes on: `ouroboros status` shows it", file=sys.stderr)
    return 0 if exited else 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=_seconds, default=None, metavar="S",
                        help="give up waiting after S seconds (default: the daemon's "
                        f"shutdown grace + {MARGIN_S:g}s); the daemon goes on stopping")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


class Drain:
    """What the client knows of the daemon's drain: the ops it waits for, said as they go."""

    def __init__(self, data: dict, began: float):
        self.pid: int = data["pid"]
        self.grace_s: float = data["grace_s"]
        self.ends = set(data["ends"])
        self.grace_over = began + self.grace_s
        self.waiting = {op["op_id"]: op["phase"] for op in data["in_flight"]}
        for op_id, phase in self.waiting.items():
            _say(f"waiting for {op_id} ({phase}) to end; after the grace of {self.grace_s:g}s "
                 "it is cancelled at its next safe point")
        if not self.waiting:
            _say("no op in flight")

    def follow(self, events: EventStream | None, deadline: float) -> None:
        """Say the drain's progress until the daemon closes the stream or `deadline`."""
        while events is not None and (now := time.monotonic()) < deadline:
            event = events.next(min(deadline, self.grace_over or deadline) - now)
            if event is None:
                return
            if event.get("kind") == "phase" and event.get("op_id"):
                self._phase(str(event["op_id"]), str(event.get("to")))
            if self.grace_over and time.monotonic() >= self.grace_over:
                if self.waiting:
                    _say(f"the grace of {self.grace_s:g}s passed: cancelling "
                         f"{', '.join(sorted(self.waiting))} at the next safe point")
                self.grace_over = 0.0  # said once; from now on the wait is for the deadline

    def _phase(self, op_id: str, to: str) -> None:
        if to in self.ends:
            self.waiting.pop(op_id, None)
            _say(f"{op_id} ended {to}")
        else:  # one dispatched as the stop came in is waited for too
            self.waiting[op_id] = to
            _say(f"{op_id} {to}")

    def wait_exit(self, deadline: float) -> bool:
        """Whether the daemon's process exited by `deadline` (a pidfd: woken by the exit)."""
        try:
            fd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            return True
        try:
            return bool(select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0])
        finally:
            os.close(fd)


def _say(text: str) -> None:
    print(f"stopping: {text}", file=sys.stderr, flush=True)


class EventStream:
    """The daemon's event stream (`subscribe`), read one JSON line at a time."""

    def __init__(self, sock: socket.socket, buffered: bytes = b""):
        self.sock, self.buffer = sock, buffered

    def next(self, wait_s: float) -> dict | None:
        """The next event; {} when none came within `wait_s` (or a line was not JSON);
        None once the daemon closed the stream (the end of its drain)."""
        while b"\n" not in self.buffer:
            if not select.select([self.sock], [], [], max(0.0, wait_s))[0]:
                return {}
            try:
                chunk = self.sock.recv(65536)
            except OSError:  # reset: the daemon aborts its connections as it shuts down
                return None
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            event = json.loads(line)
        except ValueError:
            return {}
        return event if isinstance(event, dict) else {}


@contextlib.contextmanager
def _stream(path: Path) -> Iterator[EventStream | None]:
    """The event stream, its acknowledgement read; None when the daemon cannot take another
    watcher. DaemonNotRunning when nothing answers, as for every socket verb."""
    if not path.exists():
        raise DaemonNotRunning(f"daemon is not running (no control socket at {path})")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.settimeout(ControlClient(path).timeout_s)
            sock.connect(str(path))
            sock.sendall(b'{"cmd": "subscribe"}\n')
            stream = EventStream(sock)
            while b"\n" not in stream.buffer and (chunk := sock.recv(65536)):
                stream.buffer += chunk
            ack = stream.next(0.0)
        except (ConnectionRefusedError, FileNotFoundError) as exc:  # as ControlClient says
            raise DaemonNotRunning(
                f"daemon is not running (stale control socket at {path})") from exc
        except OSError as exc:  # not ours to open (0600), timed out, reset
            raise DaemonNotRunning(f"cannot talk to the daemon at {path}: "
                                   f"{exc.strerror or exc}") from exc
        yield stream if ack and ack.get("ok") else None
