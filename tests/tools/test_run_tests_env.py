"""Venom's run_tests runs a project's tests as VALIDATE does (issue 20 §5): the oracle's own
runner, so the project's interpreter and venv (governance.oracle.interpreter), the same
jail, the same command. A project whose tests import a package installed only in its own
venv: the model's test run passes through the real jail, and without it where the operator opted in;
it used to run the daemon's interpreter and report an ImportError. The parts come from the
composition root (daemon.phase_deps), as the daemon builds them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from daemon.config.settings import Settings
from daemon.phase_deps import runners_from, venom_from
from governance.phase import Phase
from ledger import Ledger
from tests.helpers import git, op_context, pipeline_deps, replay, tool_call
from tests.tools.project_venv import make_venv
from tools.jail import bwrap_available

jailed = pytest.mark.skipif(bwrap_available() is not None,
                            reason=f"bubblewrap unusable here: {bwrap_available()}")
NO_JAIL = "bubblewrap (bwrap) is not installed"
PROJECT_TEST = '''import sys

import projdep


def test_the_projects_dependency_imports():
    assert projdep.WHERE == "the project's venv"
    assert sys.prefix == {venv!r}, sys.prefix
'''


@pytest.fixture(scope="module")
def venv_template(tmp_path_factory) -> Path:
    """A venv with pytest and `projdep`, a package the daemon's interpreter does not have."""
    path = tmp_path_factory.mktemp("template") / ".venv"
    site = make_venv(path, with_pytest=True)
    (site / "projdep").mkdir()
    (site / "projdep" / "__init__.py").write_text('WHERE = "the project\'s venv"\n')
    return path


@pytest.fixture
def project(repo: Path, venv_template: Path) -> Path:
    """The test repository with its own .venv (untracked, as usual) and a test needing it."""
    shutil.copytree(venv_template, repo / ".venv", symlinks=True)
    (repo / ".gitignore").write_text(".venv/\n")
    (repo / "tests" / "test_projdep.py").write_text(
        PROJECT_TEST.format(venv=str(repo / ".venv")))
    git(repo, "add", ".gitignore", "tests/test_projdep.py")
    git(repo, "commit", "-qm", "a test that needs the project's venv")
    return repo


async def _run_tests_result(repo: Path, jail_reason: str | None, *, tool: str = "run_tests",
                            call: dict | None = None, **tools: object) -> str:
    """What the model reads after its one `tool` call (run_tests by default), in a session
    the daemon's composition root built (VALIDATE's runner, Venom from the same settings)."""
    settings = Settings.model_validate({"tools": tools})
    validate, _ = runners_from(settings, repo, repo / ".ouroboros", jail_reason)
    ledger = await Ledger.open(repo.parent / "ledger.sqlite3")
    try:
        deps = pipeline_deps(repo, ledger, None, runner=validate)
        venom = venom_from(settings, jail_reason, None)
        assert venom is not None
        session = venom.open(op_context(), Phase.GENERATE, deps)
        try:
            model = replay(tool_call(tool, **(call or {"paths": ["tests/test_projdep.py"]})),
                           "done")
            await session.run(model, "run the tests", deadline=time.monotonic() + 300)
        finally:
            session.close()
    finally:
        await ledger.close()
    assert not (session.workspace.root / ".venv" / "pyvenv.cfg").exists()  # never copied
    return model.prompts[1].split(f"## Tool result ({tool})", 1)[1]


@pytest.mark.slow
@jailed
async def test_the_models_test_run_uses_the_projects_venv_in_the_jail(project):
    seen = await _run_tests_result(project, None)
    assert "exit code 0" in seen and "1 passed" in seen, seen
    assert "No module named" not in seen and "NOT sandboxed" not in seen


@pytest.mark.slow
@jailed
async def test_the_models_commands_find_the_projects_python_and_pytest(project):
    """`bash` in the jail: `python` and `pytest` are the project's venv's, as run_tests's
    are; they once were the system's, without the project's packages or pytest."""
    command = ('python -c "import projdep, sys; print(projdep.WHERE, sys.prefix)" && '
               "python -m pytest -q tests/test_projdep.py")
    seen = await _run_tests_result(project, None, tool="bash", call={"command": command})
    assert f"the project's venv {project / '.venv'}" in seen, seen
    assert "exit code 0" in seen and "1 passed" in seen, seen


@pytest.mark.slow
async def test_the_models_unsandboxed_test_run_uses_the_projects_venv_too(project):
    """Without bubblewrap, where the operator allowed unsandboxed tests: the same runner,
    the project's interpreter, run on the host."""
    seen = await _run_tests_result(project, NO_JAIL, allow_unsandboxed_tests=True)
    assert "exit code 0" in seen and f"NOT sandboxed: {NO_JAIL}" in seen, seen
    assert "1 passed" in seen and "No module named" not in seen


@pytest.mark.slow
async def test_a_refused_project_venv_is_the_models_answer_and_nothing_runs(
        repo, venv_template):
    """A symlinked .venv is refused for VALIDATE; the model's test run is refused alike."""
    (repo / ".venv").symlink_to(venv_template)
    (repo / "tests" / "test_projdep.py").write_text("def test_x():\n    pass\n")
    git(repo, "add", "tests/test_projdep.py")
    git(repo, "commit", "-qm", "a test")
    seen = await _run_tests_result(repo, NO_JAIL, allow_unsandboxed_tests=True)
    assert "tests cannot run: the repository's test environment is refused (.venv)" in seen
    assert "is a symlink" in seen and "exit code" not in seen, seen
