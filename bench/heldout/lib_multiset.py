"""multiset 3.2.0 (MIT), held out (wave 24): a multiset, a set whose elements may occur many
times (multiset/__init__.py: BaseMultiset, its mutable Multiset and its hashable
FrozenMultiset). A multiset keeps a dict (a defaultdict(int)) of each element's multiplicity,
only positive ones, and their total. It is made from a sequence, a dict or other mapping (its
non-positive multiplicities left out), an iterator or any iterable, each told by an
isinstance chain, specific types before general ones; set operations (union, combine,
intersection, difference, symmetric difference, times) take multisets, mappings and
iterables, converted by _as_multiset (a multiset, non-positive counts left out) or by
_as_mapping (a dict as it is, an iterable counted); their operators take sets and multisets
alone. Multiset sets, adds, removes and discards multiplicities, refusing a non-int one
(__setitem__) or a non-positive one (add, setdefault), and update adds each positive
multiplicity of its arguments (non-positive ones skipped); * and *= take an int factor
alone.

Its suite (tests/: 344 tests; the whole sdist suite also runs the package's and README.rst's
doctests, 365) checks construction from strings, ranges and a chained iterator, every set
operation and its operator with strings, dicts, multisets and sets (zero multiplicities in
mappings, and negative ones for combine), comparisons, equality with sets, add, remove,
discard, pop and setdefault with counts, hashing, pickling, str and repr. A line tracer over
it found unrun: construction from a generator or iterator, from a mapping that is not a
dict, and from a sized iterable that is not a sequence; _as_multiset's TypeError,
_as_mapping's non-dict mapping, and setdefault's ValueError. Its tests never build a multiset
from a mapping that is not a dict, call setdefault with 0, multiply by a float, update or
take a difference with a negative multiplicity."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "multiset"
INIT = "multiset/__init__.py"
SETUP = "from multiset import Multiset"

CONTROLS = {
    "sized_total_first": case(
        INIT, "BaseMultiset.__init__", "independent statements reordered",
        "the total of a sized iterable that is not a sequence or mapping (a dict view, a "
        "deque) taken by len() before its elements are counted instead of after: counting "
        "reads the iterable without changing it, so the same total and multiplicities "
        "(lines no test runs)",
        ('''                elif isinstance(iterable, Sized):
                    for element in iterable:
                        _elements[element] += 1
                    _total = len(iterable)
''', '''                elif isinstance(iterable, Sized):
                    _total = len(iterable)
                    for element in iterable:
                        _elements[element] += 1
''')),
    "difference_by_abs": case(
        INIT, "BaseMultiset.symmetric_difference", "conditional to abs()",
        "each element's new multiplicity computed as abs(multiplicity - other_multiplicity) "
        "instead of subtracting the smaller from the larger in a conditional expression: the "
        "same non-negative difference of two numbers",
        ('''            new_multiplicity = (multiplicity - other_multiplicity
                                if multiplicity > other_multiplicity '''
         '''else other_multiplicity - multiplicity)
''', '''            new_multiplicity = abs(multiplicity - other_multiplicity)
''')),
    "count_by_get": case(
        INIT, "BaseMultiset._as_mapping", "branch to dict.get with a default",
        "an iterable's elements counted by mapping[element] = mapping.get(element, 0) + 1 "
        "instead of an if adding one to a present element and an else setting a new one to "
        "1: the same counts in a plain dict, its keys in first-seen order",
        ('''        for element in iterable:
            if element in mapping:
                mapping[element] += 1
            else:
                mapping[element] = 1
''', '''        for element in iterable:
            mapping[element] = mapping.get(element, 0) + 1
''')),
    "str_by_comprehension": case(
        INIT, "BaseMultiset.__str__", "map() to a comprehension",
        "the elements written by a generator expression of str(element) over the multiset, "
        "between braces added by +, instead of map(str, self.__iter__()) inside '{%s}': "
        "iterating the multiset calls the same __iter__, so the same elements in the same "
        "order, each by str()",
        ('''        return '{%s}' % ', '.join(map(str, self.__iter__()))
''', '''        return '{' + ', '.join(str(element) for element in self) + '}'
''')),
}

CARELESS = {
    "mapping_after_sized": case(
        INIT, "BaseMultiset.__init__", "general type tested before a specific one",
        "a mapping that is not a dict tested after a sized iterable instead of before it, "
        "the isinstance chain reordered to keep the counting branches together: the same "
        "for the suite's strings, ranges, dicts, multisets and iterators, but every "
        "mapping is sized, so a mapping that is not a dict (a MappingProxyType, a "
        "ChainMap) now has its keys counted once each instead of its multiplicities taken",
        ('''                elif isinstance(iterable, Mapping):
                    for element, multiplicity in iterable.items():
                        if multiplicity > 0:
                            _elements[element] = multiplicity
                            _total += multiplicity
                elif isinstance(iterable, Sized):
                    for element in iterable:
                        _elements[element] += 1
                    _total = len(iterable)
''', '''                elif isinstance(iterable, Sized):
                    for element in iterable:
                        _elements[element] += 1
                    _total = len(iterable)
                elif isinstance(iterable, Mapping):
                    for element, multiplicity in iterable.items():
                        if multiplicity > 0:
                            _elements[element] = multiplicity
                            _total += multiplicity
'''),
        probe=Probe(SETUP + "\nfrom types import MappingProxyType",
                    "Multiset(MappingProxyType({'a': 3}))['a']", "3", "1")),
    "setdefault_zero_allowed": case(
        INIT, "Multiset.setdefault", "off-by-one boundary",
        "a new element's default refused when default < 0 instead of < 1, as if only "
        "negative multiplicities were wrong: the same for the suite's defaults 5 and 3, but "
        "setdefault('a', 0) now stores a zero multiplicity, which the multiset's invariant "
        "forbids ('a' in it with count 0), instead of raising ValueError",
        ('''            if default < 1:
                raise ValueError("Multiplicity must be positive")
''', '''            if default < 0:
                raise ValueError("Multiplicity must be positive")
'''),
        probe=Probe(SETUP, "Multiset().setdefault('a', 0)", "raises ValueError", "0")),
    "float_factor_accepted": case(
        INIT, "BaseMultiset.__mul__", "type check widened",
        "a factor accepted when isinstance(factor, (int, float)) instead of int alone, so "
        "that 2.0 works too: the same for the suite's int factors and its str, but a float "
        "factor is now passed to times(), which multiplies every multiplicity into a float "
        "(and 1.5 into a fraction of an element) instead of refusing the operand",
        ('''    def __mul__(self: _Self, factor: int) -> _Self:
        if not isinstance(factor, int):
''', '''    def __mul__(self: _Self, factor: int) -> _Self:
        if not isinstance(factor, (int, float)):
'''),
        probe=Probe(SETUP, "Multiset('ab') * 1.5", "raises TypeError",
                    "Multiset({'a': 1.5, 'b': 1.5})")),
    "update_by_truthiness": case(
        INIT, "Multiset.update", "sign test by truthiness",
        "a multiplicity added when it is truthy instead of when it is positive, as if only "
        "zero were to be skipped: the same for the suite's positive and zero multiplicities, "
        "but a negative one is now added, taking elements away (and a multiplicity that "
        "falls to zero or below stays in the multiset) instead of being skipped",
        ('''                if multiplicity > 0:
                    old_multiplicity = _elements.get(element, 0)
                    _elements[element] = multiplicity + old_multiplicity
''', '''                if multiplicity:
                    old_multiplicity = _elements.get(element, 0)
                    _elements[element] = multiplicity + old_multiplicity
'''),
        probe=Probe(SETUP, "(lambda m: (m.update({'a': -1}), len(m))[1])(Multiset('aa'))",
                    "2", "1")),
    "difference_unnormalized": case(
        INIT, "BaseMultiset.difference", "normalization skipped",
        "each other converted by _as_mapping, which keeps a dict as it is, instead of "
        "_as_multiset, which builds a multiset and so leaves out non-positive "
        "multiplicities, to spare a copy: the same for the suite's strings, multisets and "
        "dicts of positive or zero counts, but a negative count is now subtracted, adding "
        "elements ('aa' minus {'a': -1} is 'aaa' instead of 'aa')",
        ('''        for other in map(self._as_multiset, others):
            for element, multiplicity in other.items():
                if element in _elements:
                    old_multiplicity = _elements[element]
                    new_multiplicity = old_multiplicity - multiplicity
''', '''        for other in map(self._as_mapping, others):
            for element, multiplicity in other.items():
                if element in _elements:
                    old_multiplicity = _elements[element]
                    new_multiplicity = old_multiplicity - multiplicity
'''),
        probe=Probe(SETUP, "sorted(Multiset('aa').difference({'a': -1}))", "['a', 'a']",
                    "['a', 'a', 'a']")),
}
