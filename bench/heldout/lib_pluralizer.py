"""pluralizer 2.0.0 (MIT), held out (wave 23): English words pluralized and singularized by
rules applied in order (pluralizer/pluralizer.py, its Pluralizer; pluralizer_rules.py its
irregular pairs, its plural, singular and uncountable rules). Pluralizer() loads the irregular
pairs into two maps (single -> plural and plural -> single, both lower-cased), the plural and
singular rules into lists (a str rule compiled as (?i)^rule$, a pattern kept), the uncountable
words into a map by their lower-case form and the uncountable patterns as rules answering
the word itself. plural and singular look the lower-cased word up in the map that keeps it,
then in the one that replaces it, then try the rules last added first, the first match
replacing once ($n from its groups, '' for a group that did not take part) and the case
restored from the matched text (equal, lower, upper, title, else lower); is_plural and
is_singular answer True for a word the keeping map holds, False for one the replacing map
holds, else whether the rules leave it unchanged. pluralize(word, count, inclusive) is the
singular when count == 1, else the plural, with str(count) and a space before it when
inclusive.

Its suite (tests/test_pluralize.py: 15 tests over some 670 pairs) checks plural,
singular, is_plural and is_singular of each pair, pluralize with counts 5 and 1, with and
without the count, and added uncountable words, irregular pairs and plural and singular rules,
as patterns and as str, all given in lower case. A line tracer over it found no line of the
package unrun, so no control can change only lines no test runs. Its tests never give a count
of 0 or one that is not an int with inclusive, a word an added str rule ends but does not
begin, an added uncountable word with a capital, or is_plural of a word that is both an
irregular single and an irregular plural ('them')."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "pluralizer"
PLURALIZER = "pluralizer/pluralizer.py"
SETUP = "from pluralizer import Pluralizer\np = Pluralizer()"

CONTROLS = {
    "rules_by_slice": case(
        PLURALIZER, "Pluralizer._sanitize_word", "reversed() to a reversing slice",
        "the rules tried last added first by iterating rules[::-1] instead of reversed(rules): "
        "the rules are a list, so the slice is a reversed copy of it, the same rules in the "
        "same order, the first match answering",
        ('''        for pattern, replacement in reversed(rules):
''', '''        for pattern, replacement in rules[::-1]:
''')),
    "group_by_lambda": case(
        PLURALIZER, "Pluralizer._interpolate", "inner function inlined as a lambda",
        "each $n of a replacement taken from the match's group n (or '' where the group "
        "did not take part) by a lambda given to re.sub instead of a nested function "
        "defined first: the same expression called on each $n",
        ('''        def replace_rest(sub_match: re.Match[str]):
            return match.group(int(sub_match.group(1))) or ""

        return re.sub(r"\\$(\\d{1,2})", replace_rest, s)
''', '''        return re.sub(r"\\$(\\d{1,2})",
                      lambda sub_match: match.group(int(sub_match.group(1))) or "", s)
''')),
    "irregulars_loaded_last": case(
        PLURALIZER, "Pluralizer.__init__", "independent statements reordered",
        "the irregular pairs loaded after the plural, singular and uncountable rules instead "
        "of before them: add_irregular_rule writes only the two irregular maps, which no "
        "other loader reads or writes, so every map and list ends the same",
        ('''        for single, plural in irregular_rules:
            self.add_irregular_rule(single, plural)

        for pattern, replacement in pluralization_rules:
''', '''        for pattern, replacement in pluralization_rules:
'''), ('''        for pattern in uncountable_rules:
            self.add_uncountable_rule(pattern)
''', '''        for pattern in uncountable_rules:
            self.add_uncountable_rule(pattern)

        for single, plural in irregular_rules:
            self.add_irregular_rule(single, plural)
''')),
    "lowercase_inlined": case(
        PLURALIZER, "Pluralizer.add_irregular_rule", "temporaries inlined",
        "the lower-cased single and plural written where the two maps are set instead of "
        "rebinding the arguments first: the same keys and values in the same two maps",
        ('''        plural = plural.lower()
        single = single.lower()

        self.irregularSingles[single] = plural
        self.irregularPlurals[plural] = single
''', '''        self.irregularSingles[single.lower()] = plural.lower()
        self.irregularPlurals[plural.lower()] = single.lower()
''')),
}

CARELESS = {
    "zero_count_dropped": case(
        PLURALIZER, "Pluralizer.pluralize", "number tested by truthiness",
        "the count written before the word when inclusive and count instead of when "
        "inclusive, as if to leave out a missing count: the same for the suite's counts 5 "
        "and 1, but a count of 0 is now left out ('apples' instead of '0 apples')",
        ('''        return (str(count) + " " if inclusive else "") + pluralized
''', '''        return (str(count) + " " if inclusive and count else "") + pluralized
'''),
        probe=Probe(SETUP, "p.pluralize('apple', 0, True)", "'0 apples'", "'apples'")),
    "count_formatted_as_int": case(
        PLURALIZER, "Pluralizer.pluralize", "format narrowed to int",
        "the count written by f'{count:d} ', as its int annotation says, instead of "
        "str(count) and a space: the same for the suite's ints, but a count that is not an "
        "int (2.5) is now refused by the format (ValueError) instead of written",
        ('''        return (str(count) + " " if inclusive else "") + pluralized
''', '''        return (f"{count:d} " if inclusive else "") + pluralized
'''),
        probe=Probe(SETUP, "p.pluralize('cup', 2.5, True)", "'2.5 cups'",
                    "raises ValueError")),
    "rule_start_unanchored": case(
        PLURALIZER, "Pluralizer._sanitize_rule", "anchor lost",
        "a str rule compiled as (?i)rule$ instead of (?i)^rule$: the same for the suite's "
        "str rules, each tried on the word itself, but a rule now also matches a word "
        "that ends with it (an added 'person' -> 'peeps' rule turns 'salesperson' into "
        "'salespeeps' instead of 'salespeople')",
        ('''            return re.compile("(?i)^" + rule + "$")
''', '''            return re.compile("(?i)" + rule + "$")
'''),
        probe=Probe(SETUP + "\np.add_plural_rule('person', 'peeps')",
                    "p.plural('salesperson')", "'salespeople'", "'salespeeps'")),
    "uncountable_case_kept": case(
        PLURALIZER, "Pluralizer.add_uncountable_rule", "coercion removed",
        "an uncountable str word stored as given instead of lower-cased: the same for the "
        "suite's built-in and added words, all lower case, but an added 'Paper' is now "
        "never found, plural() looking the word up lower-cased ('papers')",
        ('''            self.uncountables[word.lower()] = True
''', '''            self.uncountables[word] = True
'''),
        probe=Probe(SETUP + "\np.add_uncountable_rule('Paper')", "p.plural('paper')",
                    "'paper'", "'papers'")),
    "irregular_checks_swapped": case(
        PLURALIZER, "Pluralizer._check_word", "checks reordered",
        "the replacing map looked up before the keeping one instead of after it: the same "
        "for a word in one map alone, but a word both an irregular single and an irregular "
        "plural ('them' -> 'them') is now answered False by is_plural instead of True",
        ('''        if token in keepMap:
            return True
        if token in replaceMap:
            return False
''', '''        if token in replaceMap:
            return False
        if token in keepMap:
            return True
'''),
        probe=Probe(SETUP, "p.is_plural('them')", "True", "False")),
}
