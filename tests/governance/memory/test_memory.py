"""Grounding memory: the seed's formulas as tables, the import graph, and end to end through
the real pipeline: a file whose ops failed twice raises the next op's tier one step and puts
its fragility into the generation prompt; the advice never lowers a tier, and memory that
cannot be read is no advice."""

from __future__ import annotations

import json

import pytest

from daemon.status.text import status_text
from governance.memory.memory import Memory
from governance.memory.reputation import FileReputation, level_of, prophecy, reputations
from governance.oracle.import_graph import ImportGraph, imports_of, module_names
from governance.phase import Phase
from governance.phases.decide import classify_phase
from governance.phases.orchestrator import Orchestrator
from governance.phases.pipeline import PHASES
from ledger import Ledger
from tests.helpers import (
    OPS_BROKEN,
    OPS_FIXED,
    candidate_turn,
    make_repo,
    no_retry_policy,
    op_context,
    pipeline_deps,
    replay,
)
from tests.status_sample import sample_status


@pytest.mark.parametrize("success, fragility, dependents, risk, level", [
    (1.0, 0.0, 0, 0.1, "LOW"),  # the baseline alone
    (0.5, 0.0, 10, 0.35, "MEDIUM"),
    (0.0, 0.5, 0, 0.55, "MEDIUM"),
    (0.0, 1.0, 0, 0.7, "HIGH"),
    (0.0, 1.0, 20, 0.9, "CRITICAL"),
    (0.0, 1.0, 400, 0.9, "CRITICAL"),  # dependents capped at the seed's scale of 20
    (1.0, 0.0, 400, 0.3, "MEDIUM"),  # a hub with no failures is never HIGH by imports alone
])
def test_the_prophecy_formula_and_levels(success, fragility, dependents, risk, level):
    counted = 10
    rep = FileReputation("f.py", counted, round(success * counted), round(fragility * counted))
    p = prophecy(rep, dependents)
    assert p.risk == pytest.approx(risk) and p.level == level
    assert p.confidence == 0.6  # capped: heuristic, not model-derived


def test_level_boundaries_and_confidence_from_evidence():
    assert [level_of(r) for r in (0.29, 0.3, 0.59, 0.6, 0.79, 0.8)] == \
        ["LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "CRITICAL"]
    assert prophecy(FileReputation("f", 1, 0, 0), 0).confidence == 0.2
    assert not prophecy(FileReputation("f"), 0).escalates  # no history: no advice


def test_reputation_counts_only_what_is_about_the_file():
    records = [
        {"files": ["a.py"], "result": "COMPLETE", "failure_class": ""},
        {"files": ["a.py", "b.py"], "result": "POSTMORTEM", "failure_class": "rolled_back"},
        {"files": ["a.py"], "result": "POSTMORTEM", "failure_class": "validation_failed"},
        {"files": ["a.py"], "result": "CANCELLED", "failure_class": "cancelled"},
        {"files": ["a.py"], "result": "POSTMORTEM", "failure_class": "timeout"},
        {"files": ["a.py"], "result": "POSTMORTEM", "failure_class": "model"},
    ]
    reps = reputations(records)
    assert (reps["a.py"].counted, reps["a.py"].successes, reps["a.py"].breaks) == (3, 1, 1)
    assert reps["b.py"].success_rate == 0.0 and reps["b.py"].fragility == 1.0


def test_import_graph_counts_dependents(tmp_path):
    files = {"pkg/__init__.py": "", "pkg/core.py": "X = 1\n",
             "pkg/a.py": "from .core import X\n", "pkg/b.py": "from pkg import core\n",
             "pkg/c.py": "import pkg.core as c  # aliased\n", "d.py": "from pkg.core import X\n",
             "e.py": "# import pkg.core\ns = 'from pkg.core import X'\n", "src/lib/m.py": "",
             "f.py": "import lib.m\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "g.py").symlink_to(tmp_path / "d.py")  # never followed, never counted
    graph = ImportGraph()
    counts = graph.dependents(tmp_path, [*files, "g.py"], ["pkg/core.py", "src/lib/m.py"])
    assert counts == {"pkg/core.py": 4, "src/lib/m.py": 1}
    assert module_names("pkg/__init__.py") == {"pkg"}
    assert imports_of("pkg/sub/x.py", "from .. import y\n") == {"pkg", "pkg.y"}


def _candidate(content: str) -> str:
    """The model's reply text: a candidate.1 for calc/ops.py."""
    return json.loads(candidate_turn("calc/ops.py", content))["text"]


@pytest.mark.slow
async def test_a_file_that_failed_twice_raises_the_next_op_s_tier_and_warns_the_prompt(tmp_path):
    repo = make_repo(tmp_path)
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    memory = Memory(ledger, ttl_s=168 * 3600)
    policy = no_retry_policy(l2_enabled=False, notify_apply_delay_s=0.0)
    try:
        for n in range(2):
            deps = pipeline_deps(repo, ledger, replay(_candidate(OPS_BROKEN)), policy=policy,
                                 memory=memory)
            end = await Orchestrator(PHASES, deps).run(op_context(dedup_key=f"k{n}"))
            assert end is Phase.POSTMORTEM
        provider = replay(_candidate(OPS_FIXED))
        deps = pipeline_deps(repo, ledger, provider, policy=policy, memory=memory)
        ctx = op_context(dedup_key="k3")
        end = await Orchestrator(PHASES, deps).run(ctx)
        chain = await ledger.chain(ctx.op_id)
        assert end is Phase.COMPLETE, chain["transitions"][-1]["reason"]
        outcomes = await ledger.outcomes_since("2000")
    finally:
        await ledger.close()
    classify = next(t for t in chain["transitions"] if t["from_phase"] == "CLASSIFY")
    assert "NOTIFY_APPLY by rule" in classify["reason"] and "+memory" in classify["reason"]
    [advice] = classify["payload"]["memory"]["files"]
    assert advice["file"] == "calc/ops.py" and advice["success_rate"] == 0.0
    assert advice["level"] in ("MEDIUM", "HIGH")
    prompt = provider.prompts[-1]
    assert "## Caution: what happened to these files before" in prompt
    assert "calc/ops.py: 2 of its last 2 ops failed" in prompt
    assert [o["failure_class"] for o in outcomes] == ["validation_failed"] * 2 + [""]
    assert outcomes[-1]["result"] == "COMPLETE" and outcomes[-1]["files"] == ["calc/ops.py"]
    # stated confidence 1.0 twice failed, once landed: Brier (1 + 1 + 0) / 3
    assert memory.summary == {"outcomes": 3, "brier": 0.6667, "drift": None}
    text = status_text(sample_status(grounding=memory.summary))
    assert "memory:   3 outcomes, Brier 0.667, drift n/a" in text
    lessons = {"count": 2, "cap": 20, "cleared": 1, "with": [1, 2], "without": [0, 0]}
    text = status_text(sample_status(grounding={**memory.summary, "lessons": lessons}))
    assert "lessons:  2 of 20, cleared 1 time" in text


async def test_memory_never_passes_approval_and_its_failure_is_no_advice(tmp_path):
    repo = make_repo(tmp_path)
    ledger = await Ledger.open(tmp_path / "ledger.sqlite3")
    memory = Memory(ledger, ttl_s=168 * 3600)
    try:
        for n in range(3):
            await ledger.record_outcome(f"op-{n}", files=["calc/ops.py"], source="t",
                                        route="", provider="p", confidence=1.0,
                                        result="POSTMORTEM", failure_class="rolled_back")
        policy = no_retry_policy(approval_globs=("calc/*",))
        deps = pipeline_deps(repo, ledger, replay(), policy=policy, memory=memory)
        t = await classify_phase(op_context(), deps)
        assert t.to is Phase.ROUTE and t.payload["tier"] == "APPROVAL_REQUIRED"  # not BLOCKED
        assert t.payload["memory"]["files"][0]["level"] == "HIGH"  # 0.3 + 0.3 + 1 dependent + 0.1

        async def broken(*args, **kwargs):
            raise OSError("disk gone")

        memory.assess = broken
        deps = pipeline_deps(repo, ledger, replay(), policy=no_retry_policy(), memory=memory)
        ctx = op_context(dedup_key="k2")
        await ledger.record_operation(ctx.op_id, source="t", goal="g", session_id="s",
                                      envelope={})
        t = await classify_phase(ctx, deps)
        chain = await ledger.chain(ctx.op_id)
    finally:
        await ledger.close()
    assert t.to is Phase.ROUTE and "SAFE_AUTO" in t.reason and ctx.cautions == []
    assert [th["msg"] for th in chain["thoughts"]] == ["memory unavailable"]
