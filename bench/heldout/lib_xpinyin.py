"""xpinyin 0.7.7 (MIT), held out (wave 21): Chinese characters translated to pinyin, in two
modules. xpinyin/__init__.py's Pinyin reads its table (xpinyin/Mandarin.dat: a character's code
point in upper-case hex, a tab, its readings in upper case with tone numbers 1 to 5, the u
with umlaut written V) into a dict; get_pinyins(chars, splitter, tone_marks, convert, n) keeps
each run of characters not in the table as one piece and gives each character its readings
(without tone numbers, each once, when tone_marks is None; with tone marks put on by
decode_pinyin when it is 'marks'; with their numbers otherwise), cased by convert_pinyin
('lower', 'upper' or 'capitalize'), and joins up to n combinations of them by
xpinyin/combs.py's get_combs; get_pinyin is its first; get_initial is a character's first
reading's first letter (ZH, CH or SH with with_retroflex), the character itself when it is not
in the table. decode_pinyin lowers a reading, and for a tone digit '0' to '5' (mod 5) marks its
only vowel (its vowel class [aoeiuv\\u00fc]), or of several the first of a, o and e found, else
the i of ui or the u of iu.
_get_comb_indexes counts combinations like a multi-radix number and refuses a limit of 0.

Its suite (tests/: 20 tests) reads 上海, 秋, 你好, 知识, 文字, 乐, 音乐, 吗, 'Apple发布iOS7',
'ABC串123' and a long paragraph, with the default splitter, '' and ' ', with tone marks and
without (never with tone numbers), their initials with and without retroflexes, and
combinations and their limits. A line tracer over it found unrun: decode_pinyin's 'u:' branch
and its digit before any vowel, convert_pinyin's 'capitalize' and 'upper', get_initial's
character not in the table, and _get_comb_indexes' refusal of a limit of 0. Its tests never
give tone_marks '' (or anything but None and 'marks'), a reading with V and a tone mark (女,
绿), a digit outside '0'..'5', convert other than 'lower', or n=0."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "xpinyin"
PINYIN = "xpinyin/__init__.py"
COMBS = "xpinyin/combs.py"
SETUP = "from xpinyin import Pinyin"

CONTROLS = {
    "readings_by_fromkeys": case(
        PINYIN, "Pinyin.get_pinyins", "loop to dict.fromkeys",
        "a character's readings without their tone numbers, each once, collected by "
        "list(dict.fromkeys(...)) instead of a loop appending those not yet in the list: a "
        "dict keeps its keys in their first insertion's order, so the same readings come in "
        "the same order",
        ('''                    char_py_options = []
                    for v in self.pinyins[key].split():
                        if v[0:-1] not in char_py_options:  # we remove the tone mark '''
         '''while we're at it
                            char_py_options.append(v[0:-1])
''', '''                    # the readings without their tone numbers, each once, in their order
                    char_py_options = list(
                        dict.fromkeys(v[0:-1] for v in self.pinyins[key].split()))
''')),
    "retroflex_by_startswith": case(
        PINYIN, "Pinyin.get_initial", "slice membership to startswith",
        "a retroflex initial told by first_pinyin.startswith(('ZH', 'CH', 'SH')) instead of "
        "first_pinyin[:2] in the same tuple: a str starts with a two-letter prefix exactly "
        "when its first two characters are it",
        ('''            if with_retroflex and (first_pinyin[:2] in ('ZH', 'CH', 'SH')):
''', '''            if with_retroflex and first_pinyin.startswith(('ZH', 'CH', 'SH')):
''')),
    "case_by_unbound_methods": case(
        PINYIN, "Pinyin.convert_pinyin", "bound method to the type's function (lines no "
        "test runs)",
        "'capitalize' and 'upper' answered by str.capitalize(word) and str.upper(word) instead "
        "of word.capitalize() and word.upper(): every word is a plain str (a reading split "
        "from the table, or decode_pinyin's answer), so the same method runs; no test asks "
        "for either, so both changed lines are ones no test runs",
        ('''            return word.capitalize()
''', '''            return str.capitalize(word)
'''), ('''            return word.upper()
''', '''            return str.upper(word)
''')),
    "mark_by_helper": case(
        PINYIN, "Pinyin.decode_pinyin", "expression extracted into a helper",
        "a syllable with one vowel marked by a module helper, _mark_one_vowel(t, m, tone), "
        "instead of in place: the helper looks the marked vowel up in the same table by the "
        "same index and puts it between the same two slices of t",
        ('''class Pinyin:
''', '''def _mark_one_vowel(t: str, m: re.Match, tone: int) -> str:
    # the syllable t with its only vowel (the match m) replaced by the vowel with the tone's mark
    marked = PinyinToneMark[tone][PinyinToneMark[0].index(m.group(0))]
    return t[:m.start(0)] + marked + t[m.end(0):]


class Pinyin:
'''), ('''                            t = t[:m.start(0)] \\
                                + PinyinToneMark[tone][PinyinToneMark[0].index(m.group(0))] \\
                                + t[m.end(0):]
''', '''                            t = _mark_one_vowel(t, m, tone)
''')),
}

CARELESS = {
    "tone_marks_by_truthiness": case(
        PINYIN, "Pinyin.get_pinyins", "test for None to truthiness",
        "the readings stripped of their tone numbers when not tone_marks instead of when "
        "tone_marks is None: the same for None and 'marks', all the suite gives, but "
        "tone_marks='' (no marks asked, as 'numbers' is) now loses the tone numbers it kept",
        ('''                if tone_marks is None:  # in this case''',
         '''                if not tone_marks:  # in this case'''),
        probe=Probe(SETUP, "Pinyin().get_pinyin('上海', tone_marks='')", "'shang4-hai3'",
                    "'shang-hai'")),
    "vowels_without_v": case(
        PINYIN, "Pinyin.decode_pinyin", "character class narrowed",
        "a syllable's vowels searched by [aeiou\\u00fc] instead of [aoeiuv\\u00fc]: the same "
        "vowels written as they are spelt, and the same for every reading the suite marks, "
        "but the table writes u with umlaut as V, so 女's NV3 now finds no vowel and keeps "
        "its tone number where it became nǚ",
        ('''                        m = re.search("[aoeiuv\\u00fc]+", t)
''', '''                        m = re.search("[aeiou\\u00fc]+", t)
'''),
        probe=Probe(SETUP, "Pinyin().get_pinyin('女', tone_marks='marks')", "'nǚ'", "'nv3'")),
    "tone_digit_by_isdigit": case(
        PINYIN, "Pinyin.decode_pinyin", "range comparison to str.isdigit",
        "a tone told by c.isdigit() instead of '0' <= c <= '5': the same for the table's "
        "tone numbers, but isdigit also holds for superscript and other Unicode digits, "
        "which int() refuses, so a reading written with a superscript tone ('ni³') now "
        "raises ValueError where the tone was dropped ('ni')",
        ('''                if '0' <= c <= '5':
''', '''                if c.isdigit():
'''),
        probe=Probe(SETUP, "Pinyin.decode_pinyin('ni³')", "'ni'", "raises ValueError")),
    "capitalize_by_slices": case(
        PINYIN, "Pinyin.convert_pinyin", "library call to hand-written slices",
        "'capitalize' written as word[:1].upper() + word[1:] instead of word.capitalize(): "
        "the same for a lower-case word, as decode_pinyin's marked readings are, but the "
        "table's readings are upper case, and capitalize() lowered the rest of them: without "
        "tone marks 上海 now comes out 'SHANG-HAI' where it was 'Shang-Hai'",
        ('''            return word.capitalize()
''', '''            return word[:1].upper() + word[1:]
'''),
        probe=Probe(SETUP, "Pinyin().get_pinyin('上海', convert='capitalize')", "'Shang-Hai'",
                    "'SHANG-HAI'")),
    "zero_limit_empty": case(
        COMBS, "_get_comb_indexes", "exception replaced by an empty answer",
        "a limit of 0 combinations (or an empty list of options) answered by no combination "
        "instead of ValueError: the suite never asks for 0, but get_pinyins('上海', n=0), a "
        "mistaken limit, now answers [] where it raised",
        ('''        raise ValueError("Can't create combinations with 0-length lists")
''', '''        return []  # nothing to combine
'''),
        probe=Probe(SETUP, "Pinyin().get_pinyins('上海', n=0)", "raises ValueError", "[]")),
}
