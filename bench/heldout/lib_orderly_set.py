"""orderly-set 5.5.0 (MIT), held out (wave 16): ordered sets in one module
(orderly_set/sets.py, re-exported by the package's __init__.py). StableSet keeps a dict's
keys and finds the n-th by islice, turning a negative index into a positive one first;
OrderedSet keeps a list beside a dict of indices, renumbering the dict when an item is
discarded; OrderlySet compares as a plain set, each comparison opening with a fast check on
the lengths (len(other) counting an iterable's duplicates); SortedSet keeps a set and a
cached sorted list that every mutation clears, and its index takes any iterable but a str or
a tuple (_is_atomic) as several keys; isorderedsubset refuses a set longer than the other at
once; RoughMaxSizeSet tolerates eviction_batch items past max_size (by default a tenth of
it, at least one) before trimming back. Its suite (tests/: 1396 tests, 12 skipped as not
implemented, and the doctests of README.md and of every module, which its pytest.ini runs)
parametrises most tests over every kind of set. A line tracer over it found, among others,
StableSet's negative index never converted (no test indexes a StableSet from the end) and
SortedSet.isorderedsubset never called. Its tests never build a RoughMaxSizeSet without an
eviction_batch, never ask whether a set is an ordered subset of one as long as itself, never
compare an OrderlySet with a sequence holding duplicates by >, and never read a SortedSet
after pop(). One control (isorderedsubset's loop to all()) and one careless refactor
(StableSet's negative index) change only lines no test runs; every other case changes lines
the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "orderly-set"
SETS = "orderly_set/sets.py"
SETUP = "import orderly_set"

CONTROLS = {
    "discard_renumber_strict": case(
        SETS, "OrderedSet.discard", "comparison tightened where equality cannot occur",
        "the indices above the discarded one renumbered by v > i instead of v >= i: the key "
        "whose index was i is already deleted, and the map's indices are distinct, so no "
        "remaining value equals i and the same entries move down",
        ('''                if v >= i:
''', '''                if v > i:
''')),
    "sorted_len_plain": case(
        SETS, "SortedSet.__len__", "redundant guard removed",
        "the length answered as len(self.set_) without the 'if self.set_ else 0' guard: "
        "set_ is the truthy set_ given or a set built from the arguments, and len of an empty "
        "set is already 0",
        ('''        return len(self.set_) if self.set_ else 0
''', '''        return len(self.set_)
''')),
    "sorted_ordered_subset_all": case(
        SETS, "SortedSet.isorderedsubset", "loop to all() (lines no test runs)",
        "the consecutive branch's loop that returns False on the first unequal pair written "
        "as all() over the zipped pairs: the same pairs compared with ==, in the same order, "
        "stopping at the same first falsy comparison; no test calls it",
        ('''        else:
            for self_item, other_item in zip(self, other):
                if not self_item == other_item:
                    return False
            return True

    def isorderedsuperset(self, other: SetLike, non_consecutive: bool = False) -> bool:
        return StableSet.isorderedsubset(other, self, non_consecutive)


''', '''        else:
            return all(self_item == other_item for self_item, other_item in zip(self, other))

    def isorderedsuperset(self, other: SetLike, non_consecutive: bool = False) -> bool:
        return StableSet.isorderedsubset(other, self, non_consecutive)


''')),
    "update_items_zip": case(
        SETS, "OrderedSet._update_items", "comprehension to dict(zip())",
        "the index map built by dict(zip(items, range(len(items)))) instead of a "
        "comprehension over enumerate: the same pairs in the same order, a repeated item "
        "(there is none) keeping its last index either way",
        ('''        self._map = {item: idx for (idx, item) in enumerate(items)}
''', '''        self._map = dict(zip(items, range(len(items))))
''')),
}

CARELESS = {
    "stable_negative_index_dropped": case(
        SETS, "StableSet.__getitem__", "branch dropped as dead (lines no test runs)",
        "the conversion of a negative index dropped as if islice took one: no test indexes "
        "a StableSet from the end, but [-1], the last item before, now makes islice raise "
        "ValueError",
        ('''        if isinstance(index, int):
            if index < 0:
                index = len(self._map) + index
            try:
''', '''        if isinstance(index, int):
            try:
'''),
        probe=Probe(SETUP, "orderly_set.StableSet([1, 2, 3])[-1]", "3", "raises ValueError")),
    "max_size_batch_floor_dropped": case(
        SETS, "RoughMaxSizeSet.__init__", "lower bound dropped (max to plain division)",
        "the default eviction batch taken as max_size // 10 without max(..., 1): the suite "
        "always passes eviction_batch, but a set of at most 5 now gets a batch of 0 and "
        "trims on its sixth item, where it kept six before",
        ('''        self.eviction_batch: int = eviction_batch or max(max_size // 10, 1)
''', '''        self.eviction_batch: int = eviction_batch or max_size // 10
'''),
        probe=Probe(SETUP, "(lambda s: [s.add(i) for i in range(6)] and len(s))"
                    "(orderly_set.RoughMaxSizeSet(5))", "6", "5")),
    "ordered_subset_equal_length": case(
        SETS, "StableSet.isorderedsubset", "off by one (> to >=)",
        "the fast refusal taken for a set as long as the other, not only a longer one: the "
        "suite asks about sets shorter than the other, but a set is no longer an ordered "
        "subset of an equal sequence, StableSet([1, 2]) of [1, 2] among them",
        ('''        return all(item in self for item in other)

    def isorderedsubset(self: SetLike, other: SetLike, non_consecutive: bool = False) -> bool:
        if len(self) > len(other):
''', '''        return all(item in self for item in other)

    def isorderedsubset(self: SetLike, other: SetLike, non_consecutive: bool = False) -> bool:
        if len(self) >= len(other):
'''),
        probe=Probe(SETUP, "orderly_set.StableSet([1, 2]).isorderedsubset([1, 2])", "True",
                    "False")),
    "orderly_gt_fast_check_off_by_one": case(
        SETS, "OrderlySet.__gt__", "off by one (<= to <)",
        "the fast check refusing a strict superset made 'shorter', not 'not longer': equal "
        "lengths now fall through to the set comparison, which answers the same for sets, "
        "but a sequence's duplicates count in its length: OrderlySet([1, 2, 3]) > [1, 1, 2] "
        "was False and is now True",
        ('''        if len(self._map) <= len(other):
''', '''        if len(self._map) < len(other):
'''),
        probe=Probe(SETUP, "orderly_set.OrderlySet([1, 2, 3]) > [1, 1, 2]", "False",
                    "True")),
    "sorted_pop_cache_kept": case(
        SETS, "SortedSet.pop", "cache invalidation dropped",
        "pop() with no index no longer clears the cached sorted list: the suite pops a "
        "SortedSet by index, or an empty one, but after pop() the set still iterates the "
        "popped item from the stale cache",
        ('''        if index is None:
            self._sorted = None
            return self.set_.pop()
''', '''        if index is None:
            return self.set_.pop()
'''),
        probe=Probe(SETUP, "(lambda s: (list(s), s.pop(), list(s))[2])"
                    "(orderly_set.SortedSet([3, 1, 2]))", "[2, 3]", "[1, 2, 3]")),
}
