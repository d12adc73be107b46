"""GitHubIssueSensor: GitHub issue events, delivered to a localhost webhook endpoint.

The endpoint binds 127.0.0.1 only (a tunnel or reverse proxy forwards GitHub's deliveries to
it) on `intake.webhook_port` (0, the default, is no endpoint). It is an ASGI app under
uvicorn's HTTP/1.1, one request per connection, and answers before it closes. What a client
cannot do:

- reach the queue unsigned or wrongly signed: sensors.webhook_auth checks GitHub's
  X-Hub-Signature-256 or a Standard Webhooks signature with the secret read from
  `intake.webhook_secret_file` (an absolute path outside the repository, a regular file,
  ours, mode 0600 or stricter, not empty; otherwise the endpoint does not start and
  `status` says why); a refusal is a 401 and a warning in the log, nothing else;
- replay: a delivery id or a signature already seen in the last 5 minutes is a 409; a
  Standard Webhooks timestamp, or a GitHub issue's signed `updated_at`, more than 5
  minutes from now is a 401;
- exhaust the daemon: the shared hostile-client rules (sensors.http_limits, the same as
  `serve` and the live view): bodies over 1 MiB are a 413 (told by Content-Length before
  reading, or counted while reading), a head over 16 KiB a 431, malformed HTTP a 400, the
  whole request must arrive within the request timeout (a slow-loris is answered 408 and
  closed), at most MAX_CONNECTIONS are served at once (one more is answered 503 and closed).

An `issues` event whose action is `opened` (with the configured label, default
"ouroboros") or `labeled` (with that label) becomes one envelope: source github_issue,
normal urgency, the goal is the title and the body (capped), the target files are the
repository files the body names (sensors.repo_files; none named: 422, nothing queued).
Other events are answered 202 and ignored. The event name comes from X-GitHub-Event, or
for a body shaped {"type": ..., "data": {...}} (Standard Webhooks style), from `type`,
and then `data` is the payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from governance.schemas import SignalEnvelope, Source, Urgency
from sensors.http_limits import Limits, Listener
from sensors.repo_files import PathRefused, repo_file
from sensors.webhook_auth import (
    REPLAY_WINDOW_S,
    Refused,
    ReplayMemory,
    SecretProblem,
    Verified,
    load_secret,
    verify,
)

log = structlog.get_logger("sensors.github_webhook")

SOURCE = Source.GITHUB_ISSUE
HOST = "127.0.0.1"
MAX_BODY = 1 << 20
MAX_HEADER_BYTES = 16 * 1024
MAX_CONNECTIONS = 16
GOAL_CAP = 2000
MAX_FILES = 16
MAX_CANDIDATES = 200  # path-like words of a body looked at, at most
PATH_WORD = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]{0,254}")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Label(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(max_length=256)


class _Issue(BaseModel):
    model_config = ConfigDict(extra="ignore")
    number: int = Field(ge=1)
    title: str = Field(max_length=1024)
    body: str | None = Field(default=None, max_length=MAX_BODY)
    labels: list[_Label] = Field(default_factory=list, max_length=256)
    updated_at: datetime | None = None


class IssueEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action: str = Field(max_length=64)
    issue: _Issue
    label: _Label | None = None


def _cap(text: str, limit: int) -> str:
    text = CONTROL.sub("", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def named_files(root: Path, body: str) -> tuple[str, ...]:
    """The repository files a text names (word by word, in order; at most MAX_FILES)."""
    found: dict[str, None] = {}
    for n, match in enumerate(PATH_WORD.finditer(body)):
        word = match.group().rstrip(".")
        if n >= MAX_CANDIDATES or len(found) >= MAX_FILES:
            break
        if "/" not in word and "." not in word:
            continue  # a plain word, not a path
        with contextlib.suppress(PathRefused):
            found[repo_file(root, word.removeprefix("./"))] = None
    return tuple(found)


class GitHubIssueSensor:
    def __init__(self, root: Path, session_id: str,
                 emit: Callable[[SignalEnvelope], Awaitable[bool]], *, port: int,
                 secret_file: str, label: str = "ouroboros", request_timeout_s: float = 10.0,
                 max_body: int = MAX_BODY):
        self.root = root
        self.session_id = session_id
        self.emit = emit
        self.port = port  # 0: any free port (tests); the daemon never builds one with 0
        self.secret_file = secret_file
        self.label = label
        self.request_timeout_s = request_timeout_s
        self.max_body = max_body
        self.problem: str | None = None
        self.replays = ReplayMemory()
        self.listening = asyncio.Event()  # set once bound; self.port is then the real port
        self.address: tuple[str, int] | None = None
        self.refused = 0  # requests refused (any 4xx/5xx), for tests and status
        self._secret = b""
        self._listener: Listener | None = None

    @property
    def connections(self) -> int:
        """Connections open and served now."""
        return self._listener.connections if self._listener is not None else 0

    async def on_paths(self, paths: Iterable[str]) -> None:
        return None  # issues arrive over HTTP, not as file events

    async def scan_once(self, files: Iterable[str] = ()) -> int:
        return 0  # nothing to poll: GitHub pushes

    async def serve(self) -> None:
        """Listen until cancelled (the daemon's task group owns this). A bad secret file or
        a port in use is the sensor's problem, never an exception out of here."""
        limits = Limits(max_head=MAX_HEADER_BYTES, max_body=self.max_body,
                        request_timeout_s=self.request_timeout_s,
                        stall_s=self.request_timeout_s, max_connections=MAX_CONNECTIONS)
        listener = Listener(self._app, limits, on_refused=self._refused)
        try:
            self._secret = await asyncio.to_thread(self._load_secret)
            self.address = await listener.start(HOST, self.port)
        except (SecretProblem, OSError) as exc:
            self.problem = (str(exc) if isinstance(exc, SecretProblem) else
                            f"cannot listen on {HOST}:{self.port}: {exc.strerror or exc}")
            log.error("webhook endpoint not started", why=self.problem)
            return
        self._listener, self.port, self.problem = listener, self.address[1], None
        self.listening.set()
        log.info("webhook endpoint listening", host=HOST, port=self.port)
        try:
            await asyncio.Future()  # until cancelled
        finally:
            await listener.stop()
            self._listener = None

    def _load_secret(self) -> bytes:
        if not self.secret_file:
            raise SecretProblem("intake.webhook_port is set but intake.webhook_secret_file "
                                "is not: refusing to serve unsigned webhooks")
        path = Path(self.secret_file).expanduser()
        if not path.is_absolute():
            raise SecretProblem(f"intake.webhook_secret_file {self.secret_file!r} must be an "
                                "absolute path (or start with ~)")
        if path.resolve().is_relative_to(self.root.resolve()):  # tools and commits see it
            raise SecretProblem(f"webhook secret file {path} is inside the repository, where "
                                "the model's tools could read it and a commit could carry it; "
                                "keep it outside (e.g. ~/.config/ouroboros/webhook.secret)")
        return load_secret(path)

    # -- HTTP ----------------------------------------------------------------------------

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """One request (its size and time are capped before it gets here)."""
        request = Request(scope, receive)
        try:
            if request.method != "POST":
                status, reply = 405, {"error": "only POST is served"}
            else:
                body = await request.body()
                headers = {k.lower(): v for k, v in request.headers.items()}
                status, reply = await self._delivery(headers, body)
        except Refused as exc:
            status, reply = exc.status, {"error": exc.why}
        except ClientDisconnect:
            raise  # gone, or answered already by the limits: nobody to answer
        except Exception as exc:  # a bug here must be an answer, not a hung client
            log.exception("webhook request failed")
            status, reply = 500, {"error": f"internal error: {type(exc).__name__}"}
        if status >= 400:
            self._refused(status, reply["error"], scope.get("client"))
        await JSONResponse(reply, status, headers={"connection": "close"})(scope, receive,
                                                                           send)

    def _refused(self, status: int, why: str, peer: Any) -> None:
        self.refused += 1
        log.warning("webhook request refused", status=status, why=why, peer=peer)

    # -- the delivery --------------------------------------------------------------------

    async def _delivery(self, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        seen: Verified = verify(self._secret, headers, body)
        sig = headers.get("webhook-signature") or headers.get("x-hub-signature-256", "")
        self.replays.admit((f"{seen.scheme}:{seen.delivery}",
                            "sig:" + hashlib.sha256(sig.encode()).hexdigest()))
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            return 400, {"error": f"body is not JSON ({type(exc).__name__})"}
        event = headers.get("x-github-event")
        if event is None and isinstance(payload, dict) and isinstance(payload.get("data"), dict):
            event, payload = payload.get("type"), payload["data"]
        if event != "issues":
            return 202, {"ignored": f"event {str(event)[:40]!r} is not 'issues'"}
        try:
            issue_event = IssueEvent.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "payload"
            return 400, {"error": f"not an issues payload: {where}: {first['msg']}"}
        return await self._issue(issue_event, seen)

    def _wanted(self, ev: IssueEvent) -> str | None:
        """Why the event is not work (None: it is)."""
        if ev.action == "labeled":
            return None if ev.label and ev.label.name == self.label else (
                f"labeled, but not with {self.label!r}")
        if ev.action == "opened":
            return None if any(lb.name == self.label for lb in ev.issue.labels) else (
                f"opened without the {self.label!r} label")
        return f"action {ev.action[:40]!r} is not opened or labeled"

    async def _issue(self, ev: IssueEvent, seen: Verified) -> tuple[int, dict]:
        if seen.scheme == "github":  # GitHub signs no timestamp; the issue's is signed
            stamp = ev.issue.updated_at
            age = None if stamp is None else time.time() - stamp.timestamp()
            if age is None or abs(age) > REPLAY_WINDOW_S:
                raise Refused(401, "stale delivery: issue.updated_at is missing or more than "
                              f"{REPLAY_WINDOW_S:g}s from now")
        why = self._wanted(ev)
        if why:
            return 202, {"ignored": why}
        env = self.envelope(ev)
        if isinstance(env, str):
            return 422, {"error": env}
        queued = await self.emit(env)
        log.info("github issue", number=ev.issue.number, files=env.target_files, queued=queued)
        return 202, {"queued": queued, "files": list(env.target_files),
                     "dedup_key": env.dedup_key}

    def envelope(self, ev: IssueEvent) -> SignalEnvelope | str:
        """The envelope for an issue, or why there is none."""
        issue = ev.issue
        files = named_files(self.root, issue.body or "")
        if not files:
            return (f"issue #{issue.number} names no file of the repository in its body; "
                    "nothing queued")
        goal = _cap(f"GitHub issue #{issue.number}: {issue.title}\n\n{issue.body or ''}".strip(),
                    GOAL_CAP)
        digest = hashlib.sha256(json.dumps([goal, files]).encode()).hexdigest()
        return SignalEnvelope(source=SOURCE, urgency=Urgency.NORMAL, target_files=files,
                              goal=goal, confidence=0.8,
                              dedup_key=f"github_issue:{issue.number}:{digest[:16]}",
                              session_id=self.session_id,
                              evidence={"issue": issue.number, "action": ev.action})
