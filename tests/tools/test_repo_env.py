"""A project's own environment runs its tests: detected, bound read-only, refused when hostile.

A real venv is made in a temporary repository from the system Python (`venv --without-pip`)
and pytest is installed into it by copying the installed distributions' files (offline), with
a module that exists only there. Its tests then run through the real jail, on a sandbox copy
(VALIDATE's shape) and on the live tree (VERIFY's), with the repository's interpreter; and the
hostile layouts (symlinked venvs, a `bin/python` that is a script or points at a secret, a
`pyvenv.cfg` whose `home` is `/`, ...) are refused before anything runs or stay in the jail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from governance.oracle.interpreter import TestEnv, detect
from governance.oracle.oracle import Report, judge
from governance.oracle.testrun import Bind, TestRunner, start_failure
from tests.helpers import jail_limits
from tests.tools.project_venv import BASE_PYTHON, make_venv
from tools.errors import JailError
from tools.jail import Jail, JailExecutor, bwrap_available

PROBE = '''import sys

import repo_marker


def test_runs_with_the_repos_venv():
    assert sys.prefix == {venv!r}, sys.prefix
    assert repo_marker.WHERE == "the repo's venv"
'''
jailed = pytest.mark.skipif(bwrap_available() is not None,
                            reason=f"bubblewrap unusable here: {bwrap_available()}")


def _build_world(base: Path, python: str) -> dict[str, Path]:
    """repo/ with .venv (pytest + repo_marker) and a probe test; state/, home/, sandbox/."""
    repo, state, home = base / "repo", base / "state", base / "home"
    for d in (repo / "tests", state, home):
        d.mkdir(parents=True)
    site = make_venv(repo / ".venv", python, with_pytest=True)
    (site / "repo_marker.py").write_text('WHERE = "the repo\'s venv"\n')
    (site / "_editable_pkg.pth").write_text(f"{repo / 'src'}\n")  # `pip install -e .`
    (repo / "src" / "pkg").mkdir(parents=True)
    (repo / "src" / "pkg" / "__init__.py").write_text('WHERE = "live"\n')
    (repo / "tests" / "test_probe.py").write_text(PROBE.format(venv=str(repo / ".venv")))
    sandbox = state / "sandbox"
    shutil.copytree(repo / "tests", sandbox / "tests")  # a copy holds no venv (protected)
    (sandbox / "src" / "pkg").mkdir(parents=True)
    (sandbox / "src" / "pkg" / "__init__.py").write_text('WHERE = "candidate"\n')
    (sandbox / "tests" / "test_editable.py").write_text(
        "import pathlib\n\nimport pkg\n\n\ndef test_the_candidates_code_is_imported():\n"
        "    assert pkg.WHERE == 'candidate', pkg.__file__\n"
        "    pathlib.Path(pkg.__file__).with_name('written').write_text('x')\n")
    return {"repo": repo, "state": state, "home": home, "sandbox": sandbox}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    return _build_world(tmp_path_factory.mktemp("repo-env"), BASE_PYTHON)


def _detect(w: dict[str, Path], setting: str = "auto", command=("{python}", "-m", "pytest"),
            repo: Path | None = None) -> TestEnv:
    return detect(repo or w["repo"], setting, list(command), state_dir=w["state"],
                  home=w["home"])


def _runner(w: dict[str, Path], writable: bool, **kw) -> TestRunner:
    executor = JailExecutor([w["home"], w["repo"], w["state"]], jail_limits(timeout_s=60), [],
                            live_root=w["repo"])
    return TestRunner(["{python}", "-m", "pytest"], 60, executor, writable,
                      test_env=lambda: _detect(w, **kw))


# -- detection -----------------------------------------------------------------------------

@pytest.mark.slow
def test_auto_finds_the_repos_venv_and_binds_it_and_nothing_of_the_system(world):
    env = _detect(world)
    assert env.problem is None
    assert (env.source, env.python) == (".venv", str(world["repo"] / ".venv" / "bin" / "python"))
    base = Path(os.path.realpath(BASE_PYTHON)).parent.parent
    expected = [world["repo"] / ".venv"] + ([] if str(base).startswith("/usr") else [base])
    assert list(env.ro_paths) == expected


def test_without_a_venv_the_daemons_interpreter_runs(tmp_path):
    (tmp_path / "venv").mkdir()  # a package named venv, not an environment
    env = detect(tmp_path)
    assert (env.python, env.ro_paths, env.source, env.problem) == (sys.executable, (),
                                                                    "daemon", None)


def test_a_configured_interpreter_and_test_command_path(world, tmp_path):
    assert _detect(world, BASE_PYTHON).problem is None
    env = _detect(world, ".venv/bin/python")  # repo-relative
    assert env.ro_paths[0] == world["repo"] / ".venv"
    env = _detect(world, command=[str(world["repo"] / ".venv/bin/python"), "-m", "pytest"])
    assert (env.source, env.ro_paths[0]) == ("test_command", world["repo"] / ".venv")
    bare = _detect(world, command=["pytest", "-x"])  # a name on the jail's PATH
    assert bare.source == ".venv" and bare.problem is None
    other = tmp_path / "other"  # `.venv -> a venv elsewhere`: named, not guessed
    other.mkdir()
    (other / ".venv").symlink_to(world["repo"] / ".venv")
    assert "is a symlink" in (_detect(world, repo=other).problem or "")
    named = _detect(world, ".venv/bin/python", repo=other)
    assert (named.problem, named.ro_paths[0]) == (None, world["repo"] / ".venv")


def _hostile_repo(tmp_path: Path, case: str) -> tuple[Path, dict]:
    """A repository laid out for one attack; returns it and detect()'s extra arguments."""
    repo, state, home = tmp_path / "repo", tmp_path / "repo" / ".state", tmp_path / "home"
    for d in (repo, state, home / ".ssh"):
        d.mkdir(parents=True, exist_ok=True)
    (home / ".ssh" / "id_rsa").write_text("SECRET")
    kw: dict = {"state_dir": state, "home": home}

    def venv(home_line: str = "/usr/bin", version: str = "3.11.2") -> Path:
        (repo / ".venv" / "bin").mkdir(parents=True)
        (repo / ".venv" / "pyvenv.cfg").write_text(f"home = {home_line}\nversion = {version}\n")
        return repo / ".venv" / "bin" / "python"

    if case == "venv symlink to /etc":
        (repo / ".venv").symlink_to("/etc")
    elif case == "venv symlink to the state dir":
        (repo / ".venv").symlink_to(state)
    elif case == "pyvenv home is /":
        venv("/root").symlink_to("/usr/bin/python3")
    elif case == "python points at a non-Python dir in home":
        (home / "tools" / "bin").mkdir(parents=True)
        (home / "tools" / "bin" / "python").write_text("#!/bin/sh\n")
        venv(str(home / "tools" / "bin")).symlink_to(home / "tools" / "bin" / "python")
    elif case == "prefix inside the repo":
        (repo / "evil" / "lib" / "python3.11").mkdir(parents=True)
        (repo / "evil" / "lib" / "python3.11" / "os.py").write_text("")
        (repo / "evil" / "bin").mkdir()
        (repo / "evil" / "bin" / "python").write_text("#!/bin/sh\n")
        venv(str(repo / "evil" / "bin")).symlink_to(repo / "evil" / "bin" / "python")
    elif case == "venv inside the state dir (configured)":
        (state / "v" / "bin").mkdir(parents=True)
        (state / "v" / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (state / "v" / "bin" / "python").symlink_to("/usr/bin/python3")
        kw["setting"] = str(state / "v" / "bin" / "python")
    elif case == "venv containing the state dir":
        venv().symlink_to("/usr/bin/python3")
        kw["state_dir"] = repo / ".venv" / "state"
        kw["state_dir"].mkdir()
    elif case == "python older than 3.11":
        venv(version="3.9.18").symlink_to("/usr/bin/python3")
    elif case == "pyvenv.cfg is a symlink":
        (repo / ".venv" / "bin").mkdir(parents=True)
        (repo / ".venv" / "pyvenv.cfg").symlink_to("/etc/os-release")
        (repo / ".venv" / "bin" / "python").symlink_to("/usr/bin/python3")
    elif case == "pyvenv home is relative":
        venv("../../etc").symlink_to("/usr/bin/python3")
    elif case == "pyvenv home holds a NUL":
        venv("/usr/\x00bin").symlink_to("/usr/bin/python3")
    elif case == "python is a symlink loop":
        venv().symlink_to("python")
    elif case == "configured Python 3.10 (no pyvenv.cfg)":
        old = tmp_path / "opt" / "py310"
        (old / "lib" / "python3.10").mkdir(parents=True)
        (old / "lib" / "python3.10" / "os.py").write_text("")
        (old / "bin").mkdir()
        (old / "bin" / "python3.10").write_text("#!/bin/sh\n")
        kw["setting"] = str(old / "bin" / "python3.10")
    elif case == "configured python missing":
        kw["setting"] = "/nonexistent/bin/python"
    elif case == "configured python is /etc/passwd":
        kw["setting"] = "/etc/passwd"
    return repo, kw


HOSTILE = {
    "venv symlink to /etc": "is a symlink",
    "venv symlink to the state dir": "is a symlink",
    "pyvenv home is /": "the root or a top-level directory",
    "python points at a non-Python dir in home": "not a Python installation",
    "prefix inside the repo": "inside the repository",
    "venv inside the state dir (configured)": "which the jail hides",
    "venv containing the state dir": "would reveal",
    "python older than 3.11": "needs 3.11+",
    "configured python missing": "does not exist",
    "pyvenv home is relative": "is not an absolute path",
    "pyvenv home holds a NUL": "null",
    "python is a symlink loop": "loop",
    "configured Python 3.10 (no pyvenv.cfg)": "Python 3.10; the test oracle needs 3.11+",
    "pyvenv.cfg is a symlink": "pyvenv.cfg is a symlink",
    "configured python is /etc/passwd": "not in a bin/ directory",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_environments_are_refused_with_the_reason(tmp_path, case):
    repo, kw = _hostile_repo(tmp_path, case)
    env = detect(repo, kw.pop("setting", "auto"), **kw)
    assert env.problem is not None and HOSTILE[case] in env.problem, env.problem
    assert env.ro_paths == ()


def test_a_python_pointing_at_a_secret_binds_only_the_venv(tmp_path):
    """`bin/python -> ~/.ssh/id_rsa`: the secret's directory is never bound (the exec then
    fails inside the jail, where that path does not exist)."""
    repo, kw = _hostile_repo(tmp_path, "python points at a non-Python dir in home")
    target = tmp_path / "home" / ".ssh" / "id_rsa"
    (repo / ".venv" / "bin" / "python").unlink()
    (repo / ".venv" / "bin" / "python").symlink_to(target)
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n")
    env = detect(repo, **kw)
    assert env.problem is None and env.ro_paths == (repo / ".venv",)


# -- through the real jail -----------------------------------------------------------------

@pytest.mark.slow
@jailed
async def test_validate_shape_runs_the_repos_tests_with_the_repos_venv(world):
    """A sandbox copy (no venv in it, live repo hidden): the venv is shown read-only."""
    outcome = await _runner(world, True).run(world["sandbox"], ["tests/test_probe.py"],
                                              scratch=world["state"] / "oracle")
    assert outcome.passed, (outcome.report, outcome.output_tail)
    assert outcome.report.tests == {"tests/test_probe.py::test_runs_with_the_repos_venv":
                                    "passed"}


@pytest.mark.slow
@jailed
async def test_an_editable_install_imports_the_candidates_code_in_a_sandbox(world):
    """`pip install -e .` puts the live tree's src/ on sys.path (a .pth file): in a sandbox
    run the live repository's path shows the sandbox, so the candidate's code is imported,
    never the live code (and never nothing)."""
    outcome = await _runner(world, True).run(world["sandbox"], ["tests/test_editable.py"],
                                              scratch=world["state"] / "oracle")
    assert outcome.passed, (outcome.report, outcome.output_tail)
    assert (world["sandbox"] / "src" / "pkg" / "written").exists()  # the copy took the write
    assert not (world["repo"] / "src" / "pkg" / "written").exists()  # the live tree did not


@pytest.mark.slow
@jailed
async def test_verify_shape_runs_on_the_live_tree_whose_venv_is_masked(world):
    """`.venv` is a protected directory, masked in the live tree; the bind shows it again."""
    outcome = await _runner(world, False).run(world["repo"], ["tests/test_probe.py"],
                                              scratch=world["state"] / "oracle")
    assert outcome.passed, (outcome.report, outcome.output_tail)


@pytest.mark.slow
@jailed
async def test_a_read_only_copy_shown_at_the_live_path_gets_the_venv_too(world, tmp_path):
    """Eval's scratch clone is read-only for its signal and VERIFY runs and is shown at the
    live repository's path, where the untracked .venv is bound: bubblewrap cannot make the
    mount point in a read-only tree ("Can't mkdir ...: Read-only file system"), so the
    jail makes it in the copy first, and never through a link."""
    copy = tmp_path / "clone"
    shutil.copytree(world["repo"] / "tests", copy / "tests")
    outcome = await _runner(world, False).run(copy, ["tests/test_probe.py"],
                                              scratch=world["state"] / "oracle-ro")
    assert outcome.passed, (outcome.report, outcome.output_tail)
    assert (copy / ".venv").is_dir() and not any((copy / ".venv").iterdir())
    linked = tmp_path / "linked"
    shutil.copytree(world["repo"] / "tests", linked / "tests")
    (linked / ".venv").symlink_to(tmp_path / "elsewhere")
    refused = await _runner(world, False).run(linked, ["tests/test_probe.py"],
                                              scratch=world["state"] / "oracle-ro")
    assert not refused.passed and not (tmp_path / "elsewhere").exists()


def _other_python() -> str | None:
    """A Python 3.12+ that works (a pyenv shim may exist without its version active), whose
    prefix no system directory and no daemon interpreter shows."""
    found = [shutil.which(f"python3.{minor}") for minor in (13, 12)]
    found += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.1[23]*/bin/python3"))
    for python in filter(None, found):
        ok = subprocess.run([python, "-c", "import venv"], capture_output=True, timeout=30)
        if ok.returncode == 0:
            return python
    return None


@pytest.mark.slow
@jailed
async def test_a_venv_of_another_python_binds_that_pythons_prefix(tmp_path):
    """The venv's Python lives under a home directory (pyenv): its prefix is bound too, and
    the oracle plugin loads in that interpreter."""
    python = _other_python()
    if python is None:
        pytest.skip("no working Python 3.12 or 3.13 to make a venv from")
    w = _build_world(tmp_path, python)
    env = _detect(w)
    prefix = Path(os.path.realpath(w["repo"] / ".venv" / "bin" / "python")).parent.parent
    assert env.ro_paths == (w["repo"] / ".venv", prefix) and prefix != Path(sys.base_prefix)
    (w["sandbox"] / "tests" / "test_version.py").write_text(
        f"import sys\n\ndef test_version():\n    assert sys.prefix == {str(prefix)!r} or "
        f"sys.base_prefix == {str(prefix)!r}\n")
    outcome = await _runner(w, True).run(w["sandbox"], [], scratch=w["state"] / "oracle")
    assert outcome.passed and len(outcome.report.tests) == 3, (outcome.report,
                                                               outcome.output_tail)


@jailed
async def test_the_jails_execvp_error_reaches_the_verdict(world):
    """The reported bug: the venv's interpreter named, but nothing bound (no test_env)."""
    python = str(world["repo"] / ".venv" / "bin" / "python")
    executor = JailExecutor([world["home"], world["repo"], world["state"]], jail_limits(), [])
    outcome = await TestRunner([python, "-m", "pytest"], 60, executor).run(
        world["sandbox"], ["tests/test_probe.py"], scratch=world["state"] / "oracle")
    verdict = judge(outcome.report, Report.empty(), False)
    assert not outcome.passed
    assert "execvp" in verdict.reason and "No such file" in verdict.reason, verdict.reason


@jailed
async def test_the_jail_refuses_a_bind_detection_would_never_give_and_says_why(world):
    """Defence in depth: a TestEnv built by hand with `/usr` shown again is refused by the
    jail itself, and that refusal ("jail not started: ...") is the verdict's reason."""
    executor = JailExecutor([world["home"], world["repo"], world["state"]], jail_limits(), [])
    runner = TestRunner(["{python}", "-m", "pytest"], 30, executor,
                        test_env=lambda: TestEnv(sys.executable, (Path("/usr"),)))
    outcome = await runner.run(world["sandbox"], [], scratch=world["state"] / "oracle")
    reason = judge(outcome.report, Report.empty(), True).reason
    assert outcome.exit_code == 125 and "jail not started" in reason and "top-level" in reason


@jailed
async def test_a_refused_environment_is_the_outcome_and_nothing_runs(tmp_path):
    repo, kw = _hostile_repo(tmp_path, "venv symlink to /etc")
    (repo / "test_ok.py").write_text("def test_ok():\n    pass\n")  # would pass if run
    runner = TestRunner(["{python}", "-m", "pytest"], 30,
                        JailExecutor([], jail_limits(), []), test_env=lambda: detect(repo, **kw))
    outcome = await runner.run(repo, [], scratch=tmp_path / "oracle")
    assert not outcome.passed and outcome.exit_code is None and outcome.report.tests == {}
    assert "is a symlink" in judge(outcome.report, Report.empty(), True).reason


@jailed
async def test_a_venv_python_that_is_a_script_runs_only_inside_the_jail(world, tmp_path):
    """A hostile repo's `.venv/bin/python` is a shell script: it runs, jailed; the venv and
    the live repo stay read-only or unseen, and what it printed is the reason it failed."""
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n")
    script = repo / ".venv" / "bin" / "python"
    targets = [repo / ".venv" / "owned", repo / "owned", world["home"] / "owned",
               world["state"] / "owned"]
    script.write_text("#!/bin/sh\n" + "".join(f"echo x > {t} 2>/dev/null\n" for t in targets)
                      + 'echo "hostile python ran as $(id -u)"\nexit 3\n')
    script.chmod(0o755)
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    executor = JailExecutor([world["home"], repo, world["state"]], jail_limits(), [])
    runner = TestRunner(["{python}", "-m", "pytest"], 30, executor, test_env=lambda: detect(
        repo, state_dir=world["state"], home=world["home"]))
    outcome = await runner.run(sandbox, [], scratch=tmp_path / "oracle")
    assert not outcome.passed and outcome.exit_code == 3
    assert [t for t in targets if t.exists()] == []
    assert "hostile python ran as 65534" in outcome.report.problem


@pytest.mark.slow
@jailed
async def test_the_daemon_runs_a_repos_tests_with_its_venv(world, repo):
    """The composition root: the daemon's own runners find and bind the repository's venv."""
    from daemon.phase_deps import deps_for
    from tests.helpers import running_daemon, settings_for

    shutil.copytree(world["repo"] / ".venv", repo / ".venv", symlinks=True)
    (repo / "tests" / "test_probe.py").write_text(PROBE.format(venv=str(repo / ".venv")))
    async with running_daemon(repo, settings_for(None)) as daemon:
        deps = deps_for(daemon)
        env = await asyncio.to_thread(deps.validate_runner.test_env)
        outcome = await deps.verify_runner.run(repo, ["tests/test_probe.py"],
                                               scratch=daemon.state_dir / "oracle")
    assert (env.source, env.problem) == (".venv", None)
    assert outcome.passed, (outcome.report, outcome.output_tail)


@jailed
@pytest.mark.parametrize("source", ["/", "/usr", "sandbox", "above sandbox", "hidden"])
def test_the_jail_refuses_same_path_binds_that_reveal_too_much(world, source):
    paths = {"/": Path("/"), "/usr": Path("/usr"), "sandbox": world["sandbox"],
             "above sandbox": world["state"].parent, "hidden": world["home"]}
    jail = Jail(world["sandbox"], [world["home"], world["state"]], jail_limits(),
                binds=[Bind(paths[source], str(paths[source]))])
    with pytest.raises(JailError, match=r"top-level|would reveal"):
        jail.arguments(world["state"] / "empty")


@pytest.mark.parametrize("alias", ["/", "/usr", "/tmp", "/proc"])
def test_the_sandbox_is_never_shown_over_what_the_jail_needs(world, alias):
    jail = Jail(world["sandbox"], [], jail_limits(), alias=Path(alias))
    with pytest.raises(JailError, match="cannot be shown"):
        jail.arguments(world["state"] / "empty")


def test_start_failure_prefers_the_jails_own_words():
    text = "some output\nbwrap: execvp /x/python: No such file or directory\nmore\n"
    assert start_failure(text) == "bwrap: execvp /x/python: No such file or directory"
    assert start_failure("a\nb\nc\nd\n") == "b | c | d"
    assert start_failure("") == ""
