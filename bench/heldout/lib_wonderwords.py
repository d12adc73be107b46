"""wonderwords 3.0.1 (MIT), held out (wave 25): random English words and sentences
(wonderwords/: random_word, random_sentence and _trie, with its word lists in assets/).
RandomWord keeps categories of words, each list sorted by length so that the words of a
length range are found by bisection (_get_words_of_length: no bound where a bound is None,
word_max_length 0 meaning words of no letters, so none); filter validates the lengths (ints
or None; a minimum above a maximum refused unless the maximum is 0; negative bounds dropped),
gathers the words of the categories asked for (every category when none is given), narrows
them to a prefix and a suffix by two tries (the words and the words reversed) or, without
them, by startswith and endswith, and by a regex (fullmatch) and spaces, and answers them
sorted. random_words draws amount words from that list by its Random's choice, each removed
from the list once drawn, so no word twice; with too few words it raises NoWordsToChooseFrom,
or with return_less_if_necessary answers them all, shuffled. The trie answers a prefix's
words by walking to the prefix's node and gathering its branch, the prefix itself when it is
a word. RandomSentence puts a random article (the, a or an, or none), a noun and a verb in
the present tense (_present_tense: stripped and lower-cased, then 'es', 'ies' or 's') in a
sentence.

Its suite (tests/: 56 tests) checks filter's counts and words for prefixes, suffixes,
categories, length bounds (2, 17, and negative ones), regexes and spaces, with and without
the tries; random_words' counts, NoWordsToChooseFrom and return_less_if_necessary (its words
compared sorted); a seeded Random's first word; and sentences of given lowercase words by
their shape. A line tracer over it found unrun: the trie built from words given to its
constructor, the trie's answer for a prefix it lacks, filter's include_parts_of_speech,
read_words, and (in that run; its sentences draw at random) _present_tense's 'es' and 'ies'
and the article 'an'. Its tests never ask for a maximum length of 0, for a prefix that is
itself a word, for more words than there are in an order, for two words of two, or for a
sentence of a capitalised verb."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "wonderwords"
WORD = "wonderwords/random_word.py"
SENTENCE = "wonderwords/random_sentence.py"
TRIE = "wonderwords/_trie.py"
SETUP = "from random import Random\nfrom wonderwords import RandomWord"

CONTROLS = {
    "read_words_inlined": case(
        WORD, "RandomWord.read_words", "helper call inlined",
        "the word file read in place, the lines of _obtain_resource(assets, word_file) "
        "right-stripped in a comprehension, instead of by a call of "
        "_get_words_from_text_file, whose body this is: the same file opened the same way "
        "and the same list (a line no test runs)",
        ('''        return _get_words_from_text_file(word_file)
''', '''        with _obtain_resource(assets, word_file) as f:
            return [word.rstrip() for word in f.readlines()]
''')),
    "middle_by_sum": case(
        WORD, "RandomWord._bisect_by_length", "equivalent arithmetic",
        "the middle index taken as (left + right) // 2 instead of left + (right - left) "
        "// 2, a guard against overflow Python's ints do not need: the two are equal for "
        "any ints, so the same index at each step",
        ('''            middle = left + (right - left) // 2
''', '''            middle = (left + right) // 2
''')),
    "trie_insert_by_setdefault": case(
        TRIE, "Trie.insert", "membership test to dict.setdefault",
        "each letter's node taken by children.setdefault(letter, self._new_node()) instead "
        "of a membership test, an insertion and a lookup: a new node is stored only where "
        "the letter has none, and the one made for a letter already there is dropped "
        "unseen, so the same trie",
        ('''            if letter in current_node.children:
                current_node = current_node.children[letter]
            else:
                current_node.children[letter] = self._new_node()
                current_node = current_node.children[letter]
''', '''            current_node = current_node.children.setdefault(letter, self._new_node())
''')),
    "suffix_words_by_set_comprehension": case(
        WORD, "RandomWord.filter", "set() of a list comprehension to a set comprehension",
        "the words ending with the suffix, reversed back from the reversed trie, gathered "
        "by a set comprehension instead of set() of a list comprehension: the same set",
        ('''                words = words & set(
                    [
                        i[::-1]
                        for i in self._tries[1].get_words_that_start_with(ends_with)
                    ]
                )
''', '''                words = words & {
                    i[::-1] for i in self._tries[1].get_words_that_start_with(ends_with)
                }
''')),
}

CARELESS = {
    "max_length_by_truthiness": case(
        WORD, "RandomWord._get_words_of_length", "truthiness for `is None`",
        "no upper bound taken when max_length is falsy instead of when it is None: the "
        "same for the suite's maximum lengths (2, and None where a negative one was "
        "dropped), but word_max_length=0, which asks for words of no letters, so none, "
        "now lifts the bound and answers every word",
        ('''        if max_length is None:
            right_index = None
''', '''        if not max_length:
            right_index = None
'''),
        probe=Probe(SETUP, "RandomWord(words=['ab', 'c']).filter(word_max_length=0)", "[]",
                    "['ab', 'c']")),
    "draw_without_removal": case(
        WORD, "RandomWord.random_words", "sampling without replacement lost",
        "each word drawn by choice() from the whole list, the list.remove() after each "
        "draw dropped as a linear-time step: the suite checks only how many words come "
        "back (and a seeded generator's first one, drawn before any removal), but a word "
        "can now be drawn twice, so two words of ['a', 'b'] drawn with Random(0) are "
        "['b', 'b'] instead of both",
        ('''            new_word = self._generator.choice(choose_from)
            choose_from.remove(new_word)
            words.append(new_word)
''', '''            new_word = self._generator.choice(choose_from)
            words.append(new_word)
'''),
        probe=Probe(SETUP, "sorted(RandomWord(words=['a', 'b'], rng=Random(0))"
                    ".random_words(2))", "['a', 'b']", "['b', 'b']")),
    "less_if_necessary_unshuffled": case(
        WORD, "RandomWord.random_words", "randomisation dropped",
        "with return_less_if_necessary, the words that match answered as filter sorted "
        "them, the shuffle dropped since every one of them is returned anyway: the suite "
        "compares them sorted, but random_words now answers them in alphabetical order, "
        "the same every time, instead of in a random one",
        ('''            if return_less_if_necessary:
                self._generator.shuffle(choose_from)
                return choose_from
''', '''            if return_less_if_necessary:
                return choose_from
'''),
        probe=Probe(SETUP, "RandomWord(words=['a', 'b', 'c', 'd'], rng=Random(1))"
                    ".random_words(10, return_less_if_necessary=True)",
                    "['d', 'a', 'c', 'b']", "['a', 'b', 'c', 'd']")),
    "prefix_word_dropped": case(
        TRIE, "Trie.get_words_from_branch", "a base case dropped as redundant",
        "the branch's own word no longer added where its node ends a word, the loop over "
        "the children taken to add every word already (it adds each child that ends one, "
        "and the recursion each deeper one): the same for the suite's prefixes and "
        "suffixes, none of them a word, but a prefix that is itself a word is now left "
        "out of its own words: 'car' no longer starts with 'car'",
        ('''        words = set()

        if branch.end_of_word:
            words.add(word_fragment)

        for character, data in branch.children.items():
''', '''        words = set()

        for character, data in branch.children.items():
'''),
        probe=Probe(SETUP, "RandomWord(words=['car', 'care', 'cart']).filter(starts_with='car')",
                    "['car', 'care', 'cart']", "['care', 'cart']")),
    "verb_case_kept": case(
        SENTENCE, "_present_tense", "case normalisation dropped",
        "the verb stripped but no longer lower-cased, the word lists being lower-case "
        "already: the same for the suite's verbs and the default list, but a verb given "
        "with a capital keeps it in the middle of the sentence, 'Watch' becoming "
        "'Watches' instead of 'watches'",
        ('''    verb = verb.strip().lower()
''', '''    verb = verb.strip()
'''),
        probe=Probe("from wonderwords import RandomSentence",
                    "RandomSentence(nouns=['cat'], verbs=['Watch']).bare_bone_sentence()"
                    ".split()[-1]", "'watches.'", "'Watches.'")),
}
