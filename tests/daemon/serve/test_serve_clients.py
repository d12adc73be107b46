"""`ouroboros serve` driven by the official ollama, openai and anthropic Python clients.

A real uvicorn server on an ephemeral loopback port serves a tiny random Ouro checkpoint
(greedy, 8 tokens by default): the same conversation must come back as the same text
through every API, streamed or not, with the kernel's telemetry where each API puts it.
The embedded model is served once by the real CLI in a subprocess.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import anthropic
import httpx
import ollama
import openai
import pytest

from tests.daemon.serve.serve_helpers import running, tiny_chat_checkpoint, tiny_engine

pytestmark = pytest.mark.slow  # a served model per module

PROMPT = [{"role": "user", "content": "Name one prime number."}]


@pytest.fixture(scope="module")
def served():
    engine = tiny_engine(tiny_chat_checkpoint())
    with running(engine) as (url, model):
        yield url, model


@pytest.fixture(scope="module")
def reference(served) -> str:
    """The model's answer to PROMPT, through the raw Ollama API."""
    url, _ = served
    reply = httpx.post(f"{url}/api/chat", json={"model": "ouroboros", "messages": PROMPT,
                                                "stream": False}, timeout=60).json()
    assert reply["done"] and reply["eval_count"] == 8
    assert reply["message"]["content"].strip()
    return reply["message"]["content"]


def _telemetry_ok(t: dict, exit_reason: str = "length") -> None:
    assert t["exit_reason"] == exit_reason
    assert t["mean_depth"] == t["total_steps"] == 4  # fast mode runs every loop step
    assert 0.0 <= t["canary_max_proximity"] <= 1.0
    assert 0.0 <= t["collapse_proximity"] <= 1.0
    assert t["queue_ms"] >= 0


def test_ollama_client(served, reference):
    url, _ = served
    client = ollama.Client(host=url)
    reply = client.chat(model="ouroboros", messages=PROMPT)
    assert reply.message.content == reference
    assert (reply.done, reply.done_reason, reply.eval_count) == (True, "length", 8)
    chunks = list(client.chat(model="ouroboros:latest", messages=PROMPT, stream=True))
    assert "".join(c.message.content for c in chunks) == reference
    assert len(chunks) > 2 and chunks[-1].done and not any(c.done for c in chunks[:-1])
    generated = client.generate(model="ouroboros", prompt=PROMPT[0]["content"])
    assert generated.response == reference
    streamed = "".join(c.response for c in client.generate(
        model="ouroboros", prompt=PROMPT[0]["content"], stream=True))
    assert streamed == reference
    assert [m.model for m in client.list().models] == ["ouroboros:latest"]
    shown = client.show("ouroboros")
    assert shown.modelinfo["ouro.context_length"] == 512
    assert shown.capabilities == ["completion", "tools"]
    with pytest.raises(ollama.ResponseError) as err:
        client.chat(model="llama3", messages=PROMPT)
    assert err.value.status_code == 404 and "llama3" in err.value.error


def test_ollama_telemetry_on_the_final_object(served, reference):
    url, _ = served
    reply = httpx.post(f"{url}/api/generate", json={"model": "ouroboros", "stream": False,
                                                    "prompt": PROMPT[0]["content"]}, timeout=60)
    _telemetry_ok(reply.json()["ouroboros"])
    with httpx.stream("POST", f"{url}/api/chat", json={"model": "ouroboros",
                                                       "messages": PROMPT}, timeout=60) as r:
        lines = [line for line in r.iter_lines() if line]
    assert r.headers["content-type"].startswith("application/x-ndjson")
    import json

    objects = [json.loads(line) for line in lines]
    assert all("ouroboros" not in o for o in objects[:-1])
    _telemetry_ok(objects[-1]["ouroboros"])


def test_openai_client(served, reference):
    url, _ = served
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    done = client.chat.completions.create(model="ouroboros", messages=PROMPT)
    assert done.choices[0].message.content == reference
    assert done.choices[0].finish_reason == "length"
    assert (done.usage.completion_tokens, done.usage.prompt_tokens > 0) == (8, True)
    _telemetry_ok(done.model_extra["ouroboros"])
    chunks = list(client.chat.completions.create(
        model="ouroboros", messages=PROMPT, stream=True,
        stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reference
    last = [c for c in chunks if c.choices][-1]
    assert last.choices[0].finish_reason == "length"
    _telemetry_ok(last.model_extra["ouroboros"])
    assert chunks[-1].usage.completion_tokens == 8 and not chunks[-1].choices
    assert [m.id for m in client.models.list()] == ["ouroboros"]
    assert client.models.retrieve("ouroboros").id == "ouroboros"
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4o", messages=PROMPT)
    assert err.value.code == "model_not_found"


def test_openai_stop_and_sampling(served, reference):
    """A stop string ends the text before it, streamed or not; sampling with a seed repeats."""
    url, _ = served
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    stop = reference[len(reference) // 2:][:3]
    expected = reference[:reference.find(stop)]
    done = client.chat.completions.create(model="ouroboros", messages=PROMPT, stop=[stop])
    assert (done.choices[0].message.content, done.choices[0].finish_reason) == (expected, "stop")
    assert done.model_extra["ouroboros"]["exit_reason"] == "stop_string"
    chunks = client.chat.completions.create(model="ouroboros", messages=PROMPT, stop=stop,
                                            stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == expected
    hot = [client.chat.completions.create(model="ouroboros", messages=PROMPT, temperature=1.5,
                                          seed=7, max_tokens=4).choices[0].message.content
           for _ in range(2)]
    assert hot[0] == hot[1]


def test_anthropic_client(served, reference):
    url, _ = served
    client = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
    message = client.messages.create(model="ouroboros", max_tokens=8, messages=PROMPT)
    assert message.content[0].text == reference
    assert (message.stop_reason, message.usage.output_tokens) == ("max_tokens", 8)
    _telemetry_ok(message.model_extra["ouroboros"])
    with client.messages.stream(model="ouroboros", max_tokens=8, messages=PROMPT) as stream:
        assert "".join(stream.text_stream) == reference
        final = stream.get_final_message()
    assert final.stop_reason == "max_tokens" and final.content[0].text == reference
    events = list(client.messages.create(model="ouroboros", max_tokens=8, messages=PROMPT,
                                         stream=True))
    assert [e.type for e in events[:2]] == ["message_start", "content_block_start"]
    assert [e.type for e in events[-3:]] == ["content_block_stop", "message_delta",
                                             "message_stop"]
    _telemetry_ok(events[-2].model_extra["ouroboros"])
    stop = reference[len(reference) // 2:][:3]
    cut = client.messages.create(model="ouroboros", max_tokens=8, messages=PROMPT,
                                 stop_sequences=[stop])
    assert (cut.stop_reason, cut.stop_sequence) == ("stop_sequence", stop)
    assert cut.content[0].text == reference[:reference.find(stop)]
    briefed = client.messages.create(model="ouroboros", max_tokens=1, messages=PROMPT,
                                     system=[{"type": "text", "text": "Be brief."}])
    assert briefed.usage.input_tokens > message.usage.input_tokens  # the system turn counts
    with pytest.raises(anthropic.NotFoundError) as err:
        client.messages.create(model="claude-x", max_tokens=8, messages=PROMPT)
    assert err.value.body["error"]["type"] == "not_found_error"


def test_deep_mode_reports_the_realized_depth():
    """The looped model exiting early per token: the depth it reports is what it ran."""
    engine = tiny_engine(tiny_chat_checkpoint(), max_new_tokens=6, mode="deep",
                         exit_policy="fixed", depth=2)
    with running(engine) as (url, _):
        reply = httpx.post(f"{url}/v1/chat/completions", timeout=60, json={
            "model": "ouroboros", "messages": PROMPT}).json()
    t = reply["ouroboros"]
    assert (t["mean_depth"], t["total_steps"], t["exit_reason"]) == (2.0, 4, "length")


@pytest.mark.slow
def test_cli_serves_the_embedded_model(tmp_path):
    """The real `ouroboros serve`, the embedded model, each client once, then SIGINT."""
    env = {**os.environ, "OUROBOROS_PROVIDER__MAX_NEW_TOKENS": "6"}
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "serve", "--repo",
                             str(tmp_path), "--port", "0"], stderr=subprocess.PIPE, text=True,
                            env=env, cwd=Path(__file__).parents[3])
    try:
        url, banner = _wait_ready(proc)
        assert "loading the embedded SmolLM2" in banner and "plain" in banner
        said = ollama.Client(host=url).chat(model="ouroboros", messages=PROMPT)
        assert said.message.content.strip() and said.eval_count <= 6
        oai = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        done = oai.chat.completions.create(model="ouroboros", messages=PROMPT)
        assert done.choices[0].message.content == said.message.content
        assert done.model_extra["ouroboros"]["total_steps"] == 1  # a plain model
        ant = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
        with ant.messages.stream(model="ouroboros", max_tokens=6, messages=PROMPT) as s:
            assert "".join(s.text_stream) == said.message.content
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _wait_ready(proc: subprocess.Popen) -> tuple[str, str]:
    """(base URL, everything printed so far) once the server says where it listens."""
    deadline, seen = time.monotonic() + 180, []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"serve exited ({proc.wait()}): {''.join(seen)}")
        seen.append(line)
        if m := re.search(r"on (http://127\.0\.0\.1:\d+)", line):
            return m.group(1), "".join(seen)
    raise AssertionError(f"serve never became ready: {''.join(seen)}")
