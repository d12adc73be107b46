"""Tool calls as models really write them (tools.toolcalls): Qwen/Hermes <tool_call> blocks,
fenced JSON, Mistral's [TOOL_CALLS], Llama 3's line and the daemon's own lines, from any reply
text; and the one form each model family is told."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from governance.brains.brain_names import model_names
from tools.toolcalls import (
    FORMATS,
    CallFormat,
    ToolCall,
    call_format_of,
    format_for,
    parse_tool_calls,
)
from tools.transcript import calling, tool_instructions

# Qwen2.5-Coder-1.5B-Instruct through llama.cpp's server, tools in its prompt: the block
# stays in `content` (the server does not turn it into tool_calls).
QWEN_CONTENT = """I'll start by reading the parser to find where the format is set.
<tool_call>
{"name": "read_file", "arguments": {"path": "sqlparse/formatter.py"}}
</tool_call>
<tool_call>
{"name": "search_code", "arguments": {"pattern": "def validate_options"}}
</tool_call>"""

# Hermes 2 Pro's form, one block, arguments on several lines
HERMES_MULTILINE = """<tool_call>
{"arguments": {"path": "src/app.py",
               "start_line": 1},
 "name": "read_file"}
</tool_call>"""

# A small model asked for the daemon's lines wrapping one in a fence with prose around it
FENCED_OURS = """Let me look at the file first.
```json
{"tool": "read_file", "arguments": {"path": "calc/ops.py"}}
```
Then I will fix clamp."""

# A fenced, pretty-printed call in the Hermes keys (Qwen without the tags)
FENCED_PRETTY = """```json
{
  "name": "list_dir",
  "arguments": {
    "path": "src"
  }
}
```"""

MISTRAL = '[TOOL_CALLS] [{"name": "read_file", "arguments": {"path": "a.py"}}, ' \
          '{"name": "git_log", "arguments": {}}]'
LLAMA3 = '<|python_tag|>{"name": "read_file", "parameters": {"path": "a.py"}}'
OPENAI_STRING_ARGS = '<tool_call>\n{"name": "read_file", "arguments": "{\\"path\\": \\"a.py\\"}"}' \
                     '\n</tool_call>'


@pytest.mark.parametrize(("text", "want"), [
    (QWEN_CONTENT, [ToolCall("read_file", {"path": "sqlparse/formatter.py"}),
                    ToolCall("search_code", {"pattern": "def validate_options"})]),
    (HERMES_MULTILINE, [ToolCall("read_file", {"path": "src/app.py", "start_line": 1})]),
    (FENCED_OURS, [ToolCall("read_file", {"path": "calc/ops.py"})]),
    (FENCED_PRETTY, [ToolCall("list_dir", {"path": "src"})]),
    (MISTRAL, [ToolCall("read_file", {"path": "a.py"}), ToolCall("git_log", {})]),
    (LLAMA3, [ToolCall("read_file", {"path": "a.py"})]),
    (OPENAI_STRING_ARGS, [ToolCall("read_file", {"path": "a.py"})]),
    ('{"tool": "read_file", "arguments": {"path": "a.py"}}\n'
     '{"tool": "git_log", "arguments": {}}', [ToolCall("read_file", {"path": "a.py"}),
                                             ToolCall("git_log", {})]),
])
def test_every_form_is_read(text, want):
    assert parse_tool_calls(text) == (want, [])


def test_forms_mixed_in_one_reply_keep_their_order_and_none_is_read_twice():
    text = ('{"tool": "list_dir", "arguments": {"path": "."}}\n' + QWEN_CONTENT
            + "\n```tool\n" + '{"tool": "git_log", "arguments": {}}\n' + "```")
    calls, bad = parse_tool_calls(text)
    assert [c.name for c in calls] == ["list_dir", "read_file", "search_code", "git_log"]
    assert bad == []


def test_a_broken_call_in_any_form_is_malformed_not_dropped():
    for text in ('<tool_call>\n{"name": "read_file", "arguments": {"path": \n</tool_call>',
                 "<tool_call>\n" + '{"arguments": {"path": "a"}}' + "\n</tool_call>",
                 '[TOOL_CALLS] [{"name": "read_file", "arguments": [1]}]',
                 '{"tool": "read_file", "arguments": "not an object"}',
                 "```json\n{\n  \"tool\": \"read_file\",\n  \"arguments\": {\n```"):
        calls, bad = parse_tool_calls(text)
        assert calls == [] and len(bad) == 1, text


def test_an_unclosed_block_cut_by_a_stop_token_is_still_read():
    assert parse_tool_calls('<tool_call>\n{"name": "git_log", "arguments": {}}') == (
        [ToolCall("git_log", {})], [])


def test_a_final_candidate_is_no_tool_call():
    final = ('```json\n{"schema": "candidate.1", "file_path": "a.py", "edits": [{"search": '
             '"x = 1", "replace": "x = 2"}], "rationale": "name: arguments"}\n```')
    assert parse_tool_calls(final) == ([], [])
    assert parse_tool_calls('{"schema": "plan.1", "approach": "a", "ordered_changes": []}') \
        == ([], [])


@pytest.mark.parametrize(("names", "fmt"), [
    (["qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"], CallFormat.HERMES),
    (["Qwen/Qwen2.5-Coder-7B-Instruct"], CallFormat.HERMES),
    (["hermes-3-llama-3.1-8b"], CallFormat.HERMES),  # the first family that matches
    (["meta-llama/Llama-3.1-8B-Instruct"], CallFormat.LLAMA3),
    (["mistralai/Devstral-Small-2505"], CallFormat.MISTRAL),
    (["smollm2-135m-instruct"], CallFormat.JSON_LINE),
    (["gpt-4o-mini"], CallFormat.JSON_LINE),
])
def test_each_family_is_told_the_form_it_was_trained_on(names, fmt):
    assert format_for(names) is fmt
    said = calling(fmt)
    assert FORMATS[fmt] in said
    example = FORMATS[fmt].split("e.g.")[1]  # the example it is shown reads back as a call
    assert parse_tool_calls(example) == ([ToolCall("read_file", {"path": "src/app.py"})], [])


def test_the_model_name_is_read_through_the_reflex_and_the_route():
    http = SimpleNamespace(name="llamacpp", config=SimpleNamespace(model="qwen"))
    kernel = SimpleNamespace(name="kernel", engine=SimpleNamespace(name="smollm2-135m"))
    chain = SimpleNamespace(providers=[kernel, http], asked=lambda idx: [1, 0])
    routed = SimpleNamespace(name="llamacpp+kernel", chain=chain, indices=[0, 1])
    watched = SimpleNamespace(name=routed.name, inner=routed)
    assert model_names(watched)[:2] == ["qwen", "llamacpp"]
    assert format_for(model_names(watched)) is CallFormat.HERMES
    assert format_for(model_names(SimpleNamespace(name="replay"))) is CallFormat.JSON_LINE
    assert call_format_of(watched) is CallFormat.HERMES
    # the kernel decoding its tool rounds under its grammar writes the daemon's lines
    qwen_kernel = SimpleNamespace(name="kernel", engine=SimpleNamespace(name="qwen2.5-coder"),
                                  constrain=True, grammars=object())
    assert call_format_of(SimpleNamespace(name="k", inner=qwen_kernel)) is CallFormat.JSON_LINE
    qwen_kernel.constrain = False
    assert call_format_of(SimpleNamespace(name="k", inner=qwen_kernel)) is CallFormat.HERMES


def test_the_manifest_is_the_same_for_every_brain_and_says_no_form():
    manifest = tool_instructions()
    assert "read_file(" in manifest and "<tool_call>" not in manifest
    assert '{"tool"' not in manifest
