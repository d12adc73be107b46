"""python-mimeparse 2.0.0 (MIT), held out (wave 7): HTTP media types and Accept headers. A
mime type is split into its type, subtype and parameters (a vendored copy of cgi's header
parser: parameters split at ';' outside quotes, names lowered, quoted values unquoted); a
media range's 'q' is read as a number and reset to '1' when it is empty, unreadable or
outside 0..1; each candidate is scored against the ranges by fitness (exact type 100,
exact subtype 10, one per matching parameter, plus its own q) and best_match picks the
highest quality, ties going to the later candidate. Its suite (mimeparse_test.py, named
test_mimeparse.py in the tree, over the JSON cases of testdata.json) never parses a ';'
inside a quoted value: one control rewrites the search past it. Every careless refactor
changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "python-mimeparse"
MIMEPARSE = "mimeparse.py"
SETUP = "import mimeparse"

_PAST_QUOTE = "            end = s.find(';', end + 1)\n"

_FITNESS = '''            # 100 points if the type matches w/o a wildcard
            fitness = type == target_type and 100 or 0

            # 10 points if the subtype matches w/o a wildcard
            fitness += subtype == target_subtype and 10 or 0
'''

_WEIGH = '''    weighted_matches = []
    pos = 0
    for mime_type in supported:
        weighted_matches.append((
            quality_and_fitness_parsed(mime_type, parsed_header),
            pos,
            mime_type
        ))
        pos += 1
    weighted_matches.sort()
'''

_UNQUOTE = '''            if len(value) >= 2 and value[0] == value[-1] == '"':
'''

CONTROLS = {
    "parseparam_index_past_quote": case(
        MIMEPARSE, "_parseparam", "str.find written as str.index in a try (lines no test runs)",
        "the next ';' after one inside a quoted value searched with str.index, its "
        "ValueError turned into the -1 str.find returns when there is none: the same end "
        "either way; no test's header has a ';' inside quotes",
        (_PAST_QUOTE, '''            try:
                end = s.index(';', end + 1)
            except ValueError:
                end = -1
''')),
    "fitness_conditional_expressions": case(
        MIMEPARSE, "quality_and_fitness_parsed", "and/or idiom written as conditionals",
        "the type's 100 points and the subtype's 10 written as conditional expressions "
        "instead of the old 'x and 100 or 0' idiom, whose middle operand is never falsy",
        (_FITNESS, '''            # 100 points if the type matches w/o a wildcard
            fitness = 100 if type == target_type else 0

            # 10 points if the subtype matches w/o a wildcard
            fitness += 10 if subtype == target_subtype else 0
''')),
    "best_match_result_conditional": case(
        MIMEPARSE, "best_match", "and/or idiom written as a conditional",
        "the winner returned with a conditional expression instead of "
        "'q and name or \"\"': a zero quality gives '' either way, and a positive one the "
        "name, which is '' only when the candidate itself is ''",
        ("    return weighted_matches[-1][0][0] and weighted_matches[-1][2] or ''\n",
         "    return weighted_matches[-1][2] if weighted_matches[-1][0][0] else ''\n")),
    "best_match_enumerate": case(
        MIMEPARSE, "best_match", "counter loop written as a comprehension over enumerate",
        "the weighted candidates built by a list comprehension over enumerate(supported) "
        "instead of a loop with a hand-kept position: the same (quality and fitness, "
        "position, type) triples in the same order, sorted the same way",
        (_WEIGH, '''    weighted_matches = [
        (quality_and_fitness_parsed(mime_type, parsed_header), pos, mime_type)
        for pos, mime_type in enumerate(supported)
    ]
    weighted_matches.sort()
''')),
}

CARELESS = {
    "mime_type_parts_not_stripped": case(
        MIMEPARSE, "parse_mime_type", "normalisation dropped",
        "the type and subtype returned as split, their strip() dropped because the header "
        "parser already strips the whole type: spaces around the '/' now stay in both "
        "parts, so 'text / html' no longer matches text/html",
        ("    return (type.strip(), subtype.strip(), params)\n",
         "    return (type, subtype, params)\n"),
        probe=Probe(SETUP, "mimeparse.parse_mime_type('text / html')",
                    "('text', 'html', {})", "('text ', ' html', {})")),
    "param_names_not_lowered": case(
        MIMEPARSE, "_parse_header", "coercion dropped",
        "parameter names kept as written, the lower() dropped since parse_media_range "
        "already folds 'Q' into 'q' (the suite's only upper-case name): any other "
        "parameter ('Level=1') keeps its case and no longer matches 'level' in fitness",
        ("            name = p[:i].strip().lower()\n",
         "            name = p[:i].strip()\n"),
        probe=Probe(SETUP, "mimeparse.parse_mime_type('text/html;Level=1')",
                    "('text', 'html', {'level': '1'})", "('text', 'html', {'Level': '1'})")),
    "unquote_without_length_check": case(
        MIMEPARSE, "_parse_header", "boundary dropped",
        "a quoted value recognised by startswith('\"') and endswith('\"') instead of "
        "'len(value) >= 2 and value[0] == value[-1] == '\"'': the two agree on '' and on "
        "every longer value, but a lone '\"' now both starts and ends the quotes and is "
        "unquoted to ''",
        (_UNQUOTE, '''            if value.startswith('"') and value.endswith('"'):
'''),
        probe=Probe(SETUP, "mimeparse.parse_mime_type('text/plain;a=\"')",
                    "('text', 'plain', {'a': '\"'})", "('text', 'plain', {'a': ''})")),
    "zero_quality_accepted": case(
        MIMEPARSE, "best_match", "acceptability tested on the wrong field",
        "the winner returned when it matched any range at all (fitness >= 0) instead of "
        "when its quality is not zero: a candidate the header accepts only with q=0, "
        "which RFC 7231 makes 'not acceptable', is now returned instead of ''",
        ("    return weighted_matches[-1][0][0] and weighted_matches[-1][2] or ''\n",
         "    return weighted_matches[-1][2] if weighted_matches[-1][0][1] >= 0 else ''\n"),
        probe=Probe(SETUP, "mimeparse.best_match(['text/html'], 'text/html;q=0')",
                    "''", "'text/html'")),
    "blank_ranges_filtered_without_strip": case(
        MIMEPARSE, "best_match", "helper inlined, whitespace test dropped",
        "the blank entries of the header dropped by an inline 'if r' instead of the "
        "_filter_blank helper's 'if s.strip()': an empty entry is still dropped, but one "
        "of spaces (a trailing ', ') is now parsed as a media range and raises",
        ("    split_header = _filter_blank(header.split(','))\n",
         "    split_header = [r for r in header.split(',') if r]\n"),
        probe=Probe(SETUP, "mimeparse.best_match(['text/html'], 'text/html, ')",
                    "'text/html'", "raises MimeTypeParseException")),
}
