"""The CLI's light path: what a socket verb imports, closed pipes, and `make run`'s quoting.

No timed assertions: speed follows from what is imported, so the tests assert on the
module set (bench/cli_speed.py measures the wall clock). Each import check also asserts
the modules the command does need, so a parse that saw nothing cannot pass.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import git
import pytest

from daemon.cli import commands as cli
from daemon.config import locate
from daemon.config.settings import CONFIG_NAME, ENV_PREFIX, DaemonSection, load_settings
from daemon.errors import CliError, ConfigError
from tests.helpers import git as run_git
from tests.helpers import running_daemon, settings_for

ROOT = Path(__file__).resolve().parents[2]
# What no socket verb may load: each costs from tens of milliseconds (asyncio, pydantic,
# GitPython, structlog) to two seconds (torch). `status` prints the text the daemon rendered
# from its typed answer; only an older daemon's reply, which has none, loads pydantic.
HEAVY = ("torch", "transformers", "numpy", "kernel", "git", "pydantic", "structlog", "rich",
         "asyncio", "aiosqlite", "governance", "ledger", "sensors", "tools", "daemon.service",
         "daemon.config.settings", "daemon.logs", "daemon.control.server", "daemon.cli.repl")
# The kernel's settings defaults and precision/device names: no imports of their own, so the
# parser's choices read the one source (what they imported would still show up above).
TORCH_FREE = ("kernel", "kernel.defaults", "kernel.precision")
LIGHT = ("daemon.cli", "daemon.control.client", "daemon.config.locate", "daemon.control.verbs",
         "argparse")
# What the `ouroboros` console script runs (`-m daemon.cli` would hide daemon.cli itself
# from the import trace: it runs as __main__).
ENTRY = "import sys; from daemon.cli import main; sys.exit(main())"
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|( *)(\S+)$")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}


def _cli(*argv: str, stdout=subprocess.PIPE) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`ouroboros ARGV` with `-X importtime`, and the modules it imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", ENTRY, *argv],
                          stdout=stdout, stderr=subprocess.PIPE, text=True, env=_env(),
                          cwd=ROOT, timeout=60)
    modules = {m.group(2) for line in proc.stderr.splitlines()
               if (m := IMPORT_LINE.match(line))}
    proc.stderr = "\n".join(ln for ln in proc.stderr.splitlines()
                            if not ln.startswith("import time:"))
    return proc, modules


def _assert_light(modules: set[str], *needed: str, allowed: tuple[str, ...] = ()) -> None:
    missing = {m for m in (*LIGHT, *needed) if m not in modules}
    assert not missing, f"the import trace lacks {missing}: was it parsed?"
    heavy = sorted(m for m in modules if (m.split(".")[0] in HEAVY or m in HEAVY)
                   and m.split(".")[0] not in allowed and m not in TORCH_FREE)
    assert not heavy, f"the light path imported {heavy}"


SIGNAL = ("signal", "--goal", "clamp must clamp", "--file", "calc/ops.py", "--urgency", "high")


@pytest.mark.slow
async def test_socket_verbs_against_a_real_daemon_import_nothing_heavy(repo):
    async with running_daemon(repo, settings_for(None)) as daemon:
        runs = {argv: await asyncio.to_thread(_cli, *argv, "--repo", str(repo))
                for argv in [("status",), ("pause",), ("resume",), ("status", "--json"),
                             ("cancel", "op-nope", "why"), ("answer", "op-nope", "yes"),
                             SIGNAL]}
        assert not daemon.paused
    for argv, (proc, modules) in runs.items():
        _assert_light(modules)  # `status` too: the daemon sends its text, rendered there
        assert "daemon.status.model" not in modules, argv
        assert "Traceback" not in proc.stderr, argv
    assert runs[("status",)][0].returncode == 0
    assert "state:    DEGRADED - no provider configured" in runs[("status",)][0].stdout
    assert runs[("pause",)][0].stdout.strip() == "pause: paused=True"
    assert runs[("cancel", "op-nope", "why")][0].returncode == 1  # the daemon refused
    assert runs[SIGNAL][0].stdout.startswith("signal: queued=True, files=['calc/ops.py']")


@pytest.mark.slow
@pytest.mark.parametrize("argv", [("status",), ("accept", "x"), ("stop",), ("--help",),
                                  ("status", "--help"), ("kernel", "probe", "--help")])
def test_without_a_daemon_and_for_help_nothing_heavy_loads(repo, argv):
    # `review` is not here: with no daemon it reads git and the ledger itself
    # (daemon/cli/review_offline.py, tests/daemon/test_cli_wording.py)
    proc, modules = _cli(*argv, "--repo", str(repo))
    _assert_light(modules)
    if "--help" in argv:
        assert proc.returncode == 0 and "usage: ouroboros" in proc.stdout
    else:
        assert proc.returncode == 3 and "daemon is not running" in proc.stderr


@pytest.mark.slow
async def test_ledger_loads_the_ledger_and_still_no_kernel(repo):
    async with running_daemon(repo, settings_for(None)):
        pass  # leaves a ledger behind
    proc, modules = await asyncio.to_thread(_cli, "ledger", "--list", "--repo", str(repo))
    assert proc.returncode == 0 and proc.stdout.strip() == "no operations recorded yet"
    assert "ledger" in modules and "daemon.config.locate" in modules
    assert not {m for m in modules if m.split(".")[0] in ("torch", "transformers", "kernel",
                                                           "pydantic", "git")} - {*TORCH_FREE}


def _closed_pipe_run(*argv: str) -> subprocess.CompletedProcess:
    """The CLI writing into a pipe whose reader is already gone (`| head` that exited)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "daemon.cli", *argv], stdout=write,
                              stderr=subprocess.PIPE, text=True, env=_env(), timeout=60)
    finally:
        os.close(write)


@pytest.mark.slow
async def test_a_closed_pipe_exits_141_quietly(repo):
    async with running_daemon(repo, settings_for(None)):
        runs = [await asyncio.to_thread(_closed_pipe_run, *argv, "--repo", str(repo))
                for argv in (("status",), ("status", "--json"), ("ledger", "--list"))]
    for proc in runs:
        assert (proc.returncode, proc.stderr) == (cli.EXIT_PIPE_CLOSED, ""), proc.args
    # stderr is the closed pipe: the error line cannot be written, and nothing else is
    with open(os.devnull, "w") as devnull:
        read, write = os.pipe()
        os.close(read)
        proc = subprocess.run([sys.executable, "-m", "daemon.cli", "status", "--repo",
                               str(repo)], stdout=devnull, stderr=write, env=_env(),
                              timeout=60)
        os.close(write)
    assert proc.returncode == cli.EXIT_PIPE_CLOSED


@pytest.mark.slow
@pytest.mark.parametrize("redirect", [">&-", "2>&-", ">&- 2>&-"])
def test_closed_stdout_or_stderr_is_not_a_traceback(repo, redirect):
    """`ouroboros status >&-`: Python starts with sys.stdout None; the exit code stays."""
    proc = subprocess.run(["bash", "-c", f'"$0" -c "$1" status --repo "$2" {redirect}; '
                           'echo "exit=$?"', sys.executable, ENTRY, str(repo)],
                          capture_output=True, text=True, env=_env(), timeout=60)
    assert proc.stdout.splitlines()[-1] == "exit=3"  # no daemon: not a crash's 1
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.slow
async def test_status_piped_into_head_as_a_user_types_it(repo):
    script = ('"$0" -m daemon.cli status --repo "$1" | head -1; '
              'echo "exit=${PIPESTATUS[0]}"; '
              '"$0" -m daemon.cli ledger --list --repo "$1" | head -1; '
              'echo "exit=${PIPESTATUS[0]}"')
    async with running_daemon(repo, settings_for(None)):
        proc = await asyncio.to_thread(
            subprocess.run, ["bash", "-c", script, sys.executable, str(repo)],
            capture_output=True, text=True, env=_env(), timeout=60)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("state:    DEGRADED")
    assert lines[2] == "no operations recorded yet"
    # the reader may or may not leave before the write: 0 or 141, never a traceback
    assert {lines[1], lines[3]} <= {"exit=0", f"exit={cli.EXIT_PIPE_CLOSED}"}
    assert proc.stderr == ""


def test_the_daemon_itself_never_swallows_a_broken_pipe(monkeypatch):
    def broken(args):
        raise BrokenPipeError("a control client hung up")

    monkeypatch.setattr(cli, "cmd_run", broken)
    with pytest.raises(BrokenPipeError):
        cli.main(["run"])


# --- locate: the light lookups answer as GitPython and load_settings do ---------------

def _layouts(root: Path) -> list[Path]:
    """Paths where the working tree is found in different ways."""
    main = root / "main"
    main.mkdir()
    run_git(main, "init", "-q", "-b", "main")
    run_git(main, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q",
            "--allow-empty", "-m", "i")
    (main / "pkg" / "deep").mkdir(parents=True)
    (main / "pkg" / "mod.py").write_text("")
    (main / "not a repo" / ".git").mkdir(parents=True)  # an empty .git: keep climbing
    (main / "fifo").mkdir()
    os.mkfifo(main / "fifo" / ".git")  # a hostile .git nobody writes to: never opened
    run_git(main, "worktree", "add", "-q", "--detach", str(root / "wt"))  # a .git *file*
    (root / "wt" / "sub").mkdir()
    inner = main / "vendored"
    inner.mkdir()
    run_git(inner, "init", "-q")
    link = root / "link"
    link.symlink_to(main / "pkg")
    return [main, main / "pkg" / "deep", main / "pkg" / "mod.py", main / "not a repo",
            main / "fifo",
            root / "wt", root / "wt" / "sub", inner, link]


def _gitpython_root(path: Path) -> Path | None:
    try:
        return Path(git.Repo(path, search_parent_directories=True).working_tree_dir)
    except git.InvalidGitRepositoryError:
        return None


def _light_root(path: Path) -> Path | None:
    try:
        return locate.repo_root(str(path))
    except CliError:
        return None


def test_repo_root_matches_gitpython(short_tmp):
    answers = {path: (_light_root(path), _gitpython_root(path)) for path in _layouts(short_tmp)}
    fifo = short_tmp / "main" / "fifo"
    assert all(light == gitpython for path, (light, gitpython) in answers.items()
               if path != fifo), answers
    # both climb the path as written: a symlink into the tree is not followed back up
    assert answers[short_tmp / "link"] == (None, None)
    assert answers[short_tmp / "wt" / "sub"][0] == short_tmp / "wt"
    # a FIFO named .git: GitPython gives up there, git itself climbs past it, as we do
    assert answers[fifo] == (short_tmp / "main", None)
    assert run_git(fifo, "rev-parse", "--show-toplevel").strip() == str(short_tmp / "main")


@pytest.mark.parametrize("path", ["/", "/proc"])
def test_repo_root_outside_any_repository(path):
    with pytest.raises(CliError, match="is not inside a git repository"):
        locate.repo_root(path)


def test_the_duplicated_names_match_daemon_config():
    assert (locate.CONFIG_NAME, locate.ENV_PREFIX) == (CONFIG_NAME, ENV_PREFIX)
    assert DaemonSection().state_dir == locate.DEFAULT_STATE_DIR


STATE_DIRS = [  # (config file text or None, environment)
    (None, {}),
    ("[daemon]\nworkers = 2\n", {}),
    ('[daemon]\nstate_dir = "var/state dir"\n', {}),
    ('[daemon]\nstate_dir = "/srv/ob-state"\n', {}),
    ('[daemon]\nstate_dir = "~/ob"\n', {}),
    ('[daemon]\nstate_dir = "a"\n', {"OUROBOROS_DAEMON__STATE_DIR": "/from/env"}),
    (None, {"OUROBOROS_daemon__State_Dir": "mixed"}),
    (None, {"OUROBOROS_X": "y", "OB_DAEMON__STATE_DIR": "not ours"}),
    ('[provider]\nname = "none"\n', {"OUROBOROS_DAEMON__STATE_DIR": "./rel/../st"}),
]


@pytest.mark.parametrize("text,environ", STATE_DIRS)
@pytest.mark.parametrize("explicit", [False, True], ids=["repo-config", "--config"])
def test_state_dir_matches_load_settings(short_tmp, text, environ, explicit):
    repo = short_tmp
    config = None
    if text is not None:
        config = repo / ("elsewhere.toml" if explicit else CONFIG_NAME)
        config.write_text(text)
    chosen = config if explicit else None
    expected = load_settings(repo, chosen, environ).state_path(repo)
    assert locate.state_dir(repo, chosen, environ) == expected


BAD_CONFIGS = [  # the light path falls back to load_settings for these messages
    ("[daemon]\nstate_dir = 5\n", {}),
    ("[daemon\n", {}),
    ("daemon = 3\n", {}),
    (b"\xff\xfe[daemon]\n", {}),
    (None, {"OUROBOROS_DAEMON__STATE_DIR": '["a", "b"]'}),
]


@pytest.mark.parametrize("text,environ", BAD_CONFIGS)
def test_a_bad_config_gets_load_settings_message(short_tmp, text, environ):
    if isinstance(text, bytes):
        (short_tmp / CONFIG_NAME).write_bytes(text)
    elif text is not None:
        (short_tmp / CONFIG_NAME).write_text(text)
    with pytest.raises(ConfigError) as expected:
        load_settings(short_tmp, None, environ)
    with pytest.raises(CliError) as got:
        locate.state_dir(short_tmp, None, environ)
    assert str(got.value) == str(expected.value)


def test_an_explicit_config_that_is_missing(short_tmp):
    with pytest.raises(CliError, match="config file not found"):
        locate.state_dir(short_tmp, short_tmp / "nope.toml", {})


# --- make run: REPO reaches the daemon as one argument --------------------------------

WEIRD = "dir with spaces/it's $HOME & `x`"


def _make(*args: str, **kw) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = Path(sys.prefix)
    return subprocess.run(["make", "-s", "-C", str(ROOT), "-o", f"{venv}/.installed",
                           f"VENV={venv}", *args], capture_output=True, text=True,
                          timeout=120, **kw)


def test_make_run_quotes_the_repo_path(short_tmp):
    path = str(short_tmp / WEIRD)
    proc = _make("-n", "run", f"REPO={path}")
    assert proc.returncode == 0, proc.stderr
    argv = shlex.split(proc.stdout.strip().splitlines()[-1])
    assert argv[-3:] == ["run", "--repo", path]


@pytest.mark.slow
def test_make_run_reaches_the_repository_with_spaces(short_tmp):
    venv = Path(sys.prefix)
    if not (venv / "bin" / "ouroboros").exists():
        pytest.skip(f"no ouroboros console script in {venv}")
    repo = short_tmp / WEIRD
    repo.mkdir(parents=True)
    run_git(repo, "init", "-q")
    # a config the daemon refuses: it exits at once, naming the file it read
    (repo / CONFIG_NAME).write_text("[daemon]\nworkers = -1\n")
    proc = _make("run", f"REPO={repo}", env=_env())
    assert proc.returncode != 0
    assert f"invalid configuration ({repo / CONFIG_NAME} + environment)" in proc.stderr
    assert "daemon.workers = -1" in proc.stderr and "Traceback" not in proc.stderr


# --- hostile paths, configs and sockets: one line and exit 3, never a traceback ---------

def _serve_once(path: Path, reply: bytes | None) -> threading.Thread:
    """A Unix socket at `path` that is not the daemon: answers `reply`, or hangs up on
    a request it never read (the client's recv gets a reset)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        with server:
            conn, _ = server.accept()
            with conn:
                if reply is not None:
                    conn.recv(65536)
                    conn.sendall(reply)
                else:
                    time.sleep(0.2)  # the request is in our buffer, unread: close resets

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _state(repo: Path) -> Path:
    (repo / ".ouroboros").mkdir()
    return repo / ".ouroboros" / "control.sock"


def _unknown_home(repo: Path) -> list[str]:
    (repo / CONFIG_NAME).write_text('[daemon]\nstate_dir = "~no_such_user_ob/x"\n')
    return []


def _file_as_socket(repo: Path) -> list[str]:
    _state(repo).write_text("x")
    return []


def _prose_socket(repo: Path) -> list[str]:
    _serve_once(_state(repo), b"hello there\n")
    return []


def _resetting_socket(repo: Path) -> list[str]:
    _serve_once(_state(repo), None)
    return []


HOSTILE = [  # (name, set-up(repo) -> extra argv, expected stderr fragment)
    ("a repo path too long", lambda r: ["--repo", "/tmp/" + "a" * 5000],
     "File name too long"),
    ("a config path too long", lambda r: ["--config", "/tmp/" + "b" * 5000],
     "File name too long"),
    ("a config that cannot be read", lambda r: ["--config", "/proc/self/mem"],
     "cannot read the configuration /proc/self/mem"),
    ("a home that does not exist", _unknown_home, "daemon.state_dir = '~no_such_user_ob/x'"),
    ("a regular file as the socket", _file_as_socket, "stale control socket"),
    ("a stranger's socket answering prose", _prose_socket,
     "answered something that is not the daemon's JSON (b'hello there\\n')"),
    ("a socket that resets the connection", _resetting_socket, "cannot talk to the daemon at"),
]


@pytest.mark.slow
@pytest.mark.parametrize("setup,fragment", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_one_line_and_exit_3(repo, setup, fragment):
    extra = setup(repo)
    proc = subprocess.run([sys.executable, "-c", ENTRY, "status", "--repo", str(repo), *extra],
                          capture_output=True, text=True, env=_env(), timeout=60)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ouroboros: ") and len(lines[0]) < 400
    assert fragment in lines[0]


@pytest.mark.slow
def test_run_with_an_unreadable_config_is_one_line(repo):
    proc = subprocess.run([sys.executable, "-c", ENTRY, "run", "--repo", str(repo),
                           "--config", "/proc/self/mem"],
                          capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 3
    assert proc.stderr.startswith("ouroboros: cannot read the configuration: ")
    assert "Traceback" not in proc.stderr
