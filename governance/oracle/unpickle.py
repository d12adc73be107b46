"""Reading a captured call's pickle back, for the replay runner and its helpers
(governance.oracle.replay_runner): `pickle.loads` with modules' namespaces read by name
(`NAMESPACE`), and where that recurses without end,
pickle's own Python unpickler asking an object's *type* for `__setstate__`.

The C unpickler asks the instance, before its state is set; an object whose `__getattr__`
reads that state (`return self.consts[attr]`: dissect.cstruct's `cstruct`) then calls
itself until Python's recursion limit, and every call holding one was lost to the replay
("no call of it was captured or answered alike twice", wave 14); one whose `__getattr__`
reads its state by key raises KeyError there (tinydb's `Middleware`: `self.__dict__[
'storage']`, and a correct reordering of `write`'s statements was not judged, wave 28).
Asking the type finds the same `__setstate__` a class defines, and none where it defines
none; an error of that unpickler too is the C unpickler's, as before.

Copied beside the runner as `_ouroboros_unpickle`; standard library only, Python 3.9 and
later.
"""

import importlib
import io
import pickle
import sys
import typing

# The persistent id governance.oracle.pickler writes a module's namespace as:
# (NAMESPACE, the module's name, whether the value was a copy of it, the names it held)
NAMESPACE = "ouroboros.namespace"


def _persistent_load(pid):
    """A module's namespace the pickle names (`NAMESPACE`), imported here where it is not
    yet (a test module the captured call's frame ran in): its own where the value was its
    own and it holds the same names, else a copy of the names the value held, each bound as
    it is here, less those it has not (pytest's assertion rewriting adds `@py_builtins` to
    a test module). Never the names the runner adds (the mutant switch in `builtins`): a
    copy holding one told the trees apart by the lines each reached. In the jail only: the
    daemon never loads a captured call."""
    if not (isinstance(pid, tuple) and len(pid) == 4 and pid[0] == NAMESPACE
            and type(pid[1]) is str and type(pid[2]) is bool and type(pid[3]) is tuple):
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
    _, name, copy, names = pid
    space = vars(importlib.import_module(name))
    if not copy and len(space) == len(names) and all(k in space for k in names):
        return space
    return {k: space[k] for k in names if k in space}


class _Loader(pickle.Unpickler):
    """pickle's unpickler, reading modules' namespaces (`_persistent_load`)."""

    def persistent_load(self, pid):
        return _persistent_load(pid)


class _TypeSetstate(pickle._Unpickler):
    """pickle's Python unpickler with BUILD looking `__setstate__` up on the type."""

    dispatch: typing.ClassVar[dict] = dict(pickle._Unpickler.dispatch)

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        setstate = getattr(type(inst), "__setstate__", None)
        if setstate is not None:
            setstate(inst, state)
            return
        slotstate = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slotstate = state
        if state:
            inst.__dict__.update({sys.intern(k) if type(k) is str else k: v
                                  for k, v in state.items()})
        for k, v in (slotstate or {}).items():
            setattr(inst, k, v)

    dispatch[pickle.BUILD[0]] = load_build

    def persistent_load(self, pid):
        return _persistent_load(pid)


def loads(blob):
    """The object `blob` pickles; where the C unpickler fails, pickle's own asking the
    type, and that failing too, the C unpickler's error."""
    try:
        return _Loader(io.BytesIO(blob)).load()
    except Exception as first:  # any error a __getattr__ may raise
        try:
            return _TypeSetstate(io.BytesIO(blob)).load()
        except Exception:
            raise first from None
