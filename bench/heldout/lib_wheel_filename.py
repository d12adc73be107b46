"""wheel-filename 2.1.0 (MIT), held out (wave 27): parse wheel filenames (wheel_filename/:
__init__, the WheelFilename dataclass and ParseError; __main__, the wheel-filename command).
WheelFilename.parse takes a str, bytes or os.PathLike, decodes it with os.fsdecode, strips
its directories and matches the whole basename (fullmatch) against the specification's
pattern (project, version, an optional build tag starting with a digit, dotted Python, ABI
and platform tags, the .whl extension in any case), raising ParseError (a ValueError whose
str() quotes the name with repr) when it does not match. str() writes the filename back;
tag_triples() yields every python-abi-platform triple in the tags' order; build_tuple,
build_leading and build_trailing split a build tag into its leading ASCII digits, as an int,
and the rest. The command prints the fields as JSON (json.dumps, indent 4, ASCII only), or
the error on stderr with status 1.

Its suite (test/: 42 tests; the whole suite adds README.rst's doctests, 43) parses 22 real
wheel names (builds like 001, 10, 1.0.0 and 5.7.1, dotted tags) and checks every field and
str(), a name with a directory, eight invalid names and their errors, the build's parts of
four names, the triples of four parsed names and the command's output for pip's wheel and
one error. A line tracer over it found every line of the package run but the command
module's `sys.exit(main())` under `if __name__ == "__main__"` (module-level code, which no
refactor here changes). Its tests never parse bytes or an upper-case extension, a name with
anything after .whl, a build tag with letters after its digits, or a tag that is not ASCII,
and never quote a name holding a quote."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "wheel-filename"
INIT = "wheel_filename/__init__.py"
MAIN = "wheel_filename/__main__.py"
SETUP = "from wheel_filename import ParseError, WheelFilename"
MAIN_SETUP = '''import contextlib, io
from wheel_filename.__main__ import main
def printed(name):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([name])
    return out.getvalue()'''

CONTROLS = {
    "trailing_by_length": case(
        INIT, "WheelFilename.build_trailing", "equivalent slice bound",
        "the rest of the build tag sliced from len(m[0]) instead of m.end(): the match of "
        "[0-9]+ starts at 0 (re.match), so it ends at its own length",
        ('''            return self.build[m.end() :]
        else:
            return None
''', '''            return self.build[len(m[0]) :]
        else:
            return None
''')),
    "triples_by_product": case(
        INIT, "WheelFilename.tag_triples", "nested loops to itertools.product",
        "the triples yielded from itertools.product(python, abi, platform tags) joined by "
        "'-' instead of three nested loops: product varies its last iterable fastest, the "
        "same order as the innermost loop, and every tags list is iterated once at the start "
        "either way (nothing changes them while the generator runs)",
        ('''from collections.abc import Iterator
''', '''from collections.abc import Iterator
import itertools
'''), ('''        for py in self.python_tags:
            for abi in self.abi_tags:
                for plat in self.platform_tags:
                    yield "-".join([py, abi, plat])
''', '''        for triple in itertools.product(
            self.python_tags, self.abi_tags, self.platform_tags
        ):
            yield "-".join(triple)
''')),
    "tags_by_comprehension": case(
        INIT, "WheelFilename.parse", "repeated calls to a dict comprehension",
        "the three tag lists split by a dict comprehension over the group names and passed "
        "as **tags instead of three keyword arguments written out: the same groups split on "
        "'.' and the same keywords to the constructor",
        ('''            build=m.group("build"),
            python_tags=m.group("python_tags").split("."),
            abi_tags=m.group("abi_tags").split("."),
            platform_tags=m.group("platform_tags").split("."),
        )
''', '''            build=m.group("build"),
            **{
                name: m.group(name).split(".")
                for name in ("python_tags", "abi_tags", "platform_tags")
            },
        )
''')),
    "build_tuple_from_parts": case(
        INIT, "WheelFilename.build_tuple", "duplicated code to the properties it repeats",
        "the tuple built from build_leading and build_trailing instead of matching the "
        "leading digits again: both properties match the same [0-9]+ (asserting it, as "
        "build_tuple did) and answer int(m[0]) and the rest after it; without a build, the "
        "empty tuple as before",
        ('''        if self.build is not None:
            m = re.match(r"[0-9]+", self.build)
            assert m
            return (int(m[0]), self.build[m.end() :])
        else:
            return ()
''', '''        if self.build is not None:
            return (self.build_leading, self.build_trailing)
        else:
            return ()
''')),
}

CARELESS = {
    "bytes_not_decoded": case(
        INIT, "WheelFilename.parse", "str() for os.fsdecode()",
        "the filename turned into text by str() instead of os.fsdecode(): a str or a "
        "path-like of str is the same, but bytes (which parse documents) become their repr, "
        "\"b'pip-...whl'\", which no wheel name matches: every bytes filename raises "
        "ParseError",
        ('''        basename = os.path.basename(os.fsdecode(filename))
''', '''        basename = os.path.basename(str(filename))
'''),
        probe=Probe(SETUP, "WheelFilename.parse(b'pip-18.0-py3-none-any.whl').project",
                    "'pip'", "raises ParseError")),
    "match_not_anchored": case(
        INIT, "WheelFilename.parse", "match for fullmatch",
        "the basename matched with match() instead of fullmatch(): the pattern ends at the "
        ".whl extension without an end anchor, so a name with anything after it "
        "('....whl.part', '....whl.asc') parses as the wheel before it where it raised "
        "ParseError",
        ('''        m = WHEEL_FILENAME_CRGX.fullmatch(basename)
''', '''        m = WHEEL_FILENAME_CRGX.match(basename)
'''),
        probe=Probe(SETUP, "str(WheelFilename.parse('pip-18.0-py3-none-any.whl.part'))",
                    "raises ParseError", "'pip-18.0-py3-none-any.whl'")),
    "leading_by_split": case(
        INIT, "WheelFilename.build_leading", "digits taken by splitting on a dot",
        "the build tag's leading integer taken as int() of its part before the first dot "
        "instead of its leading digits: the suite's tags (001, 10, 1.0.0, 1502100955) "
        "agree, but a tag with letters after its digits ('2b', '1rc') raises ValueError "
        "out of the property",
        ('''            m = re.match(r"[0-9]+", self.build)
            assert m
            return int(m[0])
''', '''            return int(self.build.split(".")[0])
'''),
        probe=Probe(SETUP, "WheelFilename.parse('foo-1.0-2b-py3-none-any.whl').build_leading",
                    "2", "raises ValueError")),
    "name_quoted_by_hand": case(
        INIT, "ParseError.__str__", "repr() to hand-written quotes",
        "the invalid name written between two single quotes instead of by repr(): the same "
        "for the suite's names, but a name holding a quote or a backslash or an unprintable "
        "character is no longer escaped (repr switches to double quotes around an "
        "apostrophe)",
        ('''        return "Invalid wheel filename: " + repr(self.filename)
''', '''        return "Invalid wheel filename: '" + self.filename + "'"
'''),
        probe=Probe(SETUP, "str(ParseError(\"it's.whl\"))",
                    r"""'Invalid wheel filename: "it\'s.whl"'""",
                    "\"Invalid wheel filename: 'it's.whl'\"")),
    "json_not_ascii": case(
        MAIN, "main", "encoding choice",
        "the fields printed by json.dumps with ensure_ascii=False, to keep names readable, "
        "instead of its default ASCII-only output: a tag that is not ASCII (the pattern's "
        "\\w takes any Unicode letter) is printed as itself, not as a \\u escape, and the "
        "output is no longer ASCII",
        ('''    print(json.dumps(asdict(pwf), indent=4))
''', '''    print(json.dumps(asdict(pwf), indent=4, ensure_ascii=False))
'''),
        probe=Probe(MAIN_SETUP, "printed('foo-1.0-py3-none-caf\\xe9.whl').splitlines()[-3]",
                    r"""'        "caf\\u00e9"'""", "'        \"caf\xe9\"'")),
}
