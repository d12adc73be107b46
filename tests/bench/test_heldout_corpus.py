"""The held-out and seen parts of the real-library refactor corpus (bench/heldout/): each
wave's manifest is frozen and names libraries no rule was grown on when it was frozen, the
refactors load, and each careless refactor's stated input really tells the base from the
careless tree. Wave 35 is the held-out part; waves 1 to 34 are seen (the proof's rules were
changed after their failures were read, or a newer wave was frozen after them).

No daemon and no judging here (bench/refactors_real.py --part heldout|seen does that,
outside CI): the libraries are fetched from PyPI by their pinned sha256 (cached), every
refactor is checked for form, and every probe is run on both trees, one subprocess a tree.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.heldout import libraries
from bench.heldout.corpus import all_refactors
from governance.proof.names import symbol_changes
from tests import trials
from tests.governance.refactors_real.corpus import LIBRARIES as DEVELOPMENT
from tests.governance.refactors_real.judge import probe_mismatches

# Names no held-out library may carry: the development corpus's, the ones kept for an
# outside check, the real-history libraries' and the other benches'.
SEEN = {*DEVELOPMENT, "inflection", "boltons", "more-itertools", "parse", "tabulate", "mpmath",
        "cachetools", "pyflakes", "semver", "sqlparse", "toolz", "jmespath", "humanize"}
# Wave 2 also excludes wave 1 (seen since its failures were read) and the libraries its
# rule names (manifest-wave2.json); wave 3 excludes waves 1 and 2 and every library wave 2's
# rule names, the two candidates that failed it among them (manifest-wave3.json); wave 4
# excludes waves 1 to 3 and the candidates wave 3's rule left out (manifest-wave4.json);
# wave 5 excludes waves 1 to 4, the candidate wave 4's rule left out and packaging, which
# this repository uses (manifest-wave5.json); wave 6 excludes waves 1 to 5 and the
# candidates wave 5's rule left out (manifest-wave6.json); wave 7 excludes waves 1 to 6 and
# the candidates wave 6's rule left out (manifest-wave7.json); wave 8 excludes waves 1 to 7
# and the candidates wave 7's rule left out (manifest-wave8.json); wave 9 excludes waves 1 to
# 8 and the candidates wave 8's rule left out (manifest-wave9.json); wave 10 excludes waves 1
# to 9 and the candidates wave 9's rule left out (manifest-wave10.json); wave 11 excludes
# waves 1 to 10 and the candidates wave 10's rule left out (manifest-wave11.json); wave 12
# excludes waves 1 to 11 and the candidates wave 11's rule left out (manifest-wave12.json);
# wave 13 excludes waves 1 to 12 and the candidates wave 12's rule left out
# (manifest-wave13.json); wave 14 excludes waves 1 to 13 and the candidates wave 13's rule
# left out (manifest-wave14.json); wave 15 excludes waves 1 to 14 and the candidates wave
# 14's rule left out (manifest-wave15.json); wave 16 excludes waves 1 to 15 and the
# candidates wave 15's rule left out (manifest-wave16.json); wave 17 excludes waves 1 to 16
# and the candidates wave 16's rule left out (manifest-wave17.json); wave 18 excludes waves 1
# to 17 and the candidates wave 17's rule left out (manifest-wave18.json); wave 19 excludes
# waves 1 to 18 and the candidates wave 18's rule left out (manifest-wave19.json); wave 20
# excludes waves 1 to 19 and the candidates wave 19's rule left out (manifest-wave20.json);
# wave 21 excludes waves 1 to 20 and the candidates wave 20's rule left out
# (manifest-wave21.json); wave 22 excludes waves 1 to 21 and the candidates wave 21's rule
# left out (manifest-wave22.json); wave 23 excludes waves 1 to 22 and the candidates wave 22's
# rule left out (manifest-wave23.json); wave 24 excludes waves 1 to 23 and the candidates wave
# 23's rule left out (manifest-wave24.json); wave 25 excludes waves 1 to 24 and the candidates
# wave 24's rule left out (manifest-wave25.json); wave 26 excludes waves 1 to 25 and the
# candidates wave 25's rule left out (manifest-wave26.json); wave 27 excludes waves 1 to 26
# and the candidates wave 26's rule left out (manifest-wave27.json); wave 28 excludes waves 1
# to 27 and the candidates wave 27's rule left out (manifest-wave28.json); wave 29 excludes
# waves 1 to 28 and the candidates wave 28's rule left out (manifest-wave29.json); wave 30
# excludes waves 1 to 29 and the candidates wave 29's rule left out (manifest-wave30.json);
# wave 31 excludes waves 1 to 30 and the candidates wave 30's rule left out
# (manifest-wave31.json); wave 32 excludes waves 1 to 31 and the candidates wave 31's rule
# left out (manifest-wave32.json); wave 33 excludes waves 1 to 32 and the candidates wave 32's
# rule left out (manifest-wave33.json); wave 34 excludes waves 1 to 33 and the candidates wave
# 33's rule left out (manifest-wave34.json; gast, which passed wave 33's rule on metadata and
# was not taken, is not one of them); wave 35 excludes waves 1 to 34 and the candidates wave
# 34's rule left out (manifest-wave35.json; chemparse, which passed wave 34's rule on metadata
# and was not taken, is not one of them).
WAVES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
         25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35)
WAVE = {n: tuple(e["name"] for e in libraries.wave(n)["libraries"]) for n in WAVES}
SEEN_BY_WAVE_2 = {*SEEN, *WAVE[1], "wcwidth", "tomli"}
SEEN_BY_WAVE_3 = {*SEEN_BY_WAVE_2, *WAVE[2], "rfc3986", "roman-numerals-py"}
SEEN_BY_WAVE_4 = {*SEEN_BY_WAVE_3, *WAVE[3], "base58", "itsdangerous"}
SEEN_BY_WAVE_5 = {*SEEN_BY_WAVE_4, *WAVE[4], "validators", "packaging"}
SEEN_BY_WAVE_6 = {*SEEN_BY_WAVE_5, *WAVE[5], "dpath", "natsort", "cbor2", "bech32",
                  "u-msgpack-python", "parsedatetime", "hexbytes", "h11"}
SEEN_BY_WAVE_7 = {*SEEN_BY_WAVE_6, *WAVE[6], "tomli-w", "pyrfc3339", "durationpy"}
SEEN_BY_WAVE_8 = {*SEEN_BY_WAVE_7, *WAVE[7], "crontab", "construct", "crc", "textdistance",
                  "iso8601", "semantic-version", "pyhumps", "cron-descriptor"}
SEEN_BY_WAVE_9 = {*SEEN_BY_WAVE_8, *WAVE[8], "python-slugify", "pyparsing", "schema",
                  "num2words", "colour", "docopt", "isoduration", "ordered-set", "pint", "ftfy"}
SEEN_BY_WAVE_10 = {*SEEN_BY_WAVE_9, *WAVE[9], "simplejson", "hjson", "python-stdnum", "hashids",
                   "mdurl", "base36", "pycountry", "isbnlib", "timeago", "fractions-extended",
                   "python-baseconv", "rply", "pathspec", "python-ulid", "lark", "titlecase",
                   "addict", "nanoid", "base32-crockford", "word2number", "schedule", "w3lib",
                   "pyjwt", "segno"}
SEEN_BY_WAVE_11 = {*SEEN_BY_WAVE_10, *WAVE[10], "cssselect", "pystache", "http-sfv",
                   "dnspython", "pytz", "persiantools", "anytree"}
SEEN_BY_WAVE_12 = {*SEEN_BY_WAVE_11, *WAVE[11], "bidict", "sortedcontainers", "python-dotenv",
                   "toml", "isoweek", "humanfriendly", "pyhcl", "strict-rfc3339", "cssutils",
                   "jsonpatch", "babel", "unidecode", "chardet", "intelhex", "price-parser",
                   "text-unidecode", "python-string-utils", "expiringdict", "pyisbn", "luhn",
                   "markdown", "docutils", "wordninja"}
SEEN_BY_WAVE_13 = {*SEEN_BY_WAVE_12, *WAVE[12], "haversine", "python-jsonpath", "pygeohash",
                   "mistletoe", "markdown2", "uncertainties", "pyluach", "anyascii",
                   "whatthepatch", "snowballstemmer"}
SEEN_BY_WAVE_14 = {*SEEN_BY_WAVE_13, *WAVE[13], "pycodestyle", "nameparser", "parsimonious",
                   "pyjsparser", "cerberus", "tinycss2", "ply", "durations", "stringcase",
                   "cronsim"}
SEEN_BY_WAVE_15 = {*SEEN_BY_WAVE_14, *WAVE[14], "quantiphy", "dnslib", "python-multipart"}
SEEN_BY_WAVE_16 = {*SEEN_BY_WAVE_15, *WAVE[15], "coloraide", "gitignore-parser", "bottle",
                   "python-barcode", "cstruct", "defusedxml", "immutabledict", "dacite",
                   "pypinyin", "cyrtranslit", "sqlglot", "oauthlib", "spans", "asn1", "polyline",
                   "openlocationcode", "mgrs", "pyotp", "iso4217", "rfc3987", "fqdn",
                   "uri-template"}
SEEN_BY_WAVE_17 = {*SEEN_BY_WAVE_16, *WAVE[16], "bencode.py", "py-ubjson", "base91",
                   "packageurl-python", "pep440", "requirements-parser", "braceexpand",
                   "lunardate", "korean-lunar-calendar", "khayyam", "pyaes", "pem", "macaddress",
                   "accept-types", "z85", "crcmod", "zxcvbn", "pylev", "hurry.filesize",
                   "metaphone", "pyspellchecker", "pycron", "hexdump", "jsbeautifier",
                   "unicode-slugify", "pyisemail", "datasize", "pathvalidate", "docstring-parser",
                   "pypika", "filetype", "puremagic", "funcy", "pyrsistent", "sexpdata",
                   "pyfiglet", "pysubs2", "javaproperties", "biip", "configargparse", "uniseg",
                   "borax", "gpxpy", "base45"}
SEEN_BY_WAVE_18 = {*SEEN_BY_WAVE_17, *WAVE[17], "pynmea2", "s2cell", "lunar-python",
                   "soupsieve", "vininfo", "srt", "pybase62"}
SEEN_BY_WAVE_19 = {*SEEN_BY_WAVE_18, *WAVE[18], "astral", "pymeeus", "toposort", "asn1crypto",
                   "priority", "pyleri", "rstr", "publicsuffixlist", "docopt-ng", "pyuca",
                   "dictdiffer", "strsimpy", "jsonref", "colorzero", "exrex", "treelib", "munch"}
SEEN_BY_WAVE_20 = {*SEEN_BY_WAVE_19, *WAVE[19], "s2sphere", "cronex", "pyphen", "pydash",
                   "python-box", "tatsu", "parse-type", "urlobject", "ulid-py", "cuid",
                   "colorutils", "passlib", "iptools", "ipcalc", "bencoder", "qtoml", "demjson3",
                   "spectra", "numerizer", "ksuid", "timeflake", "url-normalize", "jsoncomment",
                   "envparse", "onetimepass", "grapefruit", "distro", "svg.path", "colored"}
SEEN_BY_WAVE_21 = {*SEEN_BY_WAVE_20, *WAVE[20], "pqdict", "pygeodesy", "pymap3d",
                   "chinesecalendar", "configupdater", "pytimeparse2", "mslex", "serpent",
                   "elementpath"}
SEEN_BY_WAVE_22 = {*SEEN_BY_WAVE_21, *WAVE[21], "qrcode", "netutils", "uc-micro-py",
                   "deepmerge", "funcparserlib", "sre-yield", "hl7", "arabic-reshaper", "zhon",
                   "ahocorapy", "py-expression-eval", "number-parser", "cologne-phonetics",
                   "sliplib", "tenacity", "aenum", "python-ranges", "bashlex", "jsondiff",
                   "jaro-winkler", "fuzzysearch", "textwrap3", "baseconv", "bitstring", "glob2",
                   "iso-639", "smartypants", "commonmark", "untangle", "pyperclip", "pysrt",
                   "canonicaljson"}
SEEN_BY_WAVE_23 = {*SEEN_BY_WAVE_22, *WAVE[22], "jsonpath-python", "patch-ng",
                   "lat-lon-parser", "pygeomag", "engineering-notation", "sigfig", "baseconvert",
                   "jalali-core", "zhdate", "jamo", "grapheme"}
SEEN_BY_WAVE_24 = {*SEEN_BY_WAVE_23, *WAVE[23], "mergedeep", "chevron", "caseconverter",
                   "hanzidentifier", "jsmin", "bbcode", "exifread", "rfc3339-validator", "hdate",
                   "convertdate", "korean-romanizer", "cn2an", "zhconv", "hangul-romanize",
                   "rcssmin", "rjsmin", "htmlmin", "esprima", "words2num", "zipcodes", "tempita",
                   "dotmap", "easydict", "iso3166-2", "pycparser", "soundex", "alphabet-detector",
                   "translitcodec", "hanziconv", "romkan", "zenhan", "jamotools", "kanjize",
                   "hgtk"}
SEEN_BY_WAVE_25 = {*SEEN_BY_WAVE_24, *WAVE[24], "probablepeople", "barcodenumber", "shortid",
                   "iniparse", "trafaret", "objectpath", "bson", "pretty-bytes", "bytesize",
                   "hyperlink", "furl", "wcmatch", "icalendar", "vobject", "email-validator",
                   "ansicolors", "prettytable", "glom", "python-benedict", "deepdiff",
                   "dicttoxml", "strictyaml", "jproperties", "environs", "bleach", "textile",
                   "python-creole", "lark-parser", "xeger", "pyinterval", "rangeset",
                   "awesome-slugify", "wordtodigits", "quantulum3"}
SEEN_BY_WAVE_26 = {*SEEN_BY_WAVE_25, *WAVE[25], "phone-iso3166", "send2trash", "xdg-base-dirs",
                   "node-semver", "airium", "cuid2", "pyhamcrest", "dockerfile-parse", "tinytag",
                   "pydifact", "coolname", "plotille", "pkginfo"}
SEEN_BY_WAVE_27 = {*SEEN_BY_WAVE_26, *WAVE[26], "vdf", "crossplane", "iso-week-date", "pegen",
                   "bigtree", "python-statemachine", "pyjokes", "cowsay", "case-converter",
                   "translitua", "hangulize", "csscompressor", "emoji-country-flag",
                   "hijri-converter", "jsonlines", "commentjson", "jsonmerge", "typogrify",
                   "dragonmapper", "cutlet", "opencc-python-reimplemented"}
SEEN_BY_WAVE_28 = {*SEEN_BY_WAVE_27, *WAVE[27], "pyroman", "tldextract", "creditcard", "syllables",
                   "textstat", "loremipsum", "chinese-calendar", "holidays", "workalendar",
                   "flashtext", "numwords", "pykakasi", "ipapy", "morse-talk", "zbase32",
                   "bincopy", "srec", "anycrc", "jdatetime", "pysbd", "syntok", "pyarabic",
                   "ethiopian-date", "bikram-sambat", "geohash2", "pluscodes", "lunarcalendar",
                   "suntime", "pyisoweek", "cjkwrap", "petname", "haikunator", "contractions",
                   "langdetect", "siphash", "country-converter", "editdistance", "tokenize-rt",
                   "shamir-mnemonic", "jpholiday"}
SEEN_BY_WAVE_29 = {*SEEN_BY_WAVE_28, *WAVE[28], "headerparser", "ghrepo", "linesep", "tyme4py",
                   "olefile", "looseversion", "pycpfcnpj"}
SEEN_BY_WAVE_30 = {*SEEN_BY_WAVE_29, *WAVE[29], "jours-feries-france", "py-markdown-table",
                   "wordsegment", "terminaltables3", "better-profanity", "reedsolo", "asciichartpy",
                   "piexif", "heapdict", "polib", "jsonpickle", "mimesis", "beartype", "dominate",
                   "yattag", "executing", "asttokens", "kaitaistruct", "python-crontab",
                   "httpagentparser", "mutagen", "lzstring", "pylru", "tablib", "pydyf",
                   "autocorrect", "vulture", "python-decouple", "svgwrite", "pypdf", "xlrd",
                   "jieba", "ansi2html", "pyquery", "pybars3", "num2fawords", "json-repair",
                   "striprtf", "rfc3986-validator", "pyhocon", "docx2txt", "html2text",
                   "pyprobables"}
SEEN_BY_WAVE_31 = {*SEEN_BY_WAVE_30, *WAVE[30], "xkcdpass", "pynmeagps", "molmass", "mt-940",
                   "snakemd"}
SEEN_BY_WAVE_32 = {*SEEN_BY_WAVE_31, *WAVE[31], "circuitbreaker", "readchar", "brutils",
                   "pokerkit", "pybreaker", "trove-classifiers", "m3u8", "xlsxwriter",
                   "distlib", "rarfile", "et-xmlfile", "svgelements", "flexpolyline",
                   "colorhash", "sgp4", "email-reply-parser", "plum-py", "blowfish", "pyshp",
                   "traitlets", "fitdecode"}
SEEN_BY_WAVE_33 = {*SEEN_BY_WAVE_32, *WAVE[32], "resolvelib", "python-gnupg", "cachelib",
                   "antlr4-python3-runtime", "pydicom", "schwifty", "python-geohash",
                   "usaddress", "publicsuffix2", "portion", "mercantile", "transliterate",
                   "easing-functions", "quadkey", "periodictable", "jeraconv", "workdays",
                   "kanji-to-number", "markdownify", "geomag", "word2num", "pyvalem",
                   "business-calendar", "dimensionful", "intervaltree", "langcodes",
                   "personnummer", "retrying", "py65"}
SEEN_BY_WAVE_34 = {*SEEN_BY_WAVE_33, *WAVE[33], "parsec", "secretpy"}
SEEN_BY_WAVE_35 = {*SEEN_BY_WAVE_34, *WAVE[34], "sparklines", "perlin-noise"}
# The Zope Public License 2.1 (roman, wave 8) is BSD-style: permissive, no copyleft; so is the
# Repoze licence (chameleon, wave 24: its licence field 'BSD-like
# (http://repoze.org/license.html)'; its LICENSE.txt's four conditions: the notice kept in
# source and binary forms, the holders' names not used to endorse, modified files marked; its
# other portions under the ZPL 2.1). The one-clause BSD licence (metar, wave 32: its licence
# field and LICENSE: source redistributions keep the notice, and the usual disclaimer; the
# BSD classifier) is the two-clause one less its binary-form clause: permissive, no copyleft.
PERMISSIVE = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "PSF-2.0",
              "BSD-3-Clause OR Apache-2.0", "ZPL-2.1", "BSD-like (Repoze)", "BSD-1-Clause"}
MIN_EACH = 4  # controls and careless refactors per library


@pytest.fixture(scope="module")
def refactors() -> list:
    try:
        for name in libraries.names():
            libraries.sdist_path(libraries.library(name))
    except libraries.FetchError as exc:
        if "sha256" in str(exc):
            raise
        pytest.skip(f"PyPI unreachable: {exc}")
    return all_refactors()


@pytest.mark.parametrize(("number", "excluded"),
                         [(1, SEEN), (2, SEEN_BY_WAVE_2), (3, SEEN_BY_WAVE_3),
                          (4, SEEN_BY_WAVE_4), (5, SEEN_BY_WAVE_5), (6, SEEN_BY_WAVE_6),
                          (7, SEEN_BY_WAVE_7), (8, SEEN_BY_WAVE_8), (9, SEEN_BY_WAVE_9),
                          (10, SEEN_BY_WAVE_10), (11, SEEN_BY_WAVE_11),
                          (12, SEEN_BY_WAVE_12), (13, SEEN_BY_WAVE_13),
                          (14, SEEN_BY_WAVE_14), (15, SEEN_BY_WAVE_15),
                          (16, SEEN_BY_WAVE_16), (17, SEEN_BY_WAVE_17),
                          (18, SEEN_BY_WAVE_18), (19, SEEN_BY_WAVE_19),
                          (20, SEEN_BY_WAVE_20), (21, SEEN_BY_WAVE_21),
                          (22, SEEN_BY_WAVE_22), (23, SEEN_BY_WAVE_23),
                          (24, SEEN_BY_WAVE_24), (25, SEEN_BY_WAVE_25),
                          (26, SEEN_BY_WAVE_26), (27, SEEN_BY_WAVE_27),
                          (28, SEEN_BY_WAVE_28), (29, SEEN_BY_WAVE_29),
                          (30, SEEN_BY_WAVE_30), (31, SEEN_BY_WAVE_31),
                          (32, SEEN_BY_WAVE_32), (33, SEEN_BY_WAVE_33),
                          (34, SEEN_BY_WAVE_34), (35, SEEN_BY_WAVE_35)])
def test_each_wave_is_frozen_and_was_held_out(number: int, excluded: set) -> None:
    """Three or more permissive libraries a wave, pinned by sha256, none the rules had been
    grown on when it was frozen; each manifest kept as it was committed."""
    manifest = json.loads(libraries.MANIFESTS[number].read_text())
    assert "before any" in manifest["frozen"]
    assert manifest.get("wave", 1) == number
    entries = manifest["libraries"]
    assert len(entries) >= 3
    for e in entries:
        assert e["name"] not in excluded, e["name"]
        assert e["licence"] in PERMISSIVE and len(e["sha256"]) == 64, e
    assert not {name.split()[0] for name in manifest.get("left_out", {})} & set(WAVE[number])


def test_the_held_out_part_is_the_newest_wave() -> None:
    """--part heldout is wave 35, frozen after waves 1 to 34 were read; seen is waves 1 to
    34; no library is in two waves."""
    assert libraries.WAVES == {"heldout": (35,),
                               "seen": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
                                        29, 30, 31, 32, 33, 34)}
    frozen = [libraries.wave(n)["frozen"][:17] for n in WAVES]
    assert frozen == sorted(frozen) and len(set(frozen)) == len(WAVES)
    every = [name for n in WAVES for name in WAVE[n]]
    assert len(set(every)) == len(every)
    assert libraries.names("heldout") == WAVE[35]
    assert libraries.names("seen") == (*WAVE[1], *WAVE[2], *WAVE[3], *WAVE[4], *WAVE[5],
                                       *WAVE[6], *WAVE[7], *WAVE[8], *WAVE[9], *WAVE[10],
                                       *WAVE[11], *WAVE[12], *WAVE[13], *WAVE[14], *WAVE[15],
                                       *WAVE[16], *WAVE[17], *WAVE[18], *WAVE[19], *WAVE[20],
                                       *WAVE[21], *WAVE[22], *WAVE[23], *WAVE[24],
                                       *WAVE[25], *WAVE[26], *WAVE[27], *WAVE[28],
                                       *WAVE[29], *WAVE[30], *WAVE[31], *WAVE[32],
                                       *WAVE[33], *WAVE[34])
    assert libraries.names() == (*libraries.names("heldout"), *libraries.names("seen"))


def test_the_held_out_corpus_is_well_formed(refactors: list) -> None:
    """Enough of each kind per library; every candidate parses and changes only the function
    its op is about (added private helpers and tables aside); every careless one has a probe
    (every held-out case; in make test a share of each seen library's, as the probes)."""
    kinds = Counter((r.library.name, r.kind) for r in refactors)
    for name in libraries.names():
        assert kinds[name, "control"] >= MIN_EACH and kinds[name, "careless"] >= MIN_EACH, kinds
    for r in _checked(refactors, lambda r: True):
        ast.parse(r.text, filename=r.name)
        assert r.text != r.base_text, r.name
        changed = {c.name for c in symbol_changes(r.base_text, r.text)
                   if c.name not in ("<imports>", "<module>")
                   and not (c.kind == "added" and not c.public)}
        assert changed == {r.function}, (r.name, changed)
        assert r.preserving or r.probe is not None, r.name


def _checked(refactors: list, which) -> list:
    """The refactors `which` keeps: all of the held-out wave's, and a share of each seen
    library's (tests/trials.py; all with OUROBOROS_TRIALS=full): the seen waves are
    frozen, and each was checked whole when its cases were written."""
    held = set(libraries.names("heldout"))
    return [r for r in refactors if which(r) and r.library.name in held] + trials.chosen(
        [r for r in refactors if which(r) and r.library.name not in held],
        lambda r: r.name, lambda r: r.library.name)


def test_each_careless_input_tells_base_from_careless(refactors: list, tmp_path: Path) -> None:
    """Each careless refactor's probe answers as recorded on the base and on the careless
    tree, and the two answers differ: every one of the held-out wave, and in make test a
    share of each seen library's (frozen, each checked in full when its wave was written;
    OUROBOROS_TRIALS=full checks them all)."""
    careless = _checked(refactors, lambda r: not r.preserving)

    def one(n: int) -> list[str]:
        return probe_mismatches(careless[n], tmp_path / str(n))

    with ThreadPoolExecutor(4) as pool:
        problems = [p for ps in pool.map(one, range(len(careless))) for p in ps]
    assert not problems, "\n".join(problems)


def test_the_bench_prints_wave_35_as_held_out_and_waves_1_to_34_as_seen() -> None:
    """bench/refactors_real.py's --part heldout judges wave 35 under the held-out heading,
    --part seen waves 1 to 34 under the seen one, and every combined run puts held-out
    first; the columns say which waves."""
    from bench.heldout.report import COLUMNS, heading
    from bench.refactors_real import PARTS

    assert PARTS["heldout"] == ["heldout"] and PARTS["seen"] == ["seen"]
    assert all(parts[0] == "heldout" for key, parts in PARTS.items() if len(parts) > 1)
    held, seen = heading("heldout"), heading("seen")
    assert held.startswith("== HELD-OUT (wave 35: ")
    assert seen.startswith("== SEEN (waves 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "
                           "16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, "
                           "33 and 34: ")
    assert COLUMNS["heldout"] == "held-out (w35)" and COLUMNS["seen"] == "seen (w1-w34)"
    assert all(n in held for n in libraries.names("heldout"))
    assert all(n in seen and n not in held for n in libraries.names("seen"))
