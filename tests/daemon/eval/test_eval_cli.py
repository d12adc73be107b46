"""`ouroboros eval`'s refusals, said plainly, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.cli import main
from tests.daemon.eval.histories import new_repo


@pytest.mark.parametrize(("argv", "code", "said"), [
    (["run", "--brain", "gpt-9"], 3, "no brain named 'gpt-9' (the brains: kernel, "
                                     "replay:fix, replay:none, replay:careless, replay:mixed)"),
    (["run", "--brain", "replay:fix"], 1, "no task to run: `ouroboros eval mine` first"),
    (["report"], 1, "no eval run yet"),
    (["run", "--brain", "kernel", "--tasks", "0"], 2, "must be 1 or more, not 0"),
], ids=["an unknown brain", "no task mined", "no run yet", "no tasks asked"])
def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                  code: int, said: str) -> None:
    argv = ["eval", *argv, "--repo", str(new_repo(tmp_path / "repo"))]
    if code == 2:  # a usage error: argparse exits
        with pytest.raises(SystemExit) as usage:
            main(argv)
        got = usage.value.code
    else:
        got = main(argv)
    assert got == code and said in capsys.readouterr().err
