"""`ouroboros watch`: the daemon's events, one line each, as they happen (the REPL shows the
same lines). Blocking and light: only the standard library, so it starts as fast as the
other socket verbs. `--json` prints the raw objects (daemon.live.events), one a line.

Every text from the daemon is stripped of control characters before it reaches the
terminal: a goal or a tool argument cannot move the cursor or recolour the screen.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from daemon.console import cut
from daemon.errors import DaemonNotRunning
from daemon.status.text import waiting_line

SILENCE_S = 60.0  # no event and no heartbeat (every 15 s) for this long: the daemon is gone
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
COLOURS = {"commit": "32", "postmortem": "31", "review": "33", "notify_apply": "33",
           "dropped": "35", "phase": "36", "verify": "34", "service": "1", "closed": "31"}


def events(path: Path, silence_s: float = SILENCE_S) -> Iterator[dict[str, Any]]:
    """Subscribe on the control socket at `path` and yield each event as it comes.
    DaemonNotRunning when there is no daemon, it refuses, or it goes silent or away."""
    if not path.exists():
        raise DaemonNotRunning(f"daemon is not running (no control socket at {path})")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(silence_s)
        try:
            sock.connect(str(path))
            sock.sendall(b'{"cmd": "subscribe"}\n')
        except (ConnectionRefusedError, FileNotFoundError) as exc:
            raise DaemonNotRunning(f"daemon is not running (stale control socket at {path})"
                                   ) from exc
        except OSError as exc:
            raise DaemonNotRunning(f"cannot talk to the daemon at {path}: "
                                   f"{exc.strerror or exc}") from exc
        lines = _lines(sock, silence_s)
        ack = next(lines, None)
        if ack is None or not ack.get("ok"):
            why = "closed the connection" if ack is None else ack.get("error")
            raise DaemonNotRunning(f"the daemon refused to stream events: {why}")
        for obj in lines:
            if obj.get("ok") is False:  # evicted at the socket's cap, or shutting down
                raise DaemonNotRunning(f"the daemon closed the stream: {obj.get('error')}")
            yield obj
    finally:
        sock.close()


def _lines(sock: socket.socket, silence_s: float) -> Iterator[dict[str, Any]]:
    buf = b""
    while True:
        while b"\n" not in buf:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                raise DaemonNotRunning(f"the daemon sent nothing for {silence_s:g}s "
                                       "(not even a heartbeat)") from None
            except OSError as exc:
                raise DaemonNotRunning(f"the event stream broke: {exc.strerror or exc}"
                                       ) from None
            if not chunk:
                if buf:
                    raise DaemonNotRunning("the event stream ended mid-line")
                return  # the daemon stopped (or evicted us after saying why)
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        try:
            obj = json.loads(line)
        except ValueError:
            raise DaemonNotRunning(f"the daemon sent a line that is not JSON: {line[:60]!r}"
                                   ) from None
        if isinstance(obj, dict):
            yield obj


def clean(value: Any, limit: int = 160) -> str:
    """One line of at most `limit` characters, cut before a word (daemon.console.cut)."""
    return cut(_CONTROL.sub(" ", str(value if value is not None else "")), limit)


def _diffstat(diff: str) -> str:
    lines = str(diff).splitlines()
    plus = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    minus = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    return f"+{plus} -{minus}"


def _model(e: dict) -> str:
    prox = e.get("proximity")
    return (f"{clean(e.get('phase'))} {clean(e.get('provider'))} "
            f"{e.get('prompt_tokens', 0)}+{e.get('completion_tokens', 0)} tok "
            f"${float(e.get('cost_usd') or 0):.4f} {float(e.get('latency_ms') or 0):.0f}ms"
            + ("" if prox is None else f" proximity {float(prox):.2f}")
            + ("" if e.get("ok", True) else f" FAILED {clean(e.get('error'))}"))


def _snapshot(e: dict) -> str:
    ops = ", ".join(f"{clean(o.get('op_id'), 20)} {clean(o.get('phase'), 20)}"
                    for o in e.get("in_flight", [])[:8]) or "none"
    waiting = e.get("reviews")
    return (f"daemon {clean(e.get('state'))}{' (paused)' if e.get('paused') else ''}; "
            f"in flight: {ops}; queued: {len(e.get('queue') or [])}; "
            f"recent commits: {len(e.get('commits') or [])}"
            + (f"; {_reviews(waiting, e.get('review_kinds'))}"
               if isinstance(waiting, int) and waiting > 0 else ""))


def _reviews(count: Any, kinds: Any) -> str:
    """How many wait for review, and of each kind when known (`reviews` events, the
    snapshot's review_kinds), as `status` says it."""
    if not isinstance(count, int) or count <= 0:
        return "nothing waits for review"
    tally = ", ".join(f"{n} {clean(kind, 40)}" for kind, n in kinds.items()
                      if isinstance(n, int)) if isinstance(kinds, dict) else ""
    return waiting_line(count) + (f" ({tally})" if tally else "")


def _verify(e: dict) -> str:
    counts = ", ".join(f"{k}={v}" for k, v in (e.get("counts") or {}).items())
    return f"{'passed' if e.get('passed') else 'FAILED'} {counts} {clean(e.get('summary'), 100)}"


# One line per kind: what follows the time, op and kind columns.
LINES: dict[str, Callable[[dict], str]] = {
    "snapshot": _snapshot,
    "intent": lambda e: (f"{clean(e.get('source'), 30)}: {clean(e.get('goal'), 100)} "
                         f"[{clean(', '.join(map(str, e.get('files') or [])), 80)}]"),
    "phase": lambda e: (f"{clean(e.get('frm') or '-', 20)} -> {clean(e.get('to'), 20)}  "
                        f"{clean(e.get('reason'), 100)}"),
    "model": _model,
    "tool": lambda e: (f"{clean(e.get('tool'), 40)} {clean(e.get('verdict'), 20)} "
                       f"{clean(e.get('arguments'), 80)} {clean(e.get('reason'), 60)}".rstrip()),
    "notify_apply": lambda e: (f"applies in {float(e.get('delay_s') or 0):g}s unless "
                               f"`{clean(e.get('cancel'), 60)}` ({_diffstat(e.get('diff', ''))})"),
    "review": lambda e: (f"waits for review on {clean(e.get('branch'), 60)}: "
                         f"{clean(e.get('evidence'), 100)} (`{clean(e.get('accept'), 50)}` or "
                         f"`{clean(e.get('reject'), 50)}`)"),
    "verify": _verify,
    "reviews": lambda e: _reviews(e.get("count"), e.get("kinds")),
    "commit": lambda e: f"{clean(e.get('sha'), 64)[:12]} {clean(e.get('goal'), 100)}",
    "postmortem": lambda e: f"in {clean(e.get('phase'), 20)}: {clean(e.get('reason'), 140)}",
    "queue": lambda e: (f"{clean(e.get('change'), 20)} {clean(e.get('dedup_key'), 60)} "
                        f"({len(e.get('queue') or [])} queued)"),
    "thought": lambda e: f"{clean(e.get('phase'), 20)}: {clean(e.get('msg'), 140)}",
    "service": lambda e: f"{clean(e.get('state'), 20)} {clean(e.get('why'), 120)}".rstrip(),
    "dropped": lambda e: (f"{e.get('count')} events dropped while this watcher fell behind "
                          f"({e.get('total')} in all); a snapshot follows"),
}


def render(event: dict[str, Any], colour: bool = False) -> str | None:
    """One human line for an event; None for what is not shown (heartbeats)."""
    kind = clean(event.get("kind", "?"), 20)
    if kind == "heartbeat":
        return None
    ts = event.get("ts")
    when = time.strftime("%H:%M:%S", time.localtime(ts)) if isinstance(ts, int | float) \
        else "--:--:--"
    try:
        body = LINES[kind](event) if kind in LINES else clean(json.dumps(event), 160)
    except (TypeError, ValueError, AttributeError):
        body = clean(json.dumps(event, default=str), 160)
    line = f"{when} {clean(event.get('op_id') or '-', 20):<19} {kind:<12} {body}"
    code = COLOURS.get(kind)
    return f"\x1b[{code}m{line}\x1b[0m" if colour and code else line


def watch(path: Path, *, as_json: bool = False, out: TextIO | None = None) -> int:
    """Print the stream until Ctrl-C (exit 0) or the daemon goes away (DaemonNotRunning)."""
    out = out or sys.stdout
    colour = not as_json and out.isatty()
    try:
        for event in events(path):
            text = json.dumps(event) if as_json else render(event, colour)
            if text is not None:
                print(text, file=out, flush=True)
    except KeyboardInterrupt:
        return 0
    raise DaemonNotRunning("the daemon closed the event stream (it stopped)")


class Follower:
    """The stream on a background thread, printed above the REPL's prompt; the REPL's
    verbs go over their own connections meanwhile. `start()` again after it ended."""

    def __init__(self, path: Path, prompt: str, out: TextIO | None = None):
        self.path, self.prompt, self.out = path, prompt, out or sys.stdout
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()  # one line at a time, never inside another's
        self.at_prompt = False  # the REPL's prompt is out and its line not yet read

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> None:
        if not self.alive:
            self.thread = threading.Thread(target=self._run, name="watch", daemon=True)
            self.thread.start()

    def say(self, text: str) -> None:
        """Print `text` above the prompt, then redraw the prompt and what was typed."""
        with self.lock:
            if not self.out.isatty():  # no redraw: start a line of its own, prompt again
                lead, tail = ("\n", f"\n{self.prompt}") if self.at_prompt else ("", "\n")
                print(f"{lead}{text}{tail}", end="", file=self.out, flush=True)
                return
            typed = ""
            with contextlib.suppress(ImportError):
                import readline

                typed = readline.get_line_buffer()
            print(f"\r\x1b[K{text}\n{self.prompt}{typed}", end="", file=self.out, flush=True)

    def _run(self) -> None:
        colour = self.out.isatty()
        try:
            for event in events(self.path):
                text = render(event, colour)
                if text is not None:
                    self.say(text)
            self.say("[stream] the daemon closed the event stream; `subscribe` to follow again")
        except DaemonNotRunning as exc:
            self.say(f"[stream] {exc}; `subscribe` to follow again")
