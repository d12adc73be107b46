"""pygtrie 2.6.2 (Apache-2.0), held out (wave 27): a pure Python trie (pygtrie.py, one module).
Trie is a mutable mapping whose keys are paths of steps (a key's items; CharTrie's keys are
strings of one-character steps, StringTrie's strings split on a separator, '/' by default);
each _Node holds a value (or the _NOVAL sentinel) and its children, kept as _NO_CHILDREN, a
_OneChild or a _Children dict (a _Children left with one child after a delete becomes a
_OneChild again), so that two tries holding the same keys have the same structure, which
_Node.equals walks (a _Children compared only to a _Children of the same length). A trie is
truthy when its root holds a value or has children; t[key:] (a slice with only a start)
means the subtrie at key, any other slice a TypeError; merge moves another trie's nodes in,
overwriting a value only when asked and only with a value; StringTrie.fromkeys builds a trie
with the given separator; has_node answers HAS_VALUE | HAS_SUBTRIE bits; enable_sorting
sorts each node's children by their steps.

Its suite (test.py at the sdist's top, test_pygtrie.py in its tree: 461 tests, unittest)
runs every trie operation for Trie, CharTrie and StringTrie with separator '~' under nine
ways of building a trie, with keys that share prefixes, and checks copying, pickling (and
fixed pickles), sorting, traversal, deep tries, equality, merging and PrefixSet. A line
tracer over it found only two lines unrun, _NoChildren's pick and delete, which raise
NotImplementedError: every other line runs. Its tests never store a value at the empty key,
slice with an empty or zero stop, call StringTrie.fromkeys with a separator whose keys would
split differently under '/', merge with overwrite into a node whose counterpart has no
value, or compare two tries where one node has fewer children than the other's and all of
them match."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pygtrie"
TRIE = "pygtrie.py"
SETUP = "from pygtrie import CharTrie, StringTrie, Trie"

CONTROLS = {
    "pick_raises_class": case(
        TRIE, "_NoChildren.pick", "exception instance to class",
        "raise NotImplementedError instead of raise NotImplementedError(): raising the "
        "class instantiates it with no arguments, the same exception with the same empty "
        "args (a line no test runs: a node without children is never picked)",
        ('''    def pick(self) -> tuple[S, '_Node[S, V]']:
        raise NotImplementedError()
''', '''    def pick(self) -> tuple[S, '_Node[S, V]']:
        raise NotImplementedError
''')),
    "sort_by_step_key": case(
        TRIE, "_Children.sorted_items", "sort key made explicit",
        "the (step, node) pairs sorted by their step alone (key=lambda item: item[0]) "
        "instead of as tuples: a dict's steps are distinct, so a tuple comparison is decided "
        "by the steps and never reaches the nodes (which do not order), and steps that do "
        "not order raise TypeError either way",
        ('''        return sorted(self.items())
''', '''        return sorted(self.items(), key=lambda item: item[0])
''')),
    "len_of_values": case(
        TRIE, "Trie.__len__", "generator count to len of a list",
        "the number of values taken as len(self.values()) instead of summing 1 over "
        "itervalues(): values() is list(itervalues()), the same values walked the same way",
        ('''        return sum(1 for _ in self.itervalues())
''', '''        return len(self.values())
''')),
    "has_node_by_flags": case(
        TRIE, "Trie.has_node", "arithmetic on booleans to conditionals",
        "the bit field built from a conditional expression and an |= under an if instead "
        "of multiplying each constant by a boolean and or-ing the products: HAS_VALUE when "
        "the node has a value, HAS_SUBTRIE or-ed in when it has children, 0 for neither, the "
        "same ints",
        ('''        return ((self.HAS_VALUE * (node.value is not _NOVAL)) |
                (self.HAS_SUBTRIE * bool(node.children)))
''', '''        flags = self.HAS_VALUE if node.value is not _NOVAL else 0
        if node.children:
            flags |= self.HAS_SUBTRIE
        return flags
''')),
}

CARELESS = {
    "root_value_forgotten": case(
        TRIE, "Trie.__bool__", "operand of or dropped",
        "a trie taken to be non-empty when its root has children, the root's own value "
        "dropped from the test as if only children held values: a trie whose one key is the "
        "empty key ('' for CharTrie and StringTrie, () for Trie) is now falsy though its "
        "len() is 1, and popitem(), which starts with `if not self`, raises KeyError on it",
        ('''        return self._root.value is not _NOVAL or bool(self._root.children)
''', '''        return bool(self._root.children)
'''),
        probe=Probe(SETUP, "bool(CharTrie({'': 1}))", "True", "False")),
    "slice_stop_by_truthiness": case(
        TRIE, "Trie._slice_maybe", "truthiness for `is None`",
        "a slice taken for a subtrie when its stop and step are falsy instead of None: "
        "t['foo':''] or t['foo':0] now means the subtrie at 'foo' (its values, or the whole "
        "subtrie replaced or deleted) where it raised TypeError, only t[key:] being "
        "accepted",
        ('''        elif key_or_slice.stop is None and key_or_slice.step is None:
''', '''        elif not key_or_slice.stop and not key_or_slice.step:
'''),
        probe=Probe(SETUP, "list(CharTrie(foo=1)['foo':''])", "raises TypeError", "[1]")),
    "fromkeys_separator_dropped": case(
        TRIE, "StringTrie.fromkeys", "argument dropped when forwarding",
        "the new trie built by cls() instead of cls(separator=separator), the separator "
        "argument still accepted but no longer passed on: every key is split on '/', so "
        "StringTrie.fromkeys(['a.b'], 1, separator='.') holds one step 'a.b' (no subtrie "
        "'a') and prints and compares with separator '/'; mapping equality with the trie "
        "it should be still holds, the keys' strings being the same",
        ('''        trie = cls(separator=separator)
''', '''        trie = cls()
'''),
        probe=Probe(SETUP, "str(StringTrie.fromkeys(['a.b'], 1, separator='.'))",
                    "'StringTrie(a.b: 1, separator=.)'", "'StringTrie(a.b: 1, separator=/)'")),
    "merge_overwrite_with_missing": case(
        TRIE, "_Node.merge", "condition simplified",
        "a value taken over from the other node whenever overwrite is set, the check that "
        "the other node has a value dropped: with overwrite=True a key of this trie whose "
        "node is only a prefix in the other (no value there) loses its value to _NOVAL, "
        "the key silently removed",
        ('''            if lhs.value is _NOVAL or (overwrite and rhs.value is not _NOVAL):
''', '''            if overwrite or lhs.value is _NOVAL:
'''),
        probe=Probe(SETUP + "\nt = CharTrie({'a': 1})",
                    "(t.merge(CharTrie({'ab': 2}), overwrite=True), sorted(t.items()))[1]",
                    "[('a', 1), ('ab', 2)]", "[('ab', 2)]")),
    "children_count_unchecked": case(
        TRIE, "_Node.equals", "size check dropped",
        "two nodes with several children compared without first comparing how many: each "
        "of this node's children is looked up in the other's, so a branching node whose "
        "children are a strict subset of the other's compares equal, and a trie equals (==, "
        "strictly_equals) one of its type holding the same keys and more where both branch "
        "(the other way round, a child is missing and they differ as before)",
        ('''            elif (type(ac) is _Children and
                  type(bc) is _Children and
                  len(ac) == len(bc)):
''', '''            elif type(ac) is _Children and type(bc) is _Children:
'''),
        probe=Probe(SETUP, "CharTrie(a=1, b=2) == CharTrie(a=1, b=2, c=3)", "False", "True")),
}
