"""iuliia 0.13.0 (MIT), held out (wave 19): Cyrillic transliterated to Latin by schemas. A
TranslitSchema (iuliia/schema.py) builds its letter, previous-letter, next-letter and ending
maps from the schema's mappings with their capitalised and upper-case forms, and translates a
text word by word (iuliia/nlp.py: word_reader splits at \\b and drops empty pieces;
split_word cuts the last two letters off a word longer than two as its ending;
trigram_reader yields each letter with its neighbours): a word whose ending has a truthy
translation is translated as its stem's letters and that, else letter by letter, each letter
by the previous-letter map, else the next-letter map, else the letter map, else itself. A
FileRepo (iuliia/repo.py) lists the .json files of its directory as lazily loaded
FileSchemas, each validated (iuliia/validator.py: name, mapping and the optional maps checked
by isinstance, each sample a list of exactly two str) before its TranslitSchema is built.

Its suite (tests/: 212 tests and its timing test, skipped unless TEST_TIMING is set)
translates every schema's samples (Russian and Uzbek sentences), checks the maps built from
small mappings, the readers on short words, the repository and the validator's errors. A line
tracer over its tree found every line of the package run but __main__ and the repository's
skip of a file that is not JSON (the tree carries the schemas alone; the sdist's LICENSE,
README.md and schema.jsd beside them run it there). Its tests never translate a word of two
letters with an ending of its own, never map an ending to nothing, never give a letter both
a previous-letter and a next-letter translation that differ, never validate a dict subclass
and never a sample of more than two items."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "iuliia"
NLP = "iuliia/nlp.py"
SCHEMA = "iuliia/schema.py"
REPO = "iuliia/repo.py"
VALIDATOR = "iuliia/validator.py"
SETUP = "from iuliia.schema import TranslitSchema"
VALIDATOR_SETUP = "import collections\nfrom iuliia.validator import Validator"

CONTROLS = {
    "letters_by_comprehension": case(
        SCHEMA, "TranslitSchema._translate_letters", "loop to list comprehension",
        "the word's letters translated into a list comprehension instead of a loop "
        "appending to a list: the same trigram_reader iterated once, _translate_letter "
        "looked up on self and called on each trigram in the same order, the same list "
        "answered",
        ('''        translated = []
        for prev, curr, next_ in nlp.trigram_reader(word):
            letter = self._translate_letter(prev, curr, next_)
            translated.append(letter)
        return translated
''', '''        return [
            self._translate_letter(prev, curr, next_)
            for prev, curr, next_ in nlp.trigram_reader(word)
        ]
''')),
    "suffix_by_not_equal": case(
        REPO, "FileRepo.__init__", "not == to !=",
        "a file that is not JSON skipped by path.suffix != '.json' instead of not "
        "path.suffix == '.json': the paths are those Path(base_dir).iterdir() yields, "
        "whose suffix is an exact str, and for a str != is the negation of ==",
        ('''            if not path.suffix == ".json":
''', '''            if path.suffix != ".json":
''')),
    "empty_piece_by_comparison": case(
        NLP, "word_reader", "truthiness to comparison with ''",
        "the pieces of the split kept when they are not '' instead of when they are "
        "truthy: re.split answers exact str pieces (a str subclass's pieces too), and a "
        "str is falsy exactly when it is ''",
        ('''    return (word for word in SPLITTER.split(sentence) if word)
''', '''    return (word for word in SPLITTER.split(sentence) if word != "")
''')),
    "sample_checks_joined": case(
        VALIDATOR, "Validator._validate_sample", "two ifs raising the same error joined by or",
        "a sample that is not a list or not of two items refused by one if over the two "
        "tests joined by or instead of two ifs raising the same message: or evaluates "
        "len() only for a list, as the second if was only reached for one, and raises the "
        "same ValueError",
        ('''        if not isinstance(sample, list):
            raise ValueError(message)
        if len(sample) != 2:
            raise ValueError(message)
''', '''        if not isinstance(sample, list) or len(sample) != 2:
            raise ValueError(message)
''')),
}

CARELESS = {
    "two_letter_word_has_ending": case(
        NLP, "split_word", "boundary moved (<= to <)",
        "a word of two letters split into an empty stem and an ending instead of kept "
        "whole: the suite splits 'word', 'w' and '', and every schema's samples come out "
        "the same, but a schema mapping the ending 'ia' now translates the "
        "word 'ia' by it: 'ya' where it was 'ia'",
        ('''    if len(word) <= ending_len:
''', '''    if len(word) < ending_len:
'''),
        probe=Probe(SETUP,
                    "TranslitSchema(name='t', mapping={}, ending_mapping={'ia': 'ya'})"
                    ".translate('ia')",
                    "'ia'", "'ya'")),
    "empty_ending_applied": case(
        SCHEMA, "TranslitSchema._translate_word", "truthiness to is not None",
        "an ending's translation used whenever it is not None instead of when it is "
        "truthy: no shipped schema maps an ending to '', but one that does now drops the "
        "ending where the word was translated letter by letter: 'xxa' with a -> b and the "
        "ending xa -> '' gives 'x' where it gave 'xxb'",
        ('''        if translated_ending:
''', '''        if translated_ending is not None:
'''),
        probe=Probe(SETUP,
                    "TranslitSchema(name='t', mapping={'a': 'b'}, ending_mapping={'xa': ''})"
                    ".translate('xxa')",
                    "'xxb'", "'x'")),
    "next_letter_before_previous": case(
        SCHEMA, "TranslitSchema._translate_letter", "lookups reordered (next before previous)",
        "a letter looked up by its next neighbour before its previous one instead of "
        "after: the same for every letter only one of the two maps knows, as in the "
        "samples, but with ab -> P and bc -> N, 'abc' now answers 'aNc' where it answered "
        "'aPc'",
        ('''        letter = self.prev_map.get(prev + curr)
        if letter is None:
            letter = self.next_map.get(curr + next_)
''', '''        letter = self.next_map.get(curr + next_)
        if letter is None:
            letter = self.prev_map.get(prev + curr)
'''),
        probe=Probe(SETUP,
                    "TranslitSchema(name='t', mapping={}, prev_mapping={'ab': 'P'}, "
                    "next_mapping={'bc': 'N'}).translate('abc')",
                    "'aPc'", "'aNc'")),
    "mapping_exact_type": case(
        VALIDATOR, "Validator._validate_attr", "isinstance to exact type",
        "an attribute's type checked by type(value) is not type_ instead of isinstance: "
        "the same for the plain dicts and strs of json.load and of the suite, but a "
        "mapping given as an OrderedDict is now refused with ValueError where it passed",
        ('''        if value is not None and not isinstance(value, type_):
''', '''        if value is not None and type(value) is not type_:
'''),
        probe=Probe(VALIDATOR_SETUP,
                    "Validator({'name': 't', 'mapping': collections.OrderedDict()}).run()",
                    "None", "raises ValueError")),
    "sample_length_at_least_two": case(
        VALIDATOR, "Validator._validate_sample", "comparison weakened (!= 2 to < 2)",
        "a sample refused when it has fewer than two items instead of any other number "
        "than two: the suite's refused sample has one item, but a sample of three now "
        "passes where it was refused with ValueError",
        ('''        if len(sample) != 2:
''', '''        if len(sample) < 2:
'''),
        probe=Probe(VALIDATOR_SETUP,
                    "Validator({'name': 't', 'mapping': {}, 'samples': [['a', 'b', 'c']]})"
                    ".run()",
                    "raises ValueError", "None")),
}
