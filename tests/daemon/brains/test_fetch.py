"""`ouroboros brain fetch` against a local hub: a real uvicorn on loopback that serves a small
file the way the hub's resolve endpoint does (HEAD with X-Repo-Commit, ETag and the size;
GET honouring Range), fetched by the real huggingface_hub client. A good file lands
verified; a wrong hash, a hub that describes another file and a cut download each give one
clear error and leave nothing in the models directory. And `init` writes the pinned entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path

import pytest
from starlette.requests import Request

from daemon import cli
from daemon.brains import discover, pinned
from daemon.brains import fetch as fetch_mod
from daemon.brains.fetch import FetchError, assemble, fetch
from daemon.config.settings import load_settings
from daemon.init_config import check, init, render
from governance.oracle.interpreter import TestEnv
from tests.local_http import serving

PAYLOAD = bytes(range(256)) * 1024  # 256 KiB: the "model"
OTHER = PAYLOAD[:-1] + b"\x00"  # same size, other bytes
PIN = dataclasses.replace(pinned.DEFAULT, size=len(PAYLOAD),
                          sha256=hashlib.sha256(PAYLOAD).hexdigest())


class Hub:
    """The resolve endpoint of one repository at one revision; what it serves is set per
    test: `body` (the bytes), `etag` (None: not a sha256, as the hub's non-LFS files) and
    `cut_at` (every GET's body stops there and the connection closes)."""

    def __init__(self) -> None:
        self.body, self.etag, self.cut_at, self.cuts_left = PAYLOAD, None, None, 0
        self.requests: list[tuple[str, str | None]] = []

    def headers(self, length: int) -> list[tuple[bytes, bytes]]:
        etag = self.etag or hashlib.sha1(self.body).hexdigest()
        return [(b"x-repo-commit", PIN.revision.encode()), (b"etag", f'"{etag}"'.encode()),
                (b"content-length", str(length).encode()), (b"accept-ranges", b"bytes")]

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        want = f"/{PIN.repo_id}/resolve/{PIN.revision}/{PIN.filename}"
        self.requests.append((request.method, request.headers.get("range")))
        if request.url.path != want:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        start = int(request.headers.get("range", "bytes=0-")[6:].split("-")[0] or 0)
        body = self.body[start:]
        status = 206 if start else 200
        await send({"type": "http.response.start", "status": status,
                    "headers": self.headers(len(body) if start else len(self.body))})
        if request.method == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        if self.cut_at is not None and self.cuts_left:
            self.cuts_left -= 1
            # The connection dies at the same byte of the file each time: uvicorn closes it
            # when the app returns before its body is complete.
            await send({"type": "http.response.body", "body": body[:max(self.cut_at - start,
                                                                         0)],
                        "more_body": True})
            return
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def hub_server():
    hub = Hub()
    with serving(hub) as url:
        yield hub, url


@pytest.fixture
def hub(hub_server, monkeypatch):
    hub, url = hub_server
    hub.__init__()
    # huggingface_hub waits 1 s before each resume of a cut transfer; the tries stay real.
    monkeypatch.setattr("huggingface_hub.file_download.time.sleep", lambda s: None)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return hub, url


def _left(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_a_good_file_lands_verified_and_a_second_fetch_downloads_nothing(hub, tmp_path):
    server, url = hub
    path = fetch(PIN, tmp_path, endpoint=url, say=lambda s: None)
    assert path == tmp_path / PIN.filename and path.read_bytes() == PAYLOAD
    assert _left(tmp_path) == [PIN.filename, PIN.filename + ".sha256"]
    assert pinned.fetched(PIN, tmp_path) == path
    gets = len(server.requests)
    assert fetch(PIN, tmp_path, endpoint=url, say=lambda s: None) == path
    assert len(server.requests) == gets  # verified already: the hub is not asked


def test_a_wrong_hash_is_refused_and_nothing_is_left(hub, tmp_path):
    server, url = hub
    server.body = OTHER  # the hub's ETag is not a sha256 here, so only the bytes tell
    with pytest.raises(FetchError, match=f"has sha256 {hashlib.sha256(OTHER).hexdigest()}, "
                       f"pinned {PIN.sha256}"):
        fetch(PIN, tmp_path, endpoint=url, say=lambda s: None)
    assert ("GET", None) in server.requests and _left(tmp_path) == []


def test_a_hub_that_describes_another_file_is_refused_before_downloading(hub, tmp_path):
    server, url = hub
    server.body, server.etag = OTHER, hashlib.sha256(OTHER).hexdigest()  # an LFS ETag
    with pytest.raises(FetchError, match="not downloaded"):
        fetch(PIN, tmp_path, endpoint=url, say=lambda s: None)
    assert all(method == "HEAD" for method, _ in server.requests) and _left(tmp_path) == []


def test_a_cut_download_fails_clearly_and_leaves_nothing(hub, tmp_path):
    server, url = hub
    server.cut_at, server.cuts_left = len(PAYLOAD) // 2, 100  # it never gets past half
    with pytest.raises(FetchError, match=r"failed: .*(closed|incomplete|Consistency)"):
        fetch(PIN, tmp_path, endpoint=url, say=lambda s: None)
    # The client tried again (from byte 0: the cut fell inside its first 10 MB read), then
    # gave up after its retries.
    assert sum(method == "GET" for method, _ in server.requests) > 1
    assert _left(tmp_path) == []


def test_a_download_cut_once_is_tried_again_and_lands_verified(hub, tmp_path):
    server, url = hub
    server.cut_at, server.cuts_left = len(PAYLOAD) // 3, 1
    path = fetch(PIN, tmp_path, endpoint=url, say=lambda s: None)
    assert path.read_bytes() == PAYLOAD and _left(tmp_path) == [path.name, path.name + ".sha256"]


def test_the_command_line_says_one_line_and_keeps_nothing(hub, tmp_path, capsys):
    """The real pin (1.1 GB) against a hub serving 256 KiB under its name: refused on the
    hub's size, exit 1, one `ouroboros:` line."""
    _, url = hub
    code = cli.main(["brain", "fetch", "--dir", str(tmp_path / "m"), "--endpoint", url])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("ouroboros: brain fetch ")
    assert f"is {len(PAYLOAD):,} bytes, pinned 1,117,320,768" in err[0]
    assert _left(tmp_path / "m") == []


def test_assemble_checks_the_bytes_the_same_way(tmp_path):
    parts = [io.BytesIO(PAYLOAD[:1000]), io.BytesIO(PAYLOAD[1000:])]
    assert assemble(PIN, parts, tmp_path, say=lambda s: None).read_bytes() == PAYLOAD
    with pytest.raises(FetchError, match="bytes, pinned"):
        assemble(PIN, [io.BytesIO(PAYLOAD[:1000])], tmp_path / "short", say=lambda s: None)
    assert _left(tmp_path / "short") == []


def test_a_right_file_without_its_digest_line_is_hashed_not_downloaded(tmp_path):
    (tmp_path / PIN.filename).write_bytes(PAYLOAD)  # a fetch cut between its two renames
    assert pinned.fetched(PIN, tmp_path) is None
    assert fetch_mod._already(PIN, tmp_path, lambda s: None) == tmp_path / PIN.filename
    assert pinned.fetched(PIN, tmp_path) == tmp_path / PIN.filename


def test_init_writes_the_pinned_model_commented_until_it_is_fetched(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setattr("daemon.init_config.CODER", PIN)
    env = TestEnv("/usr/bin/python3", source="daemon")
    text = render(tmp_path, [], [], env, models=tmp_path / "models")
    assert f"# model = \"{tmp_path / 'models' / PIN.filename}\"" in text
    assert f"ouroboros brain fetch {PIN.name}" in text and PIN.sha256 in text
    unfetched = check(text, tmp_path)
    assert unfetched.provider.model is None  # commented: the daemon fetches nothing
    assert (unfetched.generate.samples, unfetched.tools.enabled) == (1, True)  # the embedded
    assemble(PIN, [io.BytesIO(PAYLOAD)], tmp_path / "models", say=lambda s: None)
    text = render(tmp_path, [], [], env, models=tmp_path / "models")
    (tmp_path / "ouroboros.toml").write_text(text)
    provider = load_settings(tmp_path, environ={}).provider
    assert provider.model == str(tmp_path / "models" / PIN.filename)
    assert provider.context_tokens == 8192  # a CPU's window for it, said and settable
    # the pinned model, the only brain: one reply without tools, best of 4, each said why
    settings = load_settings(tmp_path, environ={})
    assert (settings.generate.samples, settings.tools.enabled) == (4, False)
    assert "answered 'no change'" in text and "remove this line" in text
    # beside a server the user runs, its brain asks first: the daemon's defaults stay
    served = discover.Found(discover.Candidate("ollama", "http://127.0.0.1:9", "Ollama"),
                            models=("qwen2.5-coder:7b",))
    beside = check(render(tmp_path, [served], [], env, models=tmp_path / "models"), tmp_path)
    assert (beside.generate.samples, beside.tools.enabled) == (1, True)
    # `ouroboros init` itself, the models directory from XDG_DATA_HOME: it says so.
    nobody = discover.Candidate("ollama", "http://127.0.0.1:9", "Ollama")
    fetched = tmp_path / "data" / "ouroboros" / "models"
    assemble(PIN, [io.BytesIO(PAYLOAD)], fetched, say=lambda s: None)
    repo = tmp_path / "repo"
    repo.mkdir()
    assert init(repo, where=[nobody], environ={"XDG_DATA_HOME": str(tmp_path / "data")}) == 0
    out = capsys.readouterr().out
    assert f"in process: {fetched / PIN.filename}" in out and "brain fetch" not in out
    assert load_settings(repo, environ={}).provider.model == str(fetched / PIN.filename)
