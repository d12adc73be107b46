"""The module state a function's calls leave behind, for the replay runner (governance.
oracle.replay_runner): which of the tree's module-level tables had an entry they held
changed or taken out.

An answer is what a call returns, prints and leaves in its arguments; a call that writes
into its module's own data answers alike and is still another behaviour: every later
caller reads the changed table. emoji's `emojize` copied an entry of EMOJI_DATA before
writing a match's offsets into it; with the copy dropped as a needless allocation, the
offsets were written into EMOJI_DATA itself, and the careless change landed (wave 11).

`Writes` takes a fingerprint of each dict, list and set a module of the tree holds at
module level (a hash of each entry's repr, addresses out) before a function's first
input, and again at checkpoints: after the captured calls, after CHECKPOINTS generated
inputs, and after the last. A table counts as written once an entry it held is changed or
gone (a list's item at its index, a set's element); entries added are not writes (a memo
fills so). For each table written it records the key of the last input answered before
the checkpoint that first saw it: the daemon counts a difference only where both trees
answered that input (governance.oracle.differential.compare_state), since the trees stop
answering at different points. Fingerprints are bounded in entries and CPU seconds: past
either, the tables not yet taken are not watched (no evidence either way, never a pass).

Copied beside the runner as `_ouroboros_state`; standard library only, Python 3.9 and
later.
"""

import os
import sys
import time

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import ADDRESS
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import ADDRESS

CHECKPOINTS = (16, 64, 256, 1024)  # generated inputs answered, where writes are looked for
MAX_ENTRIES = 200_000  # entries fingerprinted, over all tables of one tree
MAX_SECONDS = 0.5  # CPU seconds of one fingerprint
MAX_NAMES = 256  # tables named in the answer, at most


def tree_modules(root):
    """The modules of the tree at `root` now imported (their files' real paths under it)."""
    modules = [m for m in list(sys.modules.values()) if isinstance(m, type(sys))]
    return [m for m in modules
            if os.path.realpath(getattr(m, "__file__", None) or os.sep).startswith(root + os.sep)]


def containers(root, modules=None):
    """(module.name, container) for each dict, list and set a module of the tree at `root`
    holds at module level (never a module's own namespace); of `modules` only, when given
    (tree_modules, found once: resolving every module's path is no fingerprint's cost)."""
    spaces = {id(vars(m)) for m in list(sys.modules.values()) if isinstance(m, type(sys))}
    for module in tree_modules(root) if modules is None else modules:
        for name, value in list(vars(module).items()):
            if not name.startswith("__") and type(value) in (dict, list, set) \
                    and id(value) not in spaces:
                yield f"{module.__name__}.{name}", value


def _digest(value):
    """An entry's fingerprint: its repr, addresses taken out (an object built anew in its
    place, alike but elsewhere, is no write: a cache rebuilt on every call on one tree and
    kept on the other)."""
    try:
        return hash(ADDRESS.sub("", repr(value)))
    except Exception as exc:  # a repr the tree's code raises from: its kind
        return hash(type(exc).__name__)


def _print(value):
    """One table's fingerprint: {key: digest} for a dict, [digest] for a list, the
    elements themselves for a set."""
    if isinstance(value, dict):
        return {k: _digest(v) for k, v in list(value.items())}
    if isinstance(value, list):
        return [_digest(v) for v in list(value)]
    return set(value)


def _changed(before, after):
    """Whether an entry `before` held is changed or gone in `after` (additions are not; a
    name bound to a table of another kind is a change)."""
    if type(before) is not type(after):
        return True
    if isinstance(before, dict):
        return any(k not in after or after[k] != d for k, d in before.items())
    if isinstance(before, list):
        return len(after) < len(before) or after[:len(before)] != before
    return not before <= after


class Writes:
    """The tables of the tree at `root` a function's calls write into (`check`), from
    their state when it is made."""

    def __init__(self, root):
        self.root = root
        # found once, outside the fingerprint's CPU bound: a worker holding thousands of
        # modules spent the whole bound resolving paths before the first table (CI, xdist)
        self.modules = tree_modules(root)
        self.before = self._prints(None)
        self.wrote = {}  # name -> the key of the last input before the write was seen

    def _prints(self, names):
        """{name: fingerprint} of the tree's tables (those of `names` only, when given),
        within MAX_ENTRIES and MAX_SECONDS."""
        out, entries = {}, 0
        end = time.process_time() + MAX_SECONDS
        for name, value in containers(self.root, self.modules):
            if names is not None and name not in names:
                continue
            entries += len(value)
            if entries > MAX_ENTRIES or time.process_time() > end or len(out) >= MAX_NAMES:
                break
            try:
                out[name] = _print(value)
            except Exception:  # a table changed while read (a thread of the tree's): unwatched
                continue
        return out

    def check(self, key):
        """Look for writes after the input keyed `key`, the last one answered."""
        if key is None:
            return
        todo = {n for n in self.before if n not in self.wrote}
        if not todo:
            return
        now = self._prints(todo)
        for name in todo:
            if name not in now:
                self.before.pop(name, None)  # not fingerprinted again: no longer watched
            elif _changed(self.before[name], now[name]):
                self.wrote[name] = key

    def answer(self):
        """What the daemon is told: the tables watched throughout, and those written."""
        return {"watched": sorted(self.before), "wrote": dict(self.wrote)}
