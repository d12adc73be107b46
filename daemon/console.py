"""The terminal's log renderer: one short line per event, for a person to read.

    12:31:53 service state ACTIVE
    12:32:01 phase op-70271bf8ca5d41c9 GENERATE
    12:32:31 still working op-70271bf8ca5d41c9 GENERATE for_s=30 waiting_for_model_s=12.5
    12:32:40 WARN in-process provider left out of the chain why="kernel model could not ..."

Local time to the second, the level only when it is not info, the event, the event's lead
values bare (LEAD), its cost (COST: `cost=$0.0012 nominal` for the in-process model's nominal
charge), then the other fields as key=value, each capped at VALUE_CAP characters,
until the line reaches LINE_CAP (`…+3`: three more fields); empty fields are left out. An
event's TAIL field (why an op ended) comes last, up to REASON_CAP whatever LINE_CAP left. JSON
lines (daemon.logs) and the ledger (`ouroboros ledger OP`) keep every field in full.

Text from outside (a TODO's goal, a model's reply, an exception) may hold control
characters: ESC would let it drive the terminal, a newline would forge a log line. Such a
value is written JSON-quoted (`"\\u001b[2J"`), never raw; an exception's own line breaks stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

VALUE_CAP = 120
LINE_CAP = 200  # key=value fields stop here, with a count of those left out
# Values shown bare right after the event name, in this order, for the events a terminal
# user sees most; every other field follows as key=value.
LEAD: dict[str, tuple[str, ...]] = {
    "service state": ("to",),
    "phase": ("op_id", "phase"),
    "still working": ("op_id", "phase"),
    "waiting for a brain": ("op_id", "phase"),
    "signal": ("source", "goal"),
    "thought": ("op_id", "phase", "msg"),
    "op finished": ("op_id", "terminal"),
    "loading model": ("model",),
    "model loaded": ("model",),
}
HIDDEN: dict[str, tuple[str, ...]] = {"service state": ("frm",)}  # said by the line before
# The field that says why, written last and whole up to REASON_CAP whatever LINE_CAP
# leaves: an op that ended without a commit says its reason where the user looks.
TAIL: dict[str, str] = {"op finished": "why"}
# An event's cost in dollars and the part of it that is nominal (the in-process model's
# provider.usd_per_mtok, typed by governance.schemas.ModelUsage.nominal): one word,
# `cost=$0.0012 nominal`, right after the lead values. JSON lines keep both numbers.
COST: dict[str, tuple[str, str]] = {"op finished": ("cost_usd", "nominal_usd")}
REASON_CAP = 160
# a word the cap falls in this long (a path, a URL) is cut after a token inside it, not left
# out: a reason cut before the path it names said nothing of its cause (getting-started §8)
LONG_WORD = 24
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PLAIN = re.compile(r"[^\s\"'=]+")

DIM, BOLD, RESET = "\x1b[2m", "\x1b[1m", "\x1b[0m"
LEVEL_STYLE = {"warning": ("WARN", "\x1b[33m"), "error": ("ERROR", "\x1b[31m"),
               "critical": ("CRITICAL", "\x1b[31m"), "exception": ("ERROR", "\x1b[31m"),
               "debug": ("debug", DIM)}
KEY_STYLE = "\x1b[36m"


class ConsoleLines:
    """structlog renderer: the event dict as one short line (see the module docstring)."""

    def __init__(self, colours: bool = False, value_cap: int = VALUE_CAP,
                 line_cap: int = LINE_CAP):
        self.colours, self.value_cap, self.line_cap = colours, value_cap, line_cap

    def __call__(self, logger: object, method: str, event_dict: dict[str, Any]) -> str:
        fields = dict(event_dict)
        stamp = str(fields.pop("timestamp", "") or "")
        level = str(fields.pop("level", method))
        event = safe_text(str(fields.pop("event", "")))
        exception = fields.pop("exception", None)
        for key in HIDDEN.get(event, ()):
            fields.pop(key, None)
        words = [self._style(stamp, DIM)] if stamp else []
        if level in LEVEL_STYLE:
            label, style = LEVEL_STYLE[level]
            words.append(self._style(label, style))
        words.append(self._style(event, BOLD))
        for key in LEAD.get(event, ()):
            if _shown(value := fields.pop(key, None)):
                words.append(self._value(value, bare=True))
        if event in COST:
            usd, nominal = (fields.pop(key, None) for key in COST[event])
            if isinstance(usd, (int, float)):
                nominal = nominal if isinstance(nominal, (int, float)) else 0.0
                words.append(f"{self._style('cost', KEY_STYLE)}={cost_words(usd, nominal)}")
        tail = fields.pop(TAIL.get(event, ""), None)
        width = sum(len(w) for w in words) + len(words) - 1  # styles add no width
        words += self._fields(fields, width)
        if _shown(tail):
            value = self._value(tail, cap=max(self.value_cap, REASON_CAP))
            words.append(f"{self._style(TAIL[event], KEY_STYLE)}={value}")
        line = " ".join(words)
        if exception:
            line += "\n" + self._style(_CONTROL_BUT_LINES.sub(_escape, str(exception)), DIM)
        return line

    def _fields(self, fields: dict[str, Any], width: int) -> list[str]:
        """key=value words for `fields` until the line reaches line_cap, then a count."""
        rest = [(safe_text(str(k)), self._value(v)) for k, v in fields.items() if _shown(v)]
        words: list[str] = []
        for i, (key, value) in enumerate(rest):
            if width + len(key) + len(value) + 2 > self.line_cap and i:
                words.append(f"…+{len(rest) - i}")  # the rest: JSON lines and the ledger
                break
            words.append(f"{self._style(key, KEY_STYLE)}={value}")
            width += len(key) + len(value) + 2
        return words

    def _style(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if self.colours and text else text

    def _value(self, value: Any, bare: bool = False, cap: int | None = None) -> str:
        if isinstance(value, str):
            text = _capped(value, cap or self.value_cap)
            if _CONTROL.search(text) or not (bare or _PLAIN.fullmatch(text)):
                return safe_text(json.dumps(text, ensure_ascii=False))
            return text
        if isinstance(value, (bool, int, float)):
            return str(value)
        text = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
        return safe_text(_capped(text, self.value_cap))


def _shown(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _capped(text: str, cap: int) -> str:
    return cut(text, cap)


def cut(text: str, cap: int) -> str:
    """`text` in at most `cap` characters, cut where a reader can tell what was left out,
    with "…": before the word the cap falls in (`Resolve the TODO: strip a…`, never
    `strip a trail…`), or after a token inside it (`/`, `:`, `,`, `;`, `=`) when the word
    is LONG_WORD or longer (a path keeps its first directories) or cutting before it leaves
    less than half. A test id is never cut inside its brackets: it goes whole, or
    keeps its base (`test_ordinal[…]`). Only one long token with no such place is cut at
    the cap."""
    if len(text) <= cap:
        return text
    end = cap - 1  # room for the "…"
    start = max(text.rfind(c, 0, end + 1) for c in " \t\n") + 1  # the word the cap is in
    word = text[start:end]
    bracket = word.rfind("[") if word.rfind("[") > word.rfind("]") else -1
    head = text[:start].rstrip().rstrip(",;:")
    inner = max(word.rfind(c) for c in "/:,;=") + 1  # a token's end inside the word
    whole = len(text[start:].split(None, 1)[0])  # the word's length, past the cap too
    if inner and whole >= LONG_WORD and bracket < 0:  # a path: its first part says more
        return text[:start + inner] + "…"
    if head and len(head) >= cap // 2:
        return head + "…"
    if bracket >= 0:  # inside a test id's parameters: its base, or the id left out
        based = f"{text[:start]}{word[:bracket + 1]}…]"
        if len(based) <= cap:
            return based
        return head + "…" if head else text[:min(end, start + bracket)] + "…"
    if inner and start + inner >= cap // 2:
        return text[:start + inner] + "…"
    return head + "…" if head else text[:end] + "…"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def dollars(usd: float) -> str:
    """$0, $0.0012, $3.25: four decimals under a dollar (a small model call costs that)."""
    return "$0" if not usd else f"${usd:.2f}" if usd >= 1 else f"${usd:.4f}"


def cost_words(usd: float, nominal_usd: float = 0.0,
               show: Callable[[float], str] = dollars) -> str:
    """A cost as a person reads it, saying which of it is nominal, not money:
    `$0.0012 nominal`, `$0.0310 ($0.0012 nominal)`, `$0.0310`."""
    if nominal_usd <= 0 or not usd:
        return show(usd)
    if nominal_usd >= usd - 1e-9:
        return f"{show(usd)} nominal"
    return f"{show(usd)} ({show(nominal_usd)} nominal)"


def cost_column(usd: float, nominal_usd: float = 0.0) -> str:
    """cost_words with four places always: the columns of `status` and `ledger`."""
    return cost_words(usd, nominal_usd, show=lambda x: f"${x:.4f}")


def brief(text: object, cap: int = REASON_CAP) -> str:
    """`text` as one line of at most `cap` characters, `cut` (a reason recorded whole in
    the ledger, said in short on the console)."""
    return cut(" ".join(_CONTROL.sub(" ", str(text)).split()), cap)


def safe_text(text: str) -> str:
    """Control characters (line breaks included) as \\uXXXX escapes."""
    return _CONTROL.sub(_escape, text)
