"""A blocks reply's grammar (kernel.blocks_grammar), judged by a real grammar engine
(llguidance, over the embedded model's tokenizer): whole blocks of runs of the named
files' own lines pass, and what Qwen2.5-Coder-1.5B wrote instead (a keyword for a marker,
a line the file does not have, one line twice, a path of its own, prose) cannot be
written; an HTTP brain set to
`grammar = "gbnf"` sends it, and one not set sends none."""

from __future__ import annotations

import json

import llguidance as llg
import pytest
from llguidance._grammar_from import grammar_from
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from governance.brains.provider import CANDIDATE_SHAPE, ReplyShape
from kernel import blocks_grammar
from kernel.blocks_grammar import blocks_gbnf
from kernel.http.apis import http_provider
from kernel.http.providers import ProviderFailure
from kernel.tokenizer import ChatTokenizer
from tests.daemon.serve.serve_helpers import serving
from tests.helpers import http_config

LINES = ("def f(x):", '    return x + "a\\"b" + \'\\t\'', "", "\tcafé = 1  # ünïcode",
         "class C:", "    pass")
FILES = (("pkg/m.py", LINES), ("pkg/other.py", ("X = 1", "Y = 2")))
BLOCK = ('pkg/m.py\n<<<<<<< SEARCH\ndef f(x):\n    return x + "a\\"b" + \'\\t\'\n=======\n'
         "def f(x):\n    return x - 1\n>>>>>>> REPLACE\n")


@pytest.fixture(scope="module")
def llt(tokenizer: ChatTokenizer) -> llg.LLTokenizer:
    return llg.LLTokenizer(tokenizer.tok.to_str(), eos_token=[2, 0])


def written(llt, tokenizer, grammar: str, text: str) -> bool:
    """Whether `text` is a whole reply under `grammar`: each of its tokens allowed in
    turn, and the reply may end there."""
    matcher = llg.LLMatcher(llt, grammar_from("gbnf", grammar), log_level=0)
    ids = tokenizer.encode(text)
    return matcher.validate_tokens(ids) == len(ids) and matcher.consume_tokens(ids) \
        and matcher.is_accepting()


@pytest.mark.parametrize("reply", [
    BLOCK,
    BLOCK + "because the sum was wrong",
    BLOCK + "pkg/other.py\n<<<<<<< SEARCH\nY = 2\n=======\nY = 3\n>>>>>>> REPLACE\nwhy\n",
    "```python\n" + BLOCK + "```\nwhy",
    "pkg/m.py\n<<<<<<< AFTER\nclass C:\n=======\n    y = 2\n>>>>>>> INSERT\n",
    "pkg/m.py\n<<<<<<< SEARCH\n\n\tcafé = 1  # ünïcode\n=======\n\n>>>>>>> REPLACE\n",
    '{"schema": "candidate.1", "no_op": true, "rationale": "it holds"}',
])
def test_blocks_of_the_files_own_lines_are_written(llt, tokenizer, reply):
    assert written(llt, tokenizer, blocks_gbnf(FILES), reply)


@pytest.mark.parametrize("reply", [
    "pkg/m.py\n<<<<<<< ALTER\ndef f(x):\n=======\nx\n>>>>>>> REPLACE\n",  # a keyword marker
    "pkg/m.py\n<<<<<<< SEARCH\ndef g(x):\n=======\nx\n>>>>>>> REPLACE\n",  # not its line
    "pkg/m.py\n<<<<<<< SEARCH\ndef f(x): \n=======\nx\n>>>>>>> REPLACE\n",  # a space added
    "pkg/m.py\n<<<<<<< SEARCH\nclass C:\n\n=======\nx\n>>>>>>> REPLACE\n",  # not in a row
    "pkg/m.py\n<<<<<<< SEARCH\nclass C:\nclass C:\n=======\nx\n>>>>>>> REPLACE\n",  # twice
    "pkg/m.py\n<<<<<<< SEARCH\n=======\nx = 1\n>>>>>>> REPLACE\n",  # an empty SEARCH
    "pkg/m.py:12\n<<<<<<< SEARCH\ndef f(x):\n=======\nx\n>>>>>>> REPLACE\n",  # a location
    "pkg/new.py\n<<<<<<< SEARCH\n=======\nx = 1\n>>>>>>> REPLACE\n",  # a path not named
    "pkg/other.py\n<<<<<<< SEARCH\ndef f(x):\n=======\nx\n>>>>>>> REPLACE\n",  # other's line
    "The change renames the argument.",
    '{"schema": "candidate.1", "full_content": "x"}',
])
def test_what_the_model_wrote_instead_cannot_be_written(llt, tokenizer, reply):
    assert not written(llt, tokenizer, blocks_gbnf(FILES), reply)


def _new_text(line: str) -> str:
    return f"pkg/m.py\n<<<<<<< SEARCH\nclass C:\n=======\n{line}\n>>>>>>> REPLACE\n"


@pytest.mark.parametrize(("line", "allowed"), [
    ("x = 1", True), ("", True), ("    >>> f(2)", True), ("    == 2", True),
    ("<<<< a", True), ("======== rule", True), ("<b>", True), ("    ", True),
    ("======= insert =======", False),  # parse's model wrote this (stop 85)
    ("=======", False), ("    =======", False), ("<<<<<<< SEARCH", False),
    ("  <<<<< x", False), ("    >>>>>>> REPLACE", False), ("> quote", False),
])
def test_no_line_of_the_new_text_is_a_marker(llt, tokenizer, line, allowed):
    """What governance.edit_blocks reads as a marker (blanks, then 5 to 9 of '<' or '>', or
    exactly 7 of '=') cannot be written as a line of new text, nor '>' where one begins."""
    assert written(llt, tokenizer, blocks_gbnf(FILES), _new_text(line)) is allowed


def test_a_file_too_large_to_list_takes_any_line(llt, tokenizer, monkeypatch):
    reply = "pkg/m.py\n<<<<<<< SEARCH\ndef g(x):\n=======\nx\n>>>>>>> REPLACE\n"
    assert not written(llt, tokenizer, blocks_gbnf(FILES), reply)
    monkeypatch.setattr(blocks_grammar, "MAX_LINES", 3)
    assert written(llt, tokenizer, blocks_gbnf(FILES), reply)


def test_shared_beginnings_are_factored_and_match_exactly(llt, tokenizer):
    lines = tuple(f"    value_{n} = compute({n})" for n in range(300))
    grammar = blocks_gbnf((("big.py", lines),))
    assert max(len(rule.split(" | ")) for rule in grammar.splitlines()) <= 12
    for n in (0, 7, 150, 299):
        assert written(llt, tokenizer, grammar, f"big.py\n<<<<<<< SEARCH\n{lines[n]}\n"
                       "=======\n    x = 1\n>>>>>>> REPLACE\n")
    assert not written(llt, tokenizer, grammar, "big.py\n<<<<<<< SEARCH\n    value_3 = "
                       "compute(4)\n=======\n    x = 1\n>>>>>>> REPLACE\n")


DOC = ("def findall(s):", "    '''Search s.", "", "    Returns matches.", "    '''",
       "    return s", "NOTE = '''a", "b'''")


@pytest.mark.parametrize(("path", "search", "allowed"), [
    ("p.py", DOC[:1], True),  # stops before the docstring
    ("p.py", DOC[:5], True),  # the docstring whole
    ("p.py", DOC[:2], False),  # its head and half its docstring (parse's syntax errors)
    ("p.py", DOC[2:6], False),  # begins inside it
    ("p.py", DOC[6:8], True),
    ("p.py", DOC[7:8], False),
    ("p.txt", DOC[:2], True),  # not Python: any run
])
def test_a_python_run_neither_begins_nor_ends_inside_a_string(llt, tokenizer, path, search,
                                                              allowed):
    reply = f"{path}\n<<<<<<< SEARCH\n" + "".join(f"{t}\n" for t in search) + \
        "=======\nx = 1\n>>>>>>> REPLACE\n"
    assert written(llt, tokenizer, blocks_gbnf(((path, DOC),)), reply) is allowed


def test_a_python_file_that_does_not_tokenize_takes_any_run(llt, tokenizer):
    lines = ("def f(:", "    '''open", "    x = 1")
    reply = "p.py\n<<<<<<< SEARCH\n    '''open\n=======\n    '''\n>>>>>>> REPLACE\n"
    assert written(llt, tokenizer, blocks_gbnf((("p.py", lines),)), reply)


@pytest.mark.parametrize(("opening", "rest"), [
    ("pkg/m.py\n<<<<<<< SEARCH\n", "class C:\n=======\nclass D:\n>>>>>>> REPLACE\n"),
    ("pkg/m.py\n<<<<<<< AFTER\nclass C:\n=======\n    'DIV': ",
     "1,\n>>>>>>> INSERT\npkg/other.py\n<<<<<<< SEARCH\nX = 1\n=======\nX = 0\n"
     ">>>>>>> REPLACE\nwhy"),
    ("pkg/m.py\n<<<<<<< SEARCH\nclass C:\n=======\n", "class D:\n>>>>>>> REPLACE\n"),
])
def test_a_reply_begun_for_the_model_is_its_first_text(llt, tokenizer, opening, rest):
    grammar = blocks_gbnf(FILES, opening)
    assert written(llt, tokenizer, grammar, opening + rest)
    assert not written(llt, tokenizer, grammar, rest)  # the opening is not optional
    if "SEARCH\n" in opening and not opening.endswith("=======\n"):
        assert not written(llt, tokenizer, grammar, opening + "def g(x):\n=======\n"
                           "x\n>>>>>>> REPLACE\n")


def test_an_opening_on_a_file_not_named_is_followed_by_any_text(llt, tokenizer):
    grammar = blocks_gbnf(FILES, "elsewhere.py\n<<<<<<< SEARCH\n")
    assert written(llt, tokenizer, grammar,
                   "elsewhere.py\n<<<<<<< SEARCH\nanything\n=======\nx\n>>>>>>> REPLACE\n")


class Recorder:
    """Not a model server: records each request's body and answers one OpenAI stream."""

    def __init__(self, refuse: int = 0, every: bool = False):
        self.bodies: list[dict] = []
        self.refuse = refuse  # the status a request with a grammar is answered
        self.every = every  # and every request, with one or not


    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.answer, methods=["POST"])])

    async def answer(self, request: Request) -> Response:
        self.bodies.append(json.loads(await request.body()))
        if self.refuse and ("grammar" in self.bodies[-1] or self.every):
            return Response('{"error": {"message": "failed to parse grammar"}}',
                            status_code=self.refuse)
        frames = [{"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 3, "completion_tokens": 1}}]

        async def body():
            for frame in frames:
                yield f"data: {json.dumps(frame)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(body())


@pytest.mark.parametrize("grammar", ["gbnf", "none"])
async def test_an_http_brain_sends_the_grammar_only_where_set(grammar):
    recorder = Recorder()
    shape = ReplyShape("candidate.1", final=CANDIDATE_SHAPE.final, block_files=FILES,
                       opening="pkg/m.py\n<<<<<<< SEARCH\n")
    with serving(recorder.app()) as url:
        provider = http_provider(http_config(kind="openai", base_url=f"{url}/v1",
                                             model="m", grammar=grammar))
        try:
            reply = await provider.generate("fix it", deadline=1e12, shape=shape)
            await provider.generate("fix it", deadline=1e12, shape=CANDIDATE_SHAPE)
        finally:
            await provider.aclose()
    first, second = recorder.bodies
    assert "grammar" not in second  # a shape naming no files: no grammar
    if grammar == "none":
        assert "grammar" not in first and "grammar" not in reply.telemetry
        return
    assert first["grammar"] == blocks_gbnf(FILES, shape.opening)
    assert reply.telemetry["grammar"].startswith("blocks of 2 files")


@pytest.fixture(scope="module")
def engine(embedded_engine):
    from kernel.canary import CanaryConfig
    from kernel.decode import GenerationConfig
    from kernel.engine import EngineConfig
    config = GenerationConfig(max_new_tokens=48, temperature=0.0,
                              canary=CanaryConfig(mode="off"))
    return embedded_engine(EngineConfig(generation=config))


async def test_the_kernel_continues_an_opening_under_the_blocks_grammar(engine, llt,
                                                                        tokenizer):
    """The embedded model (no code model) begun on a block: under the grammar its SEARCH
    copies the file's lines, and the reply as a whole is one the grammar allows; with
    `blocks` off it decodes as before."""
    from kernel.provider import KernelProvider
    lines = ("def greet():", "    return 'helo'", "", "def part():", "    return 1")
    opening = "app.py\n<<<<<<< SEARCH\n"
    shape = ReplyShape("candidate.1", final=CANDIDATE_SHAPE.final, opening=opening,
                       block_files=(("app.py", lines),))
    prompt = "Fix the typo in greet(): it returns 'helo'. Reply with SEARCH/REPLACE blocks."
    reply = await KernelProvider(engine, constrain=False).generate(
        prompt, deadline=1e12, shape=shape)
    assert reply.telemetry["grammar"]["blocks"] == 1
    assert "unconstrained" not in reply.telemetry["grammar"]
    searched = reply.text[len(opening):].split("=======\n")[0].splitlines()
    assert reply.text.startswith(opening) and searched
    assert all(line in lines for line in searched)
    if reply.telemetry["grammar"]["outcome"] == "complete":
        assert written(llt, tokenizer, blocks_gbnf(shape.block_files, opening), reply.text)
    off = await KernelProvider(engine, constrain=False, blocks=False).generate(
        prompt, deadline=1e12, shape=shape)
    assert "grammar" not in off.telemetry and off.text.startswith(opening)


async def test_a_server_that_fails_the_grammar_is_asked_again_without_it():
    """A grammar the server cannot parse (a form feed a llama.cpp grammar cannot escape as
    `\\f`) must not fail the op: asked again without, it is not sent again; a server that
    fails every request raises, and its grammar is not blamed."""
    shape = ReplyShape("candidate.1", final=CANDIDATE_SHAPE.final, block_files=FILES)
    for status in (400, 500):
        recorder = Recorder(refuse=status)
        with serving(recorder.app()) as url:
            provider = http_provider(http_config(kind="openai", base_url=f"{url}/v1",
                                                 model="m", grammar="gbnf"))
            try:
                reply = await provider.generate("fix it", deadline=1e12, shape=shape)
                assert reply.text == "ok" and "grammar" in reply.telemetry["grammar_refused"]
                await provider.generate("fix it", deadline=1e12, shape=shape)
            finally:
                await provider.aclose()
        assert ["grammar" in body for body in recorder.bodies] == [True, False, False]
    failing = Recorder(refuse=500, every=True)
    with serving(failing.app()) as url:
        provider = http_provider(http_config(kind="openai", base_url=f"{url}/v1",
                                             model="m", grammar="gbnf"))
        try:
            with pytest.raises(ProviderFailure):
                await provider.generate("fix it", deadline=1e12, shape=shape)
            assert provider.grammar_refused == ""
        finally:
            await provider.aclose()


def test_control_characters_are_escaped_as_every_engine_reads_them(llt, tokenizer):
    lines = ("a = 1", "\x0c", 'b = "\\"', "c\x7f = 2")
    grammar = blocks_gbnf((("m.py", lines),))
    assert "\\x0c" in grammar and "\\f" not in grammar
    assert written(llt, tokenizer, grammar, "m.py\n<<<<<<< SEARCH\n\x0c\nb = \"\\\"\n"
                   "=======\n\n>>>>>>> REPLACE\n")
