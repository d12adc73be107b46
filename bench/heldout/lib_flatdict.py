"""flatdict 4.1.0 (BSD-3-Clause), held out (wave 22): nested dicts as one level of delimited
keys, in one module (flatdict/__init__.py). FlatDict(value, delimiter=':') stores a nested
dict as FlatDicts (every dict value coerced by __setitem__), and answers keys() as each child's
keys joined to its parent's by the delimiter (str() of both; an empty child its own key);
__getitem__ splits a str key on every delimiter and walks down (an int key taken whole),
__setitem__ and __contains__ split once; _has_delimiter answers only for a str key;
as_dict rebuilds the nested dicts (a key's parent and its first child part), copy and pickling
keep the delimiter, set_delimiter refuses one a key holds, == compares as_dict() with a dict or
an instance of the same class (anything else TypeError). FlatterDict also coerces lists,
tuples and sets into children keyed by str(index), remembers each one's original_type, refuses
an assignment into an array child at a key that is not an index (TypeError), and rebuilds
them in as_dict, their nested items in the numeric order of their indices (_child_as_list).

Its suite (tests.py at the sdist's top: 86 tests, FlatDict's and FlatterDict's, the second
inheriting the first) checks containment, deletion (a parent emptied removed), as_dict and
dict() of a three-level document, str, repr, items, keys, values and their iterators, get,
pop, setdefault, update, copy, equality with a copy and with a dict and TypeError against an
int, set_delimiter and its collision, pickling, an empty dict as a value, and FlatterDict's
lists, tuples, sets, nested lists of up to three items and assignment into them. A line tracer
over it found no line of the package unrun (flatdict/_version.py, constants hatch-vcs wrote,
is never imported), so no control can change only lines no test runs. Its tests never give a
key that is not a str, a document four levels deep, a nested list of more than ten items, a
copy of a FlatDict with another delimiter, or a FlatterDict compared with a FlatDict."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "flatdict"
FLAT = "flatdict/__init__.py"
SETUP = "import flatdict"

CONTROLS = {
    "split_by_helper": case(
        FLAT, "FlatDict.__contains__", "expression extracted into a helper",
        "a delimited key split once by a private method, _split_once(key), instead of "
        "key.split(self._delimiter, 1) written in place: the helper answers the same split "
        "of the same key, so the same parent and child are looked up",
        ('''    def __contains__(self, key: object) -> bool:
''', '''    def _split_once(self, key: str) -> list[str]:
        # a delimited key's parent and the rest of it
        return key.split(self._delimiter, 1)

    def __contains__(self, key: object) -> bool:
'''), ('''        if self._has_delimiter(key):
            pk, ck = key.split(self._delimiter, 1)
            return pk in self._values and ck in self._values[pk]
''', '''        if self._has_delimiter(key):
            pk, ck = self._split_once(key)
            return pk in self._values and ck in self._values[pk]
''')),
    "emptied_by_len": case(
        FLAT, "FlatDict.__delitem__", "truthiness to an explicit length test",
        "an emptied parent told by len(child) == 0 instead of not child: the child a "
        "delimited key was deleted from is a FlatDict, a Mapping without __bool__, whose "
        "truth is its length, so the same parents are removed",
        ('''            if not self._values[pk]:
''', '''            if len(self._values[pk]) == 0:
''')),
    "items_by_zip": case(
        FLAT, "FlatDict.items", "comprehension to zip()",
        "the pairs built by list(zip(self.keys(), self.values())) instead of a comprehension "
        "looking each key up: values() looks up the same keys, in the same order, by "
        "__getitem__, so the same list of pairs is answered",
        ('''        return [(k, self.__getitem__(k)) for k in self.keys()]
''', '''        return list(zip(self.keys(), self.values()))
''')),
    "indices_by_map": case(
        FLAT, "FlatterDict.__init__", "comprehension to dict(zip(map()))",
        "a list, tuple or set keyed by dict(zip(map(str, range(len(value))), value)) instead "
        "of a dict comprehension over enumerate(): the same str indices paired with the same "
        "items in the same iteration order",
        ('''            value = {str(i): v for i, v in enumerate(value)}
''', '''            value = dict(zip(map(str, range(len(value))), value))
''')),
}

CARELESS = {
    "indices_sorted_as_text": case(
        FLAT, "FlatterDict._child_as_list", "sort key lost",
        "a nested list's indices sorted as text instead of by int(): the same for the "
        "suite's nested lists of two and three items, but from eleven on '10' sorts before "
        "'2', so as_dict puts the eleventh item third",
        ('''            for k in sorted(split_keys, key=lambda x: int(x)):
''', '''            for k in sorted(split_keys):
'''),
        probe=Probe(SETUP, "flatdict.FlatterDict({'a': [[i] for i in range(11)]}).as_dict()"
                    "['a'][2]", "[2]", "[10]")),
    "delimiter_test_without_type_check": case(
        FLAT, "FlatDict._has_delimiter", "type check removed",
        "a key's delimiter looked for by self._delimiter in key alone, without isinstance(key, "
        "str) first, as if every key were a str: the same for the suite's str keys, but a "
        "dict with an int key can no longer be stored or read (TypeError: 'in' of an int)",
        ('''        return isinstance(key, str) and self._delimiter in key
''', '''        return self._delimiter in key
'''),
        probe=Probe(SETUP, "flatdict.FlatDict({1: 'a'})[1]", "'a'", "raises TypeError")),
    "copy_loses_delimiter": case(
        FLAT, "FlatDict.copy", "argument dropped",
        "the copy built by self.__class__(self.as_dict()) without delimiter=self._delimiter: "
        "the same for the suite's copies, all with the default ':', but a copy of a FlatDict "
        "delimited otherwise now joins its keys with ':'",
        ('''        return self.__class__(self.as_dict(), delimiter=self._delimiter)
''', '''        return self.__class__(self.as_dict())
'''),
        probe=Probe(SETUP, "flatdict.FlatDict({'a': {'b': 1}}, delimiter='.').copy().keys()",
                    "['a.b']", "['a:b']")),
    "child_key_by_rsplit": case(
        FLAT, "FlatDict.as_dict", "split from the wrong end",
        "a flat key's child part cut at its last delimiter (rsplit) instead of its first "
        "(split): the same for the suite's keys of at most three parts, where the two cuts "
        "agree, but at four levels 'a:b:c:d' now nests under 'b:c' instead of 'b'",
        ('''                    ck = ck.split(self._delimiter, 1)[0]
                if isinstance(self._values[pk], FlatDict) and pk not in out:
''', '''                    ck = ck.rsplit(self._delimiter, 1)[0]
                if isinstance(self._values[pk], FlatDict) and pk not in out:
'''),
        probe=Probe(SETUP, "flatdict.FlatDict({'a': {'b': {'c': {'d': 1}}}}).as_dict()",
                    "{'a': {'b': {'c': {'d': 1}}}}", "{'a': {'b:c': {'d': 1}}}")),
    "equality_across_classes": case(
        FLAT, "FlatDict.__eq__", "isinstance of the class to its base",
        "an instance compared when it is any FlatDict instead of one of self's class: the "
        "same for the suite's same-class and int comparisons, but a FlatterDict compared with "
        "a FlatDict is now equal when their dicts are, instead of refused (TypeError)",
        ('''        elif not isinstance(other, self.__class__):
''', '''        elif not isinstance(other, FlatDict):
'''),
        probe=Probe(SETUP, "flatdict.FlatterDict({'a': 1}) == flatdict.FlatDict({'a': 1})",
                    "raises TypeError", "True")),
}
