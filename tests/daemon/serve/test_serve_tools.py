"""`ouroboros serve` answers `tools` with native tool calls, driven by the official clients.

A call the client requires (OpenAI tool_choice "required", Anthropic {"type": "any"}) is
decoded by the real tiny Ouro checkpoint under the grammar of the tool's line: it comes
back as the API's own tool call with arguments that follow the schema. Where the model
chooses (auto, and Ollama's API, which has no choice), ScriptedEngine (the named stand-in
for the model) writes prose and a tool line, and each API must split them: the prose as
content, the call native, streamed or not. Tool results and earlier calls a client sends
back reach the kernel as text.
"""

from __future__ import annotations

import json

import anthropic
import httpx
import ollama
import openai
import pytest

from tests.daemon.scripted_engine import ScriptedEngine
from tests.daemon.serve.serve_helpers import running, tiny_chat_checkpoint, tiny_engine

pytestmark = pytest.mark.slow  # a served model per module

PARIS = {"type": "object", "properties": {"city": {"enum": ["Paris"]}}, "required": ["city"],
         "additionalProperties": False}
OPENAI_TOOL = {"type": "function", "function": {"name": "get_weather",
                                                "description": "The weather in a city now",
                                                "parameters": PARIS}}
ANTHROPIC_TOOL = {"name": "get_weather", "description": "The weather in a city now",
                  "input_schema": PARIS}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
LINE = json.dumps({"tool": "get_weather", "arguments": {"city": "Paris"}})
SCRIPT = f"Let me look that up.\n{LINE}\n"


@pytest.fixture(scope="module")
def engine():
    return tiny_engine(tiny_chat_checkpoint())


@pytest.fixture(scope="module")
def served(engine):
    with running(engine) as (url, model):
        yield url, model


@pytest.fixture(scope="module")
def scripted(engine):
    stand_in = ScriptedEngine(engine)
    with running(stand_in) as (url, _):
        yield url, stand_in


def test_openai_required_call_from_the_real_kernel(served):
    url, _ = served
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused")
    reply = client.chat.completions.create(model="ouroboros", messages=ASK, max_tokens=64,
                                           tools=[OPENAI_TOOL], tool_choice="required")
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert (call.type, call.function.name) == ("function", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id.startswith("call_")
    assert reply.model_extra["ouroboros"]["grammar"]["outcome"] == "complete"
    chunks = list(client.chat.completions.create(
        model="ouroboros", messages=ASK, max_tokens=64, tools=[OPENAI_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, stream=True))
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert deltas and deltas[0].function.name == "get_weather"
    assert json.loads(deltas[0].function.arguments) == {"city": "Paris"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_anthropic_required_call_from_the_real_kernel(served):
    url, _ = served
    client = anthropic.Anthropic(base_url=url, api_key="unused")
    message = client.messages.create(model="ouroboros", max_tokens=64, messages=ASK,
                                     tools=[ANTHROPIC_TOOL], tool_choice={"type": "any"})
    uses = [b for b in message.content if b.type == "tool_use"]
    assert message.stop_reason == "tool_use"
    assert (uses[0].name, uses[0].input) == ("get_weather", {"city": "Paris"})
    with client.messages.stream(model="ouroboros", max_tokens=64, messages=ASK,
                                tools=[ANTHROPIC_TOOL],
                                tool_choice={"type": "tool", "name": "get_weather"}) as stream:
        final = stream.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    assert final.stop_reason == "tool_use" and uses[0].input == {"city": "Paris"}


def test_ollama_client_gets_native_calls(scripted):
    url, stand_in = scripted
    client = ollama.Client(host=url)
    tool = {**OPENAI_TOOL, "function": {**OPENAI_TOOL["function"],
                                        "parameters": {"type": "object", "properties": {
                                            "city": {"type": "string"}}}}}
    stand_in.script(SCRIPT, SCRIPT)
    reply = client.chat(model="ouroboros", messages=ASK, tools=[tool])
    assert reply.message.content == "Let me look that up.\n"
    (call,) = reply.message.tool_calls
    assert (call.function.name, call.function.arguments) == ("get_weather", {"city": "Paris"})
    chunks = list(client.chat(model="ouroboros", messages=ASK, tools=[tool], stream=True))
    calls = [tc for c in chunks for tc in c.message.tool_calls or []]
    assert [(c.function.name, c.function.arguments) for c in calls] == \
        [("get_weather", {"city": "Paris"})]
    assert "".join(c.message.content for c in chunks) == "Let me look that up.\n"
    assert chunks[-1].done
    system = stand_in.seen[0][0]
    assert system["role"] == "system" and "get_weather" in system["content"]
    stand_in.script("It is sunny.")  # the call's result goes back; the kernel reads it
    client.chat(model="ouroboros", tools=[tool], messages=[
        *ASK, {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "18 C, sunny", "tool_name": "get_weather"}])
    turns = stand_in.seen[0]
    assert turns[-2] == {"role": "assistant", "content": LINE}
    assert turns[-1] == {"role": "tool", "content": "Tool result (get_weather):\n18 C, sunny"}


def test_openai_prose_and_a_call_and_tool_results(scripted):
    url, stand_in = scripted
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused")
    stand_in.script(SCRIPT, SCRIPT, "It is sunny.")
    reply = client.chat.completions.create(model="ouroboros", messages=ASK,
                                           tools=[OPENAI_TOOL])
    message = reply.choices[0].message
    assert message.content == "Let me look that up.\n"
    assert json.loads(message.tool_calls[0].function.arguments) == {"city": "Paris"}
    chunks = list(client.chat.completions.create(model="ouroboros", messages=ASK,
                                                 tools=[OPENAI_TOOL], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Let me look that up.\n"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    client.chat.completions.create(model="ouroboros", tools=[OPENAI_TOOL], messages=[
        *ASK, {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"}])
    turns = stand_in.seen[-1]
    assert turns[-2] == {"role": "assistant", "content": LINE}
    assert turns[-1]["content"] == "Tool result (get_weather):\n18 C, sunny"


def test_anthropic_prose_and_a_call_and_tool_results(scripted):
    url, stand_in = scripted
    client = anthropic.Anthropic(base_url=url, api_key="unused")
    stand_in.script(SCRIPT, SCRIPT, "It is sunny.")
    message = client.messages.create(model="ouroboros", max_tokens=64, messages=ASK,
                                     tools=[ANTHROPIC_TOOL])
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[0].text == "Let me look that up.\n"
    assert message.content[1].input == {"city": "Paris"} and message.stop_reason == "tool_use"
    with client.messages.stream(model="ouroboros", max_tokens=64, messages=ASK,
                                tools=[ANTHROPIC_TOOL]) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert final.content[1].input == {"city": "Paris"}
    client.messages.create(model="ouroboros", max_tokens=64, tools=[ANTHROPIC_TOOL], messages=[
        *ASK, {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
             "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": "18 C, sunny"}]}])
    turns = stand_in.seen[-1]
    assert turns[-2] == {"role": "assistant", "content": LINE}
    assert turns[-1] == {"role": "user", "content": "Tool result (get_weather):\n18 C, sunny"}


def test_calls_to_undeclared_tools_and_malformed_lines_stay_prose(scripted):
    url, stand_in = scripted
    odd = ('{"tool": "rm_rf", "arguments": {}}\n{"tool": "get_weather", "arguments": [1]}\n'
           'see {"tool": "get_weather", "arguments": {}}')
    stand_in.script(odd, odd)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused")
    reply = client.chat.completions.create(model="ouroboros", messages=ASK,
                                           tools=[OPENAI_TOOL])
    assert reply.choices[0].message.content == odd
    assert not reply.choices[0].message.tool_calls
    assert reply.choices[0].finish_reason == "stop"
    chunks = list(client.chat.completions.create(model="ouroboros", messages=ASK,
                                                 tools=[OPENAI_TOOL], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == odd


BAD_TOOLS = {  # (path, body changes): each refused with 400, nothing generated
    "name with a newline": ("/v1/chat/completions", {"tools": [
        {"type": "function", "function": {"name": "a\nb", "parameters": PARIS}}]}),
    "parameters not an object": ("/v1/chat/completions", {"tools": [
        {"type": "function", "function": {"name": "f", "parameters": [1]}}]}),
    "choice names no tool": ("/v1/chat/completions", {"tools": [OPENAI_TOOL], "tool_choice": {
        "type": "function", "function": {"name": "nope"}}}),
    "required without tools": ("/v1/chat/completions", {"tool_choice": "required"}),
    "a tool twice": ("/v1/messages", {"tools": [ANTHROPIC_TOOL, ANTHROPIC_TOOL]}),
    "200 tools": ("/v1/messages", {"tools": [{**ANTHROPIC_TOOL, "name": f"t{i}"}
                                             for i in range(200)]}),
    "a 40k schema": ("/api/chat", {"tools": [{"type": "function", "function": {
        "name": "big", "parameters": {"type": "object", "description": "x" * 40_000}}}]}),
}


@pytest.mark.parametrize("case", list(BAD_TOOLS))
def test_unusable_tools_are_refused_in_the_apis_shape(scripted, case):
    url, stand_in = scripted
    path, changes = BAD_TOOLS[case]
    body = {"model": "ouroboros", "messages": ASK, "max_tokens": 8, "stream": False,
            **changes}
    stand_in.script()
    response = httpx.post(f"{url}{path}", json=body, timeout=30)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert isinstance(error, str if path == "/api/chat" else dict)
    assert stand_in.seen == []


HOSTILE_SCHEMAS = {  # each still answered (constrained, loosened or unconstrained), never 500
    "recursive ref": {"type": "object", "properties": {"a": {"$ref": "#"}}},
    "dangling ref": {"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}},
    "catastrophic pattern": {"type": "object", "properties": {
        "a": {"type": "string", "pattern": "(a+)+$"}}, "required": ["a"]},
    "unsatisfiable": {"type": "object", "allOf": [{"required": ["a"]},
                                                  {"properties": {"a": False}}]},
    "30 required properties": {"type": "object", "required": [f"p{i}" for i in range(30)]},
}


@pytest.mark.parametrize("case", list(HOSTILE_SCHEMAS))
def test_hostile_schemas_under_a_required_call(served, case):
    url, _ = served
    tool = {"type": "function", "function": {"name": "f", "parameters": HOSTILE_SCHEMAS[case]}}
    response = httpx.post(f"{url}/v1/chat/completions", timeout=60, json={
        "model": "ouroboros", "messages": ASK, "max_tokens": 16, "tools": [tool],
        "tool_choice": "required"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["choices"][0]["finish_reason"] in ("tool_calls", "length", "stop")
    assert body["ouroboros"]["grammar"]["outcome"] in ("complete", "cut", "error")
