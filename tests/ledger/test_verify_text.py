"""`ledger --verify`'s table of heads reads as a table: every count in one column, however
long a table's name (`outcome_tallies` once pushed its row out of line)."""

from __future__ import annotations

from ledger import Ledger
from ledger.chain import TABLES
from ledger.verify import report_text, verify_file


async def test_every_table_row_of_the_report_lines_up(tmp_path):
    path = tmp_path / "l.sqlite3"
    ledger = await Ledger.open(path)
    await ledger.record_thought(None, "P", "t")
    await ledger.close()
    rows = [line for line in report_text(verify_file(path)).splitlines()
            if " rows  head row " in line]
    assert {line.split()[0] for line in rows} == set(TABLES)
    assert len({line.index(" rows  head row ") for line in rows}) == 1, "\n".join(rows)
