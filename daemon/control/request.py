"""A control-socket request (daemon.control.server): the Request model and its parser, which is
total. Nesting depth is measured without recursion before `json.loads`, numbers are
length-checked before conversion, NaN and duplicate keys are refused, and whatever a line
holds comes back as a valid Request or as the error reply to send; nothing raises.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from daemon.control.verbs import BY_NAME, FIELDS, URGENCIES

MAX_DEPTH = 4  # a request is a flat object; anything nested deeper is garbage
MAX_NUMBER_CHARS = 32  # no field is a number; long ones are refused before int()/float()

OP_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"  # op ids and their prefixes: no paths, no tricks


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    cmd: str = Field(max_length=32)
    op: str | None = Field(default=None, pattern=OP_PATTERN)
    reason: str = Field(default="", max_length=2000)
    # Fields of one verb only (daemon.control.verbs FIELDS; `signal`): refused on any other verb.
    goal: str | None = Field(default=None, min_length=1, max_length=2000)
    files: list[Annotated[str, Field(min_length=1, max_length=1024)]] | None = Field(
        default=None, min_length=1, max_length=16)
    urgency: Literal[URGENCIES] | None = None  # type: ignore[valid-type]
    tests: bool | None = None  # `accept --tests`: the kept missing test alone

    @field_validator("cmd")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in BY_NAME:
            raise ValueError(f"unknown verb; one of {', '.join(BY_NAME)}")
        return value

    @field_validator("reason", "goal")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        """The reason reaches logs, the ledger and terminals: no control characters."""
        bad = next((ch for ch in value if ch not in "\t\n" and
                    (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0)), None)
        if bad is not None:
            raise ValueError(f"contains control character U+{ord(bad):04X}")
        return value

    @model_validator(mode="after")
    def _verb_fields(self) -> Request:
        """Each verb's own fields (daemon.control.verbs): required ones present, no one else's."""
        spec = BY_NAME[self.cmd]
        stray = sorted(f for f in FIELDS if f in self.model_fields_set and f not in spec.fields)
        if stray:
            raise ValueError(f"'{self.cmd}' takes no {', '.join(stray)}")
        missing = [f for f in spec.fields if FIELDS[f].required and getattr(self, f) is None]
        if missing:
            raise ValueError(f"'{self.cmd}' needs {', '.join(missing)}")
        return self



def error_reply(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}


_ESCAPE = re.compile(r"\\.", re.S)
_STRING = re.compile(r'"[^"]*+"?')  # possessive: linear even on an unterminated string
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, outside strings; linear and without recursion
    (json.loads recurses and raises RecursionError on 10^5 levels)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return text.count("[") + text.count("{")  # an upper bound is enough here
    bare = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    return max(accumulate(_STEP[ch] for ch in bare), default=0)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"duplicate key {key[:40]!r}")
        data[key] = value
    return data


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise ValueError(f"number with {len(text)} characters")
        return kind(text)
    return parse


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_number(int),
                      parse_float=_number(float), parse_constant=_no_constant)


def parse_request(line: bytes) -> Request | dict[str, Any]:
    """A valid Request, or the error response to send back. Total: never raises."""
    try:
        return _parse(line)
    except Exception as exc:  # a backstop; every known garbage class is handled in _parse
        return error_reply(f"malformed request ({type(exc).__name__})")


def _parse(line: bytes) -> Request | dict[str, Any]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return error_reply("request is not UTF-8")
    if not text.strip():
        return error_reply('empty request; send one JSON object like {"cmd": "status"}')
    if nesting_depth(text) > MAX_DEPTH:
        return error_reply(f"request nests deeper than {MAX_DEPTH} levels")
    try:
        data = _decode(text)
    except json.JSONDecodeError as exc:
        return error_reply(f"request is not JSON: {exc.msg}")
    except (ValueError, RecursionError) as exc:
        return error_reply(f"request is not acceptable JSON: {str(exc)[:120]}")
    if not isinstance(data, dict):
        return error_reply('request must be a JSON object like {"cmd": "status"}')
    try:
        req = Request.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])[:80] or "request"
        return error_reply(f"bad request: {where}: {first['msg']}")
    if BY_NAME[req.cmd].needs_op and not req.op:
        return error_reply(f"'{req.cmd}' needs an op id (\"op\": \"<prefix>\")")
    return req
