"""The base's replay runner and its peer (governance.oracle.replay_peer), for the runner
(governance.oracle.replay_runner): the search's rows beside the generated inputs
(governance.oracle.replay_search), whether an input answered already tells the trees apart
(then the search's CPU is saved), the candidate's mutants the peer tells apart on the
searched inputs, and what the peer serves (`PeerTree`). An input's key (`keyed`) is the
input itself, so an input only one tree made is never compared.

Copied beside the runner as `_ouroboros_asking`; standard library only, Python 3.9 and
later.
"""

import hashlib
import time

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_answer import answer_row, answered, digest
    from _ouroboros_budget import WALL_FACTOR, Budget
    from _ouroboros_edges import Edges
    from _ouroboros_lookup import function_at
    from _ouroboros_mutants import judge, loaded_text, restore, tree_state
    from _ouroboros_search import searched
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.replay_answer import answer_row, answered, digest
    from governance.oracle.replay_budget import WALL_FACTOR, Budget
    from governance.oracle.replay_edges import Edges
    from governance.oracle.replay_lookup import function_at
    from governance.oracle.replay_mutants import judge, loaded_text, restore, tree_state
    from governance.oracle.replay_search import searched

_SEARCH_BUDGET_S = 1.0  # CPU seconds of the search with the peer (governance.oracle.
# replay_search) a function, in the base's runner (at most 3 s of the clock)
_TOLD_APART_ASKED = 64  # inputs answered already that the peer is asked about first
_PEER_MUTANT_BUDGET_S = 1.0  # CPU seconds of the peer's judging of the candidate's
# mutants on one function's searched inputs (the candidate's runner judged the rest)


def searched_rows(fn, spec, blobs, search, timeout_s, receiver, answered_so_far, kinds):
    """The search's rows (governance.oracle.replay_search) after the generated inputs,
    where the peer is up, time is left and no input answered already tells the trees
    apart, appended to `answered_so_far` (inputs, this tree's rows, the peer's rows);
    this tree's each marked `foreign` as a generated input is."""
    inputs, results, theirs = answered_so_far
    peer = search["peer"] if search else None
    search_s = min(_SEARCH_BUDGET_S, search["left_s"]) if search else 0.0
    if peer is None or peer.pid is None or search_s <= 0 \
            or told_apart(spec, inputs, results, peer):
        return
    began = time.monotonic()
    edges = Edges.of(fn, spec["file"], spec.get("edges") or [], loaded_text)
    for blob, row, other in searched(blobs, spec.get("constants", []),
                                     lambda b: answer_row(fn, "", b, timeout_s, kinds),
                                     lambda b: peer.sent(spec["file"], spec["qualname"],
                                                         b, spec.get("closure")),
                                     search_s, search["fallback"], kinds[1], receiver,
                                     edges.measured if edges.at else None):
        key = keyed("s", spec, blob)
        inputs.append(blob)
        results.append(dict(row, key=key))
        theirs.append(dict(other, key=key))
    search["left_s"] -= time.monotonic() - began


def keyed(kind, spec, blob):
    """A generated or searched input's key: the input itself (an input only one tree made
    is then not compared), and the closure it is answered with (two closures' alike
    inputs are two inputs)."""
    salt = (spec.get("closure") or "").encode()
    return kind + hashlib.sha256(salt + blob).hexdigest()[:20]


def peer_judged(spec, search, inputs, results, theirs):
    """The candidate's mutants ({id: key}) the peer tells apart on the searched inputs
    (its `PeerTree`): the candidate's runner, which does not search, judged them on the
    captured and generated inputs only. Not where a searched input shows the trees apart,
    both answers steady: the counterexample is in hand, and the mutants say nothing more."""
    peer = search["peer"] if search else None
    rows = [(r["key"], b, r["answer"]) for b, r in zip(inputs, theirs)  # noqa: B905 (3.9)
            if _steady(r)]
    if peer is None or peer.pid is None or not rows or any(
            _steady(mine) and _steady(r) and mine["answer"] != r["answer"]
            for mine, r in zip(results, theirs)):  # noqa: B905 (3.9)
        return {}
    answer = peer.ask(spec["file"], spec["qualname"], None, spec.get("closure"), rows,
                      wait_s=WALL_FACTOR * _PEER_MUTANT_BUDGET_S + 2 * peer.wait_s)
    killed = answer.get("killed") if isinstance(answer, dict) else None
    return killed if isinstance(killed, dict) else {}


def _steady(row):
    return row.get("deterministic") is True and "answer" in row \
        and row.get("kind") != "timeout" and row.get("again") != "timeout"


class PeerTree:
    """What the peer (the candidate's code, its changed lines' mutants switched off, in the
    base's runner) serves: an input's answer row; or, given `rows` ((key, input, answer)
    of a function's searched inputs), the candidate's mutants (`ids`) they tell apart, each
    answer from its tables as they were before the function's first input here."""

    def __init__(self, root, timeout_s, ids):
        self.root, self.timeout_s, self.ids = root, timeout_s, ids
        self.states, self.killed = {}, {}

    def __call__(self, file, qualname, blob, closure=None, rows=None):
        fn = function_at(self.root, file, qualname, closure)
        if (file, qualname, closure) not in self.states:
            self.states[(file, qualname, closure)] = tree_state(self.root)
        if rows is None:
            return answer_row(fn, "", blob, self.timeout_s)
        state, before = self.states[(file, qualname, closure)], set(self.killed)
        judge(lambda b: restore(state) or digest(answered(fn, b, self.timeout_s)[0]), rows,
              self.ids, self.killed, Budget(_PEER_MUTANT_BUDGET_S))
        return {"killed": {str(k): key for k, key in self.killed.items() if k not in before}}


def _ask(peer, spec, blob):
    """The peer's answer to `blob` for the function `spec` names (with its closure)."""
    return peer.ask(spec["file"], spec["qualname"], blob, spec.get("closure"))


def told_apart(spec, inputs, results, peer):
    """Whether an input answered already shows the two trees apart for certain: this tree
    answered it steadily and the peer steadily (its row: two runs alike, in time),
    otherwise. The daemon then has its counterexample whatever a search would find, and
    the search's CPU is saved. At most _TOLD_APART_ASKED inputs are asked about, the
    captured ones first."""
    asked = 0
    for blob, row in zip(inputs, results):  # noqa: B905 (3.9)
        if asked >= _TOLD_APART_ASKED:
            return False
        if not row.get("deterministic") or row.get("kind") in (None, "timeout") \
                or row.get("again") == "timeout":
            continue
        asked += 1
        theirs = _ask(peer, spec, blob)
        if theirs is None or theirs.get("kind") == "timeout":
            return False  # a gone or slow peer: no certainty (the search stops on it too)
        if theirs.get("deterministic") is True and theirs.get("again") != "timeout" \
                and theirs.get("answer") != row.get("answer"):
            return True
    return False
