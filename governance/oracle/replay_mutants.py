"""Whether the differential check's inputs notice each changed line: the replay runner's
mutants (governance.oracle.replay_runner; the daemon's side is governance.proof.
differential_check).

A change is shown to preserve behaviour only by inputs that would have told a change at
its lines apart: a careless refactor that drops the handling of a decimal comma answers as
the base on every input without one. So each tree's changed statements carry mutants behind
a switch (governance.proof.mutation: `(E' if <switch> == K else E)`), the tree's file is
loaded with that text instead of its own (`install`; with the switch off it is the tree's
code), and after a function's inputs are answered, each mutant not yet killed answers them
again until one answer differs (`judge`). A line none of whose mutants any input notices
is a line the check did not look at. Before each mutant's answer the tree's modules' dicts,
lists and sets are put back as they were before the first input (`tree_state`, `restore`):
a memo the unmutated answers filled (mpmath's `borwein_cache`) would hand the mutant the
right answer without running its line. Where the first answer wrote into them, the input
is answered a second time on what it left (`answered_from`): the path that reads a memo
back (`if key in cache: return cache[key]`) runs only then, and from restored tables no
mutant of it was ever told (pylatexenc's encoder cache, wave 25).

Copied beside the replay runner as `_ouroboros_mutants`; standard library only, Python 3.9
and later.
"""

import builtins
import importlib.machinery
import os
import sys

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_state import containers
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.replay_state import containers

SWITCH = "_ouroboros_mutant"  # governance.proof.mutation.SWITCH
BOUNDARY = "_ouroboros_boundary"  # governance.proof.boundary_wires.BOUNDARY
WIRES = 200_001  # the tripwires' first id (governance.proof.boundary_wires.FIRST_ID)
_fired = set()  # the switches a tripwire raised under
_texts = {}  # real path -> the text its module is loaded from (one jailed process's)
_COMPARED = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
             "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
_STRICTNESS = {">": (">", ">="), ">=": (">", ">="), "<": ("<", "<="), "<=": ("<", "<=")}


def boundary(left, right, op):
    """A tripwire's comparison (governance.proof.boundary_wires): `left op right`, except
    that where its strict and non-strict forms part (`_parted`) in the outermost call of
    the function it stands in, it raises. A call nested in another of the same function
    is not the input compared: fastjsonschema's `walk` widened to `depth > 500` met depth
    500 in the 500th recursion of a schema 1,200 levels deep, which base and candidate
    refuse alike (one level apart), and the boundary counted as reached (wave 11's careless
    case landed). A tripwire counts as set off only where it raised (`judge`), never where
    the answer differed for another reason (a table the call wrote into, answered again)."""
    result = _COMPARED[op](left, right)
    if _parted(left, right, op) and _outermost(sys._getframe(1)):
        _fired.add(getattr(builtins, SWITCH, 0))
        raise ArithmeticError("boundary reached")
    return result


def _parted(left, right, op):
    """Whether the strict and the non-strict comparison answer otherwise here, each a plain
    bool: the boundary itself. Not `left == right`, which an object equal to anything
    (replay_values' AnyEqual) or an array answers without ordering there at all."""
    try:
        strict, loose = (_COMPARED[o](left, right) for o in _STRICTNESS[op])
    except Exception:  # a side that compares one way only: no boundary shown
        return False
    return type(strict) is bool and type(loose) is bool and strict != loose


def _outermost(frame):
    code, up = frame.f_code, frame.f_back
    while up is not None:
        if up.f_code is code:
            return False
        up = up.f_back
    return True


class _Loader(importlib.machinery.SourceFileLoader):
    """A source loader that reads the texts given to `install` for their files."""

    def _text(self, path):
        return _texts.get(os.path.realpath(path))

    def get_data(self, path):
        text = self._text(path)
        return super().get_data(path) if text is None else text.encode("utf-8")

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        text = self._text(path)
        if text is None:
            return super().get_code(fullname)
        return compile(text, path, "exec", dont_inherit=True)  # never a cached .pyc


def install(root, sources):
    """Load each repository-relative file of `sources` from its text, for the tree at `root`
    (an import hook for the tree's own directories only)."""
    if not sources:
        return
    setattr(builtins, BOUNDARY, boundary)
    _texts.update((os.path.realpath(os.path.join(root, rel)), text)
                  for rel, text in sources.items())
    finder = importlib.machinery.FileFinder.path_hook(
        (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
        (_Loader, importlib.machinery.SOURCE_SUFFIXES),
        (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES))

    def hook(path):
        real = os.path.realpath(path or ".")
        if real != root and not real.startswith(root + os.sep):
            raise ImportError("not the tree's")
        return finder(path)
    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


def loaded_text(path):
    """The text the module at `path` runs: the one `install`ed for it, else its file's
    bytes (ast.parse reads their encoding)."""
    text = _texts.get(os.path.realpath(path))
    if text is None:
        with open(path, "rb") as f:
            return f.read()
    return text


def tree_state(root):
    """[(container, its copy)] for each dict, list and set a module of the tree at `root`
    holds at module level: what the mutants' answers start from (`restore`). A module's
    own namespace is none of them (replay_state.containers): asteval binds builtins' dict
    at module level, and putting it back took the mutant switch out of it (wave 9)."""
    return [(value, value.copy()) for _, value in containers(root)]


def restore(saved):
    """Put each container of `tree_state` back in place (its holders keep the object)."""
    for live, copy in saved:
        if len(live) == len(copy) and live == copy:
            continue
        if isinstance(live, list):
            live[:] = copy
        else:
            live.clear()
            live.update(copy)


def changed(saved):
    """Whether a container of `tree_state` no longer holds what it held (a call wrote
    into it); one that cannot be compared counts as changed."""
    try:
        return any(len(live) != len(copy) or live != copy for live, copy in saved)
    except Exception:
        return True


def answered_from(saved, answer, digest):
    """The digest of `answer()` (an answer) from the tree's tables as `saved`; where that
    call wrote into them, the input answered again on what it left: a second answer that
    differs is returned (it differs from the unmutated digest, whose two runs were alike),
    one that ran out of time is none (a busy box kills no mutant)."""
    restore(saved)
    first = answer()
    if not changed(saved):
        return digest(first)
    second = answer()
    if second == first or second.get("kind") == "timeout":
        return digest(first)
    return f"again:{digest(second)}"


def judge(answer, rows, ids, killed, over):
    """Add to `killed` ({mutant: key}) each mutant of `ids` whose answer (`answer(blob)`, a
    digest) differs from the unmutated one on one of `rows` ((key, blob, digest),
    deterministic inputs only), with the key of that input, until `over()` says the budget
    is spent. The key travels so that the daemon counts the kill only where both trees
    answered that input and their answers were compared: each tree's runner judges its own
    mutants on the inputs it answered, and the two trees stop answering at different points
    (a budget of CPU seconds; an order steered by each tree's own changed lines)."""
    off = getattr(builtins, SWITCH, 0)  # the switch as it was (replay_reach's Reached)
    for k in ids:
        if k in killed:
            continue
        setattr(builtins, SWITCH, k)
        try:
            for key, blob, digest in rows:
                if over():
                    return
                _fired.discard(k)
                differs = answer(blob) != digest
                if k in _fired if k >= WIRES else differs:
                    killed[k] = key
                    break
        finally:
            setattr(builtins, SWITCH, off)
