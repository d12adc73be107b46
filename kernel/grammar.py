"""Grammar-constrained decoding: a reply's shape (governance.brains.provider.ReplyShape: JSON
Schemas as data) becomes an llguidance grammar, applied by the decode loop as a token mask.

llguidance, not xgrammar or outlines-core: its PyPI wheel is one abi3 file with no
dependencies (xgrammar pulls triton, 286 MB, into a CPU-only torch install), it takes JSON
Schema and Lark with JSON Schemas embedded (so one grammar says "a candidate, or tool-call
lines, or a one-line summary"), it compiles lazily (no per-schema automaton over the whole
vocabulary as outlines-core builds) and computes a mask in tens of microseconds.

The grammar a shape becomes:

    start: final | calls | prose          (the alternatives the shape allows)
    final: %json {the final answer's schema}
    calls: call ("\\n" call)*             call: line_0 | line_1 | ...
    prose: /[A-Za-z][^\\n{}]*/

JSON is written on one line with ", " and ": " between items, as the prompts show it: the
tool loop reads a tool call only from a line of its own. Odd or hostile schemas never stop a
decode: a line schema the library rejects is loosened to "any object" for its arguments
(named in `notes`); a rejected final schema, or a grammar that fails as a whole, leaves the
reply unconstrained, and the Grammar says why (`error`). Compiled grammars are cached.

A constraint given the reply's token budget closes the reply in its last CLOSING_RESERVE
tokens: the end of the reply when the grammar allows it, else a token that closes a string,
object or array, wherever the grammar allows one. A model that rambles inside a JSON string
until its budget runs out so still ends well-formed (its content is whatever it wrote, for
governance to judge like any other); the telemetry counts the tokens so chosen (`closing`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import llguidance as llg
import numpy as np
import torch
from llguidance.gbnf_to_lark import any_to_lark

from kernel.blocks_grammar import blocks_gbnf
from kernel.tokenizer import ChatTokenizer

if TYPE_CHECKING:  # a shape is data (name, final, lines, prose); the kernel reads it only
    from governance.brains.provider import ReplyShape

# One line, the separators the prompts show; no other whitespace (a newline ends a call).
JSON_OPTIONS = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
PROSE = r"/[A-Za-z][^\n{}]*/"
CACHE_SIZE = 32
NEG_INF = np.float32("-inf")
# The last tokens of a constrained reply's budget close it: enough for any of the shapes the
# daemon uses to close from its deepest point (a string inside a tool call's arguments is
# `"}}` and the end, a candidate's file_path needs its two other keys: ~20 tokens).
CLOSING_RESERVE = 48
CLOSERS = frozenset('"}]')


class Constraint(Protocol):
    """What the decode loop asks of a constraint, once per token."""

    def mask(self, scores: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
        """`scores` (penalised) with every token the constraint forbids at -inf; `raw` are
        the model's logits, used when the penalties left no allowed token."""
        ...

    def advance(self, token: int) -> None: ...

    @property
    def done(self) -> bool:
        """Nothing but the end of the reply may follow."""
        ...


@dataclass(frozen=True)
class Grammar:
    """A shape compiled for one tokenizer: `text` is the llguidance grammar, or None when
    the reply decodes unconstrained (`error` says why); `notes` name loosened schemas."""

    shape: str
    text: str | None
    error: str = ""
    notes: tuple[str, ...] = ()
    # A blocks reply's grammar (kernel.blocks_grammar): its opening's tokens, which the
    # prompt already holds, are consumed before the first token is chosen; and its reply is
    # not closed early (a string's or object's closer, Closing, would cut a line of code).
    begun: tuple[int, ...] = ()
    blocks: int = 0  # the files a blocks grammar names; 0: a JSON shape's grammar

    def telemetry(self) -> dict[str, Any]:
        out: dict[str, Any] = {"shape": self.shape}
        if self.blocks:
            out["blocks"] = self.blocks
        if self.text is None:
            out["unconstrained"] = self.error[:300]
        if self.notes:
            out["loosened"] = list(self.notes[:20])
        return out


def _schema_error(schema: Any, tokenizer: llg.LLTokenizer) -> str:
    """Why llguidance cannot use `schema` as one JSON value on a line ("" when it can)."""
    try:
        grammar = llg.LLMatcher.grammar_from_json_schema(json.dumps(_with_options(schema)))
    except (ValueError, TypeError) as exc:
        return f"not a JSON Schema object: {exc}"
    return llg.LLMatcher.validate_grammar(grammar, tokenizer)


def _with_options(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        raise TypeError(f"{type(schema).__name__}, not an object")
    return {**schema, "x-guidance": JSON_OPTIONS}


def _loosened(schema: dict[str, Any]) -> dict[str, Any]:
    """A call line whose arguments the library could not take: same tool, any object."""
    loose = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
    props = dict(loose.get("properties") or {})
    props["arguments"] = {"type": "object"}
    return {**loose, "properties": props}


def _json_rule(name: str, schema: dict[str, Any]) -> str:
    return f"{name}: %json {json.dumps(_with_options(schema))}"


def build_lark(shape: ReplyShape, tokenizer: llg.LLTokenizer) -> tuple[str, tuple[str, ...]]:
    """The Lark text for `shape` and the notes on loosened lines. Raises ValueError when
    the shape allows nothing or its final schema is unusable."""
    rules, starts, notes = [], [], []
    if shape.final is not None:
        why = _schema_error(shape.final, tokenizer)
        if why:
            raise ValueError(f"final answer schema rejected: {why[:300]}")
        rules.append(_json_rule("final", shape.final))
        starts.append("final")
    lines = []
    for i, schema in enumerate(shape.lines):
        if _schema_error(schema, tokenizer):
            if not isinstance(schema, dict) or _schema_error(_loosened(schema), tokenizer):
                notes.append(f"line {i}: dropped")
                continue
            schema = _loosened(schema)
            notes.append(f"line {i} ({_tool_name(schema)}): arguments loosened")
        rules.append(_json_rule(f"line_{i}", schema))
        lines.append(f"line_{i}")
    if lines:
        rules += [f"call: {' | '.join(lines)}", 'calls: call ("\\n" call)*']
        starts.append("calls")
    if shape.prose:
        rules.append(f"prose: {PROSE}")
        starts.append("prose")
    if not starts:
        raise ValueError("the shape allows no reply at all")
    return "\n".join([f"start: {' | '.join(starts)}", *rules]), tuple(notes)


def _tool_name(schema: dict[str, Any]) -> str:
    tool = (schema.get("properties") or {}).get("tool")
    return str(tool.get("const", "?"))[:60] if isinstance(tool, dict) else "?"


@dataclass
class Grammars:
    """Compiles shapes for one tokenizer, caching the last CACHE_SIZE; the llguidance view
    of the tokenizer (~0.7 s to build) is made on first use."""

    tokenizer: ChatTokenizer
    stop_ids: Sequence[int] = (2, 0)
    _llt: llg.LLTokenizer | None = None
    _closers: np.ndarray | None = None  # int8[words]: each token's closing rank (_closes)
    _cache: OrderedDict[str, Grammar] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # providers' worker threads

    @property
    def llt(self) -> llg.LLTokenizer:
        with self._lock:
            if self._llt is None:
                self._llt = llg.LLTokenizer(self.tokenizer.tok.to_str(),
                                            eos_token=list(self.stop_ids))
            return self._llt

    def compile(self, shape: ReplyShape) -> Grammar:
        """The grammar for `shape`; never raises (a failure is an unconstrained Grammar)."""
        try:
            key = json.dumps([shape.final, shape.lines, shape.prose, shape.block_files,
                              shape.opening if shape.block_files else ""], sort_keys=True)
        except (TypeError, ValueError) as exc:
            return Grammar(shape.name, None, f"shape is not JSON data: {exc}")
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        grammar = self._compile(shape)
        with self._lock:
            self._cache[key] = grammar
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return grammar

    def _compile(self, shape: ReplyShape) -> Grammar:
        if shape.block_files:
            return self._compile_blocks(shape)
        try:
            lark, notes = build_lark(shape, self.llt)
            text = llg.LLMatcher.grammar_from_lark(lark)
            why = llg.LLMatcher.validate_grammar(text, self.llt)
        except Exception as exc:  # a hostile schema is a reply decoded unconstrained
            return Grammar(shape.name, None, f"{type(exc).__name__}: {exc}")
        if why:
            return Grammar(shape.name, None, f"grammar rejected: {why}", notes)
        return Grammar(shape.name, text, notes=notes)

    def _compile_blocks(self, shape: ReplyShape) -> Grammar:
        """A blocks reply's grammar (kernel.blocks_grammar), the opening's tokens with it."""
        try:
            text = llg.LLMatcher.grammar_from_lark(
                any_to_lark(blocks_gbnf(shape.block_files, shape.opening)))
            why = llg.LLMatcher.validate_grammar(text, self.llt)
        except Exception as exc:  # a grammar the engine refuses: decoded unconstrained
            return Grammar(shape.name, None, f"{type(exc).__name__}: {exc}")
        if why:
            return Grammar(shape.name, None, f"grammar rejected: {why}")
        begun = tuple(self.tokenizer.encode(shape.opening)) if shape.opening else ()
        return Grammar(shape.name, text, begun=begun, blocks=len(shape.block_files))

    def constraint(self, grammar: Grammar, budget: int | None = None) -> GrammarConstraint | None:
        """A fresh constraint for one generation (None for an unconstrained grammar, or one
        whose opening it refuses); with the generation's `budget` (max_new_tokens) a JSON
        shape's closes the reply in time."""
        if grammar.text is None:
            return None
        matcher = llg.LLMatcher(self.llt, grammar.text, log_level=0)
        if grammar.begun and not matcher.consume_tokens(list(grammar.begun)):
            return None
        closing = None
        if budget is not None and not grammar.blocks:
            closing = Closing(budget, self.closers(), tuple(self.stop_ids))
        return GrammarConstraint(matcher, self.llt.vocab_size, closing)

    def closers(self) -> np.ndarray:
        """int8[words]: each token's rank as a closer (`_closes`; 0 closes nothing)."""
        with self._lock:
            if self._closers is None:
                tok = self.tokenizer.tok
                words = tok.get_vocab_size()
                self._closers = np.array(
                    [_closes(tok.id_to_token(i) or "") for i in range(words)], dtype=np.int8)
            return self._closers


def _closes(piece: str) -> int:
    """1: a token that starts with `"` (inside a string it ends the string; elsewhere it
    can only open one); 2: one that starts with `}` or `]` (closes a value, unless inside
    a string: there it is content, as in code's `])`); 3: any other holding a closer; 0:
    none, or a backslash (an escaped quote closes nothing). Narrowing tries them in that
    order, so a reply inside a string leaves it even when its model prefers brackets."""
    if "\\" in piece or not any(c in piece for c in CLOSERS):
        return 0
    head = piece.lstrip(" \t\r\nĠĊĉ▁")[:1]
    return 1 if head == '"' else 2 if head in ("}", "]") else 3


@dataclass
class Closing:
    """A constraint's budget: in its last CLOSING_RESERVE tokens (a quarter of a small
    budget), prefer the end of the reply, then closing tokens, among those the grammar
    allows."""

    budget: int
    closers: np.ndarray
    stop_ids: tuple[int, ...]
    used: int = 0
    chosen: int = 0  # masks narrowed by closing
    _masks: list[np.ndarray] | None = None

    def narrow(self, allowed: np.ndarray) -> np.ndarray:
        if self.budget - self.used > min(CLOSING_RESERVE, self.budget // 4):
            return allowed
        for prefer in self._preferences(allowed.shape[0]):
            narrowed = allowed & prefer
            if narrowed.any():
                self.chosen += 1
                return narrowed
        return allowed

    def _preferences(self, vocab: int) -> list[np.ndarray]:
        """bool[vocab] masks in the order tried: the end of the reply, then closer ranks
        1, 2, 3; built once per generation (the reserve asks every token)."""
        if self._masks is None or self._masks[0].shape[0] != vocab:
            stops = np.zeros(vocab, dtype=np.bool_)
            stops[[i for i in self.stop_ids if 0 <= i < vocab]] = True
            ranks = np.zeros(vocab, dtype=np.int8)
            n = min(vocab, self.closers.shape[0])
            ranks[:n] = self.closers[:n]
            self._masks = [stops, *(ranks == rank for rank in (1, 2, 3))]
        return self._masks


class GrammarConstraint:
    """One generation's grammar state. The mask is computed once per token into a reused
    bitmask (the matcher drops the GIL), unpacked and applied in numpy.

    Should the penalties (repetition penalty, no-repeat n-grams) ban every token the
    grammar allows, that token is chosen from the raw logits under the mask instead
    (`penalty_overrides` counts them); should the grammar allow nothing (an internal
    error), it steps aside and the rest decodes unconstrained (`error`)."""

    def __init__(self, matcher: llg.LLMatcher, words: int, closing: Closing | None = None):
        self.matcher = matcher
        self.closing = closing
        self.words = words  # the tokenizer's vocabulary; the model's logits may be longer
        self._bits = np.full(((words + 31) // 32,), -1, dtype=np.int32)
        self.penalty_overrides = 0
        self.error = ""

    def allowed(self, vocab: int) -> torch.Tensor:
        """bool[vocab]: the tokens the grammar allows next."""
        return torch.from_numpy(self._allowed(vocab))

    def _allowed(self, vocab: int) -> np.ndarray:
        self.matcher.unsafe_compute_mask_ptr(self._bits.ctypes.data, self._bits.nbytes)
        n = min(self.words, vocab)
        bits = np.unpackbits(self._bits.view(np.uint8), bitorder="little")[:n].view(np.bool_)
        if n < vocab:  # logits past the tokenizer's words are never allowed
            bits = np.concatenate([bits, np.zeros(vocab - n, dtype=np.bool_)])
        return bits

    def mask(self, scores: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
        # numpy, one thread: on a loaded CPU torch's thread pool costs more than these
        # 50k-element passes. The result is a new array; scores and raw stay as they were.
        if self.error:
            return scores
        allowed = self._allowed(scores.shape[-1])
        if not allowed.any():
            self.error = self.matcher.get_error() or "the grammar allows no token"
            return scores
        if self.closing is not None:
            allowed = self.closing.narrow(allowed)
        out = np.where(allowed, scores.float().numpy(), NEG_INF)
        if not np.isfinite(out).any():
            self.penalty_overrides += 1
            out = np.where(allowed, raw.float().numpy(), NEG_INF)
        return torch.from_numpy(out)

    def advance(self, token: int) -> None:
        if self.closing is not None:
            self.closing.used += 1
        if self.error:
            return
        if not self.matcher.consume_token(token):
            self.error = self.matcher.get_error() or f"token {token} refused"

    @property
    def done(self) -> bool:
        return not self.error and self.matcher.is_stopped()

    def outcome(self) -> str:
        """complete (the grammar is satisfied) | cut (stopped mid-form: max_new_tokens, a
        collapse or a cancel) | error (the grammar stepped aside)."""
        if self.error:
            return "error"
        return "complete" if self.matcher.is_accepting() or self.done else "cut"

    def telemetry(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome()}
        if self.penalty_overrides:
            out["penalty_overrides"] = self.penalty_overrides
        if self.closing is not None and self.closing.chosen:
            out["closing"] = self.closing.chosen
        if self.error:
            out["error"] = self.error[:300]
        return out
