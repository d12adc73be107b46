"""The capture plugin's (governance.oracle.capture_plugin) count of each watched function's
callers: the repository's functions (not its tests) on the stack above each call, in all
and by the call's kind of arguments, so that the callers the check lifts to
(governance.proof.lifted) include the one that passes a rare kind.

Copied into the run's private plugin directory as `_ouroboros_stacks`; standard library
only, Python 3.9 and later.
"""

STACK_DEPTH = 16  # frames looked at above a watched call for the repository's callers
KINDS = 8  # kinds of arguments a watched function's callers are counted by
ROWS = 20  # callers written per watched function


def shape(pos, extra, kw):
    """A call's kind of arguments: the type of each, a keyword one by its name."""
    return tuple(type(a) for a in pos) + tuple(type(a) for a in extra) + tuple(
        (k, type(kw[k])) for k in sorted(kw))


class Callers:
    """One watched function's callers: how many of its calls each was on the stack of, in
    all and per kind of arguments (the first KINDS kinds)."""

    def __init__(self):
        self.counts, self.by_kind = {}, {}

    def count(self, frame, kind, caller_of):
        """Count the callers above `frame`, a call of arguments of `kind`; `caller_of(code)`
        is a frame's (file, qualname) when it is the repository's, else None."""
        if kind not in self.by_kind and len(self.by_kind) < KINDS:
            self.by_kind[kind] = {}
        of_kind = self.by_kind.get(kind, {})
        seen, up = set(), frame.f_back
        for _ in range(STACK_DEPTH):
            if up is None:
                break
            key = caller_of(up.f_code)
            if key is not None and key not in seen:
                seen.add(key)
                self.counts[key] = self.counts.get(key, 0) + 1
                of_kind[key] = of_kind.get(key, 0) + 1
            up = up.f_back

    def row(self):
        """[file, qualname, count] of the callers: the most frequent caller of each kind of
        arguments first (in the order the kinds came), then the rest by count. The check
        lifts to the first few, and a difference on a rare kind shows at the caller that
        passes it: webencodings' `decode` passes `_get_encoding` an Encoding once, where
        its four busiest callers pass labels hundreds of times (wave 15)."""
        counts = self.counts
        ranked = sorted(counts, key=lambda k: (-counts[k], k))
        firsts = [min(c, key=lambda k: (-c[k], k)) for c in self.by_kind.values() if c]
        return [[f, q, counts[(f, q)]] for f, q in dict.fromkeys(firsts + ranked)][:ROWS]
