"""Errors that name the fix (issue 43, item 5): a path that does not exist, a repository git
refuses for its owner ("dubious ownership"), a wrong environment variable, a server's name in
provider.name; doctor's report of each; and every CLI verb on the bad paths (one line, exit
3) and the bad configurations (the key or variable named where the verb reads the
settings), never a traceback.

Real parts: real git repositories in temporary directories, chown-ed to another user for
git's ownership check (so those tests need root, as git's own would), and the real
`ouroboros` command as a subprocess. Git's global configuration is an empty file of the
test's own, so no `safe.directory` of the machine's can hide the refusal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli.commands import build_parser
from daemon.config import locate
from daemon.config.settings import CONFIG_NAME, ENV_PREFIX, load_settings
from daemon.doctor import doctor, render, repo_check
from daemon.errors import CliError, ConfigError, UnsafeRepository
from tests.helpers import git

NOBODY = 65534  # any uid but ours: git refuses a repository it owns
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@pytest.fixture
def git_home(tmp_path, monkeypatch) -> Path:
    """An empty global git config for this process and its children."""
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    return config


@pytest.fixture
def foreign(repo, git_home) -> Path:
    """`repo`, owned by another user throughout, as an unpacked sdist or a mounted volume."""
    for path in (repo, *repo.rglob("*")):
        os.lchown(path, NOBODY, NOBODY)
    return repo


# -- where the repository is ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["/nonexistent/x", "~/../../nonexistent"])
def test_a_path_that_does_not_exist_is_said_so(path):
    with pytest.raises(CliError, match=r"does not exist$"):
        locate.repo_root(path)


@as_root
def test_git_refusing_another_users_repository_is_said_with_the_fix(foreign, git_home):
    with pytest.raises(UnsafeRepository) as caught:
        locate.repo_root(str(foreign / "calc"))
    refused = caught.value
    assert refused.owner == NOBODY and refused.path == foreign.resolve()
    assert refused.fix == f"git config --global --add safe.directory {foreign.resolve()}"
    assert refused.fix in str(refused) and "\n" not in str(refused)
    subprocess.run(refused.fix, shell=True, check=True)  # the fix, as the user would run it
    assert locate.repo_root(str(foreign)) == foreign
    assert git(foreign, "ls-files", "-z", "--", ".ouroboros") == ""  # where `run` crashed


@as_root
def test_only_its_git_directory_anothers_is_refused_too(repo, git_home):
    os.lchown(repo / ".git", NOBODY, NOBODY)
    with pytest.raises(UnsafeRepository) as caught:
        locate.repo_root(str(repo))
    # git names the work tree whichever of the two it found another's
    assert caught.value.owned == repo / ".git" and caught.value.path == repo.resolve()


def test_our_own_repository_asks_git_nothing(repo, monkeypatch):
    monkeypatch.setattr(locate, "_git_works", lambda *a: pytest.fail("git was run"))
    assert locate.git_refuses(repo) is None


@as_root
def test_doctor_says_git_refuses_the_repository_and_how_to_fix_it(foreign):
    check = repo_check(foreign)
    assert check.status == "missing" and "dubious ownership" in check.detail
    assert check.fix.startswith("git config --global --add safe.directory ")


# -- configuration errors name their source --------------------------------------------------

def test_a_wrong_environment_variable_is_named_not_the_file(repo):
    with pytest.raises(ConfigError) as caught:
        load_settings(repo, environ={f"{ENV_PREFIX}DAEMON__WORKERS": "abc"})
    err = caught.value
    assert "from the environment variable OUROBOROS_DAEMON__WORKERS" in str(err)
    assert err.env == ("OUROBOROS_DAEMON__WORKERS",) and err.file is None
    assert "OUROBOROS_DAEMON__WORKERS" in err.fix() and CONFIG_NAME not in err.fix()


def test_a_wrong_key_in_the_file_names_the_file(repo):
    (repo / CONFIG_NAME).write_text("[daemon]\nworkers = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(repo, environ={f"{ENV_PREFIX}DAEMON__LOG_LEVEL": "debug"})
    assert caught.value.env == () and caught.value.file == repo / CONFIG_NAME
    assert caught.value.fix() == f"correct {repo / CONFIG_NAME}"



def test_init_reads_what_it_wrote_as_run_will_under_this_environment(repo):
    """The file init writes is right, but a variable the daemon would refuse overrides it:
    init says so as `run` does (the variable, its fix), never "next: ouroboros doctor"."""
    bad = {f"{ENV_PREFIX}DAEMON__WORKERS": "abc"}
    init, run = (_cli(*argv, "--repo", str(repo), **bad) for argv in (["init"], ["run"]))
    assert init.returncode == run.returncode == 3 and "Traceback" not in init.stderr
    assert "next:" not in init.stdout + init.stderr
    said = init.stderr.removeprefix("ouroboros: ")
    assert said.startswith(f"wrote {repo / CONFIG_NAME}, but `ouroboros run` would refuse it "
                           "with this environment: ")
    assert said.endswith(run.stderr.removeprefix("ouroboros: "))  # run's words, whole
    assert run.stderr.splitlines()[-1] == ("fix: correct or unset OUROBOROS_DAEMON__WORKERS in "

                                           "the daemon's environment (it overrides the file)")
    assert load_settings(repo, environ={}).daemon.workers >= 1  # the file itself is right

@pytest.mark.parametrize(("name", "kind"), [("ollama", "ollama"), ("openai", "openai"),
                                            ("llama.cpp", "ollama")])
def test_a_servers_name_in_provider_name_points_to_provider_http(repo, name, kind):
    (repo / CONFIG_NAME).write_text(f'[provider]\nname = "{name}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(repo, environ={})
    text = str(caught.value)
    assert "Input should be 'kernel', 'replay' or 'none'" in text
    assert "for an Ollama or OpenAI-compatible server, add a [[provider.http]] section" in text
    example = text[text.index("[[provider.http]]\n"):text.index("(`ouroboros init`")]
    (repo / CONFIG_NAME).write_text("\n".join(ln.strip() for ln in example.splitlines()))
    assert load_settings(repo, environ={}).provider.http[0].kind == kind  # it loads as said


def test_doctor_shows_a_config_errors_lines_as_lines_and_names_the_variable(repo, capsys):
    (repo / CONFIG_NAME).write_text('[provider]\nname = "ollama"\n')
    code = doctor(repo, where=[], environ={f"{ENV_PREFIX}DAEMON__WORKERS": "abc"})
    out = capsys.readouterr().out
    assert code == 1 and "\\u000a" not in out
    assert "\n                              daemon.workers = 'abc' from the environment" in out
    assert '                                  kind = "ollama"\n' in out  # the example's indent
    fix = out[out.index("fix: correct or unset"):]
    assert "OUROBOROS_DAEMON__WORKERS" in fix and str(repo / CONFIG_NAME) in fix


def test_doctor_still_escapes_control_characters_inside_a_line(repo):
    from daemon.doctor import Check

    text = render(repo, [Check("x", "warn", "a\x1b[2Jb\nsecond line")])
    assert "a\\u001b[2Jb" in text and "\x1b" not in text and "\n" + " " * 12 in text


# -- every verb, on the bad inputs: one line, non-zero, no traceback --------------------------

# Each command's arguments besides --repo; a command missing here fails the coverage test.
ARGV: dict[str, list[str]] = {
    "run": [], "serve": [], "status": [], "cancel": ["op-1"], "pause": [], "resume": [],
    "review": [], "accept": ["op-1"], "reject": ["op-1"], "answer": ["op-1", "yes"],
    "scan": [], "signal": ["--goal", "g", "--file", "a.py"], "subscribe": [], "watch": [],
    "stop": [],
    "repl": [], "ledger": [], "verify": ["HEAD"], "stats": [], "install-hooks": [],
    "uninstall-hooks": [], "init": [], "doctor": [], "eval mine": [],
    "eval run": ["--brain", "replay:fix"], "eval report": [],
}
NO_REPO = {"kernel": "`kernel probe` loads a model file; it takes no --repo",
           "brain": "`brain list|fetch` names and fetches model files; it takes no --repo"}


def test_the_table_names_every_command():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    names = {n for n in sub.choices if n not in NO_REPO}
    assert names - {"eval"} == {n for n in ARGV if " " not in n}
    evals = sub.choices["eval"]._actions[-1].choices
    assert {f"eval {n}" for n in evals} == {n for n in ARGV if n.startswith("eval ")}


def _cli(*argv: str, **environ: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)} | environ
    return subprocess.run([sys.executable, "-m", "daemon.cli", *argv], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])


def _assert_one_line(proc: subprocess.CompletedProcess, said: str) -> None:
    assert proc.returncode == 3, proc  # a repository problem (daemon/cli/commands.py)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and said in proc.stderr, proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", list(ARGV))
def test_every_verb_on_a_path_that_does_not_exist(tmp_path, command):
    proc = _cli(*command.split(), *ARGV[command], "--repo", str(tmp_path / "gone"))
    _assert_one_line(proc, f"{tmp_path / 'gone'} does not exist")


@as_root
@pytest.mark.slow
@pytest.mark.parametrize("command", list(ARGV))
def test_every_verb_on_a_repository_git_refuses(foreign, command):
    if command == "serve":
        pytest.skip("serve runs no git: it serves another user's directory's model")
    proc = _cli(*command.split(), *ARGV[command], "--repo", str(foreign))
    if command == "doctor":  # the report, with the check that fails
        assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
        assert "missing repository" in proc.stdout and "safe.directory" in proc.stdout
        return
    _assert_one_line(proc, "safe.directory")
    assert not (foreign / ".ouroboros").exists()  # refused before anything was written


def test_a_git_that_is_missing_is_not_taken_for_a_refusal(repo, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert shutil.which("git") is None
    monkeypatch.setattr(os, "geteuid", lambda: NOBODY + 1)  # as if the tree were another's
    assert locate.git_refuses(repo) is None


BAD_CONFIG = {  # (the config file's text or None, the environment) -> the key said
    "a wrong environment variable": (None, {"OUROBOROS_DAEMON__WORKERS": "abc"},
                                     "OUROBOROS_DAEMON__WORKERS"),
    "a server's name in provider.name": ('[provider]\nname = "ollama"\n', {},
                                         "[[provider.http]]"),
}


# Both cases reach every verb through one load_settings: `make test` sends the first to every
# verb and the second (the config file's channel) to these, a verb that validates the
# provider, a socket verb, eval; every pair runs in the full lane (52 CLI starts, 34 s of a
# 2-core suite, the doctor's and eval's 2-5 s each).
SECOND_CASE_VERBS = {"run", "serve", "scan", "status", "eval run"}
PAIRS = [pytest.param(command, case, marks=() if n == 0 or command in SECOND_CASE_VERBS
                      else pytest.mark.full, id=f"{command}-{case}")
         for n, case in enumerate(BAD_CONFIG) for command in ARGV]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "case"), PAIRS)
def test_every_verb_on_a_bad_configuration(repo, command, case):
    text, environ, said = BAD_CONFIG[case]
    if text is not None:
        (repo / CONFIG_NAME).write_text(text)
    proc = _cli(*command.split(), *ARGV[command], "--repo", str(repo), **environ)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    # A verb that validates the settings stops, naming the fix; the socket verbs and the
    # hooks read only where the state dir is, and answer as they would (no daemon, installed)
    assert proc.returncode in (0, 1, 3) and (said in out or "invalid configuration" not in out)
