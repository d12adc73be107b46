"""Hostile L2, the parts that need no pipeline: a model choosing its failures against the
kill conditions, and the rollback snapshot under repairs that delete, with a crash before,
between or after the repair's writes (the pipeline attacks: tests/governance/
test_hostile_l2.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from governance.fs.rollback import RollbackSnapshot, after_digest
from governance.phases.l2 import CLASS_RULES, Failure, FailureClass, Progress, StopReason, decide
from tests.helpers import commit_files, tree_bytes

# -- kill conditions: a hostile model choosing its failures can never keep L2 going --------

def _failure(rng: random.Random) -> Failure:
    cls = rng.choice([c for c in FailureClass if not CLASS_RULES[c].stop_at_once])
    failing = frozenset(f"t::{rng.randrange(400)}" for _ in range(rng.randrange(60)))
    return Failure(cls, failing if cls in (FailureClass.TEST, FailureClass.FLAKY) else
                   frozenset(), tuple(f"problem {rng.random()}" for _ in range(rng.randrange(3))))


@pytest.mark.slow
def test_no_sequence_of_failures_outlives_the_iteration_cap():
    """Random failure shapes (never repeating, growing, shrinking, huge failing sets): every
    run stops by the cap, and only shrinking failing sets ever reach it."""
    rng = random.Random(9)
    for _ in range(3000):
        progress, entry = Progress(), _failure(rng)
        progress.start(entry)
        for iteration in range(1, 50):
            decision = decide(progress, _failure(rng), iteration, 5, 100.0)
            if not decision.retry:
                break
        assert not decision.retry and iteration <= 5, (iteration, decision)
    # The adversary's best: strictly shrinking failing sets, every signature new.
    progress = Progress()
    progress.start(Failure(FailureClass.TEST, frozenset(f"t::{i}" for i in range(1000))))
    decisions = [decide(progress, Failure(FailureClass.TEST, frozenset(
        f"t::{i}" for i in range(999 - n))), n, 5, 100.0) for n in range(1, 6)]
    assert [d.retry for d in decisions] == [True] * 4 + [False]
    assert decisions[-1].stop is StopReason.MAX_ITERS


def test_a_spent_timebox_stops_whatever_the_failure():
    progress = Progress()
    progress.start(Failure(FailureClass.TEST, frozenset({"a", "b"})))
    d = decide(progress, Failure(FailureClass.TEST, frozenset({"a"})), 1, 5, -0.1)
    assert not d.retry and d.stop is StopReason.TIMEBOX


# -- the rollback snapshot under a repair that deletes, and a crash either side of it ------

def _applied_then_extended(short_tmp: Path, first: dict[str, bytes | None],
                           repair: dict[str, bytes | None]) -> tuple[Path, RollbackSnapshot,
                                                                      dict[str, bytes]]:
    repo = commit_files(short_tmp / "repo", {"a.py": "a = 1\n", "b.py": "b = 1\n"})
    before = tree_bytes(repo)
    snap = RollbackSnapshot.capture(short_tmp / "state", "op-1", repo, list(first),
                                    [after_digest(v) for v in first.values()])
    _lay(repo, first)
    snap.extend(list(repair), [after_digest(v) for v in repair.values()])
    return repo, snap, before


def _lay(repo: Path, files: dict[str, bytes | None]) -> None:
    for rel, data in files.items():
        if data is None:
            (repo / rel).unlink(missing_ok=True)
        else:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_bytes(data)


DELETING_REPAIRS = {
    "deletes-what-the-first-apply-created": ({"pkg/new.py": b"n = 1\n"}, {"pkg/new.py": None}),
    "deletes-an-untouched-file": ({"a.py": b"a = 2\n"}, {"b.py": None}),
    "deletes-what-the-first-apply-changed": ({"a.py": b"a = 2\n"}, {"a.py": None}),
    "recreates-what-the-first-apply-deleted": ({"a.py": None}, {"a.py": b"a = 3\n"}),
    "deletes-one-creates-another": ({"a.py": b"a = 2\n", "pkg/new.py": b"n = 1\n"},
                                    {"pkg/new.py": None, "b.py": b"b = 3\n",
                                     "pkg/deep/x.py": b"x = 1\n"}),
}


@pytest.mark.parametrize("written", [0, 1, 3], ids=["crash-before", "crash-mid", "crash-after"])
@pytest.mark.parametrize("case", sorted(DELETING_REPAIRS))
def test_a_deleting_repair_rolls_back_to_the_pre_op_tree(short_tmp, case, written):
    first, repair = DELETING_REPAIRS[case]
    repo, snap, before = _applied_then_extended(short_tmp, first, repair)
    _lay(repo, dict(list(repair.items())[:written]))
    loaded = RollbackSnapshot.load(snap.directory, repo)
    loaded.restore()
    assert loaded.kept == [] and tree_bytes(repo) == before
    assert not (repo / "pkg").exists()


def test_an_extended_manifest_naming_another_spelling_is_refused(short_tmp):
    """Restore acts on exactly the path APPLY wrote: a manifest entry spelled otherwise
    (as a hand-edited one might be) is refused on load, and nothing is touched."""
    repo, snap, _ = _applied_then_extended(short_tmp, {"a.py": b"a = 2\n"},
                                           {"a.py": b"a = 3\n"})
    path = snap.directory / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["entries"][0]["path"] = "./a.py"
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="canonical form"):
        RollbackSnapshot.load(snap.directory, repo)
