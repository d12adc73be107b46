"""language-tags 1.3.2 (MIT), held out (wave 7): BCP 47 language tags checked against the
IANA subtag registry (JSON inside the package). A tag is stripped and lowered, split at '-',
its subtags typed by length and the registry (two letters or three digits a region, four a
script or a numeric variant), formatted by kind (region upper, script title case,
everything after a singleton left as written), and validated (unknown codes, a missing or
extra language, extra regions, scripts and extlangs, duplicate variants, wrong order,
private-use subtags longer than eight); search ranks registry records by how close a
description's length is to the query's. Its suite (tests/) runs every line of the package
(a line tracer over the whole suite found none unrun), so all four controls change lines
it runs. Every careless refactor changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "language-tags"
TAG = "language_tags/Tag.py"
SUBTAG = "language_tags/Subtag.py"
TAGS = "language_tags/tags.py"
SETUP = "from language_tags import tags\nfrom language_tags.Tag import Tag"

_SUBTAG_FORMAT = '''        subtag = self.data['subtag']
        if self.data['type'] == 'region':
            return subtag.upper()
        if self.data['type'] == 'script':
            return subtag.capitalize()
        return subtag
'''

_LANGUAGE = ("        language_item = [subtag for subtag in self.subtags"
             " if subtag.type == 'language']\n"
             "\n"
             "        return language_item[0] if len(language_item) > 0 else None\n")

_FORMAT_LOOP = '''        for i, subtag in enumerate(subtags[1:]):

            if len(subtags[i]) == 1 or private_tag:
'''

_WRAP = '''        result = []

        if not isinstance(subtags, list):
            subtags = [subtags]
'''

CONTROLS = {
    "subtag_format_table": case(
        SUBTAG, "Subtag.format", "if chain written as a lookup table",
        "the case of a subtag chosen from a table of str methods by its type (region: "
        "upper, script: capitalize), any other type left as it is",
        (_SUBTAG_FORMAT, '''        subtag = self.data['subtag']
        convention = {'region': str.upper, 'script': str.capitalize}.get(self.data['type'])
        return convention(subtag) if convention else subtag
''')),
    "language_first_with_next": case(
        TAG, "Tag.language", "list and index written as next() with a default",
        "the first language subtag taken with next() over a generator, None its default, "
        "instead of building the list of every one and indexing it when it is not empty",
        (_LANGUAGE, "        return next((subtag for subtag in self.subtags"
                    " if subtag.type == 'language'), None)\n")),
    "filter_truth_test": case(
        TAGS, "tags.filter", "length test written as a truth test",
        "a subtag kept when its list of types is empty tested with 'not' instead of "
        "'len(...) == 0': tags.types returns a list",
        ("        return [subtag for subtag in subtags if len(tags.types(subtag)) == 0]\n",
         "        return [subtag for subtag in subtags if not tags.types(subtag)]\n")),
    "format_pairs_with_zip": case(
        TAG, "Tag.format", "index arithmetic written as zip",
        "each subtag paired with the one before it by zip(subtags, subtags[1:]) instead of "
        "enumerate over subtags[1:] and indexing subtags[i]: the same pairs in the same "
        "order",
        (_FORMAT_LOOP, '''        for previous, subtag in zip(subtags, subtags[1:]):

            if len(previous) == 1 or private_tag:
''')),
}

CARELESS = {
    "format_singleton_tested_on_current": case(
        TAG, "Tag.format", "index shifted",
        "the singleton that starts the private part tested on the current subtag instead "
        "of the one before it: after a singleton in the middle the two agree (the "
        "singleton is left as written either way), but when the tag itself starts with "
        "one ('x-ab') its next subtag is now formatted as a region",
        ("            if len(subtags[i]) == 1 or private_tag:\n",
         "            if len(subtag) == 1 or private_tag:\n"),
        probe=Probe(SETUP, "Tag('x-ab').format", "'x-ab'", "'x-AB'")),
    "subtags_stop_below_two": case(
        TAG, "Tag.subtags", "boundary moved",
        "the singleton that ends the typed subtags tested with 'len(code) < 2', as errors "
        "tests it, instead of 'len(code) == 1': the same for every code of one or more "
        "characters, but an empty one (a doubled '-') now ends the subtags, and what "
        "follows it (the region of 'en--gb') is no longer found",
        ("            if len(code) == 1:\n",
         "            if len(code) < 2:\n"),
        probe=Probe(SETUP, "str(Tag('en--gb').region)", "'GB'", "'None'")),
    "tag_not_stripped": case(
        TAG, "Tag.__init__", "normalisation dropped",
        "the tag lowered without being stripped first: a tag with surrounding white space "
        "(' en ', as read from a header or a file) no longer matches the registry and is "
        "invalid",
        ("        tag = str(tag).strip().lower()\n",
         "        tag = str(tag).lower()\n"),
        probe=Probe(SETUP, "Tag(' en ').valid", "True", "False")),
    "subtags_wraps_only_str": case(
        TAGS, "tags.subtags", "type test inverted",
        "a single subtag recognised by isinstance(subtags, str) instead of 'not a list': "
        "a tuple of subtags is now iterated instead of being looked up as one (unknown) "
        "subtag",
        (_WRAP, '''        result = []

        if isinstance(subtags, str):
            subtags = [subtags]
'''),
        probe=Probe(SETUP, "len(tags.subtags(('mt', 'en')))", "0", "3")),
    "search_rank_without_abs": case(
        TAGS, "tags.search", "abs() dropped",
        "the rank of a record taken as the smallest difference between a description's "
        "length and the query's without abs(), on the reasoning that a matching "
        "description is never shorter than the query: but every description of the record "
        "counts, and a short other one ('Auslan' beside 'Australian Sign Language') now "
        "ranks it first",
        ("key=lambda r: min([abs(len(r_description) - len(description))",
         "key=lambda r: min([(len(r_description) - len(description))"),
        probe=Probe(SETUP, "str(tags.search('Sign Language')[0])", "'tsm'", "'asf'")),
}
