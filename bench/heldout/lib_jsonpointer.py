"""jsonpointer 3.12 (BSD-3-Clause), held out (wave 4): RFC 6901 JSON pointers parsed from
text into parts (~1 and ~0 unescaped, in that order) and written back, resolved and set
against documents: mappings by member name, sequences by an index read from the text (no
sign, no leading zero, '-' the end of the array), anything else with __getitem__ by the
part as it is. Its suite (tests.py, renamed test_jsonpointer.py in the tree; it also runs
the command-line script bin/jsonpointer and the shell examples of doc/commandline.rst)
never prints an EndOfList: one control rewrites that line. Every careless refactor
changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "jsonpointer"
MOD = "jsonpointer.py"
SETUP = "import jsonpointer\nfrom jsonpointer import JsonPointer"

_TO_LAST = '''        if not self.parts:
            return doc, None

        for part in self.parts[:-1]:
            doc = self.walk(doc, part)

        return doc, JsonPointer.get_part(doc, self.parts[-1])
'''

_INDEX_CHECK = '''            if not JsonPointer._RE_ARRAY_INDEX.fullmatch(str(part)):
                raise JsonPointerException("'%s' is not a valid sequence index" % part)
'''

CONTROLS = {
    "endoflist_repr_fstring": case(
        MOD, "EndOfList.__repr__", "f-string (lines no test runs)",
        "str.format with keywords written as an f-string with !r; the suite never "
        "prints an EndOfList",
        ("        return '{cls}({lst})'.format(cls=self.__class__.__name__,\n"
         "                                     lst=repr(self.list_))",
         "        return f'{self.__class__.__name__}({self.list_!r})'")),
    "path_inlined": case(
        MOD, "JsonPointer.path", "temporary inlined",
        "the list of escaped parts folded into the join's generator",
        ("        parts = [escape(part) for part in self.parts]\n"
         "        return ''.join('/' + part for part in parts)",
         "        return ''.join('/' + escape(part) for part in self.parts)")),
    "to_last_unpacked": case(
        MOD, "JsonPointer.to_last", "slicing replaced by unpacking",
        "the parts unpacked into the steps before the last and the last",
        (_TO_LAST, '''        if not self.parts:
            return doc, None

        *head, last = self.parts
        for part in head:
            doc = self.walk(doc, part)

        return doc, JsonPointer.get_part(doc, last)
''')),
    "init_parts_inlined": case(
        MOD, "JsonPointer.__init__", "temporary inlined",
        "the unescaped parts assigned to self.parts directly",
        ("        parts = [unescape(part) for part in parts]\n        self.parts = parts",
         "        self.parts = [unescape(part) for part in parts]")),
}

CARELESS = {
    "index_isdigit": case(
        MOD, "JsonPointer.get_part", "check widened (str.isdigit for [0-9])",
        "the index regex replaced by str.isdigit() and a leading-zero test: isdigit() also "
        "holds for other scripts' digits, which int() reads, so '/٣' (ARABIC-INDIC DIGIT "
        "THREE) indexes a list instead of being refused",
        (_INDEX_CHECK, '''            index = str(part)
            if not index.isdigit() or (index != '0' and index.startswith('0')):
                raise JsonPointerException("'%s' is not a valid sequence index" % part)
'''),
        probe=Probe(SETUP, "jsonpointer.resolve_pointer([10, 11, 12, 13], '/\\u0663')",
                    "raises JsonPointerException", "13")),
    "set_child_index_error": case(
        MOD, "JsonPointer._set_child", "exception narrowed",
        "only TypeError turned into JsonPointerException: setting an index past the end "
        "of a list raises a bare IndexError",
        ("            except (TypeError, IndexError) as e:\n"
         "                raise JsonPointerException(\"Invalid assignment target: %s\" % (e,))",
         "            except TypeError as e:\n"
         "                raise JsonPointerException(\"Invalid assignment target: %s\" % (e,))"),
        probe=Probe(SETUP, "jsonpointer.set_pointer([1], '/5', 2)",
                    "raises JsonPointerException", "raises IndexError")),
    "from_parts_no_str": case(
        MOD, "JsonPointer.from_parts", "coercion removed",
        "str() around each part dropped as redundant: an integer part (an array index) "
        "raises AttributeError instead of being written as its digits",
        ("        parts = [escape(str(part)) for part in parts]",
         "        parts = [escape(part) for part in parts]"),
        probe=Probe(SETUP, "JsonPointer.from_parts(['a', 0]).path", "'/a/0'",
                    "raises AttributeError")),
    "contains_as_text": case(
        MOD, "JsonPointer.contains", "parts compared as text",
        "the prefix test done on the paths' text: '/foo/b' is a prefix of '/foo/bar' as "
        "text, not as parts",
        ("        return self.parts[:len(ptr.parts)] == ptr.parts",
         "        return self.path.startswith(ptr.path)"),
        probe=Probe(SETUP, "JsonPointer('/foo/bar').contains(JsonPointer('/foo/b'))",
                    "False", "True")),
    "missing_by_value": case(
        MOD, "JsonPointer._is_missing", "membership by value",
        "a mapping's member is missing when its value is None (doc.get(part) is None): "
        "set_pointer(create=True) replaces a null member with a new dict instead of "
        "refusing to index None",
        ("        if isinstance(doc, Mapping):\n            return part not in doc",
         "        if isinstance(doc, Mapping):\n            return doc.get(part) is None"),
        probe=Probe(SETUP, "jsonpointer.set_pointer({'a': None}, '/a/b', 1, create=True)",
                    "raises JsonPointerException", "{'a': {'b': 1}}")),
}
