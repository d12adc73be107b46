"""Native tool calls through the HTTP providers: each kind against a real `ouroboros serve`
(the tiny Ouro checkpoint under the grammar when a call is required, ScriptedEngine, the
named stand-in for the model, where the model chooses), the real tool loop driven by an
HttpProvider against serve, and a stand-in server, clearly named, for the malformed and
hostile tool-call frames the real one never sends."""

from __future__ import annotations

import json
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from daemon.brains.providers import build_provider
from daemon.config.settings import Settings
from governance.brains.provider import ReplyShape
from governance.git.gitops import GitOps
from kernel.http.apis import http_provider
from kernel.http.providers import ProviderFailure
from kernel.http.tools import MAX_TOOLS, tool_specs
from tests.daemon.scripted_engine import ScriptedEngine
from tests.daemon.serve.serve_helpers import running, serving, tiny_chat_checkpoint, tiny_engine
from tests.helpers import http_config, loop_limits, tool_env, tool_loop
from tools.policy import PolicyContext
from tools.toolcalls import ToolCall, call_schema, parse_tool_calls
from tools.workspace import Workspace

KINDS = ["ollama", "openai", "anthropic"]
PARIS = {"type": "object", "properties": {"city": {"enum": ["Paris"]}}, "required": ["city"],
         "additionalProperties": False}
LINE = json.dumps({"tool": "get_weather", "arguments": {"city": "Paris"}})
MUST_CALL = ReplyShape("calls", lines=(call_schema("get_weather", PARIS),))
MAY_CALL = ReplyShape("round", lines=MUST_CALL.lines, prose=True)
KEY = "sk-test-0123456789abcdef"


def _provider(kind: str, url: str, **changes):
    base = f"{url}/v1" if kind == "openai" else url
    return http_provider(http_config(**{"kind": kind, "base_url": base,
                                        "model": "ouroboros", "max_tokens": 64, **changes}))


def _deadline() -> float:
    return time.monotonic() + 60


@pytest.fixture(scope="module")
def engine():
    return tiny_engine(tiny_chat_checkpoint())


@pytest.fixture(scope="module")
def served(engine):
    with running(engine) as (url, _):
        yield url


@pytest.fixture(scope="module")
def scripted():
    # 8k context: the tool loop's prompt and the manifest's tools are ~2k tokens
    stand_in = ScriptedEngine(tiny_engine(tiny_chat_checkpoint(max_position_embeddings=8192)))
    with running(stand_in) as (url, _):
        yield url, stand_in


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_required_call_from_the_real_kernel(served, kind):
    provider = _provider(kind, served)
    reply = await provider.generate("Weather in Paris?", deadline=_deadline(), shape=MUST_CALL)
    await provider.aclose()
    calls, bad = parse_tool_calls(reply.text)
    assert calls and not bad
    assert all(c == ToolCall("get_weather", {"city": "Paris"}) for c in calls)
    assert reply.telemetry["native_tool_calls"] == len(calls)
    assert reply.telemetry["finish_reason"] == ("tool_calls" if kind == "openai"
                                                else "tool_use")


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
async def test_native_calls_come_back_as_tool_lines(scripted, kind):
    url, stand_in = scripted
    stand_in.script(f"Checking.\n{LINE}\n", f"Checking.\n{LINE}\n")
    provider = _provider(kind, url)
    reply = await provider.generate("Weather in Paris?", deadline=_deadline(), shape=MAY_CALL)
    assert reply.text == f"Checking.\n{LINE}"  # the prose, then the canonical line
    assert parse_tool_calls(reply.text) == ([ToolCall("get_weather", {"city": "Paris"})], [])
    assert "get_weather" in stand_in.seen[0][0]["content"]  # serve got native tools
    await provider.aclose()
    off = _provider(kind, url, native_tools=False)  # text only, as before
    text = (await off.generate("Weather?", deadline=_deadline(), shape=MAY_CALL)).text
    assert text == f"Checking.\n{LINE}\n"
    assert all("get_weather" not in m["content"] for m in stand_in.seen[1])
    await off.aclose()


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
async def test_the_tool_loop_runs_a_native_round_through_serve(scripted, repo, kind):
    url, stand_in = scripted
    read = json.dumps({"tool": "read_file", "arguments": {"path": "calc/ops.py"}})
    stand_in.script(read, "final answer")
    ws = Workspace.create(repo, repo / ".ouroboros" / "sandboxes" / "op-http", ["calc/ops.py"],
                          ".ouroboros")
    events: list = []

    async def on_tool(e):
        events.append(e)

    loop = tool_loop(tool_env(workspace=ws, git=GitOps(repo),
                                        state_rel=".ouroboros", hidden=[]),
                               PolicyContext(ws.root, ".ouroboros"), loop_limits(),
                               on_tool=on_tool)
    provider = _provider(kind, url)
    reply = await loop.run(provider, "goal", deadline=_deadline())
    await provider.aclose()
    assert reply.text == "final answer" and reply.telemetry["rounds"] == 2
    assert [(e.tool, e.verdict) for e in events] == [("read_file", "ok")]
    assert "read_file" in stand_in.seen[0][0]["content"]  # the manifest went as tools
    assert "def clamp" in stand_in.seen[1][-1]["content"]  # the result came back


async def test_native_tools_is_a_per_provider_knob(tmp_path):
    settings = Settings.model_validate({"provider": {"name": "none", "http": [
        {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m",
         "native_tools": False},
        {"kind": "anthropic", "base_url": "http://127.0.0.1:9", "model": "m"}]}})
    chain, why = await build_provider(settings, tmp_path)
    assert why == "" and chain.takes_shape  # the chain hands shapes on to them
    assert [p.config.native_tools for p in chain.providers] == [False, True]
    with pytest.raises(ValueError, match="native_tools"):
        Settings.model_validate({"provider": {"http": [
            {"kind": "ollama", "base_url": "http://x", "model": "m", "native_tools": "maybe"}]}})


def test_tool_specs_from_shapes():
    nested = {"type": "object", "properties": {"p": {"$ref": "#/$defs/P"}},
              "$defs": {"P": {"type": "string"}}, "description": "Read a file"}
    specs = tool_specs((call_schema("read", nested), call_schema("bad name", PARIS),
                        call_schema("listy", {"type": "array"}), {"not": "a call"},
                        call_schema("big", {"type": "object", "description": "x" * 70_000}),
                        call_schema("read", PARIS)))
    assert [s.name for s in specs] == ["read"]  # the rest left out, the repeat too
    assert specs[0].parameters["$defs"] == {"P": {"type": "string"}}
    assert specs[0].description == "Read a file"
    many = tuple(call_schema(f"t{i}", PARIS) for i in range(300))
    assert len(tool_specs(many)) == MAX_TOOLS
    secret = tool_specs((call_schema("s", {"type": "object", "description": KEY}),),
                        secret=KEY)
    assert KEY not in json.dumps(secret[0].parameters) and KEY not in secret[0].description


class StandInServer:
    """Not `serve`: answers every chat route with `self.chunks` and keeps each request's
    body, for tool-call frames the real server never sends."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.bodies: list[bytes] = []
        self.refuse_tools = False  # answer a request with tools as Ollama does for a model
        # without tool support


    def app(self) -> Starlette:
        paths = ("/api/chat", "/v1/chat/completions", "/v1/messages")
        return Starlette(routes=[Route(p, self.answer, methods=["POST"]) for p in paths])

    async def answer(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        if self.refuse_tools and "tools" in json.loads(self.bodies[-1]):
            return Response(json.dumps({"error": "registry.ollama.ai/library/gemma:2b does "
                                                 "not support tools"}), 400)
        chunks = list(self.chunks)

        async def body():
            for chunk in chunks:
                yield chunk

        return StreamingResponse(body())


@pytest.fixture(scope="module")
def stand_in():
    server = StandInServer()
    with serving(server.app()) as url:
        yield server, url


def _ollama(*calls) -> list[bytes]:
    frame = {"message": {"content": "", "tool_calls": list(calls)}, "done": False}
    done = {"message": {"content": ""}, "done": True, "done_reason": "stop",
            "prompt_eval_count": 1, "eval_count": 1}
    return [json.dumps(frame).encode() + b"\n", json.dumps(done).encode() + b"\n"]


def _openai(*items) -> list[bytes]:
    frames = [{"choices": [{"delta": {"tool_calls": [item]}}]} for item in items]
    frames.append({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    return [f"data: {json.dumps(f)}\n\n".encode() for f in frames] + [b"data: [DONE]\n\n"]


def _anthropic(name: str, *fragments: str) -> list[bytes]:
    events = [("message_start", {"message": {"usage": {"input_tokens": 1}}}),
              ("content_block_start", {"index": 1, "content_block": {
                  "type": "tool_use", "id": "t", "name": name, "input": {}}}),
              *(("content_block_delta", {"index": 1, "delta": {
                  "type": "input_json_delta", "partial_json": f}}) for f in fragments),
              ("message_delta", {"delta": {"stop_reason": "tool_use"},
                                 "usage": {"output_tokens": 1}}),
              ("message_stop", {})]
    return [f"event: {e}\ndata: {json.dumps(d)}\n\n".encode() for e, d in events]


def _fn(name, arguments):
    return {"function": {"name": name, "arguments": arguments}}


def _item(index, name=None, arguments=None):
    return {"index": index, "function": {"name": name, "arguments": arguments}}


DEEP = json.loads("[" * 500 + "]" * 500)
MALFORMED = {  # (kind, frames, the tool loop's reading of the reply: malformed reason or call)
    "ollama arguments not JSON": ("ollama", _ollama(_fn("f", "{bad")), "must be a JSON object"),
    "ollama arguments a list": ("ollama", _ollama(_fn("f", [1, 2])), "must be a JSON object"),
    "ollama no name": ("ollama", _ollama(_fn("", {})), "non-empty string"),
    "openai fragments not JSON": ("openai", _openai(_item(0, "f", '{"a": '), _item(0, None, "]")),
                                  "must be a JSON object"),
    "anthropic partial_json broken": ("anthropic", _anthropic("f", '{"a":', ' 1'),
                                      "must be a JSON object"),
    "openai fragments reassembled": ("openai", _openai(_item(0, "rea", '{"pa'),
                                                       _item(0, "d_file", 'th": "x.py"}')),
                                     ToolCall("read_file", {"path": "x.py"})),
    "anthropic name with newline and quotes": ("anthropic", _anthropic('a\n"b', '{}'),
                                               ToolCall('a\n"b', {})),
    "unknown tool": ("ollama", _ollama(_fn("no_such_tool", {"x": 1})),
                     ToolCall("no_such_tool", {"x": 1})),
    "ollama deeply nested arguments": ("ollama", _ollama(_fn("f", DEEP)), "must be a JSON object"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_native_calls_reach_the_tool_loop_as_such(stand_in, case):
    server, url = stand_in
    kind, server.chunks, expected = MALFORMED[case]
    provider = _provider(kind, url)
    reply = await provider.generate("x", deadline=_deadline(), shape=MAY_CALL)
    await provider.aclose()
    assert len(reply.text.splitlines()) == 1  # one call, one line
    calls, bad = parse_tool_calls(reply.text)
    if isinstance(expected, ToolCall):
        assert (calls, bad) == ([expected], [])
    else:
        assert calls == [] and len(bad) == 1 and expected in bad[0].reason


HOSTILE = {  # (kind, frames, why): each must end in a clean SERVER_ERROR saying why
    "openai 10 MB of arguments": ("openai", _openai(_item(0, "f", ""), *[
        _item(0, None, "x" * 65536) for _ in range(160)]), "arguments passed 1048576"),
    "anthropic 10 MB of input": ("anthropic", _anthropic("f", *["x" * 65536] * 160),
                                 "arguments passed 1048576"),
    "openai 5 calls of 0.9 MB": ("openai", _openai(*[
        _item(i, "f", "x" * 60000) for i in range(5) for _ in range(15)]),
        "tool calls passed 4194304"),
    "openai 10,000 calls": ("openai", _openai(*[_item(i, "f", "{}") for i in range(10_000)]),
                            "more than 64 tool calls"),
    "ollama 10,000 calls in a frame": ("ollama", _ollama(*[_fn("f", {})] * 10_000),
                                       "at most 64"),
    "ollama 100 frames of one call": ("ollama", _ollama(_fn("f", {}))[:1] * 100,
                                      "more than 64 tool calls"),
    "openai index a string": ("openai", _openai(_item("0", "f", "{}")), "not a small integer"),
    "openai negative index": ("openai", _openai(_item(-1, "f", "{}")), "not a small integer"),
    "openai arguments an object": ("openai", _openai(_item(0, "f", {"a": 1})),
                                   "fragment is not text"),
    "openai tool_calls not a list": ("openai", [
        b'data: {"choices": [{"delta": {"tool_calls": {"a": 1}}, "finish_reason": "stop"}]}\n\n'],
        "is not a list"),
    "ollama tool_calls a string": ("ollama", [
        b'{"message": {"content": "", "tool_calls": "rm -rf /"}, "done": true}\n'], "at most 64"),
    "a 100 kB tool name": ("ollama", _ollama(_fn("n" * 100_000, {})), "over 256 characters"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_tool_call_frames_are_server_errors(stand_in, case):
    server, url = stand_in
    kind, server.chunks, why = HOSTILE[case]
    provider = _provider(kind, url)
    started = time.monotonic()
    with pytest.raises(ProviderFailure) as err:
        await provider.generate("x", deadline=_deadline(), shape=MAY_CALL)
    await provider.aclose()
    assert err.value.mode == "SERVER_ERROR" and why in str(err.value), str(err.value)
    assert len(str(err.value)) < 500 and time.monotonic() - started < 20


@pytest.mark.parametrize("kind", KINDS)
async def test_tools_in_the_request_never_carry_the_key(stand_in, kind):
    server, url = stand_in
    server.chunks = MALFORMED[{"ollama": "unknown tool", "openai": "openai fragments reassembled",
                               "anthropic": "anthropic partial_json broken"}[kind]][1]
    leaky = ReplyShape("round", prose=True, lines=(
        call_schema("echo", {"type": "object", "description": f"key {KEY}"}),
        call_schema("get_weather", PARIS)))
    provider = http_provider(http_config(
        kind=kind, base_url=f"{url}/v1" if kind == "openai" else url, model="m",
        api_key_env="OURO_TEST_KEY"), environ={"OURO_TEST_KEY": KEY})
    await provider.generate("x", deadline=_deadline(), shape=leaky)
    await provider.aclose()
    body = json.loads(server.bodies[-1])
    assert KEY.encode() not in server.bodies[-1]
    names = [t.get("name") or t["function"]["name"] for t in body["tools"]]
    assert names == ["echo", "get_weather"]
    choice = body.get("tool_choice")
    assert choice == {"ollama": None, "openai": "auto", "anthropic": {"type": "auto"}}[kind]


async def test_a_server_that_refuses_tools_is_asked_again_without(stand_in):
    server, url = stand_in
    text = {"message": {"content": LINE}, "done": True, "done_reason": "stop",
            "prompt_eval_count": 1, "eval_count": 1}
    server.chunks, server.refuse_tools = [json.dumps(text).encode() + b"\n"], True
    provider = _provider("ollama", url)
    try:
        before = len(server.bodies)
        reply = await provider.generate("x", deadline=_deadline(), shape=MAY_CALL)
        assert parse_tool_calls(reply.text)[0] == [ToolCall("get_weather", {"city": "Paris"})]
        assert "does not support tools" in reply.telemetry["native_tools_refused"]
        await provider.generate("x", deadline=_deadline(), shape=MAY_CALL)
        sent = [json.loads(b) for b in server.bodies[before:]]
        assert ["tools" in b for b in sent] == [True, False, False]  # asked once, then never
    finally:
        server.refuse_tools = False
        await provider.aclose()


@pytest.mark.slow
def test_the_tool_rounds_native_tools_carry_each_tools_own_description():
    from tests.helpers import loop_limits
    from tools.builtin import MANIFEST

    shape = tool_loop(env=None, policy=None, limits=loop_limits())._shape(False)
    specs = {s.name: s for s in tool_specs(shape.lines)}
    assert set(specs) == {s.name for s in MANIFEST}
    for tool in MANIFEST:
        assert specs[tool.name].description == tool.description[:1024]
