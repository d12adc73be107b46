"""The differential check's search for the inputs where old and new differ, on Hypothesis
(issue 49, item 2): the base's replay runner's (governance.oracle.replay_runner) last stage
for each function, after the captured calls and the generated inputs.

Both answers are needed at once to search toward a difference, and each replay runner
holds one tree. So the base's runner forks a *peer* before it imports anything of the tree
(governance.oracle.replay_peer): the same tree with the candidate's texts of the changed
files loaded in place of its own (the import hook of governance.oracle.replay_mutants),
answering calls over a pipe with the candidate's whole answer row (each input run twice,
as every row is). Only that runner searches: each input tried is answered once on each
tree, and the runner writes both rows, its own under its tree's results and the peer's
beside them, under a key made from the input's pickle; the daemon reads the peer's rows as
the candidate's (governance.proof.check_record) and compares them like any other row
(governance.oracle.differential.compare). (Each runner searching beside a peer of the
other tree, as before, answered every input twice over: docs/proof-internals.md.)

Hypothesis is seeded with the captured calls (governance.oracle.replay_widen widens each
argument the way callers vary it), runs derandomized, with no database and its cache in a
private temporary directory, so CI is repeatable and nothing is written into the tree.
`target()` steers toward a float's rounding edge at the function's scales, toward huge
magnitudes (where an overflow is raised or swallowed) and toward the edges of the change
(where a comparison it rewrote has equal sides: governance.oracle.replay_edges measures
them on this tree; an edge phase then steps one captured number or character toward
them); a difference fails the example, and
Hypothesis shrinks it to a minimal one, which is written first. The search stops at its
time budget (a difference found by then is kept, shrunk as far as it got).

Copied beside the replay runner as `_ouroboros_search`: standard library at import;
Hypothesis only once a search starts.
"""

import atexit
import hashlib
import importlib.util
import inspect
import math
import os
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from fractions import Fraction

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import loads
    from _ouroboros_edges import nudgeable, nudged
    from _ouroboros_pickler import borrowed, dumped
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import loads
    from governance.oracle.pickler import borrowed, dumped
    from governance.oracle.replay_edges import nudgeable, nudged

MAX_EXAMPLES = 100  # per function and tree (300 refused the held-out corpus no better,
# at 6% more of its CPU and a third of the daemon's own suite's: docs/proof-measurements.md)
MAX_ROWS = 400  # search rows written per function
EDGE_EXAMPLES = 40  # the edge phase's (governance.oracle.replay_edges): Hypothesis
# optimises its targets from the 20th valid example on (half of its max_examples)
EDGE_SHARE = 0.5  # of the budget, the main search's where an edge phase follows
WALL_FACTOR = 3.0  # a search's clock seconds, at most, per CPU second of its budget


class _Stop(BaseException):
    """The search's time is up: raised through Hypothesis, which lets a BaseException by."""


class _Differs(AssertionError):
    """The two trees answered an input otherwise: Hypothesis shrinks it."""


# -- the search --------------------------------------------------------------------------


def _comparable(row):
    return isinstance(row, dict) and "answer" in row and row.get("deterministic") \
        and row.get("kind") != "timeout"


def _key(blob):
    return "s" + hashlib.sha256(blob).hexdigest()[:20]


def _numbers_of(args, kwargs):
    for v in list(args) + list(kwargs.values()):
        if isinstance(v, (int, float, Decimal, Fraction)) and not isinstance(v, bool):
            yield v


def _steer(args, kwargs, scales, target):
    """target(): toward a rounding edge of a scale of the function, toward huge values."""
    edge, size = 1.0, 0.0
    for v in _numbers_of(args, kwargs):
        try:
            x = float(v)
        except (OverflowError, ValueError):
            size = max(size, 400.0)
            continue
        if not math.isfinite(x):
            continue
        size = max(size, math.log10(abs(x)) if x else 0.0)
        for s in scales:
            frac = (x * s) % 1.0
            edge = min(edge, abs(frac - 0.5))
    target(-edge, label="rounding edge")
    target(size, label="magnitude")


class _Run:
    """One function's search: the rows tried, each (input, this tree's row, the peer's),
    the differences seen (last: the smallest)."""

    def __init__(self, local, other, budget_s, measure=None):
        # CPU seconds of this process (a loaded box stretches the wall clock, not the work
        # done), and at most WALL_FACTOR times as many seconds of the clock
        self.local, self.other = local, other
        self.measure = measure or (lambda call: (call(), None))  # replay_edges.Edges
        self.edge = None  # the last input's least distance to an edge of the change
        self.began, self.budget_s = (time.process_time(), time.monotonic()), budget_s
        self.until(1.0)
        self.rows, self.seen, self.differs = [], set(), []

    def until(self, share):
        """The search's time ends at `share` of its budget (the edge phase has the rest)."""
        self.cpu_end = self.began[0] + share * self.budget_s
        self.wall_end = self.began[1] + WALL_FACTOR * share * self.budget_s

    def tick(self):
        """Past the budget, _Stop: asked at each draw too, since Hypothesis's target phase
        can climb for minutes over draws that never reach the test's body (seen: a replay
        of Account.withdraw past its run's 60 s)."""
        if time.process_time() > self.cpu_end or time.monotonic() > self.wall_end:
            raise _Stop()

    def check(self, args, kwargs):
        """Whether the trees answer the input otherwise (both steady; not an exotic one)."""
        self.tick()
        self.edge = None
        blob = dumped((tuple(args), dict(kwargs)))
        if blob is None:
            return False  # a drawn value that cannot travel: not an input
        pending = self.other(blob)  # the peer's row, or a function that waits for it
        mine, self.edge = self.measure(lambda: self.local(blob))  # meanwhile (a second
        # core answers both at once)
        theirs = pending() if callable(pending) else pending
        if theirs is None:
            raise _Stop()  # the peer is gone: no more pairs
        key = _key(blob)
        mine["key"] = theirs["key"] = key
        if key not in self.seen and len(self.rows) < MAX_ROWS:
            self.seen.add(key)
            self.rows.append((blob, mine, theirs))
        if _comparable(mine) and _comparable(theirs) and mine["answer"] != theirs["answer"] \
                and mine.get("exotic") is not True:  # no evidence: the search goes on
            self.differs.append((blob, mine, theirs))
            return True
        return False

    def written(self):
        """The rows, the smallest difference first, then the first one found."""
        head = []
        for found in self.differs[-1:] + self.differs[:1]:
            if all(found[1]["key"] != h[1]["key"] for h in head):
                head.append(found)
        keys = {row["key"] for _, row, _ in head}
        return head + [found for found in self.rows if found[1]["key"] not in keys]


def _no_local_constants():
    """Hypothesis draws now and then a literal of the code it finds loaded: the base's and
    the candidate's differ, so a search would part ways with the tree it runs beside (and
    the scan of every loaded module costs time). The function's own constants are given
    instead."""
    try:
        from hypothesis.internal.conjecture import providers
        empty = providers._local_constants
        providers._get_local_constants = lambda: empty
    except (ImportError, AttributeError):  # another Hypothesis: the searches may part ways
        pass


def search_path():
    """The directory the daemon's Hypothesis is imported from ("" when it has none): the
    jail shows the daemon's environment read-only, so a tree whose own interpreter lacks
    Hypothesis imports it from there (same Python version only: it has a native part)."""
    try:
        found = importlib.util.find_spec("hypothesis")
    except (ImportError, ValueError):
        return ""
    origin = found.origin if found is not None else None
    return os.path.dirname(os.path.dirname(origin)) if origin else ""


def _importable(fallback):
    """Whether Hypothesis imports, from the tree's interpreter or else from `fallback`
    (pickler.borrowed)."""
    return borrowed("hypothesis", fallback) is not None \
        and borrowed("hypothesis.strategies", fallback) is not None


def _omittable(params):
    """The slots a call may leave to the parameter's default: a keyword with one, and a
    positional one with one whose later positional parameters can all be passed by name."""
    out = {("k", name) for name, (_, by_name, d) in params.items()
           if by_name and d is not inspect.Parameter.empty}
    positional = sorted((at, by_name, d) for at, by_name, d in params.values()
                        if at is not None)
    for at, _, d in positional:
        if d is not inspect.Parameter.empty and all(b for a, b, _ in positional if a > at):
            out.add(("a", at))
    return out


def _defaulted(args, kwargs, left, by_position):
    """The call with the `left` slots out: positional ones after the first left out are
    passed by name."""
    if not left:
        return args, kwargs
    cut = min([j for where, j in left if where == "a"], default=len(args))
    kwargs = {k: v for k, v in kwargs.items() if ("k", k) not in left}
    for j in range(cut, len(args)):
        if ("a", j) not in left and j in by_position:
            kwargs[by_position[j]] = args[j]
    return args[:cut], kwargs


class _Space:
    """What the search draws from: the captured calls, each argument's widened strategy
    (governance.oracle.replay_widen), and which arguments may be left to their defaults."""

    def __init__(self, blobs, constants, params, widen, receiver=False):
        self.calls = [loads(b) for b in blobs]
        self.plans = [([widen.widened(a, constants, keep=False) for a in args],
                       {k: widen.widened(v, constants, keep=False)
                        for k, v in kwargs.items()}) for args, kwargs in self.calls]
        self.scales = widen._scales(constants)
        self.by_position = {at: name for name, (at, by_name, _) in params.items()
                            if at is not None and by_name}
        self.omittable = _omittable(params)
        self.receiver = receiver  # a method's self stays an object of its class

    def draw(self, draw, st):
        """A captured call with one argument moved (to None, a variant, or its default)
        and each other one too, one time in 2n+1 (`_emit` has fourteen)."""
        i = draw(st.integers(0, len(self.calls) - 1))
        args, kwargs = self.calls[i]
        slots = [("a", j) for j in range(len(args))] + [("k", k) for k in sorted(kwargs)]
        if not slots:
            return list(args), dict(kwargs)
        pivot = draw(st.integers(0, len(slots) - 1))
        out_a, out_k, left = list(args), dict(kwargs), set()
        others = st.sampled_from((False,) * max(3, 2 * len(slots)) + (True,))
        for n, slot in enumerate(slots):
            if n != pivot and not draw(others):
                continue
            where, j = slot
            if slot in self.omittable and draw(st.sampled_from((False, False, True))):
                left.add(slot)  # its default (a flat choice: one_of would nest it deep)
            elif where == "a":
                value = draw(self.plans[i][0][j])
                if j or not self.receiver or type(value) is type(args[0]):
                    out_a[j] = value
            else:
                out_k[j] = draw(self.plans[i][1][j])
        return _defaulted(out_a, out_k, left, self.by_position)


def searched(blobs, constants, local, other, budget_s, fallback="", params=None,
             receiver=False, measure=None):
    """[(blob, local answer row, the peer's row)] of the inputs the search tried on a
    function whose captured calls are `blobs`; `local(blob)` and `other(blob)` answer on this
    tree and on the peer, each input once (`other` may return a function that waits for
    its answer: Peer.sent, then answered while `local` runs); `params`
    (replay_inputs.parameters) says which arguments may be left to their defaults;
    `measure(call)` (replay_edges.Edges.measured) says how near `local`'s call passed to
    the change's edges, and the search climbs toward them. []
    when Hypothesis cannot be imported (from the tree's interpreter, or the daemon's
    `fallback` directory) or nothing was captured."""
    if not blobs or budget_s <= 0:
        return []
    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:  # removed when the runner exits
        # (out of the jail, as the daemon's own tests run it, /tmp is the host's)
        private = tempfile.mkdtemp(prefix="ouroboros-hypothesis-")
        atexit.register(shutil.rmtree, private, True)
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = private
    if not _importable(fallback):
        return []
    from hypothesis import given, target
    from hypothesis import strategies as st

    _no_local_constants()
    try:  # in the jail: beside the runner
        import _ouroboros_widen as widen
    except ImportError:  # imported by the daemon's own tests
        from governance.oracle import replay_widen as widen
    try:  # a captured value the widening cannot read gives no search, never a crash
        space = _Space(blobs, constants, params or {}, widen, receiver)
    except Exception as exc:
        sys.stderr.write(f"search: not started: {type(exc).__name__}\n")
        return []
    run = _Run(local, other, budget_s, measure)
    near = measure is not None and nudgeable(space.calls, receiver)
    inputs = st.composite(lambda draw: run.tick() or space.draw(draw, st))

    @_settings(MAX_EXAMPLES)
    @given(inputs())
    def differential(call):
        args, kwargs = call
        _steer(args, kwargs, space.scales, target)
        _checked(run, args, kwargs, target)

    run.until(EDGE_SHARE if near else 1.0)
    _ran(differential)
    if near and not run.differs:
        run.until(1.0)
        _ran(_near_edges(run, space.calls, near))
    return run.written()


def _settings(examples):
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    return settings(derandomize=True, database=None, max_examples=examples, deadline=None,
                    suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                    phases=(Phase.generate, Phase.target, Phase.shrink),
                    report_multiple_bugs=False, print_blob=False)


def _checked(run, args, kwargs, target):
    """One input tried on both trees: a difference fails the example; the distance to the
    change's edges is a target (at an edge its comparison's sides are equal)."""
    differs = run.check(args, kwargs)
    if run.edge is not None:
        target(-math.log1p(run.edge), label="edge")
    if differs:
        raise _Differs()


def _near_edges(run, calls, slots):
    """The edge phase: a captured call with one number or character stepped, the step
    climbed by Hypothesis's target() toward an edge of the change (replay_edges), which
    the main search's draws reach by chance only (a block's last code point)."""
    from hypothesis import given, target
    from hypothesis import strategies as st

    @_settings(EDGE_EXAMPLES)
    @given(st.sampled_from(slots), st.integers(-(1 << 16), 1 << 16))
    def near(slot, step):
        run.tick()
        args, kwargs = nudged(calls[slot[0]], slot[1], step)
        _checked(run, args, kwargs, target)
    return near


def _ran(search):
    try:
        search()
    except (_Stop, _Differs):
        pass
    except Exception as exc:  # Hypothesis's own complaint (an unsatisfiable space)
        sys.stderr.write(f"search: {type(exc).__name__}: {exc}\n"[:2000])
