"""The calls of a function no test calls and no kin lends a call, for the replay runner
(governance.oracle.replay_runner): where each parameter without a default is annotated with
a plain type (governance.proof.behaviour.bare), the function is called with its defaults,
each passed by name, and with a value of each annotated type (two of them, so the inputs
made from the calls vary both), and where it has no such parameter, also with none passed.

evalidate's `test_security(attacks=None, model=None, verbose=False)` waited as a function
with no input (wave 22); so did chameleon's `lookup_attr(obj: object, key: str)`, whose
careless `KeyError` swallowed answered as its base on every input no call gave it (wave
24). The values are the plainest of each type; the inputs generated from them move them
towards the function's own constants, as they move a captured call's. A text is also each
of the first data files shipped beside the function's module, by name (`data_names`): a
function that loads a resource by its name (wonderwords' `read_words(word_file: str)`
reads a word list of its `assets/`) raised on every other text, and the lines after the
read were reached by no input (wave 25).

Copied beside the runner as `_ouroboros_bare`; standard library only, Python 3.9 and later.
"""

import contextlib
import inspect
import os
import re
import sys

try:  # in the jail: beside the runner, in the run's plugin directory
    from _ouroboros_canon import ambient, made_call
    from _ouroboros_pickler import dumped
except ImportError:  # imported by the daemon's own tests
    from governance.oracle.canon import ambient, made_call
    from governance.oracle.pickler import dumped

# A plain annotation's values, two calls' worth; the daemon marks a function bare only where
# each parameter to fill names these types alone (governance.proof.behaviour.FILLABLE)
SEEDS = {"str": ("", "a"), "bytes": (b"", b"a"), "int": (0, 1), "float": (0.0, 1.5),
         "bool": (False, True), "object": (None, {}), "Any": (None, {}),
         "dict": ({}, {"a": 0, "b": 1})}
_NAME = re.compile(r"[A-Za-z_]\w*")
MAX_DATA = 3  # data files' names tried as texts
_CODE = (".py", ".pyc", ".pyi", ".so", ".pyd", ".typed")
_NO_VALUE = object()


def bare_calls(fn, text_params=(), table_params=()):
    """Its calls with defaults and made values (the capture's form), under an argv of its
    module's name alone (a CLI's `main()` sees no arguments); none where a parameter
    without a default has no plain annotation and is not one of `text_params` or
    `table_params` (those the daemon saw the function use as a text or a key, or as a
    mapping: governance.proof.param_roles)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    roles = {**{name: "dict" for name in table_params}, **{name: "str" for name in text_params}}
    made = [_arguments(params, turn, roles) for turn in (0, 1)]
    if any(m is None for m in made):
        return []
    made += [_arguments(params, name, roles) for name in data_names(fn)
             if _takes_text(params, roles)]
    if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
           for p in params):
        made.append(([], {}))  # none passed: the defaults as the def writes them
    argv = [getattr(fn, "__module__", None) or "main"]
    return [made_call("b", ambient(b, argv)) for b in dict.fromkeys(map(dumped, made))]


def _arguments(params, turn, roles):
    """(args, kwargs) of one call: defaults by name, positional-only values by place."""
    args, named = [], {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not p.empty:
            if p.kind is not p.POSITIONAL_ONLY:
                named[p.name] = p.default
            continue
        value = _value(roles.get(p.name, p.annotation) if p.annotation is p.empty
                       else p.annotation, turn)
        if value is _NO_VALUE:
            return None
        if p.kind is p.POSITIONAL_ONLY:
            args.append(value)
        else:
            named[p.name] = value
    return args, named


def data_names(fn):
    """The names of the first MAX_DATA files beside `fn`'s module that are no code, in its
    directory and the directories in it, sorted; none where it has no file."""
    path = getattr(sys.modules.get(getattr(fn, "__module__", "") or ""), "__file__", None)
    if not path:
        return []
    found = []
    with contextlib.suppress(OSError):  # what could be listed before it
        for entry in sorted(os.scandir(os.path.dirname(path)), key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith((".", "_")):
                found += [e.name for e in sorted(os.scandir(entry.path), key=lambda e: e.name)
                          if _data(e)]
            elif _data(entry):
                found.append(entry.name)
            if len(found) >= MAX_DATA:
                break
    return found[:MAX_DATA]


def _data(entry):
    return entry.is_file(follow_symlinks=False) and not entry.name.startswith(".") \
        and not entry.name.endswith(_CODE)


def _takes_text(params, roles):
    """Whether a parameter to fill is a text (a data file's name is tried there)."""
    return any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               and _value(roles.get(p.name, p.annotation) if p.annotation is p.empty
                          else p.annotation, 0) == "" for p in params)


def _value(annotation, turn):
    """A value of a plain annotation (`str`, `'str'`, `str | None`, `Optional[int]`): the
    first or second of its SEEDS, or for a text, a `turn` that is a text itself."""
    if annotation is inspect.Parameter.empty:
        return _NO_VALUE
    text = annotation if isinstance(annotation, str) else (
        getattr(annotation, "__name__", None) if isinstance(annotation, type)
        else repr(annotation))
    names = [n for n in _NAME.findall(text or "")
             if n not in ("typing", "Optional", "Union", "None")]
    if not names or any(n not in SEEDS for n in names):
        return _NO_VALUE
    if isinstance(turn, str):
        return turn if names[0] == "str" else SEEDS[names[0]][0]
    return SEEDS[names[0]][turn]
