"""iso3166 3.0.0 (MIT), held out (wave 9): ISO 3166-1 country definitions, one module. Five
indexes are built at import from 250 records (name, alpha-2, alpha-3, three-digit numeric
code as text, apolitical name), each keyed by the upper-cased field; countries.get takes an
int (isinstance: bool and int subclasses pass) and zero-pads it to three digits for the
numeric index, or upper-cases a text key and picks the index by its length (two letters
alpha-2; three digits other than '000' numeric; three characters alpha-3; else the name,
then the apolitical name), raising KeyError(key) with the caller's key where nothing is
found and no default was given; __getitem__ is get, __iter__ iterates the records in their
listed order (Åland Islands after Afghanistan), and __contains__ is get caught for
KeyError. Its suite (tests/) never asks whether a missing key is in countries: a line
tracer over the whole suite found only __contains__'s 'return False' unrun, and one control
rewrites it. Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "iso3166"
INIT = "iso3166/__init__.py"
SETUP = "import iso3166\nfrom iso3166 import countries"

_CONTAINS = '''        try:
            self.get(item)
            return True
        except KeyError:
            return False
'''

_TEXT_BRANCHES = '''            k = key.upper()
            if len(k) == 2:
                r = _by_alpha2.get(k, default)
            elif len(k) == 3 and re.match(r"[0-9]{3}", k) and k != "000":
                r = _by_numeric.get(k, default)
            elif len(k) == 3:
                r = _by_alpha3.get(k, default)
            elif k in _by_name:
                r = _by_name.get(k, default)
            else:
                r = _by_apolitical_name.get(k, default)
'''

_INT_BRANCH = '''            k = f"{key:03d}"
            r = _by_numeric.get(k, default)
'''

_NOT_FOUND = '''        if r is NotFound:
            raise KeyError(key)
'''

CONTROLS = {
    "contains_false_after_try": case(
        INIT, "_CountryLookup.__contains__", "return moved after the try statement (lines "
        "no test runs)",
        "the except clause made to pass and 'return False' written after the try statement "
        "instead of inside the handler: the try either returns True or ends in the handler, "
        "so a missing key still gives False; no test asks whether a missing key is in "
        "countries",
        (_CONTAINS, '''        try:
            self.get(item)
            return True
        except KeyError:
            pass
        return False
''')),
    "get_index_chosen_then_looked_up": case(
        INIT, "_CountryLookup.get", "duplicated call hoisted out of the branches",
        "the text key's branches choose the index and one lookup follows them, instead of "
        "each branch calling get on its own index with the same key and default: the same "
        "index for every key, the same order of tests",
        (_TEXT_BRANCHES, '''            k = key.upper()
            if len(k) == 2:
                index = _by_alpha2
            elif len(k) == 3 and re.match(r"[0-9]{3}", k) and k != "000":
                index = _by_numeric
            elif len(k) == 3:
                index = _by_alpha3
            elif k in _by_name:
                index = _by_name
            else:
                index = _by_apolitical_name
            r = index.get(k, default)
''')),
    "get_numeric_key_inlined": case(
        INIT, "_CountryLookup.get", "temporary inlined",
        "the integer key's zero-padded text passed to the numeric index's get directly "
        "instead of through the name k, which nothing else in that branch reads",
        (_INT_BRANCH, '''            r = _by_numeric.get(f"{key:03d}", default)
''')),
    "build_index_loop": case(
        INIT, "_build_index", "dict comprehension written as a loop",
        "the index built by a loop assigning each record under its upper-cased field "
        "instead of a dict comprehension: the same keys in the same order, a later record "
        "under the same key replacing an earlier one as before",
        ("    return {r[idx].upper(): r for r in _records}\n", '''    index = {}
    for r in _records:
        index[r[idx].upper()] = r
    return index
''')),
}

CARELESS = {
    "numeric_key_not_padded": case(
        INIT, "_CountryLookup.get", "zero padding dropped",
        "the integer key converted with str() instead of zero-padded to three digits: the "
        "same for three-digit codes (the suite's 840 and 111), but 8 (Albania's '008') is "
        "now refused with KeyError",
        (_INT_BRANCH, '''            k = str(key)
            r = _by_numeric.get(k, default)
'''),
        probe=Probe(SETUP, "countries.get(8).name", "'Albania'", "raises KeyError")),
    "exact_int_type": case(
        INIT, "_CountryLookup.get", "isinstance narrowed to an exact type check",
        "the integer test written as type(key) is int instead of isinstance: an int "
        "subclass (an IntEnum member) now goes down the text branch and fails on .upper() "
        "where it was looked up by its number",
        ("        if isinstance(key, int):\n", "        if type(key) is int:\n"),
        probe=Probe(SETUP + "\nimport enum\nCode = enum.IntEnum('Code', {'US': 840})",
                    "countries.get(Code.US).alpha2", "'US'", "raises AttributeError")),
    "text_key_stripped": case(
        INIT, "_CountryLookup.get", "normalisation widened",
        "the text key stripped of surrounding white space before it is upper-cased, as a "
        "tidier normalisation: the suite's keys have none, but ' us' (three characters, "
        "refused as no alpha-3 code) is now the United States",
        ("            k = key.upper()\n", "            k = key.strip().upper()\n"),
        probe=Probe(SETUP, "' us' in countries", "False", "True")),
    "key_error_reports_normalised_key": case(
        INIT, "_CountryLookup.get", "exception argument changed",
        "the KeyError raised with the normalised key k instead of the caller's key: the "
        "suite only checks that KeyError is raised, but 'zz' is now reported as 'ZZ' and "
        "the integer 111 as the text '111'",
        (_NOT_FOUND, '''        if r is NotFound:
            raise KeyError(k)
'''),
        probe=Probe(SETUP + "\ndef missing(key):\n    try:\n        countries.get(key)\n"
                    "    except KeyError as exc:\n        return exc.args",
                    "(missing('zz'), missing(111))", "(('zz',), (111,))",
                    "(('ZZ',), ('111',))")),
    "iteration_sorted_by_name": case(
        INIT, "_CountryLookup.__iter__", "order changed",
        "the records iterated in sorted order, for a stable alphabetical listing, on the "
        "belief that they are listed by name already: the suite checks each record, not "
        "their order, but Åland Islands, listed second (under A), now sorts after "
        "Zimbabwe by code point",
        ("        return iter(_records)\n", "        return iter(sorted(_records))\n"),
        probe=Probe(SETUP, "[c.alpha2 for c in countries][:3]", "['AF', 'AX', 'AL']",
                    "['AF', 'AL', 'DZ']")),
}
