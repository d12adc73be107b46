"""dict2xml 1.7.8 (MIT), held out (wave 20): a Python dict written out as an XML string, in one
module (dict2xml/logic.py; dict2xml/__init__.py's dict2xml builds a Converter and calls its
build). A Node is one element: its tag and wrap made valid names by sanitize_element (a name
starting with "xml" in any case prefixed with "_", a first character no name may start with
prefixed with "_", every character no name may hold replaced by "_", by the NameStartChar
and NameChar regular expressions), its type by determine_type (a str flat, a
collections.abc.Mapping a mapping, another collections.abc.Iterable iterable, anything else
flat), a flat str's &, < and > escaped in that order. serialize answers "<wrap/>" for data
equal to one of closed_tags_for, else the element around its value or its children: a
mapping's children in DataSorter.keys_from's order (sorted(), an OrderedDict kept as it is),
an iterable's each in the same wrap (iterables_repeat_wrap) or all in one. Converter's
indenter joins the children's lines, each node split at "\\n", one indent deeper inside a
wrap.

Its suite (tests/: 27 tests) checks the node types, the escaping of "<2&a>", conversion into
child nodes with mocks, the indenter on short lines, self-closing tags for None, "" and
"special", and one large document (tests/examples/python_dict.json against result.xml: keys
with - and :, keys starting with a digit, with "xml" and with "Xml", values with &, < and
>). A line tracer over it found every line of the package run but the iterables_repeat_wrap
False branch of serialize (its test is named tes_..., which pytest does not collect). Its
tests never give a mapping keys other than str, never a value with a carriage return, never
closed_tags_for a value equal to but not the same object as the data, never an object
marking itself not iterable by __iter__ = None, and never a name starting with "xML" or
"xMl"."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "dict2xml"
LOGIC = "dict2xml/logic.py"
SETUP = "from dict2xml import dict2xml"

CONTROLS = {
    "repeat_wrap_off_by_comprehension": case(
        LOGIC, "Node.serialize", "loop to list comprehension (lines the suite never runs)",
        "the children of an iterable serialized without repeating its wrap collected by a "
        "list comprehension instead of a loop appending to a list: the same children "
        "serialized in the same order with the same indenter, the same list passed on; "
        "the branch (iterables_repeat_wrap=False) is one no test runs",
        ('''                    result = []
                    for c in children:
                        result.append(c.serialize(indenter))
                    return "".join([start, indenter(result, True), end])
''', '''                    result = [c.serialize(indenter) for c in children]
                    return "".join([start, indenter(result, True), end])
''')),
    "escape_by_helper": case(
        LOGIC, "Node.__init__", "loop extracted into a helper",
        "a flat str's entities replaced by a module helper, _escape(text, entities), "
        "instead of in place: the helper loops over the same table (self.entities, looked "
        "up on the node as before) in the same order, & first, and answers the text as "
        "the loop left it",
        ('''class DataSorter:
''', '''def _escape(text, entities):
    """text with each (entity, replacement) of the table replaced in its order: & comes first,
    so the & of a replacement made later is not escaped again"""
    for entity, replacement in entities:
        text = text.replace(entity, replacement)
    return text


class DataSorter:
'''), ('''            # Make sure we deal with entities
            for entity, replacement in self.entities:
                self.data = self.data.replace(entity, replacement)
''', '''            # Make sure we deal with entities
            self.data = _escape(self.data, self.entities)
''')),
    "lines_by_yield_from": case(
        LOGIC, "Converter._make_indenter", "loop of yields to yield from",
        "each node's lines yielded by yield from over node.split('\\n') instead of a loop "
        "yielding each: the generator is only iterated (by str.join), never sent to or "
        "thrown into, so both yield the same lines in the same order",
        ('''                    for line in node.split("\\n"):
                        yield line
''', '''                    yield from node.split("\\n")
''')),
    "keys_by_early_return": case(
        LOGIC, "DataSorter.keys_from", "variable and negated if to an early return",
        "an OrderedDict answered as it is by an early return and any other mapping's "
        "sorted keys after it, instead of a variable set to the data and replaced by "
        "sorted(data) under the negated test: the same isinstance test, the same objects "
        "answered",
        ('''        sorted_data = data
        if not isinstance(data, collections.OrderedDict):
            sorted_data = sorted(data)
        return sorted_data
''', '''        if isinstance(data, collections.OrderedDict):
            return data
        return sorted(data)
''')),
}

CARELESS = {
    "keys_sorted_as_text": case(
        LOGIC, "DataSorter.keys_from", "sort key added (numbers ordered as text)",
        "a mapping's keys sorted by str(key) instead of by the keys themselves: the same "
        "order for the str keys of the suite and of every JSON document, but the int keys "
        "9 and 10 now come out 10 first, where 9 came first",
        ('''            sorted_data = sorted(data)
''', '''            sorted_data = sorted(data, key=str)
'''),
        probe=Probe(SETUP, "dict2xml({10: 'a', 9: 'b'})",
                    "'<9>b</9>\\n<10>a</10>'", "'<10>a</10>\\n<9>b</9>'")),
    "lines_split_by_splitlines": case(
        LOGIC, "Converter._make_indenter", "split('\\n') to splitlines()",
        "each node's lines split by str.splitlines() instead of at '\\n': the same for "
        "the suite's text, but splitlines also breaks at '\\r' (and \\x0b, \\x1c, "
        "\\u2028...), so a value holding a carriage return is now broken onto two lines: "
        "'x\\ry' comes out as 'x', a newline, 'y'",
        ('''                    for line in node.split("\\n"):
''', '''                    for line in node.splitlines():
'''),
        probe=Probe(SETUP, "dict2xml({'a': 'x\\ry'})", "'<a>x\\ry</a>'", "'<a>x\\ny</a>'")),
    "closed_tags_by_identity": case(
        LOGIC, "Node.serialize", "membership by equality to identity",
        "data closed as <wrap/> when it is one of closed_tags_for (is) instead of equal to "
        "one (in): the same for None, for '' and for the suite's 'special', the same object "
        "as its constant, but a str built at run time, equal and not the same, is now "
        "written out in full where its tag was closed",
        ('''        if self.closed_tags_for and self.data in self.closed_tags_for:
''', '''        if self.closed_tags_for and any(self.data is t for t in self.closed_tags_for):
'''),
        probe=Probe(SETUP, "dict2xml({'a': 'xx'}, closed_tags_for=[''.join(['x', 'x'])])",
                    "'<a/>'", "'<a>xx</a>'")),
    "iterable_by_hasattr": case(
        LOGIC, "Node.determine_type", "ABC isinstance to hasattr",
        "an iterable told by hasattr(data, '__iter__') instead of isinstance(data, "
        "collections.abc.Iterable): the same for the suite's objects, but a class that "
        "marks itself not iterable with __iter__ = None (as the data model says) has the "
        "attribute, so its value is now iterated, TypeError, where it was written as str()",
        ('''        elif isinstance(data, collections.abc.Iterable):
''', '''        elif hasattr(data, "__iter__"):
'''),
        probe=Probe(SETUP + "\nclass Opaque:\n    __iter__ = None\n"
                    "    def __str__(self):\n        return 'o'",
                    "dict2xml({'a': Opaque()})", "'<a>o</a>'", "raises TypeError")),
    "xml_prefix_cases_listed": case(
        LOGIC, "Node.sanitize_element", "case-insensitive test to listed cases",
        "a name starting with xml prefixed with '_' when it starts with 'xml', 'Xml' or "
        "'XML' instead of when its lower case starts with 'xml': the suite's 'xml_...' and "
        "'Xml_...' are among them, but 'xMl' is now kept as a name where it became '_xMl'",
        ('''            if wrap.lower().startswith("xml"):
''', '''            if wrap.startswith(("xml", "Xml", "XML")):
'''),
        probe=Probe(SETUP, "dict2xml({'xMl': 1})", "'<_xMl>1</_xMl>'", "'<xMl>1</xMl>'")),
}
