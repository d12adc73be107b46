"""Prompts a server can cache: the prompts of one op's model steps (PLAN, GENERATE's tool
rounds, an L2 turn) share their start byte for byte, most stable part first: HEAD, the tool
manifest, the files, the op, then the step and its turn. Measured here in characters as the
proxy for tokens (a shared character prefix is a shared token prefix, but for the one token
that straddles its end); bench/prompt_prefix.py counts the tokens a real tokenizer makes."""

from __future__ import annotations

from types import SimpleNamespace

from governance.brains.exploration_prompt import with_exploration_protocol
from governance.brains.prompts import (
    HEAD,
    RepairTurn,
    generation_prompt,
    plan_prompt,
    repair_prompt,
    with_tools,
)
from governance.schemas import OperationContext, PlanResult, SignalEnvelope
from tests.helpers import commit_files
from tools.loop import ToolLoopCoordinator
from tools.toolcalls import CallFormat
from tools.transcript import Chunk, tool_instructions

BIG = "".join(f'def f{i}(value, *, scale=1):\n    """Return value shifted by {i}, then scaled."""'
              f"\n    return (value + {i}) * scale\n\n" for i in range(175))  # 700 lines


def shared(a: str, b: str) -> float:
    """The share of `b` that is `a`'s prefix."""
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
             min(len(a), len(b)))
    return n / len(b)


def _ctx(n: int, reached: bool = False) -> OperationContext:
    """An op on the big file: a failing test's, whose failure reached f<n> (`reached`: its
    prompts show that code and name the files), or one that names no function (its prompts
    show the files)."""
    causes = [f"fn:pkg/big.py::f{n}"] if reached else []
    return OperationContext(envelope=SignalEnvelope(
        source="test_failure", target_files=("pkg/big.py", "tests/test_big.py"),
        goal=f"Make the failing test tests/test_big.py::test_f{n} pass: assert 3 == 4",
        dedup_key=f"k{n}", session_id="s", focus_lines=(5,),
        evidence={"causes": [*causes, f"test:tests/test_big.py::test_f{n}"]}))


def _round(prompt: str, chunks: list[Chunk], fmt: CallFormat = CallFormat.HERMES) -> str:
    loop = SimpleNamespace(call_format=fmt, mcp_tools={})
    return ToolLoopCoordinator._compose(loop, prompt, chunks, False)  # type: ignore[arg-type]


def test_one_ops_prompts_share_at_least_80_percent_as_a_prefix(tmp_path):
    root = commit_files(tmp_path / "r", {"pkg/big.py": BIG, "tests/test_big.py":
                                         "from pkg.big import f1\n\n\ndef test_f1():\n"
                                         "    assert f1(2) == 4\n"})
    ctx, manifest = _ctx(1), tool_instructions()
    budget = 40_000
    plan = with_tools(plan_prompt(ctx, root, budget), manifest)
    ctx.plan = PlanResult(approach="fix f1", ordered_changes=[
        {"file_path": "pkg/big.py", "change": "return x + 2"}])
    first = with_exploration_protocol(generate := generation_prompt(ctx, root, budget), ctx, 2)
    round1 = _round(first, [])
    round2 = _round(first, [Chunk("assistant", '<tool_call>\n{"name": "read_file", '
                                               '"arguments": {"path": "pkg/big.py"}}\n'
                                               "</tool_call>"),
                            Chunk("result", "read_file pkg/big.py\n" + BIG[:3000], "read_file")])
    turn = RepairTurn(1, 3, "test", "AssertionError: assert 3 == 4", ["tests/test_big.py::"
                      "test_f1"], ["--- pkg/big.py (your change)\n-    return x + 1\n+    "
                                   "return x + 2\n"], 2, 40)
    repair = with_tools(repair_prompt(ctx, root, turn, budget), manifest)
    assert plan.startswith(HEAD) and generate.startswith(HEAD) and repair.startswith(HEAD)
    steps = {"plan -> generate": (plan, round1), "round 1 -> round 2": (round1, round2),
             "generate -> L2": (round1, repair)}
    fractions = {k: shared(a, b) for k, (a, b) in steps.items()}
    assert all(f >= 0.8 for f in fractions.values()), fractions
    assert round2.startswith(round1.removesuffix("\n"))  # a round only adds to the last


def test_what_changes_comes_late_and_another_op_on_the_same_files_shares_them(tmp_path):
    root = commit_files(tmp_path / "r", {"pkg/big.py": BIG, "tests/test_big.py": "x = 1\n"})
    one, two = generation_prompt(_ctx(1), root), generation_prompt(_ctx(2), root)
    assert shared(one, two) > 0.9  # the op's goal comes after the files
    assert "op-" not in one.split("## Goal")[0]  # no op id, no counter before the op
    repair = repair_prompt(_ctx(1), root, RepairTurn(2, 3, "test", "boom", [], [], 2, 40))
    assert repair.index("L2 self-repair, iteration 2 of 3") > repair.index("## Goal")
    assert "pkg/big.py: edits" in one  # a 700-line file is asked for as edits


def test_a_repair_that_shows_the_reached_code_shows_no_file_and_is_short(tmp_path):
    root = commit_files(tmp_path / "r", {"pkg/big.py": BIG, "tests/test_big.py": "x = 1\n"})
    shown, focused = generation_prompt(_ctx(1), root), generation_prompt(_ctx(1, True), root)
    # the failure's library frame is named as the place to edit, its code shown
    assert "## Where the failure reached the library" in focused
    assert "- pkg/big.py, function f1" in focused and "not the place to edit" in focused
    # no file shown or listed: the Output names where the reached code lies (listed, the
    # files drew a block for each from a 1.5B model)
    assert "## Target files" not in focused and "## Files of the op" not in focused
    assert "def f100(" in shown and "def f100(" not in focused and len(focused) < len(shown) / 5
    assert "This step writes the change (candidate.1, in the reply format above) to the code " \
           "the failure reached: pkg/big.py." in focused.split("## Output\n")[1]
    plan = plan_prompt(_ctx(1, True), root)  # PLAN (were it asked) shows the same op
    assert shared(plan, focused) > 0.5 and "## Target files" not in plan
