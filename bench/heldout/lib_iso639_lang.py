"""iso639-lang 2.6.3 (MIT), held out (wave 20): ISO 639 language codes and names (its import
name iso639, as python-iso639's, another library's). iso639/iso639.py's Lang is a tuple
(name, pt1, pt2b, pt2t, pt3, pt5) looked up in JSON tables (iso639/data/*.json, loaded by
iso639/datafile.py): Lang(value) reads a lower-case value of three letters as a pt3, pt2b,
pt2t or pt5 code (in that order), of two as a pt1 code, anything else as a name (an other
name mapped to its reference name first); keyword arguments (name=, pt1=, ...) each give a
tuple, a falsy one skipped, and must agree with each other and with the value; when nothing
matches the deprecation tables are asked (DeprecatedLanguageValue, iso639/exceptions.py: its
message names the reason, and "Use [change_to] instead." when change_to is truthy, else
ret_remedy) before InvalidLanguageValue. A Lang equals only a Lang of the same type and hash
(the hash of its repr); scope() and type() map the pt3 code's abbreviation by .get (None for
a group of languages); is_language(value, identifiers_or_names) takes one tag, a tuple, or a
list or set of str tags, TypeError for anything else.

Its suite (tests/: 51 tests, the README's examples among them) looks up English, French,
German, Mandarin and others by each code and name, refuses upper-case and capitalised codes
and names, compares, hashes, sorts and iterates Langs, builds one from agreeing and
disagreeing keyword arguments, checks repr, asdict, type() of Latin, scope() of Arabic,
macro(), individuals() and other_names(), the messages of an invalid value and of the
deprecated 'gsc' (its change_to set), and is_language with tags as a str and as a tuple. A
line tracer over it found unrun: a Lang given as the value, __lt__'s ending on lengths,
__getnewargs__, the deprecation check's unknown keyword, is_language's list and set branch
and its tuple-of-non-str TypeError, datafile's missing file, and DeprecatedLanguageValue's
unknown reason, its ret_remedy and its empty remedy. Its tests never give
an empty keyword argument beside a value, never compare a Lang with a plain tuple, never pass
is_language a set, never ask scope() of a group of languages, and never hit a deprecated code
whose change_to is empty."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "iso639-lang"
ISO = "iso639/iso639.py"
EXC = "iso639/exceptions.py"
SETUP = "from iso639 import Lang, is_language"
MESSAGE_SETUP = SETUP + '''
def message(value):
    try:
        Lang(value)
    except Exception as exc:
        return str(exc)'''

CONTROLS = {
    "repr_by_fstring": case(
        ISO, "Lang.__repr__", "join of a pair to an f-string",
        "each field written as f'{tg}={value!r}' instead of '='.join((tg, repr(value))): "
        "tg is one of the str tags, !r is repr(), and both put '=' between the same two "
        "strings",
        ('''        chunks = ["=".join((tg, repr(getattr(self, tg)))) for tg in self._tags]
''', '''        chunks = [f"{tg}={getattr(self, tg)!r}" for tg in self._tags]
''')),
    "deprecation_keys_by_helper": case(
        ISO, "Lang._assert_not_deprecated", "if/elif chain extracted into a helper",
        "the deprecation tables an argument is looked up in chosen by a module helper, "
        "_deprecation_keys(kw), instead of an if/elif chain in the loop: the helper answers "
        "the same keys for the same keyword (('id', 'name') for the value, ('name',) for "
        "name=, ('id',) for a code, () otherwise), and a None argument is still skipped "
        "before it is asked",
        ('''def iter_langs() -> Iterator[Lang]:
''', '''def _deprecation_keys(kw):
    # the deprecation tables (_deprecated's "id" and "name") an argument of kw is looked up in
    if kw == "name_or_identifier":
        return ("id", "name")
    if kw == "name":
        return ("name",)
    return ("id",) if kw in ("pt1", "pt2b", "pt2t", "pt3", "pt5") else ()


def iter_langs() -> Iterator[Lang]:
'''), ('''            if arg_value is None:
                continue
            elif kw == "name_or_identifier":
                keys = ("id", "name")
            elif kw == "name":
                keys = ("name",)
            elif kw in ("pt1", "pt2b", "pt2t", "pt3", "pt5"):
                keys = ("id",)
            else:
                keys = ()

            for k in keys:
''', '''            if arg_value is None:
                continue

            for k in _deprecation_keys(kw):
''')),
    "type_names_by_comprehension": case(
        ISO, "is_language", "generator to list comprehension (lines the suite never runs)",
        "the type names of a tuple of tags that are not all str gathered in a list "
        "comprehension instead of a generator: ' and '.join consumes either whole, in the "
        "same order, before the TypeError is raised; no test passes such a tuple",
        ('''        all_types = (type(v).__name__ for v in identifiers_or_names)
''', '''        all_types = [type(v).__name__ for v in identifiers_or_names]
''')),
    "asdict_by_zip": case(
        ISO, "Lang.asdict", "getattr per field to zip",
        "the dict built by zip(self._tags, self) instead of getattr(self, tag) for each "
        "tag: each tag's property answers tuple.__getitem__(self, i) at the tag's own index "
        "in _tags, which is the order a Lang's items are iterated in",
        ('''        return {tg: getattr(self, tg) for tg in self._tags}
''', '''        return dict(zip(self._tags, self))
''')),
}

CARELESS = {
    "empty_kwargs_as_absent": case(
        ISO, "Lang.__new__", "None test to falsiness",
        "the keyword arguments skipped when none is truthy (not any(...)) instead of when "
        "all are None: the same for the suite's calls, which give none or non-empty ones, "
        "but Lang('fr', pt1='') now answers French where the empty pt1 made it "
        "InvalidLanguageValue",
        ('''        if all(v is None for v in (name, pt1, pt2b, pt2t, pt3, pt5)):
''', '''        if not any((name, pt1, pt2b, pt2t, pt3, pt5)):
'''),
        probe=Probe(SETUP, "Lang('fr', pt1='').name",
                    "raises InvalidLanguageValue", "'French'")),
    "equal_to_any_tuple": case(
        ISO, "Lang.__eq__", "exact-type equality widened to any tuple's",
        "a Lang equal to any tuple of the same items instead of only to a Lang of the same "
        "type and hash: the same between Langs, and != (tuple's own, which the suite's "
        "inequalities use) is untouched, but Lang('fra') == tuple(Lang('fra')) is now True "
        "where it was False",
        ('''        return type(other) is type(self) and hash(other) == hash(self)
''', '''        return isinstance(other, tuple) and tuple(self) == tuple(other)
'''),
        probe=Probe(SETUP, "Lang('fra') == tuple(Lang('fra'))", "False", "True")),
    "set_of_tags_refused": case(
        ISO, "is_language", "accepted container types narrowed (set dropped)",
        "the tags accepted as a list of str instead of a list or a set of str: the suite "
        "passes a str and tuples, but is_language('fr', {'pt1'}) now raises TypeError "
        "where it answered True",
        ('''    elif isinstance(identifiers_or_names, (list, set)) and all(
''', '''    elif isinstance(identifiers_or_names, list) and all(
'''),
        probe=Probe(SETUP, "is_language('fr', {'pt1'})", "True", "raises TypeError")),
    "scope_by_subscription": case(
        ISO, "Lang._get_scope", ".get() to subscription",
        "a pt3 code's scope looked up by subscription instead of .get(): the same for every "
        "language with a pt3 code (the suite asks Arabic's), but a group of languages has "
        "pt3 '' and no abbreviation, so Lang('cel').scope() now raises KeyError where it "
        "answered None",
        ('''        abr = cls._scope.get(pt3_value)

        return cls._abrs.get(abr)
''', '''        return cls._abrs[cls._scope[pt3_value]]
'''),
        probe=Probe(SETUP, "Lang('cel').scope()", "None", "raises KeyError")),
    "change_to_by_presence": case(
        EXC, "DeprecatedLanguageValue.__init__", "truth of a value to presence of its key",
        "the remedy 'Use [change_to] instead.' written when the keyword change_to is given "
        "instead of when it is truthy: every deprecated entry carries the key, and the "
        "suite's 'gsc' a code in it, but 'aay' (retired, change_to '') now ends its "
        "message 'Use [] instead.' where it ended after the reason",
        ('''        if kwargs.get("change_to"):
''', '''        if "change_to" in kwargs:
'''),
        probe=Probe(MESSAGE_SETUP, "message('aay')",
                    "'As of 2009-01-16, [aay] for Aariya is deprecated due to non-existent. '",
                    "'As of 2009-01-16, [aay] for Aariya is deprecated due to non-existent. "
                    "Use [] instead.'")),
}
