"""python-iso639 2026.7.23 (Apache-2.0), held out (wave 10): ISO 639 languages from SIL's
tables, shipped as tab-separated text and read at import into dicts by code and name. At
import every active and retired ISO 639-3 code is made a frozen Language (_get_language:
its other names are the name index's rows but a row whose print and inverted names both
equal the reference name; a retired code's date parsed with strptime); equality compares
part3 codes and answers False for anything but a Language. Language.match strips the input
(str.strip: any white space) and looks it up column by column, codes first; with
strict_case=False a miss is tried lower-cased, then title-cased, and only then is
LanguageNotFoundError raised, its message the input's repr and "isn't an ISO language code
or name". Its suite (tests/) looks up by match and from_part3 only, with spaces around some
inputs, and never misses with strict_case=False: a line tracer over the whole suite found
from_part2b, from_part2t, from_part1 and from_name never called, the for-else's raise in
_get_part3 and the invalid-column ValueError never run; two controls change such lines
(from_name's query order, the for-else). Every careless refactor changes lines the suite
runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "python-iso639"
LANG = "iso639/language.py"
SETUP = "from iso639 import Language, LanguageNotFoundError"

_FROM_NAME = '''        query_order: list[_COLUMN_TYPE] = [
            _CodesColumn.REF_NAME,
            _NameIndexColumn.PRINT_NAME,
            _NameIndexColumn.INVERTED_NAME,
        ]
        return _PART3_TO_LANGUAGES[_get_part3_exact(user_input, query_order)]
'''

_FOR_ELSE = '''            for func in _STRING_CLEANING_FUNCS:
                try:
                    return _get_part3_exact(func(user_input), query_order, user_input)
                except LanguageNotFoundError:
                    continue
            else:
                _raise_language_not_found_error(user_input)
'''

_OTHER_NAMES = '''    other_names: list[Name] | None = []
    for row in _PART3_TO_NAME_INDEX.get(part3, []):
        p, i = row[_NameIndexColumn.PRINT_NAME], row[_NameIndexColumn.INVERTED_NAME]
        if not ref_name == p == i:
            other_names.append(Name(p, i))  # type: ignore
'''

CONTROLS = {
    "from_name_order_inlined": case(
        LANG, "Language.from_name", "temporary inlined (lines no test runs)",
        "the three name columns passed to _get_part3_exact as a list written in the call "
        "instead of through the annotated name query_order: the same columns in the same "
        "order; no test calls from_name",
        (_FROM_NAME, '''        return _PART3_TO_LANGUAGES[
            _get_part3_exact(
                user_input,
                [
                    _CodesColumn.REF_NAME,
                    _NameIndexColumn.PRINT_NAME,
                    _NameIndexColumn.INVERTED_NAME,
                ],
            )
        ]
''')),
    "get_part3_for_else_flattened": case(
        LANG, "_get_part3", "for-else flattened (lines no test runs)",
        "the raise after the cleaning loop written after it instead of in its else clause: "
        "the loop has no break (each attempt returns or continues), so its else ran "
        "whenever the loop ended; no test misses with strict_case=False",
        (_FOR_ELSE, '''            for func in _STRING_CLEANING_FUNCS:
                try:
                    return _get_part3_exact(func(user_input), query_order, user_input)
                except LanguageNotFoundError:
                    continue
            _raise_language_not_found_error(user_input)
''')),
    "other_names_comprehension": case(
        LANG, "_get_language", "loop to comprehension",
        "the other names built by a list comprehension with the same filter instead of a "
        "loop appending to an empty list: the same names in the same order, an empty list "
        "still made None by the line after",
        (_OTHER_NAMES, '''    other_names: list[Name] | None = [
        Name(row[_NameIndexColumn.PRINT_NAME], row[_NameIndexColumn.INVERTED_NAME])
        for row in _PART3_TO_NAME_INDEX.get(part3, [])
        if not ref_name
        == row[_NameIndexColumn.PRINT_NAME]
        == row[_NameIndexColumn.INVERTED_NAME]
    ]
''')),
    "get_part3_bare_raise": case(
        LANG, "_get_part3", "bare raise",
        "the caught LanguageNotFoundError re-raised with a bare 'raise' instead of "
        "'raise e': the same exception object, its message and type unchanged",
        ('''        if strict_case:
            raise e
''', '''        if strict_case:
            raise
''')),
}

CARELESS = {
    "strip_spaces_only": case(
        LANG, "_get_part3_exact", "normalisation narrowed",
        "the input stripped of spaces only (strip(' ')) instead of any white space: the "
        "suite pads its inputs with spaces, but 'fra\\n', a line read from a file, is no "
        "longer French",
        ('''    user_input = user_input.strip()
''', '''    user_input = user_input.strip(" ")
'''),
        probe=Probe(SETUP, "Language.match('fra\\n').part3", "'fra'",
                    "raises LanguageNotFoundError")),
    "eq_without_isinstance": case(
        LANG, "Language.__eq__", "type check dropped",
        "equality written as the two part3 codes compared, the isinstance test dropped as "
        "redundant: the suite compares Languages only, but a Language compared with a "
        "string now raises AttributeError where it was unequal",
        ('''        return isinstance(other, Language) and self.part3 == other.part3
''', '''        return self.part3 == other.part3
'''),
        probe=Probe(SETUP, "Language.match('fra') == 'fra'", "False",
                    "raises AttributeError")),
    "change_to_empty_kept": case(
        LANG, "_get_language", "coercion removed",
        "the retirement's Change_To passed to Language as read, its 'or None' dropped on "
        "the belief that a retired code always names its replacement: the suite reads the "
        "retired 'bvs' reason, date and remedy, not its replacement, which is empty for a "
        "split language (174 of the 388 retirements), so retire_change_to is now '' where "
        "it was None",
        ('''        retire_change_to=retire_change_to or None,
''', '''        retire_change_to=retire_change_to,
'''),
        probe=Probe(SETUP, "Language.match('bvs').retire_change_to", "None", "''")),
    "not_found_message_quoted": case(
        LANG, "_raise_language_not_found_error", "exception message changed",
        "the input quoted by hand in the error message ('{user_input}') instead of "
        "written with its repr: the same for plain text, but an input with an apostrophe "
        "is now quoted with single quotes around it, as \"'it's'\" where repr wrote "
        "'\"it\\'s\"'",
        ('''    raise LanguageNotFoundError(f"{user_input!r} isn't an ISO language code or name")
''', '''    raise LanguageNotFoundError(f"'{user_input}' isn't an ISO language code or name")
'''),
        probe=Probe(SETUP + "\ndef said(text):\n    try:\n        Language.match(text)\n"
                    "    except LanguageNotFoundError as exc:\n        return str(exc)",
                    "said(\"it's\")", "'\"it\\'s\" isn\\'t an ISO language code or name'",
                    "\"'it's' isn't an ISO language code or name\"")),
    "strict_case_identity": case(
        LANG, "_get_part3", "truth test replaced by identity",
        "strict_case tested with 'is True' instead of its truth: the suite passes True, "
        "False or nothing, but a truthy non-bool (strict_case=1, as a flag read from a "
        "configuration) now matches 'FRA' case-insensitively where it refused it",
        ('''        if strict_case:
            raise e
''', '''        if strict_case is True:
            raise e
'''),
        probe=Probe(SETUP, "Language.match('FRA', strict_case=1).part3",
                    "raises LanguageNotFoundError", "'fra'")),
}
