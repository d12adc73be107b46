"""A real headless Chromium driven over the DevTools protocol on a pipe (no websocket
library needed): open a page, wait until a script says it is ready, return its DOM.

`--dump-dom` is no use for a page that keeps an EventSource open: with a virtual-time
budget it waits for the stream to end (never), and without one it dumps at the load event,
before the stream has said anything."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int):
        self.write_fd, self.read_fd, self.buf, self.next_id = write_fd, read_fd, b"", 0

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.write_fd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" not in self.buf:
                chunk = os.read(self.read_fd, 1 << 16)
                if not chunk:
                    raise RuntimeError(f"chromium closed the DevTools pipe during {method}")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
        raise TimeoutError(method)


Stage = tuple[str, Callable[[str], object] | None]


def rendered_dom(url: str, stages: list[Stage], timeout: float = 30.0) -> list[str]:
    """Open `url`; for each stage wait until its expression is true in the page, keep the
    DOM, then run its action with that DOM (the page stays open meanwhile). AssertionError
    with the page's text when a stage is not reached within `timeout`."""
    assert CHROMIUM
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    profile = tempfile.mkdtemp(prefix="ob-chromium-")
    # DevTools on a pipe reads fd 3 and writes fd 4; bash puts the pipes there (dash takes
    # one-digit fds only).
    shell = f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w}'
    argv = ["bash", "-c", shell, CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run",
            "about:blank"]
    proc = subprocess.Popen(argv, pass_fds=(to_child_r, from_child_w),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_child_r)
    os.close(from_child_w)
    cdp = _Pipe(to_child_w, from_child_r)
    try:
        target = cdp.call("Target.createTarget", {"url": url})["targetId"]
        session = cdp.call("Target.attachToTarget", {"targetId": target,
                                                     "flatten": True})["sessionId"]

        def evaluate(expr: str):
            out = cdp.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                           session)
            return out.get("result", {}).get("value")

        doms = []
        for ready_js, action in stages:
            deadline = time.monotonic() + timeout
            while not evaluate(f"!!({ready_js})"):
                if time.monotonic() > deadline:
                    raise AssertionError(f"page never showed {ready_js}: "
                                         + str(evaluate("document.body.innerText")))
                time.sleep(0.1)
            doms.append(evaluate("document.documentElement.outerHTML"))
            if action is not None:
                action(doms[-1])
        return doms
    finally:
        try:  # let the browser take its helper processes down with it
            cdp.call("Browser.close", timeout=5)
            proc.wait(timeout=5)
        except Exception:
            proc.kill()
            proc.wait(timeout=10)
        for fd in (to_child_w, from_child_r):
            os.close(fd)
        shutil.rmtree(profile, ignore_errors=True)
