"""emoji 2.16.0 (BSD-3-Clause), held out (wave 11): emoji names and codes. emoji/core.py:
emojize finds delimited names with a regular expression built from the delimiters (escaped)
and a class of name characters, looks each up (NFKC-normalized) by language or alias,
drops or hands to handle_version one newer than version (a callable gets a copy of the
emoji's data with the match's offsets), and with a variant strips an existing selector and
appends VS-15 or VS-16, refusing any other variant (ValueError) only where the emoji has
one; demojize and replace_emoji walk the tokenizer's tokens (emoji/tokenizer.py: a search
tree of every emoji's characters, built once; zero-width joiners between emoji that are not
one RGI sequence kept or dropped; variation selectors dropped), replace_emoji keeping an
emoji where replace is None; emoji_list lists the tokenizer's matches (its joiners dropped,
so each emoji of a non-RGI sequence is its own item), emoji_count and distinct_emoji_list
count them; config.load_language takes one language's code, a list of them or none (all);
emoji/unicode_codes loads one JSON file a language into EMOJI_DATA, refusing an unknown one
(NotImplementedError). Its suite (102 tests, among them every name in every language both
ways, random texts a hundred times, the zero-width-joiner sequences) takes 51 s untraced.
A line tracer over the whole suite, tracing in full the functions the cases change
(tracing every function would take an hour: the suite looks up every name in every
language), found every line of emojize and its replace, config.load_language, replace_emoji's
handle, filter_tokens and get_search_tree run, and all of demojize but its return of an
emoji that has no name in the language asked; so all four controls change lines the suite
runs, and every careless refactor changes lines it runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "emoji"
CORE = "emoji/core.py"
TOKENIZER = "emoji/tokenizer.py"
SETUP = "import emoji"

_ALIASES = '''    if language == 'alias':
        language = 'en'
        _use_aliases = True
    else:
        _use_aliases = False
'''

_TREE = '''            sub_tree = _SEARCH_TREE
            lastidx = len(emj) - 1
            for i, char in enumerate(emj):
                if char not in sub_tree:
                    sub_tree[char] = {}
                sub_tree = sub_tree[char]
                if i == lastidx:
                    sub_tree['data'] = unicode_codes.EMOJI_DATA[emj]
'''

_VARIANT = '''        if emj[-1] == '\\ufe0e' or emj[-1] == '\\ufe0f':
            # Remove an existing variant
            emj = emj[0:-1]
        if variant == 'text_type':
            return emj + '\\ufe0e'
        elif variant == 'emoji_type':
            return emj + '\\ufe0f'
        else:
            raise ValueError(
                "Parameter 'variant' must be either None, 'text_type' or 'emoji_type'"
            )
'''

CONTROLS = {
    "variant_endswith": case(
        CORE, "emojize", "comparisons to endswith",
        "an existing variation selector recognized with endswith over the two selectors "
        "instead of two comparisons of the last character: the same test for a non-empty "
        "emoji, and an emoji found by name is never empty",
        ('''        if emj[-1] == '\\ufe0e' or emj[-1] == '\\ufe0f':
''', '''        if emj.endswith(('\\ufe0e', '\\ufe0f')):
''')),
    "demojize_alias_flag": case(
        CORE, "demojize", "if-else to a boolean assignment",
        "_use_aliases set from language == 'alias' and the language then moved to 'en' "
        "where it was set, instead of an if-else setting both: the same two values",
        (_ALIASES, '''    _use_aliases = language == 'alias'
    if _use_aliases:
        language = 'en'
''')),
    "search_tree_setdefault": case(
        TOKENIZER, "get_search_tree", "loop body simplified with setdefault",
        "each emoji's path through the tree walked with setdefault and its data set after "
        "the loop instead of at the last index: the same nodes, and the data on the last "
        "character's node (no emoji is empty)",
        (_TREE, '''            sub_tree = _SEARCH_TREE
            for char in emj:
                sub_tree = sub_tree.setdefault(char, {})
            sub_tree['data'] = unicode_codes.EMOJI_DATA[emj]
''')),
    "demojize_handle_version_str": case(
        CORE, "demojize", "conversion made explicit",
        "a handle_version that is not callable returned as str(handle_version), as "
        "emojize returns it, instead of as it is: demojize's join already takes str() of "
        "every replacement, and str of a str is itself",
        ('''            elif handle_version is not None:
                return handle_version
''', '''            elif handle_version is not None:
                return str(handle_version)
''')),
}

CARELESS = {
    "replace_none_replaces": case(
        CORE, "replace_emoji", "None check dropped as dead",
        "the 'replace is not None' branch (marked type: ignore, since replace is typed str "
        "or a callable) written as a plain else: the suite passes a str or a callable, "
        "but replace=None, which kept each emoji, now writes 'None' in its place",
        ('''        elif replace is not None:  # type: ignore
            return replace
''', '''        else:
            return replace
'''),
        probe=Probe(SETUP, "ascii(emoji.replace_emoji('a\\U0001f601', replace=None))",
                    "\"'a\\\\U0001f601'\"", "\"'aNone'\"")),
    "load_language_list_dropped": case(
        CORE, "config.load_language", "nested conditional flattened",
        "the languages taken as [language] for a str and every language otherwise, the "
        "nested conditional's middle case (a non-empty list of codes, used as it is) "
        "folded into its last: the suite passes one code (the empty one among them) or "
        "none, but load_language(['fr']) now loads every language where it loaded French "
        "alone",
        ('''        languages = (
            [language]
            if isinstance(language, str)
            else language
            if language
            else unicode_codes.LANGUAGES
        )
''', '''        languages = (
            [language] if isinstance(language, str) else unicode_codes.LANGUAGES
        )
'''),
        probe=Probe(SETUP + "\nemoji.config.load_language(['fr'])",
                    "'es' in emoji.EMOJI_DATA['\\U0001f981']", "False", "True")),
    "variant_checked_first": case(
        CORE, "emojize", "validation moved earlier",
        "the variant validated once, before the names are looked up, instead of where an "
        "emoji with a variant is written: the suite's bad variants are all given with an "
        "emoji that has one, but a text with no such emoji (or none at all) and a bad "
        "variant, passed through before, now raises ValueError",
        ('''    unicode_codes.load_from_json(language)

    pattern = re.compile(''', '''    if variant not in (None, 'text_type', 'emoji_type'):
        raise ValueError(
            "Parameter 'variant' must be either None, 'text_type' or 'emoji_type'"
        )
    unicode_codes.load_from_json(language)

    pattern = re.compile('''),
        (_VARIANT, '''        if emj[-1] == '\\ufe0e' or emj[-1] == '\\ufe0f':
            # Remove an existing variant
            emj = emj[0:-1]
        if variant == 'text_type':
            return emj + '\\ufe0e'
        return emj + '\\ufe0f'
'''),
        probe=Probe(SETUP, "emoji.emojize('hi', variant='wrong')", "'hi'", "raises ValueError")),
    "unjoined_filter_emoji_only": case(
        TOKENIZER, "filter_tokens", "negative test turned positive",
        "the filter that drops the joiners when emoji are not joined written to keep what "
        "is an emoji (emoji_only is true there) instead of what is not a joiner: the same "
        "for the suite's strings, each character of which is an emoji or a joiner, but a "
        "plain character, which analyze(..., join_emoji=False) yielded, is now dropped",
        ('''            if token.chars != _ZWJ:
                yield token
''', '''            if isinstance(token.value, EmojiMatch):
                yield token
'''),
        probe=Probe(SETUP, "len(list(emoji.analyze('a\\U0001f600', join_emoji=False)))", "2",
                    "1")),
    "handle_version_data_uncopied": case(
        CORE, "emojize", "copy dropped",
        "the data handed to a callable handle_version taken from EMOJI_DATA as it is, the "
        ".copy() dropped as a needless allocation, so that the match's offsets written "
        "into it are written into EMOJI_DATA itself: the suite's handlers only read the "
        "data, and its check of EMOJI_DATA's keys counts language codes only",
        ('''                emj_data = unicode_codes.EMOJI_DATA[emj].copy()
''', '''                emj_data = unicode_codes.EMOJI_DATA[emj]
'''),
        probe=Probe(SETUP + "\nemoji.emojize(':bowl_with_spoon:', version=4, "
                    "handle_version=lambda e, d: '')",
                    "'match_start' in emoji.EMOJI_DATA['\\U0001f963']", "False", "True")),
}
