"""What the three APIs share: strict JSON bodies, validation, list caps, guarded handlers.

Every failure a client can cause is an ApiError of one Kind (daemon.serve.errors), answered
in the API's own shape by the one `error_response`, so no request ever sees a traceback.
The body's size is the shared HTTP limits' (sensors.http_limits: a declared body over
MAX_BODY_BYTES is refused before a byte is read, a streamed one as it crosses it); here a
body must be one JSON object without NaN or Infinity, and a request's messages and tools
are capped (MAX_MESSAGES, MAX_TOOLS: a 400 naming the limit, before any is looked at).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from daemon.serve.errors import Api, ApiError, Kind, error_response

if TYPE_CHECKING:
    from daemon.serve.model import Finished, Job

log = structlog.get_logger("daemon.serve")

# Open connections at once; past it one more is answered 503 and closed. Far above any queue.
MAX_CONNECTIONS = 256
MAX_BODY_BYTES = 4 * 1024 * 1024  # ~1M tokens of text: far past any model's context
MAX_MESSAGES = 4096  # messages (or content blocks) in one request
MAX_TOOLS = 128  # tools offered in one request (OpenAI's own limit)
MAX_STOPS = 16
MAX_STOP_CHARS = 64  # the decode loop looks for stop strings in its last 32 tokens


class Strict(BaseModel):
    """Request models: exact JSON types (no "5" for 5, no true for 1), finite numbers, and
    fields this server does not know are ignored, as the real APIs ignore them."""

    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False, frozen=True)


M = TypeVar("M", bound=BaseModel)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object, or ApiError (its size is capped before it
    gets here: sensors.http_limits)."""
    try:
        body = await request.body()
    except ClientDisconnect:
        raise ApiError(Kind.BAD_REQUEST, "the client went away while sending") from None
    return parse_json(body)


def parse_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise ApiError(Kind.BAD_REQUEST, "the request body is empty; expected a JSON object")
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except RecursionError:
        raise ApiError(Kind.BAD_REQUEST, "malformed JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, NaN/Infinity
        raise ApiError(Kind.BAD_REQUEST, f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(Kind.BAD_REQUEST, "the request body must be a JSON object, not "
                       f"{type(data).__name__}")
    return data


def validate(model: type[M], data: dict[str, Any]) -> M:
    """`data` as `model`, or ApiError naming the first offending fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        shown = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                          for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ApiError(Kind.BAD_REQUEST, f"invalid request: {shown}{more}", param) from None


def stops(values: str | list[str] | None, param: str) -> tuple[str, ...]:
    """Stop strings: at most MAX_STOPS, each 1..MAX_STOP_CHARS characters."""
    items = [values] if isinstance(values, str) else list(values or [])
    if len(items) > MAX_STOPS:
        raise ApiError(Kind.BAD_REQUEST, f"at most {MAX_STOPS} stop sequences", param)
    for s in items:
        if not 0 < len(s) <= MAX_STOP_CHARS:
            raise ApiError(Kind.BAD_REQUEST, f"a stop sequence must be 1 to {MAX_STOP_CHARS} "
                           "characters", param)
    return tuple(items)


def unsupported(present: bool, what: str, param: str) -> None:
    """A feature that would change the answer's meaning is refused, never silently dropped."""
    if present:
        raise ApiError(Kind.BAD_REQUEST, f"{what} is not supported by this server", param)


Endpoint = Callable[[Request], Awaitable[Response]]


def endpoint(api: Api) -> Callable[[Endpoint], Endpoint]:
    """A handler whose failures reach the client in its API's error shape: an ApiError as
    itself, anything unexpected as an internal error (logged here, never a traceback)."""

    def wrap(handler: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as err:
                return error_response(api, err)
            except Exception as exc:
                log.exception("request failed", path=request.url.path)
                return error_response(api, internal(exc))

        return guarded

    return wrap


def internal(exc: BaseException) -> ApiError:
    return ApiError(Kind.INTERNAL, f"internal error ({type(exc).__name__}); the server's "
                    "log has the details")


async def complete(request: Request, job: Job) -> Finished | None:
    """The whole generation, or None when the client left first: its generation is then
    cancelled (or taken out of the queue) instead of running on for nobody."""
    work = asyncio.ensure_future(job.result())
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
        return work.result() if work.done() else None
    finally:
        gone.cancel()
        work.cancel()
        job.withdraw()


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


CLIENT_GONE = 499  # nobody reads it; nginx's name for "client closed request"


class JobStream(StreamingResponse):
    """A streamed generation whose job is withdrawn however the response ends: finished,
    the client gone (Starlette cancels the body), or the server stopping."""

    def __init__(self, job: Job, body: AsyncIterator[bytes], media_type: str):
        super().__init__(body, media_type=media_type,
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.job, self.body = job, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.job.withdraw()
            await self.body.aclose()  # type: ignore[attr-defined]  # an async generator


async def frames(job: Job, start: bytes, piece: Callable[[str], bytes],
                 final: Callable[[Finished], bytes],
                 error: Callable[[ApiError], bytes]) -> AsyncIterator[bytes]:
    """A streamed body: `start`, a frame per text piece, the final frame; a failure after
    the status line went out becomes the API's in-stream error frame."""
    from daemon.serve.model import Finished

    if start:
        yield start
    try:
        async for event in job.events():
            if out := final(event) if isinstance(event, Finished) else piece(event):
                yield out  # a piece held back (a possible tool call line) sends nothing
    except ApiError as err:
        yield error(err)
    except Exception as exc:
        log.exception("generation failed")
        yield error(internal(exc))
