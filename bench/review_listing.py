"""Listing the reviews that wait: `status` does it on every call, however many pile up.

A repository with N review branches made the daemon's way (`ReviewBranches.propose`); each
count timed three ways in the same process, taking turns: a fresh reader, which parses every
review commit and diffs it (what every listing cost at first); git parsing every review
commit alone (what every listing cost while only the diffs were remembered); and a reader
that has seen them all (what every `status` after the first pays now). Prints the time and
the cost a review of each, and the ratios to the last.

    .venv/bin/python bench/review_listing.py --counts 50 200 800
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import interleaved
from governance.git.gitops import GitOps
from governance.git.review import _FORMAT, ReviewBranches
from governance.schemas import FileChange

PREFIX = "ouroboros/"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def make_repo(repo: Path) -> str:
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "mod.py").write_text("".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(50)))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
        "commit", "-q", "-m", "base")
    return git(repo, "rev-parse", "HEAD")


def propose_up_to(reviews: ReviewBranches, base: str, have: int, want: int) -> None:
    for n in range(have, want):
        op_id = f"op-{n:016x}"
        text = (reviews.root / "mod.py").read_text().replace(f"x + {n % 50}\n", f"x - {n}\n")
        reviews.propose(op_id, base, [FileChange(file_path="mod.py", full_content=text)],
                        f"fix: review {n}\n\nOp-Id: {op_id}\nSignal: todo\nEvidence: bench\n",
                        author_name="bench", author_email="bench@example.invalid",
                        sign_env=None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--counts", type=int, nargs="+", default=[50, 200, 800])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        base = make_repo(repo)
        maker, have = ReviewBranches(GitOps(repo), PREFIX), 0
        print(f"{'reviews':>8} {'fresh ms':>9} {'parsed ms':>10} {'seen ms':>8} "
              f"{'fresh/seen':>11} {'parsed/seen':>12} {'parsed us/rev':>14} "
              f"{'seen us/rev':>12}")
        for count in sorted(args.counts):
            propose_up_to(maker, base, have, count)
            have = count
            seen = ReviewBranches(GitOps(repo), PREFIX)
            assert len(seen.list()) == count
            t = interleaved(args.repeats, {
                "fresh": lambda: ReviewBranches(GitOps(repo), PREFIX).list(),
                "parsed": lambda r=seen: r._run("for-each-ref", f"--format={_FORMAT}",
                                                f"refs/heads/{PREFIX}"),
                "seen": seen.list})
            fresh, parsed, now = t["fresh"], t["parsed"], t["seen"]
            print(f"{count:>8} {fresh * 1e3:>9.1f} {parsed * 1e3:>10.2f} {now * 1e3:>8.2f} "
                  f"{fresh / now:>10.0f}x {parsed / now:>11.1f}x "
                  f"{parsed / count * 1e6:>14.1f} {now / count * 1e6:>12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
