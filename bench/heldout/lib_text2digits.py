"""text2digits 0.1.2 (MIT), held out (wave 23): numbers written in words turned into digits
within a text (text2digits/text2digits.py, its Text2Digits; rules.py, tokens_basic.py,
tokens_rules.py and text_processing_helpers.py). Text2Digits(similarity_threshold,
convert_ordinals, add_ordinal_ending) refuses a threshold outside [0, 1] (ValueError);
convert(text) splits the text into words and their glue (split_glues), corrects each word's
spelling to the most similar number word when the threshold is below 1 (find_similar_word:
bigram similarity at or above the threshold, the first of equally similar words in the number
words' order kept), types each word (Token: units, teens, tens, scales, Indian scales, 'and',
'negative'/'minus', 'point', int and float literals by a full match, ordinals by their ending;
has_large_scale for a literal whose Decimal value is one of SCALE_VALUES), combines them
(CombinationRule: tens and units, a number and its scale, two scales in a row only when the
second is larger; ConcatenationRule: year-like runs joined as text) and writes the text back,
a 'point' between two numbers making a decimal only when a number follows it, 'negative' or
'minus' a sign only before a number.

Its suite (tests/: 274 tests) checks cardinals, years, hundreds and thousands with and without
'and', Indian scales, decimals with 'point' and literals with scales ('2.5 thousand'),
negatives, ordinals with and without their endings, spelling correction at 0.7, punctuation
and thousands separators kept, split_glues, bigram_similarity and find_similar_word (a zero
similarity never returned), the tokens' types, values and scales, and both rules. A line
tracer over it found unrun: the ValueError of a threshold outside [0, 1], Token.__repr__,
CombinedToken.__repr__ and scale, ConcatenatedToken.__repr__, NoneToken.has_large_scale, the
abstract methods' bodies and CombinationRule.match's second look past a conjunction at the
end. Its tests never give a threshold above 1, two equal scales in a row ('thousand
thousand'), a text ending on 'point', a float literal just above a scale ('100.5'), or a word
equally similar to two number words (a 'tillion' between 'million' and 'billion')."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "text2digits"
MAIN = "text2digits/text2digits.py"
RULES = "text2digits/rules.py"
BASIC = "text2digits/tokens_basic.py"
TOKENS = "text2digits/tokens_rules.py"
HELPERS = "text2digits/text_processing_helpers.py"
SETUP = "from text2digits.text2digits import Text2Digits"

CONTROLS = {
    "repr_by_format": case(
        BASIC, "Token.__repr__", "f-string to str.format",
        "a token's repr written by '{} ({})'.format(self._word, self.type) instead of an "
        "f-string: both call format() on the same two values with an empty spec, so the "
        "same text (a line no test runs)",
        ('''        return f"{self._word} ({self.type})"
''', '''        return "{} ({})".format(self._word, self.type)
''')),
    "bigrams_by_slices": case(
        HELPERS, "bigram_similarity", "loops to list comprehensions",
        "each word's bigrams built by a list comprehension of two-character slices, "
        "word[i:i + 2] for i in range(len(word) - 1), instead of a loop over every index "
        "that skips the last and appends word[i] + word[i + 1]: the same pairs in the same "
        "order, none for a word of one character or none",
        ('''    pairs1 = []
    pairs2 = []

    for i in range(word1_length):
        if i == word1_length - 1:
            continue
        pairs1.append(word1[i] + word1[i + 1])

    for i in range(word2_length):
        if i == word2_length - 1:
            continue
        pairs2.append(word2[i] + word2[i + 1])
''', '''    pairs1 = [word1[i:i + 2] for i in range(word1_length - 1)]
    pairs2 = [word2[i:i + 2] for i in range(word2_length - 1)]
''')),
    "ordinal_by_generator": case(
        TOKENS, "RuleToken.is_ordinal", "list to generator in any()",
        "whether a combined token is ordinal told by any() of a generator instead of any() "
        "of a list built first: is_ordinal() only reads each token's ending, so stopping "
        "at the first ordinal one answers the same bool",
        ('''        return any([token.is_ordinal() for token in self.original_tokens])
''', '''        return any(token.is_ordinal() for token in self.original_tokens)
''')),
    "concatenation_by_join": case(
        RULES, "ConcatenationRule.action", "loop to str.join",
        "the concatenated digits built by ''.join() of each token's text and the glue taken "
        "from the last token, instead of a loop adding each text and keeping each glue: the "
        "method has refused an empty list just above, so tokens[-1] exists and the same "
        "text and glue are made",
        ('''        last_glue = ""
        result = ""

        for token in tokens:
            result += token.text()
            last_glue = token.glue

''', '''        result = "".join(token.text() for token in tokens)
        last_glue = tokens[-1].glue

''')),
}

CARELESS = {
    "threshold_check_by_and": case(
        MAIN, "Text2Digits.__init__", "or written as and",
        "a threshold refused when it is below 0 and above 1 instead of below 0 or above 1, "
        "a condition no number meets: the suite gives only thresholds within [0, 1], but a "
        "threshold of 2 is now kept instead of refused with ValueError",
        ('''        if self.similarity_threshold < 0 or self.similarity_threshold > 1:
''', '''        if self.similarity_threshold < 0 and self.similarity_threshold > 1:
'''),
        probe=Probe(SETUP, "Text2Digits(similarity_threshold=2).similarity_threshold",
                    "raises ValueError", "2")),
    "equal_scales_accepted": case(
        RULES, "CombinationRule.match", "strict comparison made inclusive",
        "a scale after a scale accepted when it is at least the last one (>=) instead of "
        "larger (>): the same for the suite, which never gives two equal scales in a row, "
        "but 'two thousand thousand' is now one number, two million, "
        "instead of 2000 and 1000 written side by side",
        ('''                if first.scale() > last_scale:
''', '''                if first.scale() >= last_scale:
'''),
        probe=Probe(SETUP, "Text2Digits().convert('two thousand thousand')", "'20001000'",
                    "'2000000'")),
    "point_lookahead_unbounded": case(
        MAIN, "Text2Digits._consume_numeric", "bounds check dropped",
        "the check that a token follows 'point' (j + 1 < len(tokens)) removed from the "
        "decimal's condition, as if 'point' were always followed by a word: the same for "
        "the suite, whose every 'point' has a number or a word after it, but a text ending "
        "on 'point' now reads past the last token (IndexError) instead of keeping it",
        ('''            and j + 1 < len(tokens)
''', ''),
        probe=Probe(SETUP, "Text2Digits().convert('five point')", "'5 point'",
                    "raises IndexError")),
    "scale_literal_truncated": case(
        BASIC, "Token.has_large_scale", "exact value truncated",
        "a literal told a scale when int(float(word)) is one of SCALE_VALUES instead of its "
        "Decimal value: the same for the suite's literals, which are scales or not near "
        "one, but a float literal just above a scale ('100.5') is truncated to it and taken as a "
        "multiplier: '2 100.5' becomes 201 instead of being left alone",
        ('''            return Decimal(self._word) in self.SCALE_VALUES
''', '''            return int(float(self._word)) in self.SCALE_VALUES
'''),
        probe=Probe(SETUP, "Text2Digits().convert('2 100.5')", "'2 100.5'", "'201'")),
    "candidates_sorted": case(
        HELPERS, "find_similar_word", "iteration order changed",
        "the number words tried in sorted() order, as if for a reproducible answer, instead "
        "of the collection's own order: a word is kept only when strictly more similar than "
        "the best so far, so of two equally similar words the first tried wins; the same "
        "for the suite's misspellings, but 'tillion' (as similar to 'million' as to "
        "'billion') now becomes a billion instead of a million",
        ('''    for item in collection:
''', '''    for item in sorted(collection):
'''),
        probe=Probe(SETUP, "Text2Digits(similarity_threshold=0.8).convert('tillion')",
                    "'1000000'", "'1000000000'")),
}
