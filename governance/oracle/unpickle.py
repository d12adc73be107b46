"""Reading a captured call's pickle back, for the replay runner and its helpers
(governance.oracle.replay_runner): `pickle.loads`, and where that recurses without end,
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

import io
import pickle
import sys
import typing


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


def loads(blob):
    """The object `blob` pickles; where the C unpickler fails, pickle's own asking the
    type, and that failing too, the C unpickler's error."""
    try:
        return pickle.loads(blob)
    except Exception as first:  # any error a __getattr__ may raise
        try:
            return _TypeSetstate(io.BytesIO(blob)).load()
        except Exception:
            raise first from None
