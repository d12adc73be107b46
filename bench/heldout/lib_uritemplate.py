"""uritemplate 4.2.0 (BSD-3-Clause OR Apache-2.0), held out (wave 6): RFC 6570 URI templates.
A template's expressions ('{var}', '{+path}', '{/list*}', '{?x,y}', '{var:3}') are parsed into
variables with an operator, an explode flag, a prefix length and (from an earlier draft of the
RFC) a default; expanding one coerces each value to text (str() for numbers, UTF-8 for bytes),
cuts it at its prefix, treats a list of pairs or a mapping as keys and values, percent-encodes
by operator, and joins the pieces with the operator's separator. Its suite (tests/: the RFC's
examples as JSON fixtures and hand-written cases) never expands bytes under an operator whose
values are quoted by Operator.quote: one control rewrites that decoding line. Every careless
refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "uritemplate"
VARIABLE = "uritemplate/variable.py"
TEMPLATE = "uritemplate/template.py"
SETUP = "from uritemplate import expand, partial, URITemplate"

_SEPARATOR = '''        if (
            self == Operator.form_style_query
            or self == Operator.form_style_query_continuation
        ):
            return "&"
'''

_NAMES = '''        self.variable_names = orderedset.OrderedSet()
        for var in self.variables:
            for name in var.variable_names:
                self.variable_names.add(name)
'''

_SPLITS = '''            if "=" in var:
                name, default_val = tuple(var.split("=", 1))
'''

_PREFIX_SPLIT = '''            if ":" in name:
                name, prefix_str = tuple(name.split(":", 1))
'''

_MERGE = '''    if var_dict:
        opts = var_dict.copy()
        opts.update(overrides)
        return opts
    return overrides
'''

_STRING_PREFIX = '''        value = t.cast(t.Text, value)
        value = value[:prefix] if prefix else value
        return self.operator.quote(value)

    def expand(
'''

CONTROLS = {
    "operator_quote_decode_utf8": case(
        VARIABLE, "Operator.quote", "default argument spelled out (lines no test runs)",
        "bytes decoded with decode('utf-8') instead of decode(): UTF-8 is the default codec; "
        "no test expands bytes under an operator that quotes with Operator.quote",
        ("            value = value.decode()\n", '            value = value.decode("utf-8")\n')),
    "separator_membership": case(
        VARIABLE, "Operator.expansion_separator", "comparisons folded into a membership test",
        "the two equality tests against the query operators written as one 'in' test over "
        "a tuple of them: an enum member compares equal only to itself",
        (_SEPARATOR, '''        if self in (
            Operator.form_style_query,
            Operator.form_style_query_continuation,
        ):
            return "&"
''')),
    "template_names_from_generator": case(
        TEMPLATE, "URITemplate.__init__", "loop folded into a constructor",
        "the ordered set of variable names built from a generator over the variables' "
        "names instead of added one by one: the set's constructor adds them in the same "
        "order, dropping repeats as add does",
        (_NAMES, '''        self.variable_names = orderedset.OrderedSet(
            name for var in self.variables for name in var.variable_names
        )
''')),
    "parse_partition": case(
        VARIABLE, "URIVariable.parse", "split(sep, 1) written partition",
        "the default and the prefix separated from the name with str.partition instead of "
        "split(sep, 1) unpacked from a tuple: under the 'in' test that guards each, both "
        "give the text before the first separator and the text after it",
        (_SPLITS, '''            if "=" in var:
                name, _, default_val = var.partition("=")
'''),
        (_PREFIX_SPLIT, '''            if ":" in name:
                name, _, prefix_str = name.partition(":")
''')),
}

CARELESS = {
    "default_replaces_empty": case(
        VARIABLE, "URIVariable.expand", "condition dropped",
        "the test that keeps an explicitly empty value (value != '') dropped from the "
        "default's condition as implied by 'not value': an empty text given for a variable "
        "with a default now expands to the default",
        ('            if not value and value != "" and name in self.defaults:\n',
         "            if not value and name in self.defaults:\n"),
        probe=Probe(SETUP, "expand('{/user=me}', user='')", "'/'", "'/me'")),
    "prefix_is_not_none": case(
        VARIABLE, "URIVariable._string_expansion", "truth test narrowed to None",
        "the prefix's guard 'if prefix' written 'if prefix is not None', as the prefix is "
        "an Optional[int]: a prefix of 0 now cuts the value to nothing instead of leaving "
        "it whole",
        (_STRING_PREFIX, '''        value = t.cast(t.Text, value)
        value = value[:prefix] if prefix is not None else value
        return self.operator.quote(value)

    def expand(
'''),
        probe=Probe(SETUP, "expand('{var:0}', var='value')", "'value'", "''")),
    "pairs_accept_lists": case(
        VARIABLE, "is_list_of_tuples", "isinstance widened",
        "a pair accepted as a list as well as a tuple (JSON has no tuples): a list of "
        "two-item lists is now expanded as keys and values instead of as a list of texts",
        ("        or not all(isinstance(t, tuple) and len(t) == 2 for t in value)\n",
         "        or not all(isinstance(t, (tuple, list)) and len(t) == 2 for t in value)\n"),
        probe=Probe(SETUP, "expand('{p}', p=[['a', 'b']])",
                    "'%5B%27a%27%2C%20%27b%27%5D'", "'a,b'")),
    "merge_mutates_caller": case(
        TEMPLATE, "_merge", "copy dropped",
        "the keyword overrides merged into the caller's dictionary instead of into a copy "
        "of it: expand(d, var=...) now rewrites d (the suite's no-mutation test passes an "
        "empty dictionary, which is never merged into)",
        (_MERGE, '''    if var_dict:
        var_dict.update(overrides)
        return var_dict
    return overrides
'''),
        probe=Probe(SETUP, "(d := {'a': '1'}, expand('{a}', d, a='2'))[0]",
                    "{'a': '1'}", "{'a': '2'}")),
    "quote_bytes_through_str": case(
        VARIABLE, "quote", "isinstance narrowed",
        "the module's quote tests isinstance(value, str) before str(), leaving bytes to "
        "_encode: bytes are now written as their repr (b'a') and quoted, not encoded as they "
        "are",
        ("    if not isinstance(value, (str, bytes)):\n        value = str(value)\n"
         "    return urllib.parse.quote(_encode(value), safe)\n",
         "    if not isinstance(value, str):\n        value = str(value)\n"
         "    return urllib.parse.quote(_encode(value), safe)\n"),
        probe=Probe(SETUP, "expand('{;list}', list=[b'a'])", "';list=a'",
                    "';list=b%27a%27'")),
}
