"""A reply that says one line three times in a row has collapsed into a loop (kernel.decode
LOOP_LINES), whatever the canary's signals say: a coder model decoding without a repetition
penalty wrote one tool call 24 times in 978 tokens, each as confident as the first, while
the canary, its baseline used to a JSON line's own echo, stayed calm. The collapse ends the
reply and the reflex re-grounds it with a firmer penalty. Short lines (a closing brace, a
blank) and lines that differ are no loop; `serve` leaves the guard off. A scripted stepper
writes the tokens."""

from __future__ import annotations

import torch

from kernel.canary import CanaryConfig
from kernel.decode import GenerationConfig, generate

CALL = '{"tool": "search_code", "arguments": {"pattern": "bump_minor"}}\n'
OFF = GenerationConfig(max_new_tokens=400, repetition_penalty=1.0, no_repeat_ngram=0,
                       stop_ids=(), canary=CanaryConfig(mode="off"), loop_lines=3)


class Scripted:
    """A stepper whose logits choose `script`'s tokens in turn, then token 0 forever."""

    total_steps = 0

    def __init__(self, script: list[int], vocab: int):
        self.script, self.vocab, self.at = script, vocab, 0

    def _next(self) -> torch.Tensor:
        logits = torch.zeros(self.vocab)
        logits[self.script[self.at] if self.at < len(self.script) else 0] = 10.0
        self.at += 1
        return logits

    def prefill(self, ids, cancel=None, progress=None) -> torch.Tensor:
        return self._next()

    def advance(self, token: int, pressure: float) -> tuple[torch.Tensor, int]:
        return self._next(), 1


def _run(tokenizer, text: str, config: GenerationConfig = OFF):
    script = tokenizer.encode(text)
    return generate(Scripted(script, tokenizer.vocab_size), tokenizer, [1, 2], config), script


def test_a_line_said_three_times_ends_the_reply_as_a_collapse(tokenizer):
    gen, _ = _run(tokenizer, CALL * 24)
    assert gen.exit_reason == "collapse"
    assert gen.text == CALL * 3  # it stops at the third line's end


def test_lines_that_differ_short_lines_and_two_repeats_are_no_loop(tokenizer):
    varied = "".join(CALL.replace("bump_minor", f"bump_{i}") for i in range(6))
    for text in (varied, "}\n" * 6, "\n" * 6, CALL * 2 + "done\n"):
        gen, _ = _run(tokenizer, text)
        assert gen.exit_reason == "length" and gen.text.startswith(text), text


def test_the_guard_is_the_daemons_serve_leaves_it_off(tokenizer, tmp_path):
    """The daemon's brain sets it; a served client asking for a refrain gets it whole."""
    from dataclasses import replace

    from daemon.brains.providers import engine_config
    from daemon.config.provider import ProviderSection

    daemon = engine_config(ProviderSection(), tmp_path)
    assert daemon.generation.loop_lines == 3
    from types import SimpleNamespace

    from daemon.serve.model import Sampling, ServedModel
    served = SimpleNamespace(engine=SimpleNamespace(config=daemon), max_tokens=100)
    assert ServedModel._config(served, Sampling(), 50).loop_lines == 0  # type: ignore[arg-type]
    gen, _ = _run(tokenizer, CALL * 6, replace(OFF, loop_lines=0))
    assert gen.exit_reason == "length" and gen.text.startswith(CALL * 6)
