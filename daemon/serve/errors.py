"""Errors by kind, and the one `error_response` that renders them in each API's shape.

Every failure a client can cause is an ApiError of one Kind. `error_response(api, err)`
answers it as that API does:

| API       | body                                                      | overloaded |
|-----------|-----------------------------------------------------------|------------|
| Ollama    | `{"error": message}`                                      | 503        |
| OpenAI    | `{"error": {"message", "type", "param", "code"}}`         | 503        |
| Anthropic | `{"type": "error", "error": {"type", "message"}}`         | 529        |

`api_of(path, headers)` says which API a request speaks (for answers outside a route: 404,
405, the loopback guard, and the shared HTTP limits' refusals through `render_refusal`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from starlette.responses import JSONResponse, Response


class Kind(StrEnum):
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"  # the model
    NO_ROUTE = "no_route"  # the path
    TOO_LARGE = "too_large"  # the body
    HEAD_TOO_LARGE = "head_too_large"  # the request line and headers
    TIMEOUT = "timeout"  # the request did not arrive in time
    FORBIDDEN = "forbidden"
    CONTEXT = "context_overflow"
    OVERLOADED = "overloaded"
    INTERNAL = "internal"


class ApiError(Exception):
    """A failure with its kind; `param` names the offending field where there is one."""

    def __init__(self, kind: Kind, message: str, param: str | None = None):
        super().__init__(message)
        self.kind, self.message, self.param = kind, message, param


class Api(StrEnum):
    OLLAMA = "ollama"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


STATUS = {Kind.BAD_REQUEST: 400, Kind.NOT_FOUND: 404, Kind.NO_ROUTE: 404, Kind.TOO_LARGE: 413,
          Kind.HEAD_TOO_LARGE: 431, Kind.TIMEOUT: 408, Kind.FORBIDDEN: 403,
          Kind.CONTEXT: 400, Kind.OVERLOADED: 503, Kind.INTERNAL: 500}
ANTHROPIC_STATUS = {**STATUS, Kind.OVERLOADED: 529}
OPENAI_TYPE = {Kind.FORBIDDEN: "permission_error", Kind.OVERLOADED: "server_error",
               Kind.INTERNAL: "server_error", Kind.TIMEOUT: "server_error"}
OPENAI_CODE = {Kind.NOT_FOUND: "model_not_found", Kind.CONTEXT: "context_length_exceeded",
               Kind.TOO_LARGE: "request_too_large", Kind.HEAD_TOO_LARGE: "request_too_large",
               Kind.OVERLOADED: "queue_full", Kind.TIMEOUT: "request_timeout"}
ANTHROPIC_TYPE = {Kind.NOT_FOUND: "not_found_error", Kind.NO_ROUTE: "not_found_error",
                  Kind.TOO_LARGE: "request_too_large", Kind.HEAD_TOO_LARGE: "request_too_large",
                  Kind.FORBIDDEN: "permission_error", Kind.OVERLOADED: "overloaded_error",
                  Kind.INTERNAL: "api_error", Kind.TIMEOUT: "timeout_error"}
# The shared HTTP limits' statuses (sensors.http_limits) as kinds.
REFUSAL = {400: Kind.BAD_REQUEST, 408: Kind.TIMEOUT, 413: Kind.TOO_LARGE,
           431: Kind.HEAD_TOO_LARGE, 503: Kind.OVERLOADED}


def error_body(api: Api, err: ApiError) -> dict[str, Any]:
    if api is Api.OLLAMA:
        return {"error": err.message}
    if api is Api.OPENAI:
        return {"error": {"message": err.message,
                          "type": OPENAI_TYPE.get(err.kind, "invalid_request_error"),
                          "param": err.param, "code": OPENAI_CODE.get(err.kind)}}
    return {"type": "error", "error": {
        "type": ANTHROPIC_TYPE.get(err.kind, "invalid_request_error"), "message": err.message}}


def status_of(api: Api, kind: Kind) -> int:
    return (ANTHROPIC_STATUS if api is Api.ANTHROPIC else STATUS)[kind]


def error_response(api: Api, err: ApiError) -> Response:
    """`err` as `api` answers it (Retry-After when the model is busy)."""
    headers = {"Retry-After": "1"} if err.kind is Kind.OVERLOADED else None
    return JSONResponse(error_body(api, err), status_of(api, err.kind), headers=headers)


def api_of(path: str, headers: Mapping[str, str]) -> Api:
    """The API a request to `path` speaks: /api/* Ollama, /v1/messages (or any /v1/* with
    an `anthropic-version` header) Anthropic, anything else OpenAI."""
    if path.startswith("/api/"):
        return Api.OLLAMA
    if path.startswith("/v1/") and ("anthropic-version" in headers or path == "/v1/messages"):
        return Api.ANTHROPIC
    return Api.OPENAI


def render_refusal(status: int, message: str, scope: dict[str, Any] | None
                   ) -> tuple[int, bytes]:
    """A refusal of the shared HTTP limits in the shape of the API its path speaks (the
    OpenAI shape when no request head was read)."""
    headers = {k.decode("latin-1"): v.decode("latin-1")
               for k, v in (scope or {}).get("headers", [])}
    api = api_of((scope or {}).get("path", ""), headers)
    err = ApiError(REFUSAL.get(status, Kind.BAD_REQUEST), message)
    return status_of(api, err.kind), json.dumps(error_body(api, err)).encode()
