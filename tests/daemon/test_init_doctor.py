"""`ouroboros init` and `ouroboros doctor` against real HTTP servers on loopback (an Ollama
and an OpenAI-compatible stand-in under uvicorn): what init writes loads as the daemon's
settings, doctor reports what the daemon needs and finds, and the embedded model's limits
are said at start, in `status` and in doctor, from one sentence (daemon.brains.embedded)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from structlog.testing import capture_logs

from daemon import cli
from daemon.brains import discover
from daemon.brains.embedded import EMBEDDED_ONLY, HOW_TO_GET_ONE, ConfigRead, brain_note
from daemon.config.provider import OLLAMA_CONTEXT
from daemon.config.settings import CONFIG_NAME, Settings, load_settings
from daemon.doctor import doctor
from daemon.errors import CliError
from daemon.init_config import check, init
from daemon.status.text import status_text
from kernel.replay import ReplayProvider
from tests.helpers import make_repo, running_daemon, settings_for
from tests.local_http import serving

ROOT = Path(__file__).resolve().parents[2]
# "Nothing in the environment" and no model fetched: init looks for the pinned coder model
# in the user's data directory, which a developer's box may hold (it did: two tests failed).
NOTHING_FETCHED = {"XDG_DATA_HOME": "/nonexistent/ouroboros-tests/data"}
KEY = "sk-ant-api03-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCD"
OLLAMA_MODELS = [
    {"name": "nomic-embed-text:latest", "size": 9_000_000_000},
    {"name": "llama3.2:3b", "size": 2_000_000_000, "details": {"family": "llama"}},
    {"name": "qwen2.5-coder:7b", "size": 4_700_000_000, "details": {"family": "qwen2"}},
    {"name": 'evil"\n[provider]\nname = "none"', "size": 1},  # not safe for a TOML line
]


def ollama(models: list[dict]) -> Starlette:
    async def tags(request):
        return JSONResponse({"models": models})
    return Starlette(routes=[Route("/api/tags", tags)])


def openai(cards: list[dict], status: int = 200) -> Starlette:
    async def models(request):
        return JSONResponse({"object": "list", "data": cards}, status_code=status)
    return Starlette(routes=[Route("/v1/models", models)])


@pytest.fixture(scope="module")
def ollama_url():
    with serving(ollama(OLLAMA_MODELS)) as url:
        yield url


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def here(url: str, kind: str = "ollama", label: str = "Ollama") -> discover.Candidate:
    return discover.Candidate(kind, url + ("/v1" if kind == "openai" else ""), label)


def dead_port() -> str:
    """A loopback URL where nothing listens (a port bound and closed at once)."""
    from daemon.serve.cli import bind

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def doctor_json(capsys, repo: Path, **kw) -> tuple[int, dict[str, dict]]:
    code = doctor(repo, as_json=True, environ=kw.pop("environ", {}), **kw)
    checks = json.loads(capsys.readouterr().out)
    assert code == (1 if any(c["status"] == "missing" for c in checks) else 0)
    return code, {c["name"]: c for c in checks}


# -- discovery -----------------------------------------------------------------------------

@pytest.mark.slow
async def test_discovery_reads_real_servers_and_ranks_coding_models(ollama_url):
    with serving(openai([{"id": "local-model", "owned_by": "me"}])) as lm, \
            serving(openai([{"id": "ouroboros", "owned_by": "ouroboros"}])) as own, \
            serving(openai([], status=401)) as locked:
        found = await discover.probe_all([here(ollama_url), here(lm, "openai", "LM Studio"),
                                          here(own, "openai", "serve"),
                                          here(locked, "openai", "vLLM"),
                                          here(dead_port())])
    coder, lm_studio, served, keyed, dead = found
    assert coder.models == ("qwen2.5-coder:7b", "llama3.2:3b", "nomic-embed-text:latest")
    assert coder.usable and lm_studio.usable and lm_studio.models == ("local-model",)
    assert served.self_served and not served.usable  # `ouroboros serve`: not a new brain
    assert not keyed.up and "401" in keyed.problem
    assert dead.problem == "nothing listens there"


@pytest.mark.parametrize(("value", "url"), [
    ("", "http://127.0.0.1:11434"), ("127.0.0.1:11500", "http://127.0.0.1:11500"),
    ("0.0.0.0", "http://127.0.0.1:11434"), ("http://gpu-box:8000/", "http://gpu-box:8000"),
])
def test_ollama_host_moves_the_ollama_candidate(value, url):
    [first, *rest] = discover.candidates({"OLLAMA_HOST": value})
    assert (first.kind, first.base_url) == ("ollama", url) and len(rest) == 3


# -- init ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_init_writes_the_found_server_first_and_the_file_loads(repo, ollama_url, capsys):
    where = [here(ollama_url), here(dead_port(), "openai", "LM Studio")]
    assert init(repo, where=where, environ=NOTHING_FETCHED) == 0
    out = capsys.readouterr().out
    assert f"wrote {repo / CONFIG_NAME}" in out and "qwen2.5-coder:7b" in out
    text = (repo / CONFIG_NAME).read_text()
    settings = load_settings(repo, environ={})
    [entry] = settings.provider.http
    assert (entry.kind, entry.base_url, entry.model) == ("ollama", ollama_url, "qwen2.5-coder:7b")
    assert entry.window == OLLAMA_CONTEXT and "# context_tokens = 8192" in text
    assert settings.provider.name == "kernel"  # the hostile model name injected nothing
    assert "evil" not in text and '"llama3.2:3b"' in text
    assert "LM Studio" in text and "nothing listens there" in text
    assert '# kind = "openai"' in text  # the absent server, as a commented entry
    assert "# workers = 3" in text and EMBEDDED_ONLY not in text


@pytest.mark.slow
def test_init_never_overwrites_without_force(repo, ollama_url, capsys):
    (repo / CONFIG_NAME).write_text("[daemon]\nworkers = 2\n")
    with pytest.raises(CliError, match="--force") as err:
        init(repo, where=[here(ollama_url)], environ=NOTHING_FETCHED)
    assert err.value.code == 1 and (repo / CONFIG_NAME).read_text() == "[daemon]\nworkers = 2\n"
    assert init(repo, where=[here(ollama_url)], environ=NOTHING_FETCHED, force=True) == 0
    assert load_settings(repo, environ={}).provider.http[0].model == "qwen2.5-coder:7b"
    assert list(repo.glob(f".{CONFIG_NAME}.*")) == []  # no temp file left behind


@pytest.mark.slow
def test_with_nothing_found_init_says_what_the_embedded_model_is(repo, capsys):
    assert init(repo, where=[here(dead_port())], environ=NOTHING_FETCHED) == 0
    out = capsys.readouterr().out
    assert EMBEDDED_ONLY in out and "ollama pull" in out
    text = (repo / CONFIG_NAME).read_text()
    assert "0 of 24 samples" in text
    assert load_settings(repo, environ={}).provider.http == []


def test_hosted_keys_are_named_never_written_and_active_only_when_asked(repo, capsys):
    environ = {"ANTHROPIC_API_KEY": KEY, **NOTHING_FETCHED}
    init(repo, where=[], environ=environ)
    text = (repo / CONFIG_NAME).read_text()
    assert KEY not in text and '# api_key_env = "ANTHROPIC_API_KEY"' in text
    assert load_settings(repo, environ={}).provider.http == []  # commented out by default
    init(repo, where=[], environ=environ, hosted=True, force=True)
    [entry] = load_settings(repo, environ={}).provider.http
    assert (entry.kind, entry.api_key_env) == ("anthropic", "ANTHROPIC_API_KEY")
    assert KEY not in (repo / CONFIG_NAME).read_text() + capsys.readouterr().out


def test_a_llama_cpp_server_found_decodes_blocks_under_their_grammar(repo, capsys):
    """llama.cpp's server takes a GBNF grammar in the request (kernel.blocks_grammar); the
    entry init writes for it says so, and one for another server does not."""
    cards = [{"id": "qwen2.5-coder-1.5b-instruct", "owned_by": "me"}]
    with serving(openai(cards)) as url:
        llama = discover.Candidate("openai", f"{url}/v1", "llama.cpp server", grammar="gbnf")
        assert init(repo, where=[llama], environ=NOTHING_FETCHED) == 0
        [entry] = load_settings(repo, environ={}).provider.http
        assert (entry.model, entry.grammar) == ("qwen2.5-coder-1.5b-instruct", "gbnf")
        assert init(repo, where=[here(url, "openai", "vLLM")], environ=NOTHING_FETCHED,
                    force=True) == 0
        [entry] = load_settings(repo, environ={}).provider.http
        assert entry.grammar == "none"


def test_text_from_outside_stays_inside_its_comment(tmp_path):
    """A repository path, an OLLAMA_HOST or a test env holding a newline cannot add keys."""
    from daemon.init_config import render as render_toml
    from governance.oracle.interpreter import TestEnv

    evil = '\n[provider]\nname = "none"\n'
    found = [discover.Found(discover.Candidate("ollama", f"http://x{evil}", f"O{evil}"),
                            problem=f"down{evil}")]
    text = render_toml(Path(f"/srv/r{evil}"), found, [], TestEnv(f"/py{evil}", source="venv"))
    settings = check(text, tmp_path)
    assert settings.provider.name == "kernel" and settings.provider.http == []
    assert all(line.startswith("#") or not line.strip() or "=" in line or line.startswith("[")
               for line in text.splitlines())


@pytest.mark.slow
def test_the_init_command_line(repo, capsys):
    code = cli.main(["init", "--repo", str(repo / "calc")])  # any path inside the repo
    out = capsys.readouterr().out
    assert code == 0 and out.startswith(f"wrote {repo / CONFIG_NAME}")
    load_settings(repo, environ={})
    assert cli.main(["init", "--repo", str(repo)]) == 1
    assert "exists: not overwritten" in capsys.readouterr().err


# -- doctor --------------------------------------------------------------------------------

@pytest.mark.slow
def test_doctor_reports_the_configured_brain_and_the_found_server(repo, ollama_url, capsys):
    init(repo, where=[here(ollama_url)], environ=NOTHING_FETCHED)
    capsys.readouterr()
    code, checks = doctor_json(capsys, repo, where=[here(ollama_url)])
    brain = checks["brain ollama qwen2.5-coder:7b"]
    assert brain["status"] == "ok" and ollama_url in brain["detail"]
    assert checks["brain"]["status"] == "ok" and checks["config"]["status"] == "ok"
    assert {"bubblewrap", "tests", "systemd", "in-process brain"} <= set(checks)
    assert checks["tests"]["status"] == "ok"
    jail_ok = shutil.which("bwrap") is not None and checks.get("jail", {}).get("status") == "ok"
    assert (code == 0) is jail_ok  # here only the jail could be missing


@pytest.mark.slow
def test_doctor_explains_each_problem_with_a_fix(repo, ollama_url, capsys):
    (repo / CONFIG_NAME).write_text(
        f'[[provider.http]]\nkind = "ollama"\nbase_url = "{ollama_url}"\nmodel = "gone:1b"\n\n'
        '[[provider.http]]\nkind = "openai"\nbase_url = "https://api.example.com/v1"\n'
        'model = "m"\napi_key_env = "OURO_TEST_UNSET_KEY"\n')
    code, checks = doctor_json(capsys, repo, where=[here(ollama_url)])
    pulled = checks["brain ollama gone:1b"]
    assert pulled["status"] == "warn" and pulled["fix"] == "`ollama pull gone:1b`"
    keyed = checks["brain openai m"]
    assert keyed["status"] == "missing" and "export OURO_TEST_UNSET_KEY" in keyed["fix"]
    assert code == 1 and "server Ollama" not in checks  # its URL is configured
    (repo / CONFIG_NAME).write_text('[provider]\nmodel = "nowhere.gguf"\n')
    code, checks = doctor_json(capsys, repo, where=[here(ollama_url)])
    found = checks["server Ollama"]  # a server the config does not use yet
    assert found["status"] == "warn" and "init --force" in found["fix"]
    model = checks["in-process brain"]  # the only brain, and its file is not there
    assert model["status"] == "missing" and "nowhere.gguf" in model["detail"] and code == 1


def test_doctor_says_what_the_embedded_model_is_and_text_is_readable(repo, capsys):
    code = doctor(repo, where=[here(dead_port())], environ={})
    out = capsys.readouterr().out
    assert "warn    brain" in out and "0 of 24" in out and "fix: start a local server" in out
    assert "nothing answers at http://127.0.0.1:" in out
    last = out.splitlines()[-1]
    assert re.fullmatch(r"\d+ missing, \d+ warning\(s\): .*", last)
    assert last.startswith("0 missing") is (code == 0)


def test_doctor_names_a_broken_config(repo, capsys):
    (repo / CONFIG_NAME).write_text("[daemon]\nworkers = -1\n")
    code, checks = doctor_json(capsys, repo, where=[])
    assert code == 1 and checks["config"]["status"] == "missing"
    assert "daemon.workers = -1" in checks["config"]["detail"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("systemctl") is None or shutil.which("systemd-analyze") is None,
                    reason="systemd is not installed (`make setup` installs it)")
def test_doctor_wants_the_network_drop_in_for_http_brains_under_systemd(repo, ollama_url,
                                                                        tmp_path, capsys):
    home = tmp_path / "home"
    units = home / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    shutil.copy(ROOT / "systemd" / "ouroboros@.service", units)
    init(repo, where=[here(ollama_url)], environ=NOTHING_FETCHED)
    capsys.readouterr()
    _, checks = doctor_json(capsys, repo, where=[here(ollama_url)], home=home)
    assert checks["systemd network"]["status"] == "warn"
    assert "http-brains.conf" in checks["systemd network"]["fix"]
    (units / "ouroboros@.service.d").mkdir()
    shutil.copy(ROOT / "systemd" / "dropins" / "http-brains.conf", units / "ouroboros@.service.d")
    _, checks = doctor_json(capsys, repo, where=[here(ollama_url)], home=home)
    assert "systemd network" not in checks and checks["systemd"]["status"] == "ok"


# -- the embedded model's limits, said at start and in status ------------------------------

class EmbeddedStandIn(ReplayProvider):
    """Stands in for the kernel's provider (same name) without loading a model."""

    name = "kernel"


@pytest.mark.parametrize(("provider", "said"), [
    ({}, True), ({"model": "/m.gguf"}, False), ({"name": "replay"}, False),
    ({"http": [{"kind": "ollama", "base_url": "http://127.0.0.1:1", "model": "m"}]}, False),
])
def test_the_note_is_for_the_embedded_model_alone(provider, said):
    note = brain_note(Settings.model_validate({"provider": provider}).provider)
    assert (note is not None) is said and (not note or note.startswith(EMBEDDED_ONLY))


RUN_INIT = "run `ouroboros init`"


def test_the_note_sends_to_init_only_while_there_is_no_config_file(tmp_path):
    provider, config = Settings().provider, tmp_path / CONFIG_NAME
    read = ConfigRead.now(config)
    assert RUN_INIT in brain_note(provider, read) and read.mtime_ns is None
    config.write_text("[provider]\n")  # `ouroboros init` ran after the daemon read none
    assert brain_note(provider, read).endswith(
        "ouroboros.toml changed since the daemon read it: restart the daemon to use it")
    assert brain_note(provider, ConfigRead.now(config)) == f"{EMBEDDED_ONLY}; {HOW_TO_GET_ONE}"
    assert RUN_INIT in brain_note(provider)  # no file named: as if there were none


@pytest.mark.slow
async def test_start_and_status_say_it_when_the_embedded_model_is_the_only_brain(repo):
    settings = settings_for(None, provider={"name": "kernel"})
    with capture_logs() as seen:
        async with running_daemon(repo, settings, _daemon(repo, settings)) as d:
            status = await d.status()
            await asyncio.to_thread(init, repo, where=[here(dead_port())],
                                    environ=NOTHING_FETCHED)
            after_init = await d.status()
    assert status.brain_note == brain_note(settings.provider) and RUN_INIT in status.brain_note
    assert next(e for e in seen if e["event"] == status.brain_note)["log_level"] == "warning"
    text = status_text(status)
    assert f"brain:    {EMBEDDED_ONLY}" in text and "ouroboros init" in text
    assert "brain:" not in status_text(status.model_copy(update={"brain_note": None}))
    assert "restart the daemon" in after_init.brain_note  # worded when shown, not at start


async def test_once_init_has_run_no_part_says_run_init(repo, capsys):
    await asyncio.to_thread(init, repo, where=[here(dead_port())], environ=NOTHING_FETCHED)
    settings = load_settings(repo, environ={})
    with capture_logs() as seen:
        async with running_daemon(repo, settings, _daemon(repo, settings)) as d:
            status = await d.status()
    assert status.brain_note == f"{EMBEDDED_ONLY}; {HOW_TO_GET_ONE}"
    warned = [e["event"] for e in seen if e["log_level"] == "warning"]
    assert status.brain_note in warned and not any(RUN_INIT in w for w in warned)
    capsys.readouterr()
    _, checks = await asyncio.to_thread(doctor_json, capsys, repo, where=[])
    assert not any(RUN_INIT in c["detail"] + c["fix"] for c in checks.values())


def _daemon(repo: Path, settings: Settings):
    from daemon.service import Daemon

    return Daemon(repo, settings, provider=EmbeddedStandIn([]))
