"""confusable-homoglyphs 3.3.1 (MIT), held out (wave 30): Unicode homoglyphs
(confusable_homoglyphs/: categories, aliases_categories, alias, category and unique_aliases;
confusables, is_mixed_script, is_confusable and is_dangerous; utils, path, load, dump and
delete; cli, its command line, check and update, with generate_categories and
generate_confusables). aliases_categories(chr) finds ord(chr) by binary search in the sorted
code point ranges of categories.json and answers its script's alias (upper case) and its
category, or ('Unknown', 'Zzzz') for a code point in no range. is_mixed_script(string,
allowed_aliases=['COMMON']) upper-cases the allowed aliases into a new list and answers
whether more than one other alias is left. is_confusable(string, greedy=False,
preferred_aliases=[]) upper-cases the preferred aliases into a new list, looks each new
character not of a preferred alias up in confusables.json, keeps it when it has a homoglyph
of a preferred alias (or any homoglyph when none is preferred), and answers the first such
character alone unless greedy (a truth test), the list of them, or False. utils.path joins a
file name to $CONFUSABLE_DATA, or to the package's directory when the variable is not set;
delete removes a data file, ignoring any OSError.

Its suite (tests/: 15 tests, 2 of them skipped here, unittest) looks up the aliases and
categories of Latin and Greek letters, checks mixed scripts, confusables (greedy and not,
with Latin or Greek preferred) and dangerous strings, the data directory's default and
custom locations, and runs the command line's check on a safe and a dangerous input; its
two update tests, which download Unicode's tables again, skip where www.unicode.org cannot
be reached (here). A line tracer over it found unrun aliases_categories' answer for a code
point in no range, the command line's update, generate_categories and generate_confusables
(and its message when click is missing), and utils' u, dump and delete. Its tests never look
up an unassigned code point, give allowed or preferred aliases in lower case that they read
again, give greedy as None, set $CONFUSABLE_DATA to an empty string, nor delete a file
that cannot be removed."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "confusable-homoglyphs"
CATEGORIES = "confusable_homoglyphs/categories.py"
CONFUSABLES = "confusable_homoglyphs/confusables.py"
UTILS = "confusable_homoglyphs/utils.py"

CONTROLS = {
    "aliases_by_set_comprehension": case(
        CATEGORIES, "unique_aliases", "list then set to set comprehension",
        "the aliases collected by a set comprehension instead of a list comprehension "
        "turned into a set: the same aliases, in the same order of calls, deduplicated "
        "the same way",
        ('''    cats = [alias(c) for c in string]
    return set(cats)
''', '''    return {alias(c) for c in string}
''')),
    "found_by_any": case(
        CONFUSABLES, "is_confusable", "exception-driven loop exit to any()",
        "whether some homoglyph of the character is of a preferred alias tested by any() "
        "over every glyph of every homoglyph instead of loops that raise Found at the first "
        "one and catch it: alias() of a single character has no side effect and cannot "
        "raise, so computing a homoglyph's aliases ahead of the test changed nothing, and "
        "the answer (found, or the empty list) is the same",
        ('''            potentially_confusable = []
            try:
                for d in found:
                    aliases = [alias(glyph) for glyph in d['c']]
                    for a in aliases:
                        if a in preferred_aliases:
                            potentially_confusable = found
                            raise Found()
            except Found:
                pass
''', '''            potentially_confusable = []
            if any(alias(glyph) in preferred_aliases
                   for d in found for glyph in d['c']):
                potentially_confusable = found
''')),
    "midpoint_by_shift": case(
        CATEGORIES, "aliases_categories", "floor division to shift",
        "the binary search's midpoint computed as (le + r) >> 1 instead of (le + r) // 2: "
        "le and r are indexes, le + r is never negative inside the loop (r >= le >= 0), and "
        "for such ints shifting right by one is halving with the floor",
        ('''        m = (le + r) // 2
''', '''        m = (le + r) >> 1
''')),
    "category_by_index": case(
        CATEGORIES, "category", "unpacking to indexing",
        "the category read as aliases_categories(chr)[1] instead of unpacking the pair into "
        "_ and a: the function always answers a pair",
        ('''    _, a = aliases_categories(chr)
    return a
''', '''    return aliases_categories(chr)[1]
''')),
}

CARELESS = {
    "unknown_upper_cased": case(
        CATEGORIES, "aliases_categories", "constant rewritten",
        "the answer for a code point in no range written ('UNKNOWN', 'Zzzz'), upper case as "
        "every alias of the table is: but the documented alias of such a character was "
        "'Unknown', so alias() of an unassigned code point now answers another name (a line "
        "no test runs)",
        ('''    return 'Unknown', 'Zzzz'
''', '''    return 'UNKNOWN', 'Zzzz'
'''),
        probe=Probe("from confusable_homoglyphs import categories",
                    "categories.alias('\\u0378')", "'Unknown'", "'UNKNOWN'")),
    "allowed_upper_cased_in_place": case(
        CONFUSABLES, "is_mixed_script", "mutation of an argument",
        "the allowed aliases upper-cased in place, item by item, instead of into a new "
        "list: the same test, but the caller's list is changed, its lower-case aliases "
        "replaced by upper-case ones",
        ('''    allowed_aliases = [a.upper() for a in allowed_aliases]
''', '''    for i, a in enumerate(allowed_aliases):
        allowed_aliases[i] = a.upper()
'''),
        probe=Probe("from confusable_homoglyphs.confusables import is_mixed_script",
                    "(lambda p: (is_mixed_script('ab', allowed_aliases=p), p)[1])(['common'])",
                    "['common']", "['COMMON']")),
    "greedy_by_identity": case(
        CONFUSABLES, "is_confusable", "truth test to identity",
        "the early answer taken when greedy is False instead of when not greedy: the same "
        "for True and False, but greedy=None (or 0), which stopped at the first confusable "
        "character, now collects all of them",
        ('''            if not greedy:
                return [output]
''', '''            if greedy is False:
                return [output]
'''),
        probe=Probe("from confusable_homoglyphs.confusables import is_confusable",
                    "len(is_confusable('\\u0391llo\\u03c1', greedy=None))", "1", "4")),
    "empty_data_dir_ignored": case(
        UTILS, "path", "default to or",
        "the data directory read as os.environ.get('CONFUSABLE_DATA') or PACKAGE_DIR "
        "instead of get() with PACKAGE_DIR as its default: the same when the variable is "
        "set to a directory or not set at all, but set to an empty string it named the "
        "current directory (a relative path) and now names the package's",
        ('''    data_dir = os.environ.get("CONFUSABLE_DATA", PACKAGE_DIR)
''', '''    data_dir = os.environ.get("CONFUSABLE_DATA") or PACKAGE_DIR
'''),
        probe=Probe("import os\nfrom confusable_homoglyphs.utils import path\n"
                    "os.environ['CONFUSABLE_DATA'] = ''",
                    "os.path.isabs(path('categories.json'))", "False", "True")),
    "delete_catches_missing_alone": case(
        UTILS, "delete", "exception narrowed",
        "the except clause narrowed from OSError to FileNotFoundError, the one error the "
        "docstring names ('if it exists'): but removing a name that is a directory raises "
        "IsADirectoryError, which was ignored and now escapes (a line no test runs)",
        ('''    except OSError:
        pass
''', '''    except FileNotFoundError:
        pass
'''),
        probe=Probe("import os, tempfile\nfrom confusable_homoglyphs.utils import delete\n"
                    "d = tempfile.mkdtemp()\nos.mkdir(os.path.join(d, 'x'))\n"
                    "os.environ['CONFUSABLE_DATA'] = d",
                    "delete('x')", "None", "raises IsADirectoryError")),
}
