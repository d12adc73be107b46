"""The soak's human: what a person does to the repository while the daemon works on it.

They give it work (a TODO committed in a free slot, bench/soak_world.py), take over work it
gave up on (they write the fix themselves), commit their own journal while the daemon
commits (the two race for HEAD), save files in bursts as an editor does, switch to a branch
that renames a whole directory and back, and keep their work in progress (staged,
unstaged, untracked, and a Python file with a TODO of their own) exactly as it is: the
soak checks it byte for byte (bench/soak_checks.py).

Every git command is retried while `.git/index.lock` is held (the daemon's index refresh
holds it for milliseconds), as a person runs it again.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.soak_world import DATA_FILES, Item

LOCKED = ("index.lock", "Unable to create", "cannot lock ref", "is at ", "but expected")
TRIES = 50
OWN_TODO = "wip.py"  # the human's own untracked module, with a TODO: never the daemon's


def git(repo: Path, *args: str) -> str:
    """`git args` in `repo`, run again while another process holds a lock."""
    for attempt in range(TRIES):
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                              check=False)
        if done.returncode == 0:
            return done.stdout
        if attempt + 1 == TRIES or not any(m in done.stderr for m in LOCKED):
            raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
        time.sleep(0.05)  # a person types the command again
    raise AssertionError("unreachable")


@dataclass
class Human:
    repo: Path
    saved: dict[str, bytes] = field(default_factory=dict)  # untracked files: last bytes
    journal: int = 0  # journal commits made
    switches: int = 0

    def __post_init__(self) -> None:
        self.save(OWN_TODO, "def mine():\n    # TODO: the human's own, not committed\n"
                  "    return 1\n")

    def save(self, rel: str, text: str) -> None:
        data = text.encode()
        (self.repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.repo / rel).write_bytes(data)
        self.saved[rel] = data

    def give(self, item: Item) -> None:
        """Write the item's TODO (and its test) and commit just those files."""
        (self.repo / item.path).write_text(item.module())
        paths = [item.path]
        if item.has_test:
            (self.repo / item.test_path).write_text(item.test())
            git(self.repo, "add", "--", item.test_path)
            paths.append(item.test_path)
        elif (self.repo / item.test_path).exists():  # an earlier item's test in this slot
            git(self.repo, "rm", "-q", "--", item.test_path)
            paths.append(item.test_path)
        git(self.repo, "commit", "-q", "-m", f"work for slot {item.slot}", "--", *paths)

    def take_over(self, item: Item) -> None:
        """The daemon gave up: the human writes the fix and commits it."""
        (self.repo / item.path).write_text(item.module(todo=False, fixed=True))
        git(self.repo, "commit", "-q", "-m", f"fix slot {item.slot} by hand", "--", item.path)

    def write_journal(self) -> None:
        """A commit of the human's own, racing the daemon's for HEAD."""
        self.journal += 1
        log = self.repo / "journal" / "log.md"
        log.write_text(log.read_text() + f"- entry {self.journal}\n")
        git(self.repo, "commit", "-q", "-m", f"journal {self.journal}", "--", "journal/log.md")

    def save_storm(self, saves: int) -> float:
        """`saves` editor saves in a burst: scratch files and the human's own module (a
        TODO in an untracked file waits for a commit that never comes). Seconds taken."""
        began = time.monotonic()
        for n in range(saves):
            if n % 10 == 0:
                self.save(OWN_TODO, f"def mine():\n    # TODO: the human's own ({n})\n"
                          "    return 1\n")
            else:
                self.save(f"scratch/s{n % 25:02d}.txt", f"draft {n}\n")
        return time.monotonic() - began

    def switch_branches(self, hold_s: float) -> float:
        """Check out a new branch that renames every data file (a mass rename: hundreds of
        file events each way), stay `hold_s`, and come back. Seconds on the branch."""
        self.switches += 1
        main = git(self.repo, "symbolic-ref", "--short", "HEAD").strip()
        side = f"side-{self.switches}"
        began = time.monotonic()
        git(self.repo, "checkout", "-q", "-b", side)
        git(self.repo, "mv", "data", f"data-{self.switches}")
        git(self.repo, "commit", "-q", "-m", f"rename {DATA_FILES} data files", "--",
            "data", f"data-{self.switches}")
        time.sleep(hold_s)  # the human looks at the branch
        git(self.repo, "checkout", "-q", main)
        return time.monotonic() - began
