"""jaconv 0.5.0 (MIT), held out (wave 12): Japanese characters converted one into another,
one module (jaconv/jaconv.py) of str.translate tables (conv_table.py) and chains of
str.replace. hira2kata, hira2hkata, kata2hira and enlarge_smallkana translate through a
table, a copy of it with the `ignore` characters deleted when there are any
(_exclude_ignorechar deletes each one's code point, so an ignored character the table does
not hold raises KeyError); h2z and z2h pick one of eight tables by their ascii, digit and
kana switches (h2z first joins the half-width voiced marks when kana is on); normalize
replaces dashes and wave dashes and normalizes to NFKC unless told otherwise;
kana2alphabet and alphabet2kana romanize and back (alphabet2kana lower-cases first, turns
a final h after a vowel into う, and a leftover consonant into っ); hiragana2julius writes
Julius' phonemes. Its suite (test_jaconv.py, 10 tests) compares whole alphabets both ways
and every switch of h2z and z2h; its kata2alphabet test is named text_kata2alphabet, so
pytest never collects it, and no test calls kata2alphabet, enlargesmallkana or
normalize without its mode. One control (kata2alphabet's named intermediate) changes only
lines no test runs; every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "jaconv"
MOD = "jaconv/jaconv.py"
SETUP = "import jaconv"

_Z2H_CHAIN = '''    if ascii:
        if digit:
            if kana:
                z2h_map = Z2H_ALL
            else:
                z2h_map = Z2H_AD
        elif kana:
            z2h_map = Z2H_AK
        else:
            z2h_map = Z2H_A
    elif digit:
        if kana:
            z2h_map = Z2H_DK
        else:
            z2h_map = Z2H_D
    else:
        if kana:
            z2h_map = Z2H_K
        else:
            z2h_map = {}  # empty
'''

_H2Z_CHAIN = _Z2H_CHAIN.replace("z2h_map", "h2z_map").replace("Z2H_", "H2Z_")

CONTROLS = {
    "kata2alphabet_named_hiragana": case(
        MOD, "kata2alphabet", "intermediate named (lines no test runs)",
        "the nested call split in two, the hiragana named before it is romanized: the same "
        "two calls in the same order; no test runs it (its test is named "
        "text_kata2alphabet, which pytest does not collect)",
        ('''    return kana2alphabet(kata2hira(text))
''', '''    hiragana = kata2hira(text)
    return kana2alphabet(hiragana)
''')),
    "z2h_table": case(
        MOD, "z2h", "if-chain to a table",
        "the nested ifs over ascii, digit and kana written as one table keyed by the three "
        "switches' truth (bool() of each, as the ifs test them), the empty map for all "
        "three off; ignore still deletes from a copy",
        (_Z2H_CHAIN, '''    z2h_map = {
        (True, True, True): Z2H_ALL,
        (True, True, False): Z2H_AD,
        (True, False, True): Z2H_AK,
        (True, False, False): Z2H_A,
        (False, True, True): Z2H_DK,
        (False, True, False): Z2H_D,
        (False, False, True): Z2H_K,
        (False, False, False): {},
    }[bool(ascii), bool(digit), bool(kana)]
''')),
    "alphabet2kana_join_generator": case(
        MOD, "alphabet2kana", "loop to a generator expression",
        "the loop that appends each character, a leftover consonant as っ, written as one "
        "join over a conditional expression (the loop's unused index dropped)",
        ('''    ret = []
    for i, char in enumerate(text):
        if char in consonants:
            char = 'っ'
        ret.append(char)
    return ''.join(ret)
''', '''    return ''.join('っ' if char in consonants else char for char in text)
''')),
    "translate_conditional_expression": case(
        MOD, "_translate", "if/return to a conditional expression",
        "the two returns written as one: the table, or a copy of it with the ignored "
        "characters deleted when there are any, then one conversion",
        ('''    if ignore:
        _conv_map = _exclude_ignorechar(ignore, conv_map.copy())
        return _convert(text, _conv_map)
    return _convert(text, conv_map)
''', '''    table = _exclude_ignorechar(ignore, conv_map.copy()) if ignore else conv_map
    return _convert(text, table)
''')),
}

CARELESS = {
    "ignore_pop_missing": case(
        MOD, "_exclude_ignorechar", "exception swallowed (del to pop with a default)",
        "each ignored character removed with pop(character, None) instead of del, so that "
        "ignoring a character the table does not hold is no longer an error: the suite "
        "ignores only characters its tables convert, but hira2kata('あ', ignore='x'), "
        "a KeyError before, now answers 'ア'",
        ('''        del conv_map[character]
''', '''        conv_map.pop(character, None)
'''),
        probe=Probe(SETUP, "jaconv.hira2kata('あ', ignore='x')", "raises KeyError", "'ア'")),
    "h2z_table_raw_switches": case(
        MOD, "h2z", "coercion dropped (table keyed by the raw switches)",
        "the nested ifs over ascii, digit and kana written as one table keyed by the three "
        "switches as given, without bool(): the suite passes True and False (and 1 == True "
        "hashes alike), but a switch of None, which the ifs read as off, is now no key: "
        "h2z('ｱ', digit=None) raises KeyError instead of answering 'ア'",
        (_H2Z_CHAIN, '''    h2z_map = {
        (True, True, True): H2Z_ALL,
        (True, True, False): H2Z_AD,
        (True, False, True): H2Z_AK,
        (True, False, False): H2Z_A,
        (False, True, True): H2Z_DK,
        (False, True, False): H2Z_D,
        (False, False, True): H2Z_K,
        (False, False, False): {},
    }[ascii, digit, kana]
'''),
        probe=Probe(SETUP, "jaconv.h2z('ｱ', digit=None)", "'ア'", "raises KeyError")),
    "normalize_default_nfc": case(
        MOD, "normalize", "default changed",
        "the mode's default made 'NFC', the composition that keeps compatibility "
        "characters, instead of 'NFKC': the suite passes 'NFKC' each time, but "
        "normalize('ｱ') no longer widens the half-width katakana",
        ('''def normalize(text, mode='NFKC'):
''', '''def normalize(text, mode='NFC'):
'''),
        probe=Probe(SETUP, "jaconv.normalize('ｱ')", "'ア'", "'ｱ'")),
    "julius_wave_dash_dropped": case(
        MOD, "hiragana2julius", "replacement dropped as redundant",
        "the wave dash's replacement by the long-vowel mark dropped, as if the long vowels "
        "were all written with ー (normalize() turns 〜 into ー, but hiragana2julius does "
        "not call it): the suite writes its long vowels with ー, but hiragana2julius('あ〜') "
        "answers 'a〜', not 'a:'",
        ('''    text = text.replace('〜', ':')
''', ''''''),
        probe=Probe(SETUP, "jaconv.hiragana2julius('あ〜')", "'a:'", "'a〜'")),
    "alphabet2kana_lower_dropped": case(
        MOD, "alphabet2kana", "coercion dropped",
        "the text's lower() dropped, the romaji tables being lower case and callers "
        "expected to pass romaji as typed: the suite's words are all lower case, but "
        "alphabet2kana('KA'), 'か' before, now stays 'KA'",
        ('''    text = text.lower()  # ensure lower case.
''', ''''''),
        probe=Probe(SETUP, "jaconv.alphabet2kana('KA')", "'か'", "'KA'")),
}
