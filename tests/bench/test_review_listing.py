"""The review-listing bench runs, and what it times agrees with itself: the reviews it
proposed are listed, and a reader that has seen them lists them without parsing again."""

from __future__ import annotations

import pytest

from bench.review_listing import main


def test_the_bench_prints_a_row_for_each_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--counts", "2", "5", "--repeats", "1"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[0] == "reviews" and [r.split()[0] for r in rows[1:]] == ["2", "5"]
