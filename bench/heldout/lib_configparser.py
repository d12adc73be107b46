"""configparser 7.3.0 (MIT), held out (wave 31): the standard library's configparser
backported (backports/configparser/__init__.py: the errors; Interpolation,
BasicInterpolation and ExtendedInterpolation; _ReadState, _Line and _CommentSpec;
RawConfigParser and ConfigParser; SectionProxy; ConverterMapping). RawConfigParser reads
files, strings and dicts into sections of options (read_dict str()s every section, key and
value but None), gets values through _unify_values (vars, whose values but None are
str()ed, then the section, then the defaults) and its interpolation, converts them with
getint, getfloat and getboolean (_convert_to_boolean looks value.lower() up in
BOOLEAN_STATES: 1, yes, true, on, 0, no, false, off), lists options() as the section's keys
followed by the defaults' others, and writes sections back (_write_section writes 'key =
value', or the key alone for a None value when allow_no_value, turning '\\r\\n' and '\\r'
into '\\n' and indenting every line after the first with a tab); __init__ keeps a tuple()
of its delimiters, whose first it writes between keys and values. BasicInterpolation expands
%(name)s and ExtendedInterpolation ${option} and ${section:option} (more than one ':' is a
syntax error), both starting at depth 1 and raising InterpolationDepthError past
MAX_INTERPOLATION_DEPTH (10). _CommentSpec builds one pattern of the full-line and inline
comment prefixes; popitem removes and answers the first section; SectionProxy._options are
the section's options or the defaults.

Its suite (tests/: 390 tests, 5 skipped by their classes' parameters, 3071 subtests,
unittest; CPython's test_configparser) reads and writes every case under every parser class,
delimiter, comment prefix and option (strict, no values, empty lines, unnamed sections,
custom dict types and converters), expands and refuses interpolations of both kinds
(missing options, bad syntax, more than one ':', references nested past the limit),
converts ints, floats and booleans of
every accepted spelling in upper and lower case, reads the three sample files cfgparser.1 to
.3, and checks the mapping protocol. A line tracer over it found unrun only
_UnnamedSection.__repr__ and one raise of add_section. Its tests never give a boolean in a
spelling whose lower() differs from its casefold(), write a value holding a line separator
other than '\\r' and '\\n', pass vars with a falsy value that is not a string, ask
options() for a section beside defaults in a given order, nor change a list of delimiters
after building a parser from it."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "configparser"
INIT = "backports/configparser/__init__.py"

CONTROLS = {
    "popitem_takes_first_section": case(
        INIT, "RawConfigParser.popitem", "loop to indexing",
        "the first section taken as sections[0] after an explicit empty check raising KeyError, "
        "instead of a for loop over sections() that returns in its first turn and raises "
        "KeyError after it: the same section removed and answered, the same error when there "
        "is none",
        ('''        for key in self.sections():
            value = self[key]
            del self[key]
            return key, value
        raise KeyError
''', '''        sections = self.sections()
        if not sections:
            raise KeyError
        key = sections[0]
        value = self[key]
        del self[key]
        return key, value
''')),
    "defaults_pair_inlined": case(
        INIT, "RawConfigParser._join_multiline_values", "local variable inlined",
        "the local defaults, the pair (self.default_section, self._defaults), written inline "
        "in the chain of sections it is read once by: building a tuple has no side effect",
        ('''        defaults = self.default_section, self._defaults
        all_sections = itertools.chain((defaults,), self._sections.items())
''', '''        all_sections = itertools.chain(
            ((self.default_section, self._defaults),), self._sections.items()
        )
''')),
    "comment_patterns_as_lists": case(
        INIT, "_CommentSpec.__init__", "generator expression to list comprehension",
        "the full-line and inline comment patterns built as list comprehensions instead of "
        "generator expressions: itertools.chain reads each once, in order, and the escaped "
        "prefixes are the same",
        ('''        full_patterns = (
            # prefix at the beginning of a line
            rf'^({re.escape(prefix)}).*'
            for prefix in full_prefixes
        )
        inline_patterns = (
            # prefix at the beginning of the line or following a space
            rf'(^|\\s)({re.escape(prefix)}.*)'
            for prefix in inline_prefixes
        )
''', '''        full_patterns = [
            # prefix at the beginning of a line
            rf'^({re.escape(prefix)}).*'
            for prefix in full_prefixes
        ]
        inline_patterns = [
            # prefix at the beginning of the line or following a space
            rf'(^|\\s)({re.escape(prefix)}.*)'
            for prefix in inline_prefixes
        ]
''')),
    "options_by_conditional": case(
        INIT, "SectionProxy._options", "if statement to conditional expression",
        "the section's options or the defaults answered by one conditional expression instead "
        "of an if statement returning in each branch: the same test, the same two calls",
        ('''        if self._name != self._parser.default_section:
            return self._parser.options(self._name)
        else:
            return self._parser.defaults()
''', '''        return (
            self._parser.options(self._name)
            if self._name != self._parser.default_section
            else self._parser.defaults()
        )
''')),
}

CARELESS = {
    "boolean_by_casefold": case(
        INIT, "RawConfigParser._convert_to_boolean", "lower to casefold",
        "the value looked up in BOOLEAN_STATES by value.casefold() instead of value.lower(), "
        "casefold() being the comparison of text without case: the same for every ASCII "
        "spelling, but a value whose case folding differs from its lower case (the long s of "
        "'yeſ' folds to 's'), which was not a boolean (ValueError), is now read as one",
        ('''        if value.lower() not in self.BOOLEAN_STATES:
            raise ValueError('Not a boolean: %s' % value)
        return self.BOOLEAN_STATES[value.lower()]
''', '''        if value.casefold() not in self.BOOLEAN_STATES:
            raise ValueError('Not a boolean: %s' % value)
        return self.BOOLEAN_STATES[value.casefold()]
'''),
        probe=Probe("from backports.configparser import ConfigParser\n"
                    "p = ConfigParser()\np.read_string('[s]\\no = ye\\u017f')",
                    "p.getboolean('s', 'o')", "raises ValueError", "True")),
    "line_endings_by_splitlines": case(
        INIT, "RawConfigParser._write_section", "replace chain to splitlines",
        "a value's lines joined by '\\n\\t'.join(str(value).splitlines()) instead of "
        "turning '\\r\\n' and '\\r' into '\\n' and every '\\n' into '\\n\\t': the same "
        "for a value whose lines end in any of those, but splitlines() also breaks at "
        "Unicode's line and paragraph separators, form feeds and vertical tabs, which were "
        "written as they are and are now written as continuation lines (and it drops a final "
        "line ending)",
        ('''                value = delimiter + str(value).replace('\\r\\n', '\\n').replace(
                    '\\r', '\\n'
                ).replace('\\n', '\\n\\t')
''', '''                value = delimiter + '\\n\\t'.join(str(value).splitlines())
'''),
        probe=Probe("import io\nfrom backports.configparser import RawConfigParser\n"
                    "p = RawConfigParser()\np.read_dict({'s': {'o': 'x\\u2028y'}})\n"
                    "f = io.StringIO()\np.write(f)",
                    "f.getvalue()", "'[s]\\no = x\\u2028y\\n\\n'",
                    "'[s]\\no = x\\n\\ty\\n\\n'")),
    "vars_coerced_when_truthy": case(
        INIT, "RawConfigParser._unify_values", "is not None to truthiness",
        "a value of vars turned into a string when it is truthy instead of when it is not "
        "None, None being the one value kept as it is: the same for None and for every truthy "
        "value, but a falsy one (0, False), which was read as '0' or 'False', now stays an int "
        "or a bool",
        ('''            for key, value in vars.items():
                if value is not None:
                    value = str(value)
                vardict[self.optionxform(key)] = value
''', '''            for key, value in vars.items():
                if value:
                    value = str(value)
                vardict[self.optionxform(key)] = value
'''),
        probe=Probe("from backports.configparser import RawConfigParser",
                    "RawConfigParser().get('DEFAULT', 'x', vars={'x': 0})", "'0'", "0")),
    "options_defaults_first": case(
        INIT, "RawConfigParser.options", "copy and update to dict unpacking",
        "the options gathered as {**self._defaults, **self._sections[section]} instead of a "
        "copy of the section updated with the defaults: the same names (the KeyError of a "
        "missing section still turned into NoSectionError), but the defaults now come first, "
        "so a section beside defaults lists its options in another order",
        ('''            opts = self._sections[section].copy()
        except KeyError:
            raise NoSectionError(section) from None
        opts.update(self._defaults)
''', '''            opts = {**self._defaults, **self._sections[section]}
        except KeyError:
            raise NoSectionError(section) from None
'''),
        probe=Probe("from backports.configparser import RawConfigParser\n"
                    "p = RawConfigParser(defaults={'a': '1'})\np.add_section('s')\n"
                    "p.set('s', 'b', '2')",
                    "p.options('s')", "['b', 'a']", "['a', 'b']")),
    "delimiters_not_copied": case(
        INIT, "RawConfigParser.__init__", "defensive copy dropped",
        "the delimiters kept as given instead of as tuple(delimiters), the tuple() being a "
        "copy of what is already a sequence of strings: the same for the default tuple and "
        "for any sequence nobody changes, but a list of delimiters the caller changes after "
        "building the parser now changes the delimiter it writes",
        ('''        self._delimiters = tuple(delimiters)
''', '''        self._delimiters = delimiters
'''),
        probe=Probe("import io\nfrom backports.configparser import RawConfigParser\n"
                    "d = ['=']\np = RawConfigParser(delimiters=d)\nd[0] = ':'\n"
                    "p.read_dict({'s': {'a': '1'}})\nf = io.StringIO()\np.write(f)",
                    "f.getvalue()", "'[s]\\na = 1\\n\\n'", "'[s]\\na : 1\\n\\n'")),
}
