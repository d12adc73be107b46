"""A class a captured call received first (a classmethod's `cls`), carried with the tables
its own namespace held then: what the class's methods read there is part of the call's
input. The capture plugin (governance.oracle.capture_plugin) writes such a call's class as
a `ClassState`; the replay runner sets its tables on the class again before it answers the
call (governance.oracle.replay_answer).

Copied into a run's private plugin directory as `_ouroboros_class_state` (governance.
oracle.run_dir); standard library only, Python 3.9 and later.
"""


class ClassState:
    """A class a call received first (a classmethod's `cls`) with the tables (dicts, lists,
    sets) its own namespace held then, set on it again where the call is answered
    (`installed`): what the class's methods read is part of the call's input. editables'
    RedirectingFinder keeps the names it redirects in a class-level dict its tests fill
    through a classmethod; replayed on the class as the replay imports it, every call of
    `find_spec` answered None on both trees, and its path's default changed from None to
    `()` landed (wave 33). The pickle names this class and the class it carries."""

    __slots__ = ("cls", "state")

    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    def __reduce__(self):
        return ClassState, (self.cls, self.state)

    def __repr__(self):
        return f"{getattr(self.cls, '__qualname__', '?')} holding {self.state!r}"


STATE_ENTRIES = 1000  # a class's tables carried with a call, in entries all told, at most


def class_state(value):
    """`value` as a ClassState where it is a class whose own namespace holds tables of at
    most STATE_ENTRIES entries in all; else `value` itself."""
    if not isinstance(value, type):
        return value
    state = {k: v for k, v in vars(value).items()
             if type(v) in (dict, list, set) and not k.startswith("__")}
    if not state or sum(len(v) for v in state.values()) > STATE_ENTRIES:
        return value
    return ClassState(value, state)


def installed(args):
    """`args` with a ClassState at their head given as its class, the tables it carries
    set on the class first: each that its class lets be set (a metaclass may refuse one,
    and the call is then answered on the table as it is, never as a raise of this code's)."""
    if not args or type(args[0]) is not ClassState:
        return args
    head = args[0]
    if isinstance(head.cls, type) and isinstance(head.state, dict):
        for name, table in head.state.items():
            try:
                setattr(head.cls, name, table)
            except Exception:  # a refused table is left as it is
                continue
    return [head.cls, *args[1:]]
