"""decorator 5.3.1 (BSD-2-Clause), held out (wave 29): signature-preserving decorators
(decorator/__init__.py: FunctionMaker, fix, decorate, decoratorx, decorator, ContextManager
and contextmanager, append and dispatch_on). FunctionMaker reads a function's argspec into a
signature and a short signature (the call's arguments: positional ones by name, *args,
keyword-only ones as b=b, **kw), keeps the function's defaults unless truthy defaults are
given, and make() expands a source template with them, refuses the reserved names _func_ and
_call_ among the function's name and arguments (each stripped of spaces and stars), compiles
and updates the new function; create() also takes 'name(signature)' strings. decorate() wraps
a function, copying __defaults__, __kwdefaults__, __annotations__, __module__, __name__ and
__dict__ each in its own try (builtins lack some). decorator(caller) makes a decorator factory;
ContextManager.__call__ decorates a function so that each call enters a new context manager
made from the generator function (a _GeneratorContextManager can be entered once: entering
deletes its args). dispatch_on(*names) makes generic functions: vancestors(*types) lists,
one set per dispatch argument, the registered types each type is a virtual (not MRO) subclass
of, ancestors() builds each type's MRO from them, and _dispatch tries the combinations.

Its suite (tests/test.py: 25 tests, unittest) runs documentation.py's doctests (decorators,
FunctionMaker.create on 'f1(a, b)' strings, contextmanager, dispatch_on over two arguments'
classes and over one argument's ABCs), coroutine and generator callers, decorator factories
with defaulted arguments, a decorated defaultdict method, a partial and single dispatch over
classes and ABCs. A line tracer over it found unrun: the keyword-only, *args and **kw
branches of FunctionMaker's signature (no traced function has them), its lambda renaming, the
doc, module and funcdict overrides, make()'s errors, create()'s coroutine body, decorator()'s
obsolete _func call, ContextManager.__call__'s caller body (no decorated function is called),
decorate()'s fallback for a missing __name__ and dispatch_on's unknown-argument error. Its
tests never pass FunctionMaker empty defaults, decorate a builtin function such as len, ask
vancestors of two dispatch arguments where one is virtual, nor call twice a function
decorated by a context manager."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "decorator"
INIT = "decorator/__init__.py"

CONTROLS = {
    "arg_attributes_by_fstring": case(
        INIT, "FunctionMaker.__init__", "%-formatting to f-string",
        "each argument's attribute named f'arg{i}' instead of 'arg%d' % i: the same text for "
        "the ints enumerate() yields",
        ('''                    setattr(self, 'arg%d' % i, arg)
''', '''                    setattr(self, f'arg{i}', arg)
''')),
    "reserved_names_by_set_display": case(
        INIT, "FunctionMaker.make", "set() of a list to a set display",
        "the names checked against _func_ and _call_ gathered by a set display with the "
        "stripped arguments unpacked from a generator instead of set() of a list: the same "
        "elements, and the set is only tested for membership",
        ('''        names = set([name] + [arg.strip(' *') for arg in
                              self.shortsignature.split(',')])
''', '''        names = {name, *(arg.strip(' *') for arg in self.shortsignature.split(','))}
''')),
    "obsolete_call_by_keyword": case(
        INIT, "decorator", "positional to keyword argument",
        "the obsolete decorator(caller, func) form calling decorate(_func, caller, "
        "kwsyntax=kwsyntax) instead of passing () and kwsyntax positionally: extras "
        "defaults to () (a line no test runs)",
        ('''        return decorate(_func, caller, (), kwsyntax)
''', '''        return decorate(_func, caller, kwsyntax=kwsyntax)
''')),
    "single_ancestor_by_truth": case(
        INIT, "dispatch_on", "comparison to truth test",
        "ancestors() testing elif n_vas: instead of elif n_vas == 1: n_vas is a set's length, "
        "and the branch before it already took every length above 1, so a nonzero one here "
        "is 1",
        ('''                elif n_vas == 1:
''', '''                elif n_vas:
''')),
}

CARELESS = {
    "keyword_only_passed_positionally": case(
        INIT, "FunctionMaker.__init__", "argument written by name alone",
        "each keyword-only argument written into the short signature by its name alone, as "
        "the positional ones are, instead of as a=a: but the short signature is the call the "
        "generated function makes, so a keyword-only argument is now passed positionally, "
        "and the decorated function refuses it (a line no test runs: no traced function has "
        "keyword-only arguments)",
        ('''                    allshortargs.append('{}={}'.format(a, a))
''', '''                    allshortargs.append(a)
'''),
        probe=Probe('''from decorator import decoratorx
def f(a, *, b=2):
    return (a, b)
g = decoratorx(lambda func, *args, **kw: func(*args, **kw))(f)''', "g(1)", "(1, 2)",
                    "raises TypeError")),
    "empty_defaults_honoured": case(
        INIT, "FunctionMaker.__init__", "truth test to is not None",
        "given defaults taken when defaults is not None instead of when they are truthy, so "
        "that explicit defaults are always honoured: but empty defaults, which were ignored "
        "(the function's own defaults kept), now replace them, and the made function loses "
        "its defaults",
        ('''        if defaults:
            self.defaults = defaults
''', '''        if defaults is not None:
            self.defaults = defaults
'''),
        probe=Probe('''from decorator import FunctionMaker
def g(a, b=2):
    pass''', "FunctionMaker.create(g, 'return (a, b)', {}, defaults=())(1)", "(1, 2)",
                    "raises TypeError")),
    "attribute_copies_in_one_try": case(
        INIT, "decorate", "try blocks merged",
        "the copies of __defaults__, __kwdefaults__, __annotations__ and __module__ made in "
        "one try instead of four, each AttributeError ignored as before: but the first "
        "missing attribute now skips the copies after it, so a builtin such as len (no "
        "__defaults__, but a __module__) leaves the wrapper's module the decorator module's",
        ('''    try:
        fun.__defaults__ = func.__defaults__
    except AttributeError:
        pass
    try:
        fun.__kwdefaults__ = func.__kwdefaults__
    except AttributeError:
        pass
    try:
        fun.__annotations__ = func.__annotations__
    except AttributeError:
        pass
    try:
        fun.__module__ = func.__module__
    except AttributeError:
        pass
''', '''    try:
        fun.__defaults__ = func.__defaults__
        fun.__kwdefaults__ = func.__kwdefaults__
        fun.__annotations__ = func.__annotations__
        fun.__module__ = func.__module__
    except AttributeError:
        pass
'''),
        probe=Probe("from decorator import decorate",
                    "decorate(len, lambda f, *a, **k: f(*a, **k)).__module__", "'builtins'",
                    "'decorator'")),
    "ancestor_lists_shared": case(
        INIT, "dispatch_on", "list comprehension to list multiplication",
        "vancestors' lists, one for each dispatch argument, built as [[]] * n instead of by a "
        "comprehension: the same for one dispatch argument, but with two or more the n "
        "entries are one list, so a virtual ancestor found for one argument is listed for "
        "every other",
        ('''            ras = [[] for _ in range(len(dispatch_args))]
''', '''            ras = [[]] * len(dispatch_args)
'''),
        probe=Probe('''from collections.abc import Sized
from decorator import dispatch_on
@dispatch_on('a', 'b')
def f(a, b):
    return 'base'
f.register(Sized, int)(lambda a, b: 'sized')''', "f.vancestors(list, int)",
                    "[{<class 'collections.abc.Sized'>}, set()]",
                    "[{<class 'collections.abc.Sized'>}, {<class 'collections.abc.Sized'>}]")),
    "context_manager_reused": case(
        INIT, "ContextManager.__call__", "new object to the one at hand",
        "each call of the decorated function entering the context manager itself (with "
        "self:) instead of a new one made from its function and arguments: the first call "
        "works, but a generator-based context manager can be entered once (entering deletes "
        "its arguments), so the second call fails (lines no test runs: no decorated function "
        "is called)",
        ('''            with self.__class__(self.func, *self.args, **self.kwds):
''', '''            with self:
'''),
        probe=Probe('''from decorator import contextmanager
@contextmanager
def cm():
    yield
@cm()
def h():
    return 1''', "(h(), h())", "(1, 1)", "raises AttributeError")),
}
