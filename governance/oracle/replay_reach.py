"""Which changed lines an input reaches, and the generated inputs steered towards them, for
the replay runner (governance.oracle.replay_runner).

Each tree's changed statements carry mutants behind a switch (governance.oracle.
replay_mutants: `(E' if <switch> == K else E)`). While no mutant is on, the switch is a
`Reached`: equal to no mutant's number, so every changed line runs as the tree's own code,
it writes down each number it is compared with, hence the changed lines an input ran.

`Steered` spends the generated-input budget first where the change acts: once an input
reaches a changed line that no input before it reached (the captured calls included), the
variants made from it alone (its neighbours) are answered next, before the rest of the
generated order. Why: termcolor's tests open its colour gate by patching `os.isatty`,
which the replay does not carry, so the captured calls returned the plain text before the
changed lines; of the 1,500 generated inputs only `force_color=True` ones reached them, and
the RGBA highlight that tells a careless unpacking apart came 1,692nd (wave 10). Both
trees steer by their own changed lines: a change that moves where its lines are reached
makes some inputs on one tree only, and only the inputs both trees answered are compared.
So the neighbours given out of turn tell the trees apart but never judge a mutant (the
runner leaves them out of its rows for replay_mutants.judge): a mutant killed by an input
the other tree never made would show a changed line noticed that no comparison looked at
(sqids' blocklist normalisation, a careless change, landed so in the seen part). The
daemon counts a kill only on an input both trees' answers were compared on (governance.
proof.check_record.counted_kills), so a kill outside those is never evidence either way;
leaving the out-of-turn ones out saves the mutant for an input the other tree answered.

Copied into a run's private plugin directory as `_ouroboros_reach` (governance.oracle.
run_dir) beside the runner; standard library only, Python 3.9 and later.
"""

import builtins
import collections

SWITCH = "_ouroboros_mutant"  # governance.proof.mutation.SWITCH
NEIGHBOURS = 64  # the neighbours of one input that reached a new changed line, at most
SEEDS = 8  # the inputs whose neighbours go first, at most (each reached a new line)
AHEAD = 4 * NEIGHBOURS  # the neighbours of a captured call that ran a changed line


class Reached:
    """The mutant switch while no mutant is on: unequal to every mutant's number, and a
    record of the numbers compared with it (`ids`)."""

    def __init__(self):
        self.ids = set()

    def __eq__(self, other):
        self.ids.add(other)
        return False

    def __ne__(self, other):
        self.ids.add(other)
        return True

    __hash__ = object.__hash__


def install():
    """Put a `Reached` in the switch's place (the runner's main, where the tree's changed
    lines carry mutants) and return it."""
    reached = Reached()
    setattr(builtins, SWITCH, reached)
    return reached


def installed():
    """The `Reached` in the switch's place, or None (no mutants: nothing to steer by)."""
    found = getattr(builtins, SWITCH, None)
    return found if isinstance(found, Reached) else None


class Steered:
    """The generated inputs `made`, at most `limit` of them, each once, with the neighbours
    of an input that reached a new changed line first (`heard`). `neighbours(blob)` makes
    an input's own variants; `known` are the mutant numbers the captured calls reached."""

    def __init__(self, made, limit, neighbours, known, captured=(), ran=()):
        self.rest = collections.deque(made)
        self.first = collections.deque()
        self.limit, self.neighbours = limit, neighbours
        self.known = set(known)
        self.taken = set(captured)
        self.seeds = 0
        self.steered = set()  # the neighbours given out of turn (`heard`)
        self.ahead = _Ahead(ran if 0 < len(ran) <= len(captured) // 4 else (), neighbours)

    def __iter__(self):
        given = 0
        while given < self.limit and (self.first or self.ahead or self.rest):
            out_of_turn = bool(self.first)
            # the captured calls' neighbours that go ahead take turns with the generated
            # order (its boundary values come first there)
            turn = self.ahead if given % 2 else self.rest
            blob = (self.first or turn or self.ahead or self.rest).popleft()
            if blob in self.taken:
                continue
            self.taken.add(blob)
            if out_of_turn:
                self.steered.add(blob)
            given += 1
            yield blob

    def heard(self, blob, ids):
        """What answering `blob` reached: where that is a changed line no input reached
        before, its neighbours go next (after those of earlier such inputs)."""
        new = set(ids) - self.known
        self.known |= new
        if not new or self.seeds >= SEEDS:
            return
        self.seeds += 1
        self.first.extend(b for b in self.neighbours(blob, NEIGHBOURS)[:NEIGHBOURS]
                          if b not in self.taken)


class _Ahead:
    """The neighbours of the captured calls that ran a changed line, where those are few
    (a quarter of the calls at most), made as they are taken, AHEAD of each: the generated
    order shares its budget alike among the calls, and a parser's hundred header lines
    left the two that reach a changed Content-Length check a dozen variants each, none
    with a leading zero (multipart, wave 13). Both trees ran the same captured calls, and
    a preserving change runs its lines on the same ones, so these are made alike on both
    and judge the mutants as the generated order's own (a kill on an input one tree alone
    made counts nothing: governance.proof.check_record.counted_kills)."""

    def __init__(self, seeds, neighbours):
        self.seeds = collections.deque(seeds[:SEEDS])
        self.neighbours, self.made = neighbours, collections.deque()

    def __bool__(self):
        while not self.made and self.seeds:
            self.made.extend(self.neighbours(self.seeds.popleft(), AHEAD))
        return bool(self.made)

    def popleft(self):
        return self.made.popleft()
