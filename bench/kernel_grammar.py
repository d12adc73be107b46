"""Grammar-constrained output on the embedded model (issue 11, "Well-formed output").

A fixed set of tool-loop prompts, built by the real prompt code (governance.brains.prompts'
generation prompt and exploration protocol, the tool loop's instructions, transcript and
nudge) for ten small maintenance tasks, each at three points of a tool loop: the first
round, the round after a read_file result, and the nudged last round after an edit_file.
Each prompt is answered greedily twice, without and with the grammar of that round's shape
(ToolLoopCoordinator._shape), and each reply is judged as the daemon would: tool calls that
parse and whose arguments validate, a candidate.1 that parse_candidate accepts, or (where
the round allows it) a one-line summary.

Printed: the share of valid replies without vs with the grammar (target: 100% with; a reply
cut by max_new_tokens is counted and named), and the decode-speed cost of the mask: the
median time per decoded token (first token to last, so prefill is out) with vs without,
and the mask's own share of it. Both runs of a prompt are back to back in this process.

Run: .venv/bin/python bench/kernel_grammar.py [--grammar-tokens N] [--grammar-prompts 30]
(N defaults to the daemon's own budget, provider.max_new_tokens: a reply the daemon would
not cut is not cut here either.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and bench/kernel.py would
# shadow the `kernel` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from daemon.config.provider import ProviderSection  # noqa: E402
from daemon.config.settings import Settings  # noqa: E402
from daemon.phase_deps import loop_limits, policy_from  # noqa: E402
from governance.brains.exploration_prompt import with_exploration_protocol  # noqa: E402
from governance.brains.prompts import generation_prompt  # noqa: E402
from governance.brains.provider import ReplyShape  # noqa: E402
from governance.brains.reflex import Band  # noqa: E402
from governance.errors import CandidateParseError  # noqa: E402
from governance.schemas import OperationContext, SignalEnvelope, ToolRecord, parse_candidate  # noqa: E402
from kernel.canary import CanaryConfig  # noqa: E402
from kernel.decode import Generation, GenerationConfig  # noqa: E402
from kernel.engine import Engine, EngineConfig  # noqa: E402
from kernel.grammar import GrammarConstraint, Grammars  # noqa: E402
from tools.builtin import TOOLS  # noqa: E402
from tools.loop import ToolLoopCoordinator  # noqa: E402
from tools.toolcalls import parse_tool_calls  # noqa: E402
from tools.transcript import Chunk  # noqa: E402

DAEMON_TOKENS = ProviderSection().max_new_tokens  # the budget the daemon decodes under

TASKS = [  # (file, content, goal)
    ("calc.py", "def add(a, b):\n    return a - b\n", "add() subtracts; make it add"),
    ("greet.py", "def greet(name):\n    return 'helo ' + name\n", "fix the typo 'helo'"),
    ("util.py", "def clamp(x, lo, hi):\n    return x\n", "clamp() must clamp x to [lo, hi]"),
    ("config.py", "DEBUG = True\nPORT = '8080'\n", "PORT must be an int"),
    ("math_ops.py", "def mean(xs):\n    return sum(xs) / len(xs)\n",
     "mean([]) raises ZeroDivisionError; return 0.0 for an empty list"),
    ("names.py", "def initials(name):\n    return name[0]\n",
     "initials('Ada Lovelace') should be 'AL'"),
    ("paths.py", "import os\n\ndef ext(p):\n    return p.split('.')[1]\n",
     "ext('a.b.c') should return 'c'; use os.path.splitext"),
    ("todo.py", "# TODO: remove this unused import\nimport sys\n\nX = 1\n",
     "remove the unused import (TODO)"),
    ("fmt.py", "def money(x):\n    return '$' + str(x)\n", "money(1.5) should give '$1.50'"),
    ("flags.py", "def is_on(v):\n    return v == 'true'\n",
     "is_on('TRUE') should be True too (case-insensitive)"),
]


@dataclass
class Case:
    prompt: str
    shape: ReplyShape
    where: str


def _context(root: Path, file: str, content: str, goal: str) -> OperationContext:
    (root / file).write_text(content, encoding="utf-8")
    env = SignalEnvelope(source="todo_scanner", target_files=(file,), goal=goal,
                         dedup_key=file, session_id="bench")
    return OperationContext(envelope=env)


def cases(root: Path, limit: int) -> list[Case]:
    """Three tool-loop rounds per task, composed and shaped by the tool loop's own code."""
    out: list[Case] = []
    for file, content, goal in TASKS:
        ctx = _context(root, file, content, goal)
        prompt = with_exploration_protocol(generation_prompt(ctx, root), ctx, 2)
        numbered = "\n".join(f"{i:>4}  {line}" for i, line in
                             enumerate(content.splitlines(), 1))
        read = [Chunk("assistant", f'{{"tool": "read_file", "arguments": {{"path": "{file}"}}}}'),
                Chunk("result", f'read_file {{"path": "{file}"}}\n{numbered}', "read_file")]
        edit = [Chunk("assistant", f'{{"tool": "edit_file", "arguments": {{"path": "{file}", '
                                   '"old": "...", "new": "..."}}'),
                Chunk("result", f"edit_file {{\"path\": \"{file}\"}}\nedited {file}",
                      "edit_file")]
        for where, chunks, nudge in (("first round", [], False), ("after read", read, False),
                                     ("nudged, after edit", read + edit, True)):
            loop = ToolLoopCoordinator(env=None, policy=None,  # composes and shapes only
                                       limits=loop_limits(Settings()),
                                       band=Band.of(policy_from(Settings())))
            if nudge:
                loop.records.append(ToolRecord(tool="edit_file", verdict="ok"))
            out.append(Case(loop._compose(prompt, chunks, nudge), loop._shape(nudge), where))
    return out[:limit]


def judge(text: str, shape: ReplyShape) -> str:
    """Which of the round's forms the daemon would take this reply as ("" for none)."""
    calls, bad = parse_tool_calls(text)
    if shape.lines and calls and not bad:
        try:
            for call in calls:
                TOOLS[call.name].args.model_validate(call.arguments)
            return "tool calls"
        except (KeyError, ValueError):
            return ""
    if calls or bad:
        return ""
    if "{" not in text:
        ok = shape.prose and bool(text.strip()) and "\n" not in text.strip()
        return "summary" if ok else ""
    try:
        parse_candidate(text)
        return "candidate"
    except CandidateParseError:
        return ""


class Timed:
    """A constraint that also clocks its own mask and advance calls."""

    def __init__(self, inner: GrammarConstraint):
        self.inner, self.seconds = inner, 0.0

    def mask(self, scores, raw):
        t = time.perf_counter()
        out = self.inner.mask(scores, raw)
        self.seconds += time.perf_counter() - t
        return out

    def advance(self, token: int) -> None:
        t = time.perf_counter()
        self.inner.advance(token)
        self.seconds += time.perf_counter() - t

    @property
    def done(self) -> bool:
        return self.inner.done


def _decode(engine: Engine, prompt: str, config: GenerationConfig,
            constraint: Timed | None) -> tuple[Generation, float | None]:
    """One greedy reply and its time per decoded token (first token to the end)."""
    stamps: list[float] = []
    messages = [{"role": "user", "content": prompt}]
    gen = engine.chat(messages, config, on_token=lambda _: stamps.append(time.perf_counter()),
                      constraint=constraint)
    end = time.perf_counter()
    per_token = (end - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else None
    return gen, per_token


def section(args: argparse.Namespace) -> None:
    tokens = getattr(args, "grammar_tokens", DAEMON_TOKENS)
    limit = getattr(args, "grammar_prompts", 30)
    engine = Engine.load(EngineConfig())
    grammars = Grammars(engine.tokenizer, engine.config.generation.stop_ids)
    config = GenerationConfig(max_new_tokens=tokens, canary=CanaryConfig(mode="observe"))
    with tempfile.TemporaryDirectory() as tmp:
        work = cases(Path(tmp), limit)
    valid = {"without": 0, "with": 0}
    cut, closed, unconstrained, per = 0, 0, 0, {"without": [], "with": []}
    mask_share: list[float] = []
    forms: Counter[str] = Counter()
    for i, case in enumerate(work, 1):
        gen, t = _decode(engine, case.prompt, config, None)
        valid["without"] += bool(judge(gen.text, case.shape))
        grammar = grammars.compile(case.shape)
        inner = grammars.constraint(grammar, tokens)
        unconstrained += inner is None
        timed = Timed(inner) if inner is not None else None
        gen_g, t_g = _decode(engine, case.prompt, config, timed)
        form = judge(gen_g.text, case.shape)
        valid["with"] += bool(form)
        forms[f"{case.where}: {form or 'invalid'}"] += 1
        print(f"  [{i}/{len(work)}] {case.where}: without "
              f"{judge(gen.text, case.shape) or 'invalid'}, with {form or 'invalid'}",
              file=sys.stderr, flush=True)
        cut += inner is not None and inner.outcome() == "cut"
        closed += bool(inner is not None and inner.closing is not None and inner.closing.chosen)
        if t is not None and t_g is not None:
            per["without"].append(t)
            per["with"].append(t_g)
            if timed is not None and gen_g.token_ids:
                mask_share.append(timed.seconds / len(gen_g.token_ids) / t_g)
    _report(len(work), tokens, valid, (cut, closed, unconstrained), per, mask_share)
    print("with grammar, by round: " + "; ".join(f"{k} {n}" for k, n in sorted(forms.items())))


def _report(n: int, tokens: int, valid: dict[str, int], ends: tuple[int, int, int],
            per: dict[str, list[float]], mask_share: list[float]) -> None:
    cut, closed, unconstrained = ends
    print(f"\n== Well-formed output: {n} tool-loop prompts, embedded model, greedy, "
          f"max_new_tokens={tokens}")
    if not n:
        return
    print(f"valid replies without grammar: {valid['without']}/{n} "
          f"({100 * valid['without'] / n:.0f}%)")
    print(f"valid replies with grammar:    {valid['with']}/{n} ({100 * valid['with'] / n:.0f}%)"
          f"   target 100%; cut by max_new_tokens: {cut}; decoded unconstrained: "
          f"{unconstrained}")
    print(f"  of which closed by the budget's reserve (kernel.grammar.CLOSING_RESERVE): {closed}")
    if per["with"]:
        a, b = statistics.median(per["without"]), statistics.median(per["with"])
        print(f"time per decoded token: {a * 1000:.1f} ms without, {b * 1000:.1f} ms with "
              f"(median of {len(per['with'])}): with/without = {b / a:.2f}x")
        print(f"the mask's own share of a decoded token (median): "
              f"{100 * statistics.median(mask_share):.1f}%")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--grammar-tokens", type=int, default=DAEMON_TOKENS)
    p.add_argument("--grammar-prompts", type=int, default=30)
    return p.parse_args(argv)


if __name__ == "__main__":
    section(parse_args())
