"""Stand-ins the replay runner gives where a caller could pass a value of another type than
the tests did (governance.oracle.replay_values' neighbours, replay_bounds' boundary values):
an int's or a text's subclass, an object of the same interface but not of its class, a
callback that writes down its calls. Defined in a module of their own so that what they
are is one fact: a pickle names them by this module, on both trees alike.

Copied into a run's private plugin directory as `_ouroboros_standins` (governance.oracle.
run_dir) beside the runner; standard library only, Python 3.9 and later.
"""

from collections.abc import Mapping

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import ADDRESS
except ImportError:  # imported by the daemon's own code and tests
    from governance.oracle.canon import ADDRESS


class Recorder:
    """A callback given where the code calls one (`self.postprocessor(path, key, value)`,
    `item_callback(path, item)`): it writes down what each call was given, as text at the
    time of the call (a list the code mutates later is read as it was), and answers with
    its last two arguments (a postprocessor's (key, value); a true answer). The calls are
    part of the arguments as the call left them, so both trees' are compared: without
    the addresses an object's text holds, which differ between the trees (dict2xml's
    loop made a comprehension, a correct refactor, was "changed" by a recorded Node's
    address, wave 20)."""

    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append(ADDRESS.sub("", repr((args, sorted(kwargs.items()))))[:300])
        return tuple(args[-2:]) if len(args) > 1 else True


class IntLike(int):
    """An int subclass, as an IntEnum member or a numpy-free caller's own int type is."""

    def __repr__(self):
        return f"IntLike({int(self)})"


class FloatLike(float):
    """A float subclass, as a float enum member is: its text is its own, which code that
    coerced it by `float()` first never wrote (rfc8785's float coercion dropped, wave 21)."""

    def __repr__(self):
        return f"FloatLike({float(self)!r})"


class MappingLike(Mapping):
    """A dict's pairs in a mapping that is no dict (as a read-only `MappingProxyType` view
    is): code that tests Sized or Iterable before Mapping takes such a value's keys for its
    items (multiset's construction, the two tests reordered, landed no counterexample: wave
    24); a dict subclass does not tell it, being a dict."""

    def __init__(self, pairs):
        self.pairs = dict(pairs)

    def __getitem__(self, key):
        return self.pairs[key]

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self):
        return len(self.pairs)

    def __repr__(self):
        return f"MappingLike({self.pairs!r})"


class AnyEqual:
    """An object equal to everything and the same as nothing, as `unittest.mock.ANY` is:
    `x == None` and `x is None` part ways on it (rfc8785's `obj is None` made `obj == None`,
    wave 21)."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0

    def __repr__(self):
        return "AnyEqual()"


class StrLike(str):
    """A str subclass, as a str enum member or a caller's own text type is: `type(x) is
    str` and `isinstance(x, str)` part ways on it."""

    def __repr__(self):
        return f"StrLike({str(self)!r})"


class OptedOut:
    """An object of a class that opts out of iteration, reversal and membership by setting
    their methods to None, as the data model says to: `isinstance(x, Iterable)` is false
    for it and `hasattr(x, "__iter__")` true (dict2xml's iterable told by `hasattr`
    landed, wave 20). Written as text, it is its name."""

    __iter__ = None
    __reversed__ = None
    __contains__ = None

    def __repr__(self):
        return "OptedOut()"


class LookAlike:
    """An object that stands for another without being of its class: every plain attribute
    read is the other's (duck typing holds), `isinstance` against its class fails.
    webencodings' `_get_encoding` narrowed from "has `codec_info`" to `isinstance(x,
    Encoding)` landed (wave 15): no input held an object of the interface that was not of
    the class."""

    def __init__(self, inner):
        self.__dict__["_inner"] = inner

    def __getattr__(self, name):
        inner = self.__dict__.get("_inner")  # absent while pickle rebuilds it
        if inner is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(inner, name)

    def __repr__(self):
        return f"LookAlike({self.__dict__.get('_inner')!r})"
