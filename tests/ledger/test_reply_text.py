"""The ledger keeps each model reply's text (redacted, capped) and what failed calls spent,
so "the model made no change" can be read back with `ouroboros ledger OP`."""

from __future__ import annotations

import sqlite3

import pytest

from daemon.cli.render import chain_text
from governance.phase import Phase
from kernel.replay import ReplayProvider, ReplayTurn
from ledger import Ledger
from ledger.migrations import MIGRATIONS
from ledger.store import REPLY_TEXT_CAP
from tests.helpers import make_policy, run_op, with_routes

SECRET = "sk-" + "proj-abcDEF1234567890ghiJKL"  # split: no secret-shaped literal in the repo


async def _op(ledger: Ledger) -> None:
    await ledger.record_operation("op-1", source="s", goal="g", session_id="x", envelope={})


async def test_reply_text_is_redacted_and_capped(tmp_path):
    ledger = await Ledger.open(tmp_path / "l.db")
    await _op(ledger)
    await ledger.record_model_call("op-1", phase="GENERATE", provider="p",
                                   reply_text=f"OPENAI_API_KEY={SECRET}\n" + "x" * 40_000)
    row = (await ledger.chain("op-1"))["model_calls"][0]
    await ledger.close()
    assert "abcDEF1234567890ghiJKL" not in row["reply_text"]
    assert "[REDACTED" in row["reply_text"]
    assert len(row["reply_text"]) < REPLY_TEXT_CAP + 100
    assert row["reply_text"].endswith("more chars not kept]")
    for f in tmp_path.iterdir():  # the database and whatever WAL the close left
        assert b"abcDEF1234567890ghiJKL" not in f.read_bytes()


async def test_reply_text_is_append_only(tmp_path):
    ledger = await Ledger.open(tmp_path / "l.db")
    await _op(ledger)
    await ledger.record_model_call("op-1", phase="GENERATE", provider="p", reply_text="hi")
    await ledger.close()
    with sqlite3.connect(tmp_path / "l.db") as db, pytest.raises(sqlite3.IntegrityError,
                                                                 match="append-only"):
        db.execute("UPDATE model_calls SET reply_text = 'rewritten'")


async def test_an_older_ledger_gains_the_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "l.db"
    with sqlite3.connect(path) as db:  # a ledger as the previous build left it
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                   "name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        for version, name, sql in MIGRATIONS[:2]:
            db.executescript(sql)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (version, name))
        db.execute("INSERT INTO operations VALUES ('op-1', 't', 's', 'g', 'x', '{}')")
        db.execute("INSERT INTO model_calls (op_id, ts, phase, provider, ok) "
                   "VALUES ('op-1', 't', 'GENERATE', 'old', 1)")
    ledger = await Ledger.open(path)
    assert await ledger.schema_version() == MIGRATIONS[-1][0]
    rows = (await ledger.chain("op-1"))["model_calls"]
    await ledger.close()
    assert [(r["provider"], r["reply_text"]) for r in rows] == [("old", "")]


async def test_no_change_is_investigable_from_the_ledger(repo, short_tmp):
    words = "I looked at calc/ops.py and decided clamp is fine."
    end, chain = await run_op(repo, short_tmp / "l.db", "calc/ops.py", words,
                              policy=make_policy(max_generate_retries=0))
    assert end is Phase.POSTMORTEM
    assert chain["model_calls"][0]["reply_text"] == words
    shown = chain_text(chain)
    assert f"| {words}" in shown


async def test_a_failed_call_keeps_the_tokens_it_spent(repo, short_tmp):
    slow = ReplayProvider([ReplayTurn(purpose="generate", text="late", delay_s=5,
                                      prompt_tokens=321)])
    policy = with_routes(make_policy(), timeout_s=0.1, budget_s=0.1, grace_s=0.0)
    end, chain = await run_op(repo, short_tmp / "l.db", "calc/ops.py", provider=slow,
                              policy=policy)
    assert end is Phase.POSTMORTEM
    [call] = chain["model_calls"]
    assert (call["ok"], call["prompt_tokens"]) == (0, 321)
    assert "deadline" in call["error"]
    assert "in=321" in chain_text(chain)


def test_a_long_reply_is_shown_capped():
    chain = {"operation": {"op_id": "op-1", "source": "s", "session_id": "x", "goal": "g"},
             "transitions": [], "tool_calls": [], "thoughts": [],
             "model_calls": [{"ts": "t", "phase": "GENERATE", "provider": "p", "model": "m",
                              "prompt_tokens": 1, "completion_tokens": 2, "cost_usd": 0.0,
                              "latency_ms": 1.0, "ok": 1, "error": "", "telemetry": {},
                              "reply_text": "y" * 5000}]}
    shown = chain_text(chain)
    assert shown.count("y") < 1000
    assert "4400 more chars" in shown


@pytest.mark.parametrize("hostile", ["\ud800 lone surrogate", "nul \x00 byte", "", "\u202e rtl"])
async def test_hostile_reply_text_is_stored_not_crashing(tmp_path, hostile):
    ledger = await Ledger.open(tmp_path / "l.db")
    await _op(ledger)
    await ledger.record_model_call("op-1", phase="GENERATE", provider="p", reply_text=hostile)
    [row] = (await ledger.chain("op-1"))["model_calls"]
    await ledger.close()
    assert row["reply_text"] == hostile.replace("\ud800", "?")
    chain_text({"operation": {"op_id": "op-1", "source": "s", "session_id": "x", "goal": "g"},
                "transitions": [], "tool_calls": [], "thoughts": [], "model_calls": [row]})
