"""DecodeCanary: a per-token collapse monitor.

Four signals per token, each oriented so that larger means "more like a degenerate loop":
  repeat  - share of the last `span` tokens that repeat a token seen just before them
  echo    - share of the last `span` tokens that complete an n-gram already generated
  margin  - top-1 minus top-2 probability (over-confidence)
  focus   - negative entropy of the next-token distribution (entropy collapse)
Each is z-scored against a running baseline (an exponential average that is only updated
while the canary is calm, so a collapse never becomes the new normal) and the z-scores are
folded into one `proximity` in [0, 1]. Proximity above `threshold` for `patience`
consecutive tokens is a collapse. Models without logits (or finished text) use the same
machinery on the token stream alone (`text_proximity`).

A whole reply's proximity is its `sustained` proximity: the highest level the canary held for
`patience` consecutive tokens after warm-up, so one odd token is not a collapse and a reply
reaches the threshold exactly when the canary would have stopped it.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from governance.edit_blocks import contents_left_out
from kernel import defaults

if TYPE_CHECKING:  # torch is imported where logits are read: text-only users never pay for it
    import torch

# signal -> (fold weight, baseline prior mean, std floor)
SIGNALS: dict[str, tuple[float, float, float]] = {
    "echo": (0.45, 0.05, 0.15),
    "repeat": (0.20, 0.25, 0.15),
    "margin": (0.175, 0.35, 0.15),
    "focus": (0.175, -2.5, 0.5),
}
BIAS = 3.0  # proximity of a perfectly ordinary token: sigmoid(-3) ~= 0.05
PRIOR_WEIGHT = 16  # the prior counts as this many observations: a loop from token 0 stays odd
Z_CLIP = (-4.0, 8.0)
# Repetition is measured the same way for every model, so its baseline never learns from a
# value this far above it. Without this, a loop that set in over a dozen tokens while the
# logits looked ordinary became "normal": the embedded model's "One two two two two ..."
# ended at proximity 0.08 with its echo baseline at 0.91. Logit signals keep learning: how
# confident a model normally is differs from model to model.
STREAM_SIGNALS = frozenset({"repeat", "echo"})
LEARN_Z = 2.5


@dataclass(frozen=True)
class CanaryConfig:
    mode: str = defaults.CANARY_MODE  # off | observe | adapt
    threshold: float = defaults.CANARY_THRESHOLD
    patience: int = defaults.CANARY_PATIENCE
    span: int = 8
    ngram: int = 3
    window: int = 32
    warmup: int = 8
    adapt_start: float = 0.3
    penalty_boost: float = 0.5


@dataclass
class CanaryTick:
    step: int
    token: int
    proximity: float
    signals: dict[str, float]


@dataclass
class _Baseline:
    mean: float
    var: float
    floor: float

    def z(self, x: float) -> float:
        return (x - self.mean) / max(math.sqrt(self.var), self.floor)

    def update(self, x: float, alpha: float) -> None:
        diff = x - self.mean
        self.mean += alpha * diff
        self.var = (1 - alpha) * (self.var + alpha * diff * diff)


@dataclass
class DecodeCanary:
    config: CanaryConfig = field(default_factory=CanaryConfig)
    trace: list[CanaryTick] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tokens: list[int] = []
        self._ngrams: set[tuple[int, ...]] = set()
        self._repeat_hits: deque[float] = deque(maxlen=self.config.span)
        self._echo_hits: deque[float] = deque(maxlen=self.config.span)
        self._base = {k: _Baseline(prior, floor * floor, floor)
                      for k, (_, prior, floor) in SIGNALS.items()}
        self._streak = 0
        self._held: deque[float] = deque(maxlen=self.config.patience)
        self._sustained = 0.0

    @property
    def sustained(self) -> float:
        """The highest proximity held for `patience` consecutive tokens after warm-up."""
        return self._sustained

    @property
    def proximity(self) -> float:
        return self.trace[-1].proximity if self.trace else 0.0

    @property
    def max_proximity(self) -> float:
        return max((t.proximity for t in self.trace), default=0.0)

    @property
    def collapsed(self) -> bool:
        return self._streak >= self.config.patience

    def observe(self, token: int, logits: torch.Tensor | None = None) -> CanaryTick:
        """Record one generated token (and the logits it was chosen from, if any)."""
        signals = self._stream_signals(token)
        if logits is not None:
            signals.update(_distribution_signals(logits))
        z = {k: min(max(self._base[k].z(v), Z_CLIP[0]), Z_CLIP[1]) for k, v in signals.items()}
        weight = sum(SIGNALS[k][0] for k in z)
        score = sum(SIGNALS[k][0] * z[k] for k in z) / weight
        n = len(self._tokens)
        proximity = 1 / (1 + math.exp(-(score - BIAS))) if n > 1 else 0.0
        if n >= self.config.warmup and proximity >= self.config.threshold:
            self._streak += 1
        else:
            self._streak = 0
        if n >= self.config.warmup:
            self._held.append(proximity)
            if len(self._held) == self._held.maxlen:
                self._sustained = max(self._sustained, min(self._held))
        if proximity < self.config.adapt_start:  # learn "normal" only while calm
            alpha = 1.0 / min(n + PRIOR_WEIGHT, self.config.window)
            for k, v in signals.items():
                if k in STREAM_SIGNALS and z[k] > LEARN_Z:
                    continue  # a loop that creeps in is not the new normal
                self._base[k].update(v, alpha)
        tick = CanaryTick(n - 1, token, proximity, signals)
        self.trace.append(tick)
        return tick

    def _stream_signals(self, token: int) -> dict[str, float]:
        recent = self._tokens[-self.config.span :]
        self._repeat_hits.append(1.0 if token in recent else 0.0)
        self._tokens.append(token)
        n = self.config.ngram
        gram = tuple(self._tokens[-n:]) if len(self._tokens) >= n else None
        self._echo_hits.append(1.0 if gram is not None and gram in self._ngrams else 0.0)
        if gram is not None:
            self._ngrams.add(gram)
        return {"repeat": sum(self._repeat_hits) / len(self._repeat_hits),
                "echo": sum(self._echo_hits) / len(self._echo_hits)}

    def knobs(self) -> tuple[float, float]:
        """Adapt mode: (depth pressure in [0, 1], repetition-penalty boost) for the next token."""
        if self.config.mode != "adapt":
            return 0.0, 0.0
        c = self.config
        pressure = min(max((self.proximity - c.adapt_start) / (c.threshold - c.adapt_start),
                           0.0), 1.0)
        return pressure, pressure * c.penalty_boost

    def summary(self) -> dict[str, float | int | bool]:
        return {"max_proximity": round(self.max_proximity, 4),
                "sustained_proximity": round(self.sustained, 4), "tokens": len(self.trace),
                "alarms": sum(t.proximity >= self.config.threshold for t in self.trace),
                "collapsed": self.collapsed}


def _distribution_signals(logits: torch.Tensor) -> dict[str, float]:
    import torch

    logp = torch.log_softmax(logits.float(), dim=-1)
    p = logp.exp()
    top = torch.topk(p, 2).values
    entropy = float(-(p * logp.nan_to_num(neginf=0.0)).sum())
    return {"margin": float(top[0] - top[1]), "focus": -entropy}


# A run of one punctuation character ("=====", "----") is one token: a banner or a rule
# line is not a loop; repeated words and phrases are.
_WORD = re.compile(r"\w+|([^\w\s])\1*")
# Words repeat far more than sub-word tokens: code restates names, keywords and punctuation
# in short runs. Over this repository's own files as candidate JSON (157 texts), patience 8
# held >= 0.7 in 9 of them and patience 32 in none (worst 0.58, median 0.07), while a line
# repeated 10+ times holds >= 0.74. A real loop runs for hundreds of tokens, so text waits 32.
TEXT_CONFIG = CanaryConfig(patience=32)
TEXT_TAIL_WORDS = 20_000  # a model loops until its token limit: the tail is where it shows


def text_proximity(text: str | Sequence[int], config: CanaryConfig | None = None,
                   ) -> DecodeCanary:
    """Post-hoc canary for models that give no logits: the same stream signals over a
    finished answer (words and punctuation, or token ids if given), its last
    TEXT_TAIL_WORDS only, so a megabyte reply costs no more than a long one."""
    canary = DecodeCanary(config or TEXT_CONFIG)
    if isinstance(text, str):
        vocab: dict[str, int] = {}
        words = [m.group(0) for m in _WORD.finditer(prose_of(text))][-TEXT_TAIL_WORDS:]
        ids = [vocab.setdefault(w, len(vocab)) for w in words]
    else:
        ids = list(text)[-TEXT_TAIL_WORDS:]
    for token in ids:
        canary.observe(token)
    return canary


def prose_of(text: str) -> str:
    """What the text detector judges: the reply without the file contents of a candidate it
    states, as JSON or as SEARCH/REPLACE blocks. A file's text is repetitive by nature
    (tables, fixtures, banners; a block's REPLACE repeats its SEARCH but for the change:
    Qwen2.5-Coder-1.5B's 29-line block read 0.77, "collapsed", issue 50) and the test
    oracle judges it; a model that loops inside a file's content writes a candidate that
    VALIDATE refuses, while its prose (rationale, tool calls, chatter) still shows loops."""
    text = contents_left_out(text)
    start, end = text.find("{"), text.rfind("}")
    if not (0 <= start < end) or "full_content" not in text:
        return text
    try:
        data = json.loads(text[start:end + 1])
    except ValueError:
        return text
    return text[:start] + json.dumps(_without_contents(data)) + text[end + 1:]


def _without_contents(data: object, depth: int = 0) -> object:
    if depth > 8:
        return None
    if isinstance(data, dict):
        return {k: _without_contents(v, depth + 1) for k, v in data.items()
                if k != "full_content"}
    if isinstance(data, list):
        return [_without_contents(v, depth + 1) for v in data]
    return data
