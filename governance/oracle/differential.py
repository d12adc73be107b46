"""The differential check's findings: is a change's behaviour the base's, on every call the
tests made and on inputs generated from them? (issue 30, item 1)

For the functions a change touches (governance.proof.behaviour.touched_functions), the tests
that enter them run once more on the base with the capture plugin
(governance.oracle.capture_plugin), which pickles every distinct call's arguments. The
replay runner (governance.oracle.replay_runner) then answers those calls, and inputs
generated from them, once on the base tree and once on the candidate's, both in the jail
(governance.proof.differential_check runs the three). A call whose answers differ (returned
value, exception type, or the arguments as the call left them) is a counterexample; the
ledger and the review show its input and both answers. The daemon never unpickles
anything: pickles travel, opaque, from one jailed process to another.

What is not evidence: a call that could not be pickled (a lock, an open file), or that the
base did not answer steadily (it timed out, or answered otherwise when asked again). Where
the base answered steadily, a candidate that times out (the base took a fraction of the
time) or answers otherwise when asked again (it came to depend on time or randomness) has
changed behaviour: a counterexample, never a call skipped (issue 49). A
function with no call that is evidence is not shown unchanged; neither is a change to a
class body or to module-level statements (other than new private names a refactor adds
for its own use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from governance.oracle.replay_kinds import private
from governance.oracle.run_dir import HELPERS, PICKLING
from governance.oracle.state_diff import state_written

REPLAY_SOURCE = Path(__file__).with_name("replay_runner.py")
# what the replay runner imports beside it: the replay modules, and the pickling they share
REPLAY_HELPERS = tuple(name for name, path in HELPERS.items() if path.stem.startswith(
    "replay_") or name in PICKLING)
MAX_CALLS = 100  # captured per function
# then captured past them, each the first call of its kinds of arguments (their types): the
# first hundred calls are one test's loop as often as not. webencodings' test_all_labels
# passed `_get_encoding` a label hundreds of times before test_decode passed an Encoding,
# and its narrowing from "has a codec_info" to `isinstance` landed (wave 15).
NEW_SHAPES = 16
# generated inputs per function (the runner also stops after its time budget, which bounds
# the costly ones): at 1,500 the telling input of pytimeparse's per-unit truncation
# ('1.9999 hour\n2.9999 minutes', a neighbour of a captured call the change does not run)
# came 1,402nd, then past the cap once a text's line breaks were varied earlier; the
# development corpus costs the same per refactor at 3,000 (5.8 s against 5.9 s median)
GENERATED = 3000
MAX_CONSTANTS = 60
CALL_TIMEOUT_S = 1.0
# A candidate's call that times out is a difference only where the base's first answer to
# it took at most this share of CALL_TIMEOUT_S: a hang, not a box too busy to answer both.
STEADY_SHARE = 0.25
MAX_COUNTEREXAMPLES = 3  # per function, in the ledger
# Every value returned on a compared input was a callable no captured argument was given
# to (a factory with no function of its own whose calls were captured: parsy's `from_enum`
# without sorting its values longest first, careless, landed at wave 21's readings, its
# parsers alike by name): no evidence, so no pass
OPAQUE = ("every answer it returned is a function or callable object, alike by name only: "
          "what it does when called was never asked")
# Every compared call raised on the base: agreeing on exceptions alone never saw what it
# returns. asciitree's `AttributeTraversal.get_children`, given only the tuples other
# traversals take (each raising AttributeError on both trees), landed its attribute
# hard-coded as `node.children` (wave 24, read again at stop 76). Not where some of them
# raised in the code's own words (a raise statement's, a KeyError's key, a library's
# error): that is what the function answers. pygtrie's `_NoChildren.pick`, which raises
# KeyError on every call by design, raising the class for an instance waited (wave 27).
ALL_RAISED = ("every compared call raised on both trees: what it returns was never "
              "compared")
NO_EVIDENCE = ("no call of it could be replayed (none captured, or each timed out or was "
               "nondeterministic)")


@dataclass(frozen=True)
class Target:
    """A function to check: its file, qualified name, the lines of its def in the
    candidate's text, the constants of its code (base and candidate) to generate near, and
    its boundaries: per parameter whose value reaches a comparison, the values at and beside
    it to try first (governance.proof.boundaries); and the names both its texts read."""

    file: str
    qualname: str
    lines: frozenset[int]
    constants: tuple[object, ...]
    boundaries: tuple[tuple[str, tuple[object, ...]], ...] = ()
    # what its base's and candidate's code read by name (globals, attributes): each tree's
    # runner varies an object's attributes in this order, so both make the same inputs
    # (each tree's own names put simpleeval's attributes in two orders)
    names: frozenset[str] = frozenset()
    # where a function no test calls borrows its inputs (governance.proof.kin): (qualname in
    # the same file, the lines of its body in the base), captured and lent by name
    kin: tuple[tuple[str, frozenset[int]], ...] = ()
    # the functions of its file that call it by name, each a Target with its own kin: where
    # a function no test calls is reached when its kin lend it no call (governance.proof.
    # kin.reaching; judged there as at the callers on its stacks, governance.proof.lifted)
    through: tuple[Target, ...] = ()
    # the functions it defines (`f.<locals>.g`), captured beside it: an answer of it that
    # is a callable is called with their captured arguments (governance.oracle.
    # replay_answer.applied), so a factory's closure answers, not only its name
    inner: tuple[str, ...] = ()
    # a nested function only its enclosing function calls, by name, in both texts
    # (governance.proof.confined): its generated and searched inputs are no caller's, and
    # a difference there waits until the enclosing function's replay shows it
    confined: bool = False
    # the parameters whose default the change adds, alters or removes (governance.proof.
    # behaviour.changed_defaults): every call passing one is answered left to it too
    redefaulted: tuple[str, ...] = ()
    # the sides of the base's comparisons the change rewrote (governance.proof.edges):
    # the search steers toward where they meet
    edges: tuple[tuple[str, str], ...] = ()
    # a module-level function whose parameters all have defaults, plain annotations or a
    # text's method called on them, in both texts: where no test calls it and no kin lends
    # it a call, it is called with them (governance.proof.behaviour.bare; replay_bare)
    bare: bool = False
    # its unannotated parameters both texts fill with text: a text's method is called on
    # each, or each is looked up in a table (governance.proof.param_roles)
    text_params: tuple[str, ...] = ()
    # its unannotated parameters both texts call a mapping's method on, filled with a dict
    table_params: tuple[str, ...] = ()
    # the environment variables its base or candidate reads by a literal name
    # (governance.proof.behaviour.environ_names): each captured call answered again with
    # each unset, empty, blank and "0" (governance.oracle.replay_environ)
    environ: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counterexample:
    function: str  # "file::qualname"
    input: str
    base: str
    candidate: str
    context: str = ""  # where the call was made: " as <test> calls it", " (reaches f)"

    def line(self) -> str:
        return (f"{self.function}({self.input}){self.context}: base {self.base}, candidate "
                f"{self.candidate}")[:600]


@dataclass(frozen=True)
class FunctionCheck:
    """What the check found for one function. `compared` counts the replayed calls (captured
    and generated) both trees answered, at the function itself or, when `via` names one, at
    a caller that reaches it; `traced` the calls the tests made that both runs reached with
    the same arguments; `tried` says, per method that gave no evidence, why; `unplaced`
    counts the boundary values no captured call could hold (governance.oracle.
    replay_inputs): with none generated, the function's own inputs went no further than
    the tests' calls, and it is judged at its callers too."""

    function: str  # "file::qualname"
    captured: int = 0
    generated: int = 0
    compared: int = 0
    counterexamples: tuple[Counterexample, ...] = ()
    problem: str | None = None  # why there is no evidence
    traced: int = 0
    via: str | None = None  # the caller the replayed calls were made at
    tried: tuple[str, ...] = ()
    unplaced: int = 0
    # the keys of the replayed inputs compared: a mutant counts as killed only by one of
    # them (governance.proof.check_record.counted_kills)
    keys: frozenset[str] = frozenset()
    # it answered otherwise only on an alien input of a private function (`_unlifted`):
    # judged at its callers, where a difference is a counterexample (governance.proof.lifted)
    unlifted: bool = False

    @property
    def narrow(self) -> bool:
        """Its own replay tried nothing beyond the captured calls, or left a boundary value
        untried: agreeing there is weak evidence of the change's behaviour (issue 49)."""
        return self.generated == 0 or self.unplaced > 0

    @property
    def shown_unchanged(self) -> bool:
        """Answers as the base did on replayed inputs, generated ones included: the calls
        the tests make alone are no evidence beyond what the tests already assert."""
        return self.problem is None and self.compared > 0 and not self.counterexamples

    def why_not(self) -> str:
        """Why no evidence was found: each method tried, and why it did not apply."""
        return "; ".join((*([self.problem] if self.problem else []), *self.tried)) \
            or NO_EVIDENCE


@dataclass(frozen=True)
class DiffReport:
    checks: tuple[FunctionCheck, ...] = ()
    problem: str | None = None  # the check itself could not run
    seconds: float = 0.0
    # Changed lines no replayed input told from a mutant of them (governance.proof.noticed):
    # "file:line (side: what)", and how many mutants were judged.
    unnoticed: tuple[str, ...] = ()
    mutants: int = 0
    # The candidate's changed lines each of whose mutants a replayed input told apart
    # (governance.proof.noticed.told_apart): "file:line".
    preserved: tuple[str, ...] = ()
    # The candidate's functions that differ from the base only as a mutant would
    # (governance.proof.mutant_shaped): "file:line in function (`>` to `>=`)".
    shaped: tuple[str, ...] = ()
    # (tests captured, tests asked) where the capture of all of them timed out under the
    # tracer and a sample was captured instead (governance.proof.differential_check)
    sampled: tuple[int, int] | tuple[()] = ()

    def reasons(self) -> list[str]:
        """Why the change's behaviour is not shown the base's ([] when it is)."""
        if self.problem:
            return [f"behaviour not checked: {self.problem}"]
        out = [f"behaviour changed: {c.line()}" for f in self.checks
               for c in f.counterexamples[:1]]
        out += [f"behaviour not shown unchanged: {f.function}: {f.why_not()}"
                for f in self.checks if not f.counterexamples and not f.shown_unchanged]
        if self.unnoticed and not any(f.counterexamples for f in self.checks):
            more = len(self.unnoticed) - MAX_COUNTEREXAMPLES
            out.append("behaviour not shown unchanged: no input tried tells a change at "
                       "these lines from the code as it is: "
                       + "; ".join(self.unnoticed[:MAX_COUNTEREXAMPLES])
                       + (f" and {more} more" if more > 0 else ""))
        if self.sampled and not any(f.counterexamples for f in self.checks):
            got, asked = self.sampled
            out.append(f"behaviour not shown unchanged: the calls were captured from {got} "
                       f"of the {asked} tests that enter it (capturing them all timed out "
                       "under the tracer): a sample can show a difference, never that "
                       "there is none")
        if self.shaped and not any(f.counterexamples for f in self.checks):
            out.append("behaviour not shown unchanged: the change is shaped like a mutant ("
                       + "; ".join(self.shaped[:MAX_COUNTEREXAMPLES])
                       + (" and more" if len(self.shaped) > MAX_COUNTEREXAMPLES else "")
                       + "): the tests pass on both trees, so they cannot tell it, and no "
                       "input tried did")
        return out

    def payload(self) -> dict:
        return {"seconds": round(self.seconds, 3), "problem": self.problem,
                "mutants": self.mutants, "unnoticed": list(self.unnoticed),
                "preserved": list(self.preserved), "shaped": list(self.shaped),
                "sampled": list(self.sampled),
                "functions": [{"function": f.function, "captured": f.captured,
                               "generated": f.generated, "compared": f.compared,
                               "traced": f.traced, "via": f.via, "tried": list(f.tried),
                               "unplaced": f.unplaced,
                               "problem": f.problem,
                               "counterexamples": [c.line() for c in f.counterexamples]}
                              for f in self.checks]}


def calls_of(function: object) -> list[dict[str, str]]:
    calls = function.get("calls") if isinstance(function, dict) else None
    return [{"pickle": str(c["pickle"]), "repr": str(c.get("repr", ""))[:300],
             **({"closure": c["closure"], "kind": str(c.get("kind", ""))[:200]}
                if isinstance(c.get("closure"), str) else {}),
             **({"clock_ns": c["clock_ns"]} if type(c.get("clock_ns")) is int else {})}
            for c in (calls if isinstance(calls, list) else [])[:MAX_CALLS + NEW_SHAPES]
            if isinstance(c, dict) and isinstance(c.get("pickle"), str)]



def compare(t: Target, captured: int, base: dict, cand: dict,
            timeout_s: float = CALL_TIMEOUT_S) -> FunctionCheck:
    """One function's replayed answers on both trees. A call the base answered steadily
    (alike twice, in time) is evidence: the candidate answering otherwise, timing out
    where the base took under STEADY_SHARE of the time, or answering otherwise when asked
    again (a new dependence on time or randomness) is a counterexample (issue 49). A call
    the base itself did not answer steadily is no evidence either way; generated inputs
    none of which the runner could run, or ran before its budget was spent, are a problem,
    not a pass."""
    name = f"{t.file}::{t.qualname}"
    if base.get("problem") or cand.get("problem"):
        return FunctionCheck(name, captured, problem=str(base.get("problem")
                                                         or cand.get("problem"))[:300])
    theirs = {r["key"]: r for r in _rows(cand) if "answer" in r}
    rows = _rows(base)
    keys, found, unlifted = set(), [], []
    for r in rows:
        other = theirs.get(r["key"])
        if other is None or not _steady(r):
            continue
        if r.get("exotic") is True:
            continue  # a count given as a Decimal or a Fraction: outside what callers pass
        if _unlifted(t, r):  # an alien input of a private function: no evidence either way
            unlifted += [r] if _difference(r, other, timeout_s) else []
            continue
        shown = _difference(r, other, timeout_s)
        if shown == () or (shown is not None and _refused_alike(t, r, other)):
            continue  # the base took most of the time: a timeout beside it says nothing;
            # or a private function refused, on both trees, a kind of value no caller gave
        keys.add(r["key"])
        if shown is not None:
            found.append(Counterexample(name, str(r.get("input", "?")), *shown))
    texts = {r["key"]: str(r.get("input", "?")) for r in rows}
    found += [Counterexample(name, *c) for c in state_written(base, cand, keys, texts)]
    made = [r for r in rows if r["key"].startswith("g")]
    lost = None if found else _lost(made, base, cand, theirs)
    unplaced = max(_count(base.get("unplaced")), _count(cand.get("unplaced")))
    if not found and unlifted:
        lost = ("it answers otherwise only where a value is of no kind its callers pass, "
                f"which no caller was shown to reach: {unlifted[0].get('input', '?')}")
    returned = [r for r in rows if r["key"] in keys and r.get("kind") == "return"]
    if not found and returned and all(r.get("opaque") is True for r in returned):
        lost = OPAQUE  # alike by name: what the functions it answers do was never asked
    if not found and keys and not returned \
            and not any(r.get("own") is True for r in rows if r["key"] in keys):
        lost = ALL_RAISED
    if lost:  # a runner fault, not evidence: the captured calls alone are what tests saw
        return FunctionCheck(name, captured, len(made), len(keys), problem=str(lost)[:300],
                             unplaced=unplaced, keys=frozenset(keys),
                             unlifted=bool(unlifted) and not found)
    return FunctionCheck(name, captured, len(made), len(keys),
                         tuple(found[:MAX_COUNTEREXAMPLES]), unplaced=unplaced,
                         keys=frozenset(keys))


def _count(n: object) -> int:
    """A count a tree's runner wrote: anything but a count reads as one (a tree's code can
    write the answer file, and a count it hid would spare it its callers' inputs)."""
    return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else 1


def _lost(made: list[dict], base: dict, cand: dict, theirs: dict) -> str | None:
    """Why the generated inputs are no evidence, or None: none could be run, the budget was
    spent before any ran, or none the base answered was made and answered by the other
    tree too (a tree's inputs are keyed by themselves: a candidate whose signature or
    defaults changed makes others, and only the captured calls would be compared), or a
    tree's run was starved of the CPU (replay_budget.Budget: fewer inputs than its budget
    stands for)."""
    answered = [r for r in made if "answer" in r]
    if not answered:
        return next((f"none of its {len(made)} generated inputs could be run: {r['problem']}"
                     for r in made if r.get("problem")),
                    "its budget was spent before any generated input ran" if base.get("cut")
                    or cand.get("cut") else None)
    if not any(r.get("key") in theirs for r in answered):
        return (f"none of its {len(answered)} generated inputs was made and answered by "
                "both trees")
    if base.get("starved") is True or cand.get("starved") is True:
        return ("a tree's replay was starved of the CPU: its clock ran out before its "
                "budget of generated inputs (no evidence on a box this busy)")
    return None


def _unlifted(t: Target, base: dict) -> bool:
    """Whether a private function's input holds, at some argument, a value of no kind (no
    type, nor a subclass of one) its captured calls passed there (the runner marks it
    `alien`, on the base's side): a difference there is no caller's until a caller shows
    it (issue 49: every local difference lifted to a caller before it counts), and such an
    input is not compared, so a mutant it kills is no changed line noticed either
    (governance.proof.check_record.counted_kills reads the compared keys; the runner
    judges no mutant on it). A difference there with none elsewhere is a check that could
    not decide: the function is not shown unchanged (it waits, fail closed), and it is no
    refusal. configobj's `_unquote` given bytes where its callers pass text refused a
    correct reordering of its conjuncts (wave 14); xmltodict's `_process_namespace` told
    its careless `ns[:1] == attr_prefix` only at an `attr_prefix` of None, and waits. A
    public function's inputs count on any kind but one, which counts nowhere: a Decimal or
    a Fraction where its callers pass whole numbers (the runner marks it `exotic`:
    governance.oracle.replay_kinds.exotic says why). A nested function only its enclosing
    function calls (Target.confined) is so on every input but the tests' own calls of it
    (keys `t...`): parso's `binary_search(-1, 0)`, a bound its enclosing function never
    passes, refused a correct `//` (wave 28)."""
    return (private(t.qualname) and base.get("alien") is True) \
        or (t.confined and not str(base.get("key", "")).startswith("t"))


def _refused_alike(t: Target, base: dict, cand: dict) -> bool:
    """Whether both trees raised on an input of a private function (`_name`, a helper
    its module's own code calls) that holds, at some argument, a kind of value no captured
    call passed there (the runner marks it `foreign`): which exception a helper raises on
    None where its callers always pass a dict is no behaviour a caller sees (pytimeparse's
    `'x' in d` written `d.get('x')`, TypeError become AttributeError, was refused). A public
    function's exceptions are its callers' to catch: every difference there counts, on
    any state of its object too (governance.oracle.replay_kinds says why)."""
    return private(t.qualname) and base.get("foreign") is True and base.get("kind") == "raise" \
        and cand.get("kind") == "raise"


def _rows(side: dict) -> list[dict]:
    """A tree's result rows, each keyed by text (what the tree's code could write there is
    read, not trusted)."""
    rows = side.get("results")
    return [r for r in rows if isinstance(r, dict) and isinstance(r.get("key"), str)] \
        if isinstance(rows, list) else []


def _steady(r: dict) -> bool:
    return "answer" in r and r.get("kind") != "timeout" and r.get("deterministic") is True \
        and r.get("again", r.get("kind")) != "timeout"


def _difference(base: dict, cand: dict,
                timeout_s: float) -> tuple[str, str] | tuple[()] | None:
    """(base's answer, candidate's) where they differ, None where alike, () where the
    candidate timed out and the base was too slow for that to tell (a loaded box)."""
    was = str(base.get("shown"))[:200]
    if cand.get("kind") == "timeout":
        took = base.get("seconds")
        if not isinstance(took, int | float) or took > STEADY_SHARE * timeout_s:
            return ()
        return was, f"times out (past {timeout_s:g} s; the base answered in {took * 1000:.1f} ms)"
    if cand.get("deterministic") is not True:
        if cand.get("again") == "timeout":
            return ()  # its second answer ran out of time: a loaded box as often as not
        return was, f"{str(cand.get('shown'))[:200]}, and otherwise when called again"
    if base.get("answer") == cand.get("answer"):
        return None
    shown = (was, str(cand.get("shown"))[:200])
    if shown[0] == shown[1]:  # alike as text: named by the part that differs
        one, other = _parts_told(base, cand)
        shown = (f"{shown[0]}, {one}", f"{shown[1]}, {other}")
    return shown


# What differs in two answers alike as text, by the part of them (replay_answer's `parts`)
_TOLD = {"args": ("arguments left one way", "arguments left another way"),
         "value": ("a value of one state", "a value of another state its text does not show"),
         "printed": ("printing one text", "printing another"),
         "module": ("its module's names left one way", "its module's names left another way")}


def _parts_told(base: dict, cand: dict) -> tuple[str, str]:
    """How two answers alike as text differ: their arguments as left, the value's state
    its text does not show (a CodecInfo's stream classes: ebcdic's `getregentry`, wave 26,
    was told as 'arguments left another way' with none passed), or what they printed;
    the arguments where a row names no parts."""
    mine, theirs = base.get("parts"), cand.get("parts")
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for part, told in _TOLD.items():
            if mine.get(part) != theirs.get(part):
                return told
    return _TOLD["args"]
