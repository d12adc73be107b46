"""The Starlette app: the three APIs' routes behind a loopback guard and a request log, and
the uvicorn config that serves it under the shared hostile-client rules (sensors.http_limits:
LIMITS; their refusals in the shape of the API the path speaks).

The guard answers 403 (in the API's shape) to a request whose Host is not a loopback name
(a DNS-rebinding page) unless remote clients were allowed, and to any request from a
browser page whose Origin is not a loopback origin: a web page the user visits must not be
able to spend this machine's model. Unknown paths and wrong methods get the API's own
404/405 shape too: /api/* Ollama's, /v1/* with an `anthropic-version` header Anthropic's,
other /v1/* OpenAI's.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from daemon.host.loopback import is_loopback
from daemon.serve import anthropic_api, ollama_api, openai_api
from daemon.serve.common import MAX_BODY_BYTES, MAX_CONNECTIONS
from daemon.serve.errors import ApiError, Kind, api_of, error_response, render_refusal
from daemon.serve.model import ServedModel
from sensors.http_limits import Limits, uvicorn_config

# A whole request (head and body) must arrive within 30 s: 4 MiB at ~1 Mbit/s. A reader
# that takes nothing of a stream for 60 s is closed; the generation then stops.
LIMITS = Limits(max_head=16 * 1024, max_body=MAX_BODY_BYTES, request_timeout_s=30.0,
                stall_s=60.0, max_connections=MAX_CONNECTIONS)

log = structlog.get_logger("daemon.serve")


def _hostname(authority: str) -> str:
    """The host of a Host header or an Origin's netloc, without its port."""
    return urlsplit(f"//{authority}").hostname or ""


class Guard:
    """ASGI middleware: the loopback/origin checks, then the request log line."""

    def __init__(self, app: ASGIApp, allow_remote: bool):
        self.app, self.allow_remote = app, allow_remote

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if why := self._refusal(headers):
            response = error_response(api_of(scope["path"], headers),
                                      ApiError(Kind.FORBIDDEN, why))
            return await response(scope, receive, send)
        started, status = time.monotonic(), 0

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            log.info("request", method=scope["method"], path=scope["path"][:200],
                     status=status, ms=round((time.monotonic() - started) * 1000, 1))

    def _refusal(self, headers: Headers) -> str | None:
        host = headers.get("host")
        if host is not None and not self.allow_remote and not is_loopback(_hostname(host)):
            return (f"Host {host[:100]!r} is not this machine's loopback (start the server "
                    "with --allow-remote to serve other hosts)")
        origin = headers.get("origin")
        if origin is not None and not is_loopback(_hostname(urlsplit(origin).netloc)):
            return f"requests from web pages ({origin[:100]!r}) are not served"
        return None


def build_app(model: ServedModel, *, allow_remote: bool = False) -> Starlette:
    routes = [*ollama_api.OllamaApi(model).routes(), *openai_api.OpenAiApi(model).routes(),
              *anthropic_api.AnthropicApi(model).routes()]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = Kind.NO_ROUTE if exc.status_code == 404 else Kind.BAD_REQUEST
        response = error_response(api_of(request.url.path, request.headers), ApiError(
            kind, f"{request.method} {request.url.path[:200]}: {exc.detail}"))
        response.status_code = exc.status_code
        return response

    async def root(request: Request) -> Response:
        return PlainTextResponse(f"ouroboros serve: {model.name} (Ollama /api/*, OpenAI "
                                 "/v1/chat/completions, Anthropic /v1/messages)\n")

    app = Starlette(routes=[Route("/", root, methods=["GET", "HEAD"]), *routes],
                    exception_handlers={HTTPException: http_error})
    app.add_middleware(Guard, allow_remote=allow_remote)
    return app


def _refused(status: int, why: str, peer: object) -> None:
    log.info("request refused", status=status, why=why, peer=peer)


def serving_config(app: Starlette, limits: Limits = LIMITS, **options: object
                   ) -> uvicorn.Config:
    """uvicorn's config for `app` under `limits` (options: uvicorn's, e.g. the CLI's
    logging and graceful shutdown)."""
    return uvicorn_config(app, limits, render=render_refusal, on_refused=_refused, **options)
