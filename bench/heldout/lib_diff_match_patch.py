"""diff-match-patch 20241021 (Apache-2.0), held out (wave 11): Google's diff, match and patch
for plain text, one class in one module (diff_match_patch/diff_match_patch.py) with its
settings as attributes (Diff_Timeout, Match_Threshold, Match_Distance, Patch_Margin,
Match_MaxBits: 0 lifts the limit) and a patch_obj class. diff_main trims the common prefix
and suffix (binary searches over slices) before diffing the middle; diff_xIndex maps a
location in text1 to text2 through a diff, a location inside a deletion to the deletion's
start; diff_prettyHtml escapes each non-empty piece into ins, del and span; diff_toDelta
counts UTF-16 units and URL-quotes insertions, and diff_fromDelta reads them back, refusing
a token it cannot read, a count that is not an int or is negative, and a total that is not
the text's length (ValueError); match_main clamps its location into 0..len(text) before the
exact and then the bitap search, whose score is the errors' share of the pattern plus the
distance over Match_Distance (with Match_Distance 0, any distance scores 1.0);
patch_addContext grows the context by Patch_Margin until the pattern is unique, unless
Match_MaxBits (when not 0) would be passed. Its suite (28 unittest cases of many asserts
each) was traced line by line: it runs all but 40-odd of the module's statements, among
them diff_fromDelta's three refusals of a token (its two tests of a bad delta fail on the
length), patch_fromText's refusal of a line's mode and a few clean-up branches. One
control (diff_fromDelta's refusal messages) changes only lines no test runs; every
careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "diff-match-patch"
MOD = "diff_match_patch/diff_match_patch.py"
SETUP = "from diff_match_patch import diff_match_patch\ndmp = diff_match_patch()"
# a patch of 'ab' to 'xy' at offset 2 of a text that is 'ab' over and over, its context
# grown with Match_MaxBits 0 (no limit): the pattern is unique only as the whole text
CONTEXT = (SETUP + "\ndmp.Match_MaxBits = 0\n"
           "p = dmp.patch_fromText('@@ -3,2 +3,2 @@\\n-ab\\n+xy\\n')[0]\n"
           "dmp.patch_addContext(p, 'ab' * 12)")

_TEXT1 = '''        text = []
        for op, data in diffs:
            if op != self.DIFF_INSERT:
                text.append(data)
        return "".join(text)
'''

CONTROLS = {
    "bitap_score_conditional": case(
        MOD, "diff_match_patch.match_bitap", "and-or idiom to a conditional expression",
        "match_bitapScore's 'proximity and 1.0 or accuracy' (Match_Distance 0) written as "
        "'1.0 if proximity else accuracy': 1.0 is true, so the idiom never fell through "
        "to accuracy where proximity was true",
        ('''                return proximity and 1.0 or accuracy
''', '''                return 1.0 if proximity else accuracy
''')),
    "text1_generator": case(
        MOD, "diff_match_patch.diff_text1", "loop to a generator expression",
        "the source text joined from a generator over the diffs that are not insertions "
        "instead of a list built in a loop: the same pieces in the same order",
        (_TEXT1, '''        return "".join(data for op, data in diffs if op != self.DIFF_INSERT)
''')),
    "common_prefix_midpoint": case(
        MOD, "diff_match_patch.diff_commonPrefix", "arithmetic rewritten",
        "the binary search's midpoint written (pointermin + pointermax) // 2 instead of "
        "(pointermax - pointermin) // 2 + pointermin: for ints the two floors are equal, "
        "pointermin being whole",
        ('''            pointermid = (pointermax - pointermin) // 2 + pointermin
        return pointermid

    def diff_commonSuffix(''', '''            pointermid = (pointermin + pointermax) // 2
        return pointermid

    def diff_commonSuffix(''')),
    "from_delta_fstrings": case(
        MOD, "diff_match_patch.diff_fromDelta", "concatenation to f-strings (lines no test "
        "runs)",
        "the three refusals' messages (a count that is not a number, a negative count, an "
        "operation that is not +, - or =) written as f-strings instead of concatenations "
        "of str: the same messages; no test gives diff_fromDelta a bad token",
        ('''                    raise ValueError("Invalid number in diff_fromDelta: " + param)
''', '''                    raise ValueError(f"Invalid number in diff_fromDelta: {param}")
'''),
        ('''                    raise ValueError("Negative number in diff_fromDelta: " + param)
''', '''                    raise ValueError(f"Negative number in diff_fromDelta: {param}")
'''),
        ('''                raise ValueError(
                    "Invalid diff operation in diff_fromDelta: " + token[0]
                )
''', '''                raise ValueError(f"Invalid diff operation in diff_fromDelta: {token[0]}")
''')),
}

CARELESS = {
    "match_main_lower_clamp_dropped": case(
        MOD, "diff_match_patch.match_main", "dropped bound (clamp on one side)",
        "the location clamped only from above, min(loc, len(text)), the lower clamp dropped "
        "as though no caller passed a negative location: the suite's locations are all "
        "within the text, but an empty pattern at -2 is now found 'at' -2, a negative "
        "index, where it was found at 0",
        ('''        loc = max(0, min(loc, len(text)))
''', '''        loc = min(loc, len(text))
'''),
        probe=Probe(SETUP, "dmp.match_main('abcdef', '', -2)", "0", "-2")),
    "from_delta_negative_accepted": case(
        MOD, "diff_match_patch.diff_fromDelta", "check dropped as dead",
        "the refusal of a negative count dropped, on the belief that diff_toDelta never "
        "writes one: the suite's bad deltas fail on the length, but '=-1' now slices the "
        "text from its end, so '=-1\\t=4' over 'abc' reads as two equalities, 'ab' and 'c', "
        "where it was refused",
        ('''                if n < 0:
                    raise ValueError("Negative number in diff_fromDelta: " + param)
''', ''),
        probe=Probe(SETUP, "dmp.diff_fromDelta('abc', '=-1\\t=4')", "raises ValueError",
                    "[(0, 'ab'), (0, 'c')]")),
    "pretty_html_empty_kept": case(
        MOD, "diff_match_patch.diff_prettyHtml", "guard dropped",
        "the skip of an empty piece dropped as needless: the suite's pieces are all "
        "non-empty, but an empty equality now writes '<span></span>' where it wrote "
        "nothing",
        ('''            if 0 == len(data):
                continue
''', ''),
        probe=Probe(SETUP, "dmp.diff_prettyHtml([(0, '')])", "''", "'<span></span>'")),
    "match_main_shortcut_dropped": case(
        MOD, "diff_match_patch.match_main", "shortcut dropped as a mere speed-up",
        "the 'text == pattern' shortcut dropped, its comment ('potentially not guaranteed "
        "by the algorithm') read as saying it only saves time: with the default "
        "Match_Distance the bitap search finds the whole text at 0 too (the suite's case), "
        "but with Match_Distance 1 and the location at the text's end the distance costs "
        "more than the threshold, and the text is no longer found in itself (-1, not 0)",
        ('''        if text == pattern:
            # Shortcut (potentially not guaranteed by the algorithm)
            return 0
        elif not text:
''', '''        if not text:
'''),
        probe=Probe(SETUP + "\ndmp.Match_Distance = 1", "dmp.match_main('abcdef', 'abcdef', 6)",
                    "0", "-1")),
    "add_context_unlimited_dropped": case(
        MOD, "diff_match_patch.patch_addContext", "special case for 0 dropped",
        "the context's growth bounded by Match_MaxBits less two margins alone, the "
        "'Match_MaxBits == 0' (no limit) alternative dropped as the suite never sets it: "
        "with Match_MaxBits 0 a pattern that is not unique is no longer grown, so a patch "
        "in a text of 'ab' repeated gets four characters of context where it got the "
        "whole text",
        ('''        while text.find(pattern) != text.rfind(pattern) and (
            self.Match_MaxBits == 0
            or len(pattern) < self.Match_MaxBits - self.Patch_Margin - self.Patch_Margin
        ):
''', '''        while text.find(pattern) != text.rfind(pattern) and (
            len(pattern) < self.Match_MaxBits - self.Patch_Margin - self.Patch_Margin
        ):
'''),
        probe=Probe(CONTEXT, "str(p)",
                    "'@@ -1,24 +1,24 @@\\n ab\\n-ab\\n+xy\\n abababababababababab\\n'",
                    "'@@ -1,8 +1,8 @@\\n ab\\n-ab\\n+xy\\n abab\\n'")),
}
