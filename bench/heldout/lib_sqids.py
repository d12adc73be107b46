"""sqids 0.5.2 (MIT), held out (wave 3): short ids from lists of non-negative integers and
back, over an alphabet shuffled once, padded to a minimum length, regenerated while a word
of the blocklist shows in them. Its suite (tests/, with a Hypothesis round trip over random
alphabets and lengths, and a check that reads assets/filter_blocklist.py, carried in the
tree) runs every statement of sqids/sqids.py, so every refactor below changes lines the
suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "sqids"
SQ = "sqids/sqids.py"
SETUP = "from sqids import Sqids"

_FILTER = '''        else:
            alphabet_lower = set(alphabet.lower())
            exact_match: Set[str] = set()
            match_at_ends: Set[str] = set()
            match_anywhere: Set[str] = set()
            for word in blocklist:
                if len(word) < 3:
                    continue
                word_lower = word.lower()
                word_lower_set = set(word_lower)
                if word_lower_set & alphabet_lower != word_lower_set:
                    continue

                if len(word) == 3:
                    exact_match.add(word.lower())
                elif word_lower_set & DIGITS:
                    match_at_ends.add(word_lower)
                else:
                    match_anywhere.add(word_lower)

            self.__blocklist_exact_match = exact_match
            # When matching at the ends, `.startswith()` and `.endswith()` need a tuple.
            self.__blocklist_match_at_ends = tuple(match_at_ends)
            self.__blocklist_match_anywhere = match_anywhere
'''

_FILTER_CALL = '''        else:
            (
                self.__blocklist_exact_match,
                self.__blocklist_match_at_ends,
                self.__blocklist_match_anywhere,
            ) = _split_blocklist(blocklist, alphabet)
'''

_FILTER_HELPER = '''def _split_blocklist(
    blocklist: List[str], alphabet: str
) -> Tuple[Set[str], Tuple[str, ...], Set[str]]:
    """The blocklist's words of three or more letters the alphabet can spell, lowercased:
    those matched whole (three letters), at an id's ends (with a digit), anywhere."""
    alphabet_lower = set(alphabet.lower())
    exact_match: Set[str] = set()
    match_at_ends: Set[str] = set()
    match_anywhere: Set[str] = set()
    for word in blocklist:
        if len(word) < 3:
            continue
        word_lower = word.lower()
        word_lower_set = set(word_lower)
        if word_lower_set & alphabet_lower != word_lower_set:
            continue

        if len(word) == 3:
            exact_match.add(word.lower())
        elif word_lower_set & DIGITS:
            match_at_ends.add(word_lower)
        else:
            match_anywhere.add(word_lower)

    # When matching at the ends, `.startswith()` and `.endswith()` need a tuple.
    return exact_match, tuple(match_at_ends), match_anywhere


class Sqids:'''

_ANYWHERE = '''        for word in self.__blocklist_match_anywhere:
            if word in id_:
                return True

        return False
'''

_ENCODE_RET = '''        ret = [prefix]

        for i, num in enumerate(numbers):
            ret.append(self.__to_id(num, alphabet[1:]))

            if i >= len(numbers) - 1:
                continue

            ret.append(alphabet[0])
            alphabet = self.__shuffle(alphabet)

        id_ = "".join(ret)
'''

CONTROLS = {
    "blocklist_split_helper": case(
        SQ, "Sqids.__init__", "helper extracted",
        "the custom blocklist's split into whole, ends and anywhere words moved to a "
        "private module function returning the three",
        (_FILTER, _FILTER_CALL), ("class Sqids:", _FILTER_HELPER)),
    "blocked_anywhere_any": case(
        SQ, "Sqids.__is_blocked_id", "any() for a loop",
        "the words matched anywhere checked with any() instead of a loop returning early",
        (_ANYWHERE, "        return any(word in id_ for word in "
                    "self.__blocklist_match_anywhere)\n")),
    "to_number_no_list": case(
        SQ, "Sqids.__to_number", "redundant conversion removed",
        "the alphabet searched as the string it is, not copied to a list first",
        ("        chars = list(alphabet)\n"
         "        return sum(chars.index(c) * (len(chars) ** i) "
         "for i, c in enumerate(id_[::-1]))",
         "        return sum(\n            alphabet.index(c) * (len(alphabet) ** i) "
         "for i, c in enumerate(id_[::-1])\n        )")),
    "encode_numbers_rename": case(
        SQ, "Sqids.__encode_numbers", "renamed local",
        "ret renamed parts",
        (_ENCODE_RET, _ENCODE_RET.replace("ret", "parts"))),
}

CARELESS = {
    "encode_int_coerced": case(
        SQ, "Sqids.encode", "coercion added",
        "the numbers converted with int() before the range check, to accept numeric "
        "strings and floats: 1.5 is encoded as 1 instead of refused",
        ("        if not all(0 <= number <= sys.maxsize for number in numbers):",
         "        numbers = [int(number) for number in numbers]\n"
         "        if not all(0 <= number <= sys.maxsize for number in numbers):"),
        probe=Probe(SETUP, "Sqids().encode([1.5])", "raises TypeError", "'Uk'")),
    "digit_words_anywhere": case(
        SQ, "Sqids.__init__", "condition dropped",
        "the branch for words with a digit dropped: they are matched anywhere in an id, "
        "not only at its ends, so more ids are regenerated",
        ("                elif word_lower_set & DIGITS:\n"
         "                    match_at_ends.add(word_lower)\n", ""),
        probe=Probe(SETUP, "Sqids(blocklist=['6rf0']).encode([1, 2, 3])", "'86Rf07'",
                    "'se8ojk'")),
    "blocklist_word_as_list": case(
        SQ, "Sqids.__init__", "input normalisation added",
        "a blocklist given as one string taken as a list of that one word: the word is "
        "blocked, where before its letters were read as words too short to block",
        ("        # When the blocklist and alphabet are defaults, use pre-filtered blocklists.",
         "        if isinstance(blocklist, str):\n            blocklist = [blocklist]\n\n"
         "        # When the blocklist and alphabet are defaults, use pre-filtered blocklists."),
        probe=Probe(SETUP, "Sqids(blocklist='86Rf07').encode([1, 2, 3])", "'86Rf07'",
                    "'se8ojk'")),
    "decode_prefix_checked": case(
        SQ, "Sqids.decode", "check narrowed",
        "only the id's first character checked against the alphabet: an id with a foreign "
        "character further on raises ValueError instead of decoding to []",
        ("        alphabet_chars = list(self.__alphabet)\n"
         "        if any(c not in alphabet_chars for c in id_):",
         "        if id_[0] not in self.__alphabet:"),
        probe=Probe(SETUP, "Sqids().decode('bM*')", "[]", "raises ValueError")),
    "min_length_exact_int": case(
        SQ, "Sqids.__init__", "type check narrowed",
        "the int-but-not-bool test written type(min_length) is not int: an int subclass "
        "such as an IntEnum member is refused with TypeError",
        ("        if not isinstance(min_length, int) or isinstance(min_length, bool):",
         "        if type(min_length) is not int:"),
        probe=Probe(SETUP + "\nimport enum\nN = enum.IntEnum('N', 'ONE TWO')",
                    "Sqids(min_length=N.TWO).encode([1])", "'Uk'", "raises TypeError")),
}
