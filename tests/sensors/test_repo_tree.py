"""Only what the repository tracks (issue 51, item 2): sensors.repo_tree's listing and event
filter on a real git repository beside an untracked `.venv/`, `node_modules/`, a build's
output, a cache, a nested repository and an ignored file; the watcher drops their events;
a rescan of an unchanged tree reads no file."""

from __future__ import annotations

import asyncio
import json

import pytest

from sensors import hooks, opportunity, todo
from sensors.doc_staleness import DocStalenessSensor
from sensors.hub import SensorHub
from sensors.opportunity import OpportunitySensor
from sensors.repo_tree import RepoTree
from sensors.todo import TodoSensor
from sensors.watcher import RepoWatcher
from tests.helpers import git
from tests.sensors.env_trees import FINDINGS, NOT_OURS, add_envs

OURS = [".gitignore", "README.md", "calc/__init__.py", "calc/ops.py", "notes.txt",
        "tests/test_ops.py"]


def test_the_listing_is_what_git_tracks_and_new_files_never_what_it_does_not(repo):
    add_envs(repo)
    (repo / "calc" / "new.py").write_text(FINDINGS)  # new, untracked, not ignored: ours
    tree = RepoTree(repo, repo / ".ouroboros")
    assert tree.listing() == sorted([*OURS, "calc/new.py"])
    # those no table names were found by their markers and are handed to git from now on
    # (.git/HEAD alone is no repository git knows: it listed the files, the marker did not)
    assert tree.skipped == {"env311": "env311/: a virtual environment",
                            "third_party/vendored": "third_party/vendored/: a nested repository"}


def test_a_tracked_build_directory_is_the_projects_own_code(repo):
    (repo / "src" / "build").mkdir(parents=True)
    (repo / "src" / "build" / "__init__.py").write_text("# TODO: ours\n")
    git(repo, "add", "src")
    git(repo, "commit", "-q", "-m", "a package named build")
    (repo / "src" / "build" / "later.py").write_text("x = 1\n")  # untracked beside it
    (repo / "dist").mkdir()
    (repo / "dist" / "pkg.py").write_text("x = 1\n")  # untracked: built distributions
    listed = RepoTree(repo).listing()
    assert {"src/build/__init__.py", "src/build/later.py"} <= set(listed)
    assert "dist/pkg.py" not in listed


def test_a_rescan_of_an_unchanged_tree_checks_no_directory_again(repo):
    add_envs(repo)
    tree = RepoTree(repo)
    first = tree.listing()
    checks = tree.marker_checks
    assert checks > 0
    assert tree.listing() == first
    assert tree.marker_checks == checks  # each directory's verdict held with its stamp
    (repo / "calc" / "pyvenv.cfg").write_text("home = /usr\n")  # calc/ becomes a venv
    assert not any(f.startswith("calc/") for f in tree.listing())


def test_events_are_admitted_as_the_listing_would_list_them(repo):
    add_envs(repo)
    (repo / "calc" / "new.py").write_text("x = 1\n")
    tree = RepoTree(repo)
    assert tree.admit([*NOT_OURS, "calc/ops.py", "calc/new.py", "gone.py"]) == [
        "calc/ops.py", "calc/new.py", "gone.py"]  # a deleted file: nothing of it to skip


async def test_the_watcher_drops_writes_inside_a_venv_and_node_modules(repo):
    add_envs(repo)
    (repo / "calc" / "env2").mkdir()
    (repo / "calc" / "env2" / "pyvenv.cfg").write_text("home = /usr\n")  # inside a watch
    delivered: list[set[str]] = []
    done = asyncio.Event()

    async def on_paths(paths: set[str]) -> None:
        delivered.append(set(paths))
        if "calc/ours.py" in paths:
            done.set()

    async def on_git() -> None:
        return None

    watcher = RepoWatcher(repo, repo / ".ouroboros", 0.05, on_paths, on_git)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(watcher.watching.wait(), 10)
        for rel in (".venv/lib/python3.11/site-packages/late.py", "node_modules/x/late.py",
                    "calc/env2/lib/late.py", "calc/__pycache__/late.py", "generated.py",
                    "calc/ours.py"):  # written in this order: ours last
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(FINDINGS)
        await asyncio.wait_for(done.wait(), 20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    files = {p for p in set().union(*delivered) if not (repo / p).is_dir()}
    assert files == {"calc/ours.py"}  # ('calc' itself changed: a directory of ours)
    assert repo / ".venv" not in watcher._watched and repo / "node_modules" not in watcher._watched


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Every file a sensor reads the contents of."""
    seen: list[str] = []
    real = todo.read_source

    def counting(path, root=None):
        seen.append(str(path))
        return real(path, root)

    monkeypatch.setattr(todo, "read_source", counting)
    monkeypatch.setattr(opportunity, "read_source", counting)
    return seen


async def test_a_rescan_of_an_unchanged_tree_reads_no_file(repo, reads):
    add_envs(repo)
    (repo / "calc" / "ops.py").write_text(FINDINGS)
    git(repo, "commit", "-qam", "ours to find")
    emitted = []

    async def emit(env):
        emitted.append(env)
        return True

    async def clean(paths):
        return []

    tree = RepoTree(repo)
    hub = SensorHub({"todo": TodoSensor(repo, "s", emit, clean),
                     "opportunity": OpportunitySensor(repo, "s", emit)}, root=repo, tree=tree)
    first = await hub.scan(await hub.listing())
    assert first == {"todo": 1, "opportunity": 1} and reads
    assert {e.target_files for e in emitted} == {("calc/ops.py",)}
    reads.clear()
    again = await hub.scan(await hub.listing())
    assert again["todo"] == 1 and reads == []  # the TODO offered again, from its last read
    (repo / "calc" / "ops.py").write_text(FINDINGS + "# HACK: changed\n")
    await hub.scan(await hub.listing())
    assert sorted(set(reads)) == [str(repo / "calc" / "ops.py")]  # what changed, only


async def test_a_committed_venv_gets_no_docstring_work(repo):
    """The docs sensor reads the commit hook's files, not a listing: a venv committed by
    mistake (its pyvenv.cfg with it) is skipped there too, by the same rules."""
    (repo / "venv_in_git" / "lib").mkdir(parents=True)
    (repo / "venv_in_git" / "pyvenv.cfg").write_text("home = /usr\n")
    (repo / "venv_in_git" / "lib" / "dep.py").write_text("def api():\n    pass\n")
    (repo / "calc" / "more.py").write_text("def api():\n    pass\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a venv committed by mistake")
    state = repo / ".ouroboros"
    state.mkdir()
    (state / hooks.EVENTS).write_text(json.dumps({
        "schema": "git_event.1", "commit": "c" * 40,
        "files": ["venv_in_git/lib/dep.py", "calc/more.py"]}) + "\n")
    got = []

    async def emit(env):
        got.append(env)
        return True

    tree = RepoTree(repo, state)
    tree.tracked()
    sensor = DocStalenessSensor(repo, "s", emit, state, skipped=tree.skipped_path)
    assert await sensor.scan_once() == 1
    assert [e.target_files for e in got] == [("calc/more.py",)]
