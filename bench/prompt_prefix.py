"""Prompts a server can cache, measured: one op's model calls in order (PLAN, three tool
rounds of GENERATE, an L2 turn) and the next op's PLAN on the same files, built by the real
prompt code (governance.brains.prompts, tools/loop.py's composition) on a real 768-line file
(the standard library's calendar.py, in a git repository with a test).

For each call, in the tokens of a real tokenizer (the embedded SmolLM2's; also Qwen2.5-
Coder's with --qwen FILE.gguf), of the user message (the chat's head before it is the same
in every call): the prompt's tokens,
the prefix it shares with the call before it, and the share. Then the in-process kernel's
own prefix cache (the embedded model, through Engine.chat, one reply token each): the
prompt tokens it computed against the ones it reused from the previous call.

Also the edit-vs-whole-file reply of tests/governance/test_edit_tokens.py counted in each
tokenizer. With --server FILE.gguf, the same calls to llama.cpp's own server
(`make bench-setup`) and the prefix its prompt cache kept, as it reports.
`--chain small` renders instead the calls of an op with the settings `ouroboros init` writes
for a pinned small model (tools off, SEARCH/REPLACE blocks): GENERATE, its retry, two L2
turns, the next op's GENERATE.
Run: .venv/bin/python bench/prompt_prefix.py [--qwen PATH] [--no-kernel] [--server GGUF]
     [--chain tools|small] [--window N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path
                                    if Path(p or ".").resolve() not in (_HERE, _HERE.parent))]

from governance.brains import window  # noqa: E402
from governance.brains.exploration_prompt import with_exploration_protocol  # noqa: E402
from governance.brains.prompts import (  # noqa: E402
    RepairTurn,
    generation_prompt,
    plan_prompt,
    repair_prompt,
    with_tools,
)
from governance.schemas import OperationContext, PlanResult, SignalEnvelope  # noqa: E402
from tests.governance.test_edit_tokens import CALENDAR, replies  # noqa: E402
from tools.loop import ToolLoopCoordinator  # noqa: E402
from tools.toolcalls import CallFormat  # noqa: E402
from tools.transcript import Chunk, tool_instructions  # noqa: E402

TEST = ("import calendar_lib\n\n\ndef test_isleap_century():\n"
        "    assert not calendar_lib.isleap(1900)\n")


def repository(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    shutil.copy(CALENDAR, root / "calendar_lib.py")
    (root / "tests" / "test_calendar.py").write_text(TEST)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@b",
                                                 "commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    return root


def context(n: int) -> OperationContext:
    return OperationContext(envelope=SignalEnvelope(
        source="test_failure", target_files=("calendar_lib.py", "tests/test_calendar.py"),
        goal=f"Make the failing test tests/test_calendar.py::test_isleap_{n} pass: "
             "AssertionError: assert not True", dedup_key=f"k{n}", session_id="bench",
        focus_lines=(104,), evidence={"causes": ["fn:calendar_lib.py::isleap"]}))


def calls(root: Path, budget: int, fmt: CallFormat) -> list[tuple[str, str]]:
    """(what, prompt) of one op's calls in order, then the next op's PLAN."""
    manifest = tool_instructions()
    loop = SimpleNamespace(call_format=fmt, mcp_tools={})

    def rounds(prompt: str, chunks: list[Chunk]) -> str:
        return ToolLoopCoordinator._compose(loop, prompt, chunks, False)  # type: ignore

    ctx = context(1)
    out = [("op 1 PLAN", with_tools(plan_prompt(ctx, root, budget), manifest))]
    ctx.plan = PlanResult(approach="isleap must refuse centuries not divisible by 400",
                          ordered_changes=[{"file_path": "calendar_lib.py", "change": "fix"}])
    first = with_exploration_protocol(generation_prompt(ctx, root, budget), ctx, 2)
    text = (root / "calendar_lib.py").read_text()
    said = ['<tool_call>\n{"name": "read_file", "arguments": {"path": "calendar_lib.py", '
            '"start_line": 95, "end_line": 110}}\n</tool_call>',
            '<tool_call>\n{"name": "search_code", "arguments": {"pattern": "isleap"}}\n'
            "</tool_call>"]
    results = ["".join(text.splitlines(True)[94:110]),
               "calendar_lib.py:102: def isleap(year):\ncalendar_lib.py:124: isleap(y)"]
    chunks: list[Chunk] = []
    out.append(("op 1 GENERATE round 1", rounds(first, chunks)))
    for n, (a, r) in enumerate(zip(said, results, strict=True), 2):
        chunks += [Chunk("assistant", a), Chunk("result", r, "read_file")]
        out.append((f"op 1 GENERATE round {n}", rounds(first, chunks)))
    turn = RepairTurn(1, 3, "test", "AssertionError: assert not True\n  where True = "
                      "isleap(1900)", ["tests/test_calendar.py::test_isleap_century"],
                      ["--- calendar_lib.py (your change, as a diff)\n-    return year % 4 "
                       "== 0\n+    return year % 4 == 0 and year % 100 != 0\n"], 2, 40)
    out.append(("op 1 L2 turn 1", with_tools(repair_prompt(ctx, root, turn, budget),
                                             manifest)))
    out.append(("op 2 PLAN", with_tools(plan_prompt(context(2), root, budget), manifest)))
    return out


def small_calls(root: Path, budget: int) -> list[tuple[str, str]]:
    """The calls of one op with the settings `ouroboros init` writes for a pinned small model
    (tools off, SEARCH/REPLACE blocks; PLAN skipped, since the failure reached one
    function): GENERATE, its retry after an unusable reply, two L2 turns, the next op's
    GENERATE."""
    ctx = context(1)
    ctx.reply_form = "blocks"
    out = [("op 1 GENERATE", generation_prompt(ctx, root, budget))]
    ctx.last_failure = ("src/pkg/module.py: edits need a file that exists; give a new file "
                        "as full_content")
    out.append(("op 1 GENERATE retry", generation_prompt(ctx, root, budget)))
    ctx.last_failure = None
    change = ["--- calendar_lib.py (your change, as a diff)\n-    return year % 4 == 0\n"
              "+    return year % 4 == 0 and year % 100 != 0\n"]
    for n in (1, 2):
        turn = RepairTurn(n, 3, "test", "AssertionError: assert not True\n  where True = "
                          f"isleap({1900 + 100 * n})",
                          ["tests/test_calendar.py::test_isleap_century"], change, 2, 40)
        out.append((f"op 1 L2 turn {n}", repair_prompt(ctx, root, turn, budget)))
    nxt = context(2)
    nxt.reply_form = "blocks"
    out.append(("op 2 GENERATE", generation_prompt(nxt, root, budget)))
    return out


def shared(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def table(name: str, tok, prompts: list[tuple[str, str]]) -> None:
    print(f"\n{name}: prompt tokens, prefix shared with the call before")
    before: list[int] = []
    for what, prompt in prompts:
        enc = tok.encode(prompt)  # the user message: the chat's head before it is constant
        ids = list(enc.ids if hasattr(enc, "ids") else enc)
        same = shared(before, ids)
        print(f"  {what:24} {len(ids):6}  shared {same:6}  ({same / len(ids):5.1%})")
        before = ids


def kernel_hits(prompts: list[tuple[str, str]]) -> None:
    from dataclasses import replace

    from kernel.engine import Engine, EngineConfig

    engine = Engine.load(EngineConfig())
    config = replace(engine.config.generation, max_new_tokens=1, stop_ids=(),
                     stop_strings=(), temperature=0.0,
                     canary=replace(engine.config.generation.canary, mode="off"))
    print("\nthe in-process kernel's prefix cache (embedded SmolLM2, one reply token each)")
    for what, prompt in prompts:
        start = time.monotonic()
        gen = engine.chat([{"role": "user", "content": prompt}], config)
        kept = gen.prompt_tokens - gen.prefill_tokens
        print(f"  {what:24} prompt {gen.prompt_tokens:6}  computed {gen.prefill_tokens:6}  "
              f"reused {kept:6} ({kept / gen.prompt_tokens:5.1%})  "
              f"{time.monotonic() - start:6.1f} s")


def server_hits(gguf: Path, prompts: list[tuple[str, str]], log: Path) -> None:
    """The same calls to llama.cpp's own server (llama-cpp-python[server]) on `gguf`, one
    reply token each: the prompt tokens it reports (usage) and the prefix its cache kept,
    as its log says ("N prefix-match hit, remaining M prompt tokens to eval")."""
    import re

    import httpx

    from tests.llamacpp_server import ALIAS, LlamaServer, free_port

    server = LlamaServer(gguf, free_port(), log, n_ctx=CONTEXT_SERVER)
    server.start(timeout=600)
    try:
        print(f"\nllama.cpp's server ({gguf.name}, one thread, one reply token each)")
        for what, prompt in prompts:
            start, seen = time.monotonic(), log.read_text(errors="replace")
            body = {"model": ALIAS, "max_tokens": 1, "temperature": 0,
                    "messages": [{"role": "user", "content": prompt}]}
            reply = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=900)
            reply.raise_for_status()
            tokens = reply.json()["usage"]["prompt_tokens"]
            new = log.read_text(errors="replace")[len(seen):]
            hit = re.findall(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens", new)
            kept = int(hit[-1][0]) if hit else 0
            print(f"  {what:24} prompt {tokens:6}  cached {kept:6} ({kept / tokens:5.1%})  "
                  f"{time.monotonic() - start:6.1f} s")
    finally:
        server.kill()


CONTEXT_SERVER = 32768


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qwen", type=Path, help="a Qwen2.5 GGUF: count its tokens too")
    ap.add_argument("--no-kernel", action="store_true")
    ap.add_argument("--server", type=Path, help="a GGUF for llama.cpp's server: its cache too")
    ap.add_argument("--window", type=int, default=8192, help="the brain's context (tokens)")
    ap.add_argument("--chain", choices=("tools", "small"), default="tools",
                    help="tools: PLAN, three tool rounds, an L2 turn (the defaults); small: "
                         "the settings init writes for a pinned small model (tools off)")
    args = ap.parse_args()
    print(f"load {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}, "
          f"{os.cpu_count()} CPUs")
    from tokenizers import Tokenizer

    from kernel.plain import default_cache_root, dequantized_dir, embedded_model_path

    tokenizers = {"SmolLM2 (embedded)": Tokenizer.from_file(str(dequantized_dir(
        embedded_model_path(), default_cache_root()) / "tokenizer.json"))}
    if args.qwen:
        from kernel.gguf_file import GgufFile
        from kernel.gguf_tokenizer import gguf_tokenizer

        tokenizers["Qwen2.5-Coder"] = gguf_tokenizer(GgufFile(args.qwen))
    edit, whole = replies(CALENDAR.read_text())
    for name, tok in tokenizers.items():
        ids = [tok.encode(t) for t in (edit, whole)]
        counts = [len(x.ids if hasattr(x, "ids") else x) for x in ids]
        print(f"{name}: one-line fix of calendar.py ({len(CALENDAR.read_text().splitlines())}"
              f" lines): edits {counts[0]} tokens, whole file {counts[1]} tokens")
    tools = args.chain == "tools"
    room = window.prompt_tokens(args.window, 1024, tools=tools)
    budget = room * window.FIT_CHARS_PER_TOKEN - (len(tool_instructions()) if tools else 0)
    with tempfile.TemporaryDirectory() as tmp:
        root = repository(Path(tmp) / "repo")

        def chain(fmt: CallFormat) -> list[tuple[str, str]]:
            return calls(root, budget, fmt) if tools else small_calls(root, budget)
        for name, tok in tokenizers.items():
            table(name, tok, chain(CallFormat.HERMES if "Qwen" in name
                                   else CallFormat.JSON_LINE))
        if not args.no_kernel:
            kernel_hits(chain(CallFormat.JSON_LINE))
        if args.server:
            server_hits(args.server, chain(CallFormat.HERMES if "qwen" in
                                           args.server.name.lower() else CallFormat.JSON_LINE),
                        Path(tmp) / "server.log")


if __name__ == "__main__":
    main()
