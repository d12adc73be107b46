"""The differential check's replay runner: one tree's answers to the captured and generated
calls of the functions a change touches (governance.oracle.differential).

Run in the jail as a script (`python -P _ouroboros_replay.py IN OUT`) with the tree under
test as its working directory: once on the base, once on the candidate. It imports nothing
of ours, and its standard library before the tree is put on sys.path; it runs on Python 3.9
and later. It re-executes itself once with a fixed hash seed, so that both trees iterate
sets of strings in the same order (and generate the same inputs).

For each function: the captured calls (pickles the capture plugin wrote), then inputs
generated from them (governance.oracle.replay_inputs, beside it as `_ouroboros_inputs`): the
function's boundaries first, then stages so that every call and every argument gets a share
of the budget. The generation is deterministic, so both trees answer the same inputs; the
generated calls of a function stop after its budget of CPU seconds (only the inputs both
trees answered are compared). CPU seconds, not the clock's: on a loaded box a clock budget
ran fewer inputs, and a careless change whose telling input came late landed under load and
was refused on a quiet box (xmltodict's rpartition, once in a development run at load 2.3);
the clock bounds it too, at WALL_FACTOR times the budget.

Each input is answered twice, its row keyed by the input itself (replay_asking.keyed),
whose pickle names what the runner put in place of the world's objects (`id`, the clock)
by what they stand for (governance.oracle.replay_clock): governance.oracle.replay_answer
says what an answer is. A function is searched (governance.oracle.replay_search) unless an input it
answered already tells the trees apart, both answers steady: the counterexample is then
in hand, and a careless change does not pay the search's CPU. Only the base's runner
searches (the job names a peer for it alone): its rows hold its own answers, and the
peer's, the candidate's, under `peer_results` (each input answered once on each tree).
"""

import base64
import contextlib
import json
import os
import signal
import sys

try:  # in the jail: beside this script, in the run's plugin directory
    from _ouroboros_answer import (
        answer_row,
        answered,
        applying,
        arguments_of,
        digest,
        on_alarm,
    )
    from _ouroboros_argv import argv_inputs
    from _ouroboros_asking import PeerTree, keyed, peer_judged, searched_rows
    from _ouroboros_bare import bare_calls
    from _ouroboros_budget import Budget
    from _ouroboros_canon import loads
    from _ouroboros_clock import (
        EDGES_NS,
        bindings_held,
        captured_edges,
        clocked,
        fix,
        reads,
        stable_ids,
    )
    from _ouroboros_defaults import left_out
    from _ouroboros_environ import environ_inputs
    from _ouroboros_inputs import code_names, generated, parameters, receives
    from _ouroboros_keys import asked_inputs, crossed_inputs
    from _ouroboros_kin import lent
    from _ouroboros_kinds import kinds as known
    from _ouroboros_kinds import private
    from _ouroboros_lookup import LOCALS, MAX_CLOSURES, function_at, groups
    from _ouroboros_mutants import answered_from, install, judge, tree_state
    from _ouroboros_peer import Peer
    from _ouroboros_pickler import borrowed, dumped, remembering
    from _ouroboros_reach import Steered, installed
    from _ouroboros_reach import install as watch_switch
    from _ouroboros_state import CHECKPOINTS, Writes
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import loads
    from governance.oracle.pickler import borrowed, dumped, remembering
    from governance.oracle.replay_answer import (
        answer_row,
        answered,
        applying,
        arguments_of,
        digest,
        on_alarm,
    )
    from governance.oracle.replay_argv import argv_inputs
    from governance.oracle.replay_asking import PeerTree, keyed, peer_judged, searched_rows
    from governance.oracle.replay_bare import bare_calls
    from governance.oracle.replay_budget import Budget
    from governance.oracle.replay_clock import (
        EDGES_NS,
        bindings_held,
        captured_edges,
        clocked,
        fix,
        reads,
        stable_ids,
    )
    from governance.oracle.replay_defaults import left_out
    from governance.oracle.replay_environ import environ_inputs
    from governance.oracle.replay_inputs import code_names, generated, parameters, receives
    from governance.oracle.replay_keys import asked_inputs, crossed_inputs
    from governance.oracle.replay_kin import lent
    from governance.oracle.replay_kinds import kinds as known
    from governance.oracle.replay_kinds import private
    from governance.oracle.replay_lookup import LOCALS, MAX_CLOSURES, function_at, groups
    from governance.oracle.replay_mutants import answered_from, install, judge, tree_state
    from governance.oracle.replay_peer import Peer
    from governance.oracle.replay_reach import Steered, installed
    from governance.oracle.replay_reach import install as watch_switch
    from governance.oracle.replay_state import CHECKPOINTS, Writes

_SEEDED = "OUROBOROS_REPLAY_SEEDED"  # set once the runner runs under the fixed hash seed
_BUDGET_S = 2.0  # CPU seconds of one function's generated calls, per tree
_MUTANT_BUDGET_S = 3.0  # CPU seconds of the mutants' answers to one function's inputs
_ASKED_BUDGET_S = 1.0  # CPU seconds of the recording runs and their inputs' answers
_CLOCKED_CALLS = 2  # captured calls answered again at each of the clock's edges
_SEARCH_TOTAL_S = 8.0  # clock seconds of all of one run's searches (a change of many)


def _calls(root, spec):
    """A function's calls: those captured, or for a function no test called, those its
    kin lend it (replay_kin), or where none does and it can be, the calls with its defaults
    and values of its parameters' plain annotations (`bare`: replay_bare); after those
    passing a changed default, left to it (replay_defaults)."""
    calls = spec["calls"]
    if (calls and not spec.get("redefaulted")) or not (calls or spec.get("kin")
                                                       or spec.get("bare")):
        return calls
    try:
        fn = function_at(root, spec["file"], spec["qualname"])
        calls = calls or lent(root, spec, fn)
        if not calls and spec.get("bare"):
            calls = bare_calls(fn, spec.get("text_params") or (),
                               spec.get("table_params") or ())
        return left_out(fn, spec.get("redefaulted") or [], calls) + calls
    except Exception:  # not callable here: the loop below says so
        return calls


def _run_function(root, spec, timeout_s, budget_s, mutants, search=None):
    """One function's answers; then, with `search` (the peer: the other tree; the search
    seconds left to the run; where else Hypothesis may be imported from), the inputs a
    search finds (governance.oracle.replay_search); then, with `mutants` ((ids, {id: key of
    the input that killed it} so far)), the mutants its inputs tell apart (governance.
    oracle.replay_mutants), written as `killed` with the key of the input that killed each
    (the daemon counts a kill only where both trees' answers to it were compared). A function
    defined in another is all that once per closure its calls came with (replay_lookup):
    the first MAX_CLOSURES share the budgets, the rest have their captured calls answered.
    The peer's rows of the searched inputs go under `peer_results`, and the candidate's
    mutants they killed under `peer_killed` (replay_asking.peer_judged)."""
    parts = groups(_calls(root, spec))
    out = {"problem": None, "results": [], "peer_results": [], "peer_killed": {},
           "cut": False, "starved": False, "unplaced": 0}
    state, before = None, set(mutants[1])
    # a closure's share of the budgets: at most half, and at most 4 budgets in all (an
    # input of a small closure takes microseconds: a tenth of a budget answers hundreds)
    share = 1.0 if len(parts) < 2 else min(0.5, 4.0 / min(len(parts), MAX_CLOSURES))
    if not parts and LOCALS in spec["qualname"]:  # no call, no closure to build it with:
        return dict(out, killed={})  # no evidence (its callers may give it)
    for n, (closure, calls) in enumerate(parts or [(None, [])]):
        try:
            fn = function_at(root, spec["file"], spec["qualname"], closure)
        except Exception as exc:
            return {"problem": f"not callable here: {type(exc).__name__}: {exc}"[:300],
                    "results": []}
        if state is None:  # its module imported, before any input fills a memo there
            state = tree_state(root)  # (the mutants start from it)
            writes = Writes(root)  # the tables its calls write into (replay_state)
        if n >= MAX_CLOSURES:
            out["results"] += [answer_row(fn, f"c{i}", base64.b64decode(c["pickle"]), timeout_s)
                               for i, c in calls]
            continue
        part = _answers(fn, dict(spec, closure=closure), calls, (state, writes), timeout_s,
                        (budget_s * share, _MUTANT_BUDGET_S * share), mutants, search)
        out["results"] += part["results"]
        out["peer_results"] += part["peer_results"]
        out["peer_killed"].update(part["peer_killed"])
        out["cut"] = out["cut"] or part["cut"]
        out["starved"] = out["starved"] or part["starved"]
        out["unplaced"] += part["unplaced"]
    return dict(out, killed={str(k): key for k, key in mutants[1].items() if k not in before},
                state=writes.answer() if state is not None else None)


def _answers(fn, spec, calls, states, timeout_s, budgets, mutants, search):
    """`_run_function`'s work for one function object: `calls` ((index, call) captured),
    the inputs generated from them and the search's, and the mutants they tell apart;
    `states` the tree's tables as the mutants start from them and the writes into them."""
    state, writes = states
    captured = [base64.b64decode(c["pickle"]) for _, c in calls]
    reached = installed()  # the changed lines each input runs (replay_reach), if any
    if reached is not None:
        reached.ids = set()
    inputs, results, ran = _captured(fn, spec, calls, captured, timeout_s, reached)
    writes.check(results[-1]["key"] if results else None)
    blobs = [arguments_of(b) for b in captured]  # what inputs are made from: the arguments
    receiver = receives(fn, spec["qualname"])
    params = parameters(fn)
    kinds = (known(blobs, params), params)
    asked = Budget(_ASKED_BUDGET_S)  # its tables given the keys it missed (replay_keys)
    crossed = crossed_inputs(blobs, receiver, dumped, loads) \
        if "merge" in (spec.get("dropped") or ()) else []  # tables merged in another order
    for blob in [*crossed, *asked_inputs(fn, blobs, receiver, lambda b: _ran(fn, b, timeout_s),
                                         dumped, loads, spec.get("names") or code_names(fn),
                                         asked)]:
        if asked():
            break
        inputs.append(blob)
        results.append(answer_row(fn, keyed("g", spec, blob), blob, timeout_s, kinds))
    argv = Budget(_ASKED_BUDGET_S)  # a command line's arguments, its environment varied
    for blob in [*argv_inputs(captured, spec.get("constants", []), spec.get("names") or (),
                              frozenset(spec.get("dropped") or ())),
                 *environ_inputs(captured, spec.get("environ") or ())]:  # (replay_environ)
        if argv():
            break
        inputs.append(blob)
        results.append(answer_row(fn, keyed("g", spec, blob), blob, timeout_s, kinds))
    told = {}  # how many boundary values no captured call could hold (the daemon hears)
    made = _made(fn, spec, (blobs, ran), receiver, reached, told)
    over = _answered_made(fn, spec, made, (inputs, results, len(captured)),
                          (writes, reached), timeout_s, budgets[0], kinds)
    writes.check(results[-1]["key"] if results else None)
    theirs, searched_from = [], len(inputs)
    searched_rows(fn, spec, blobs, search, timeout_s, receiver, (inputs, results, theirs), kinds)
    aside = made.steered if reached is not None else ()
    # no evidence (governance.oracle.differential._unlifted)
    mark = "alien" if private(spec["qualname"]) else "exotic"
    aside = {*aside, *(b for b, r in zip(inputs, results)  # noqa: B905 (3.9)
                       if r.get(mark) is True)}
    _judged(fn, mutants, inputs, results, aside, state, (timeout_s, budgets[1]))
    return {"results": results, "cut": over is not None, "unplaced": told.get("unplaced", 0),
            "starved": over is not None and over.starved, "peer_results": theirs,
            "peer_killed": peer_judged(spec, search, inputs[searched_from:],
                                        results[searched_from:], theirs)}


def _ran(fn, blob, timeout_s):
    """The arguments one call ran on, unpickled afresh from `blob`, after it ran; its
    module's names as they are (replay_keys' recording tables stand in some)."""
    held = []
    with bindings_held(fn):
        answered(fn, blob, timeout_s, held)
    return held[0]


def _captured(fn, spec, calls, captured, timeout_s, reached):
    """(inputs, rows, which captured calls ran a changed line) of the captured calls, each
    under the argv it was captured with; where they read the clock, time is an input too:
    the first _CLOCKED_CALLS again at each of the clock's edges, and late in the
    millisecond each was captured in (replay_clock)."""
    inputs, results, ran = list(captured), [], []
    clock_read = reads()
    for (i, c), b in zip(calls, captured):  # noqa: B905 (3.9)
        known = reached.ids if reached is not None else set()
        if reached is not None:
            reached.ids = set()
        results.append(answer_row(fn, c.get("key") or f"c{i}", b, timeout_s))
        if reached is not None:
            ran.append(bool(reached.ids))
            reached.ids = known | reached.ids
    if reads() > clock_read:
        first = list(zip(calls, captured))[:_CLOCKED_CALLS]  # noqa: B905 (3.9)
        for blob in [clocked(b, at) for (_, c), b in first
                     for at in (*EDGES_NS, *captured_edges(c.get("clock_ns")))]:
            inputs.append(blob)
            results.append(answer_row(fn, keyed("t", spec, blob), blob, timeout_s))
    return inputs, results, ran


def _made(fn, spec, captured, receiver, reached, told):
    """The generated inputs (replay_inputs), lazily; with `reached`, the neighbours of the
    few captured calls that ran a changed line, and of an input reaching a new changed
    line, first (replay_reach). `captured`: (the captured calls' arguments, whether each
    ran a changed line)."""
    blobs, ran = captured
    limit, dropped = int(spec.get("generate", 0)), frozenset(spec.get("dropped") or ())
    made = generated(blobs, spec.get("constants", []), limit, spec.get("boundaries") or [],
                     fn, int(spec.get("spread") or 1), receiver, spec.get("names"), told,
                     dropped)
    if reached is not None:
        made = Steered(made, limit, lambda b, n: generated(
            [b], spec.get("constants", []), n, (), fn, 1, receiver,
            spec.get("names"), dropped=dropped), reached.ids, blobs,
            [b for b, r in zip(blobs, ran) if r])  # noqa: B905 (3.9)
        reached.ids = set()  # what the captured calls (and the clock's) reached is known
    return made


def _answered_made(fn, spec, made, answered_so_far, watches, timeout_s, budget_s, kinds):
    """The generated inputs answered, appended to (inputs, rows), until the budget of
    `budget_s` CPU seconds is spent: the budget where it was, else None (the daemon hears of
    it: no generated input run is no pass, and a budget the clock ended is no evidence).
    The budget is the answers': making the inputs (bounded in number and bytes) costs a
    second or more of copies for a large receiver, and once counted here simpleeval's
    evaluator ran none of its inputs on a loaded box. The
    tables' writes (replay_state) are checked at CHECKPOINTS of the inputs answered past
    the captured calls; `watches`: those writes and the changed lines reached (or None)."""
    inputs, results, captured = answered_so_far
    writes, reached = watches
    over = Budget(budget_s)
    for blob in made:
        if over():
            return over
        inputs.append(blob)
        results.append(answer_row(fn, keyed("g", spec, blob), blob, timeout_s, kinds))
        if len(inputs) - captured in CHECKPOINTS:
            writes.check(results[-1]["key"])
        if reached is not None:
            made.heard(blob, reached.ids)
            reached.ids = set()
    return None


def _judged(fn, mutants, inputs, results, aside, state, limits):
    """The mutants ((ids, {id: key} killed so far)) the answered inputs tell apart
    (replay_mutants.judge), each answer from the tree's tables as they were (`state`);
    never on the inputs `aside` (given out of turn: replay_reach)."""
    ids, killed = mutants
    if not ids:
        return
    timeout_s, budget_s = limits
    rows = [(r["key"], b, r["answer"]) for b, r in zip(inputs, results)  # noqa: B905 (3.9)
            if r.get("deterministic") and r.get("kind") != "timeout" and b not in aside]
    judge(lambda b: answered_from(state, lambda: answered(fn, b, timeout_s)[0], digest),
          rows, ids, killed, Budget(budget_s))


def _inside(rel):
    """Whether `rel` names a directory inside the tree (relative, never up)."""
    return isinstance(rel, str) and rel and not os.path.isabs(rel) \
        and ".." not in rel.split("/")


def _seeded(argv):
    """Re-execute under a fixed hash seed, once (both trees then agree on set order); not
    when the caller fixed one already (a Python start saved)."""
    if os.environ.get(_SEEDED) or sys.flags.ignore_environment \
            or not sys.flags.hash_randomization:
        return
    env = dict(os.environ, PYTHONHASHSEED="0", **{_SEEDED: "1"})
    flags = ["-P"] if getattr(sys.flags, "safe_path", False) else []
    with contextlib.suppress(OSError):
        os.execve(sys.executable, [sys.executable, *flags, *argv], env)


def main(argv):
    _seeded(argv)
    with open(argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    root = os.path.realpath(os.getcwd())
    # A call the capture wrote by cloudpickle loads only where it imports (in the peer too),
    # and from the daemon's copy before the tree can shadow what it imports
    remembering(borrowed("cloudpickle", str(job.get("search_path") or "")))
    sys.path.insert(0, os.path.join(root, "src") if os.path.isdir(os.path.join(root, "src"))
                    else root)
    if sys.path[0] != root:
        sys.path.insert(1, root)
    sys.path += [os.path.join(root, rel) for rel in job.get("paths") or []
                 if _inside(rel)]  # the tests' own directories (the capture's `paths`)
    signal.signal(signal.SIGALRM, on_alarm)
    stable_ids()
    fix()  # the wall clock and random bytes each call reads (replay_clock), in the peer too
    timeout_s = float(job.get("call_timeout_s", 1.0))
    budget_s = float(job.get("budget_s", _BUDGET_S))
    applying(job["functions"])  # in the peer too: it forks next
    peer = Peer.start(lambda texts: install(root, texts), job.get("peer") or {},
                      PeerTree(root, timeout_s,
                                [int(k) for k in job.get("peer_mutants") or []]),
                      2 * timeout_s + 5.0)  # before the tree is imported: the other side
    install(root, job.get("sources") or {})
    mutants = ([int(k) for k in job.get("mutants") or []], {})
    if mutants[0]:  # the changed lines carry switches: each input's reach is read there
        watch_switch()
    search = {"peer": peer, "left_s": float(job.get("search_s", _SEARCH_TOTAL_S)),
              "fallback": str(job.get("search_path") or "")}
    try:
        out = {"functions": [_run_function(root, spec, timeout_s, budget_s, mutants, search)
                             for spec in job["functions"]]}
    finally:
        if peer is not None:
            peer.close()
    with open(argv[2] + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    os.replace(argv[2] + ".tmp", argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
